import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '../platform/logger.js';
import { moveAccessTokenToHeader, requestLogSerializer } from './access-token.js';
import { authPlugin } from './auth.plugin.js';
import { browserPolicy } from './browser-policy.js';
import { consolePlugin } from './console.plugin.js';
import type { HttpServices } from './http-services.js';
import { idempotencyPlugin } from './idempotency.plugin.js';
import { inputGuardPlugin } from './input-guard.plugin.js';
import { documentRoute } from './openapi.js';
import { notFoundHandler, problemHandler } from './problem.js';
import { healthRoutes } from './routes/health.routes.js';
import { apiRoutes } from './routes/index.js';

// An incomplete request (headers or body) is dropped after this long, and an idle keep-alive
// connection too, instead of holding a socket for a minute. The live feed is unaffected: its
// request is complete as soon as its headers are, and it writes a heartbeat every 15 s.
const REQUEST_TIMEOUT_MS = 10_000;

export type App = FastifyInstance;

declare module 'fastify' {
  interface FastifyInstance {
    services: HttpServices;
  }
}

/** Builds the HTTP app; `listen` is the caller's business (tests use inject or port 0). */
export async function buildApp(services: HttpServices, log: Logger): Promise<App> {
  const app = Fastify({
    // pino's Logger and fastify's base logger differ only in generics.
    loggerInstance: log.child({ component: 'http' }, { serializers: { req: requestLogSerializer } }) as FastifyBaseLogger,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: 5 * 1024 * 1024,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: REQUEST_TIMEOUT_MS,
    // Idle sockets (a client that stopped reading or sending) are closed after a minute.
    connectionTimeout: 60_000,
    // headersTimeout must not exceed requestTimeout; node checks both every connectionsCheckingInterval.
    http: { headersTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1_000 },
    // The console's live feed (EventSource) passes its token in the query; see access-token.ts.
    rewriteUrl: (req) => moveAccessTokenToHeader(req),
    routerOptions: { ignoreTrailingSlash: true },
    // Malformed percent-encoding and over-long path parameters are refused by the router itself:
    // they get the same problem document as every other client error, not fastify's own JSON.
    frameworkErrors: problemHandler,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(problemHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.decorate('services', services);
  await app.register(browserPolicy, { corsOrigins: services.config.CORS_ORIGINS });

  app.addHook('onRequest', async (req, reply) => {
    void reply.header('x-request-id', req.id);
  });
  app.addHook('onResponse', async (req, reply) => {
    services.metrics.httpDuration
      .labels(req.method, req.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });
  // Before any route, so that every route registered after it, in any plugin, is authenticated by default.
  await app.register(authPlugin, { auth: services.auth });
  await app.register(inputGuardPlugin);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Nexsphere operator platform API', version: '1.0.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true };
    });
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });
  app.addHook('onRoute', documentRoute);
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  await app.register(idempotencyPlugin, { db: services.db, secretKey: services.config.SECRET_KEY });
  await app.register(healthRoutes);
  await app.register(apiRoutes, { prefix: '/api/v1' });
  // Last: the console answers every GET path that no API route claimed.
  await app.register(consolePlugin);
  return app as unknown as App;
}
