import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, redis, loops } = app.services;

  app.get('/healthz', { config: { public: true }, schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
    // Each check answers within a bound: a store that does not answer is as bad as one that refuses.
    const [postgres, redisState, states] = await Promise.all([bounded(db.$queryRaw`SELECT 1`), bounded(redis.ping()), loops.check()]);
    const ready = postgres === 'ok' && redisState === 'ok';
    const stalled = states.filter((s) => s.stalled).map((s) => s.loop);
    // A stalled loop leaves the API able to answer: ready, but degraded, naming the loops.
    const status = !ready ? 'not ready' : stalled.length ? 'degraded' : 'ready';
    return reply.status(ready ? 200 : 503).send({ status, postgres, redis: redisState, stalled, loops: states });
  });
};

const CHECK_TIMEOUT_MS = 3_000;

function bounded(p: Promise<unknown>): Promise<string> {
  return Promise.race([
    p.then(
      () => 'ok',
      (e: Error) => e.message,
    ),
    new Promise<string>((r) => setTimeout(() => r(`no answer within ${CHECK_TIMEOUT_MS} ms`), CHECK_TIMEOUT_MS).unref()),
  ]);
}
