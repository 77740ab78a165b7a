import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../../auth/index.js';
import { customerScope, customerWhere } from '../../auth/index.js';
import { createLiveHub, type LiveEvent } from '../../reports/index.js';

const HEARTBEAT_MS = 15_000;
const SCOPE_REFRESH_MS = 30_000;

/**
 * GET /live: server-sent events of the live feed. EventSource cannot send headers, so the
 * bearer token may come as `?access_token=`; app.ts moves it into the Authorization header
 * before routing (src/http/access-token.ts), so the auth plugin checks it like any bearer.
 */
export const liveRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, config, redis, log } = app.services;
  const hub = createLiveHub({ redis, prefix: config.REDIS_PREFIX, log: log.child({ component: 'live' }) });
  const open = new Set<() => void>();
  // Before the server closes: end open streams, or close() would wait for browsers to hang up.
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });
  app.addHook('onClose', async () => hub.close());

  /** A filter per connection: staff see all, others the events of customers in their scope. */
  async function scopeFilter(p: Principal): Promise<{ accepts(e: LiveEvent): boolean; refresh(): Promise<void> }> {
    const scope = customerScope(p);
    if (scope === null) return { accepts: () => true, refresh: async () => {} };
    let ids = new Set<string>();
    const refresh = async () => {
      const rows = await db.customer.findMany({ where: customerWhere(p), select: { id: true } });
      ids = new Set(rows.map((r) => r.id));
    };
    await refresh();
    return { accepts: (e) => e.customerId !== null && ids.has(e.customerId), refresh };
  }

  app.get(
    '/live',
    {
      schema: {
        tags: ['reports'],
        summary: 'Live feed of domain events as text/event-stream (token in access_token)',
        // Documented for clients; it never reaches the handler (moved to the Authorization header).
        querystring: z.object({ access_token: z.string().min(1).max(200).optional() }),
      },
    },
    async (req, reply) => {
      const principal = req.principal;
      const filter = await scopeFilter(principal);

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': req.id,
      });
      res.write(`retry: 3000\nevent: hello\ndata: ${JSON.stringify({ role: principal.role, at: new Date().toISOString() })}\n\n`);

      const unlisten = hub.listen((batch) => {
        const events = batch.events.filter((e) => filter.accepts(e));
        if (events.length) res.write(`data: ${JSON.stringify(events)}\n\n`);
      });
      const heartbeat = setInterval(() => res.write(`: keep-alive\n\n`), HEARTBEAT_MS);
      const rescope = setInterval(() => void filter.refresh().catch(() => {}), SCOPE_REFRESH_MS);
      const close = () => {
        clearInterval(heartbeat);
        clearInterval(rescope);
        unlisten();
        open.delete(end);
      };
      const end = () => {
        close();
        res.end();
      };
      open.add(end);
      req.raw.on('close', close);
    },
  );
};
