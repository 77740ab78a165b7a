import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, redis, metrics } = app.services;

  app.get('/healthz', { config: { public: true }, schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
    const checks = await Promise.all([
      db.$queryRaw`SELECT 1`.then(() => 'ok', (e: Error) => e.message),
      redis.ping().then(() => 'ok', (e: Error) => e.message),
    ]);
    const [postgres, redisState] = checks;
    const ready = postgres === 'ok' && redisState === 'ok';
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', postgres, redis: redisState });
  });

  // access decided in the metrics route
  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
};
