import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ON_CALL_GROUPS, rotationInput } from '../../notifications/index.js';
import { ctx } from './route-helpers.js';

const tags = ['on-call'];
const groupParams = z.object({ group: z.enum(ON_CALL_GROUPS) });

export const onCallRoutes: FastifyPluginAsyncZod = async (app) => {
  const { notifications } = app.services;
  const planners = app.allow('OPS');
  const staff = app.allow('OPS', 'SERVICE', 'REPAIR', 'SYSTEM');

  app.get('/on-call/:group', { onRequest: staff, schema: { tags, params: groupParams } }, async (req) =>
    notifications.onCall.get(req.params.group),
  );
  app.put(
    '/on-call/:group',
    {
      onRequest: planners,
      schema: { tags, summary: 'Set the on-call rotation of a ticket group', params: groupParams, body: rotationInput },
    },
    async (req) => notifications.onCall.set(ctx(req), req.params.group, req.body),
  );
  app.post(
    '/pages/:id/acknowledge',
    { onRequest: staff, schema: { tags, summary: 'The paged person acknowledges the page', params: z.object({ id: z.string().uuid() }) } },
    async (req) => notifications.pager.acknowledge(req.principal.userId, req.params.id),
  );
};
