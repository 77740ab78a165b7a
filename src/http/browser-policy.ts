// What browsers may do with our pages and answers: security headers (helmet) and CORS.
import helmet from '@fastify/helmet';
import fp from 'fastify-plugin';

/**
 * The console is a Vite build: one module script and one stylesheet from /assets, the favicon a
 * data: URI, the API and live feed on the same origin. Preact and uPlot set styles through the
 * CSSOM (element.style), which style-src does not govern, so no 'unsafe-inline' is needed.
 * No upgrade-insecure-requests: the console is often opened over plain HTTP on a private address.
 */
const CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    'default-src': ["'self'"],
    'base-uri': ["'self'"],
    'connect-src': ["'self'"],
    'font-src': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    'img-src': ["'self'", 'data:'],
    'object-src': ["'none'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'"],
  },
};

const CORS_METHODS = 'GET, POST, PUT, PATCH, DELETE';
const CORS_HEADERS = 'authorization, content-type, idempotency-key, x-request-id';

export const browserPolicy = fp<{ corsOrigins: readonly string[] }>(async (app, opts) => {
  // Registered first, so its headers are on every answer, problem documents included.
  await app.register(helmet, {
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    // The console loads nothing cross-origin, and API clients are not browsers embedding us.
    crossOriginEmbedderPolicy: false,
    // HTTPS is terminated in front of us when used; telling browsers so is that proxy's business.
    strictTransportSecurity: false,
  });
  if (opts.corsOrigins.length === 0) return;
  const allowed = new Set(opts.corsOrigins);
  // Before authentication: a preflight carries no token and must be answered here.
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    void reply.header('vary', 'Origin');
    if (!origin || !allowed.has(origin)) return;
    void reply.header('access-control-allow-origin', origin).header('access-control-expose-headers', 'x-request-id');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      return reply
        .header('access-control-allow-methods', CORS_METHODS)
        .header('access-control-allow-headers', CORS_HEADERS)
        .header('access-control-max-age', '600')
        .status(204)
        .send();
    }
  });
});
