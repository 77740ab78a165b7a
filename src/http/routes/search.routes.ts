import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const searchQuery = z.object({
  q: z.string().trim().min(2, 'At least 2 characters').max(100),
  limit: z.coerce.number().int().min(1).max(20).default(5),
});

/**
 * The console's one search box. Open to every signed-in role, each section limited to what that
 * role's lists show; not open to API keys (it spans every scope family: a key lists instead).
 */
export const searchRoutes: FastifyPluginAsyncZod = async (app) => {
  const { search } = app.services;
  app.get(
    '/search',
    {
      schema: {
        tags: ['reports'],
        summary: 'Find terminals, customers, tickets, invoices and contracts from one query',
        querystring: searchQuery,
      },
    },
    async (req) => search.search(req.principal, req.query.q, req.query.limit),
  );
};
