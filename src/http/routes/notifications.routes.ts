import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pageFilter } from '../../notifications/index.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['notifications'];

export const notificationRoutes: FastifyPluginAsyncZod = async (app) => {
  const { notifications, tickets } = app.services;
  const onCallStaff = app.allow('OPS', 'SERVICE', 'REPAIR', 'SYSTEM');
  const desk = app.allow('OPS', 'SERVICE', 'REPAIR', 'SYSTEM', 'FINANCE');

  app.get(
    '/pages',
    {
      onRequest: onCallStaff,
      schema: { tags, summary: 'Pages, newest first (open=true: waiting for acknowledgement)', querystring: pageFilter },
    },
    async (req) => notifications.pager.list(req.principal.userId, { open: req.query.open === 'true', mine: req.query.mine === 'true' }),
  );
  app.post(
    '/pages/:id/acknowledge',
    {
      onRequest: onCallStaff,
      schema: { tags, summary: 'The paged person acknowledges the page', params: z.object({ id: z.string().uuid() }) },
    },
    async (req) => notifications.pager.acknowledge(req.principal.userId, req.params.id),
  );
  app.get(
    '/tickets/:id/notifications',
    { onRequest: desk, schema: { tags, summary: "The ticket's notifications and their delivery state", params: idParams } },
    async (req) => {
      await tickets.findVisible(ctx(req), req.params.id);
      return notifications.forTicket(req.params.id);
    },
  );
};
