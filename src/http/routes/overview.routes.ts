import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isStaff } from '../../auth/index.js';

/** The console's network overview; every role gets the same shape limited to its scope. */
export const overviewRoutes: FastifyPluginAsyncZod = async (app) => {
  const { overview, loops } = app.services;
  const tags = ['reports'];
  app.get(
    '/overview',
    { schema: { tags, summary: 'Network overview: terminals, traffic per minute, silent and faulty terminals, open tickets' } },
    async (req) => {
      const [data, states] = await Promise.all([overview.get(req.principal), isStaff(req.principal) ? loops.check() : Promise.resolve([])]);
      // Staff see which background loops are stalled (webhooks, tickets and billing wait on them).
      const stalledLoops = states
        .filter((s) => s.stalled)
        .map(({ loop, lastProgressAt, pendingAgeSec }) => ({ loop, lastProgressAt, pendingAgeSec }));
      return { ...data, stalledLoops };
    },
  );
  app.get('/overview/map', { schema: { tags, summary: 'Positions of installed terminals and last fixes of vehicles' } }, async (req) => ({
    items: await overview.mapPoints(req.principal),
  }));
};
