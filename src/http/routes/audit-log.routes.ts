import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pageQuery } from '../../platform/pagination.js';

export const auditLogRoutes: FastifyPluginAsyncZod = async (app) => {
  const { audit } = app.services;
  // Before/after snapshots can hold anything, so only staff who oversee the whole system read them.
  const readers = app.allow('OPS', 'FINANCE');

  app.get(
    '/audit-log',
    {
      onRequest: readers,
      schema: {
        tags: ['audit-log'],
        summary: 'Who changed what, with before/after, newest first',
        querystring: pageQuery.extend({
          entityType: z.string().max(50).optional(),
          entityId: z.string().max(100).optional(),
          actorId: z.string().uuid().optional(),
        }),
      },
    },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      return audit.list(filter, { limit, cursor });
    },
  );
};
