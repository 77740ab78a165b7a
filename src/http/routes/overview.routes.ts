import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

/** The console's network overview; every role gets the same shape limited to its scope. */
export const overviewRoutes: FastifyPluginAsyncZod = async (app) => {
  const { overview } = app.services;
  const tags = ['reports'];
  app.get('/overview', { schema: { tags, summary: 'Network overview: terminals, traffic per minute, silent and faulty terminals, open tickets' } }, async (req) =>
    overview.get(req.principal));
  app.get('/overview/map', { schema: { tags, summary: 'Positions of installed terminals and last fixes of vehicles' } }, async (req) => ({
    items: await overview.mapPoints(req.principal),
  }));
};
