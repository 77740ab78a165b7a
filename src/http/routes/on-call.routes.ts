import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ON_CALL_GROUPS, overrideInput, rotationInput } from '../../notifications/index.js';
import { ctx } from './route-helpers.js';

const tags = ['on-call'];
const groupParams = z.object({ group: z.enum(ON_CALL_GROUPS) });

export const onCallRoutes: FastifyPluginAsyncZod = async (app) => {
  const { notifications } = app.services;
  const planners = app.allow('OPS');
  const staff = app.allow('OPS', 'SERVICE', 'REPAIR', 'SYSTEM');

  app.get(
    '/on-call',
    { onRequest: staff, schema: { tags, summary: 'The on-call board: who is paged now per group, handovers, overrides' } },
    async () => notifications.onCall.board(),
  );
  app.get('/on-call/people', { onRequest: staff, schema: { tags, summary: 'Staff who can be put on call' } }, async () =>
    notifications.onCall.people(),
  );
  app.get('/on-call/:group', { onRequest: staff, schema: { tags, params: groupParams } }, async (req) =>
    notifications.onCall.get(req.params.group),
  );
  app.put(
    '/on-call/:group',
    {
      onRequest: planners,
      schema: { tags, summary: 'Set the on-call rotation of a ticket group (overrides stay)', params: groupParams, body: rotationInput },
    },
    async (req) => notifications.onCall.set(ctx(req), req.params.group, req.body),
  );
  app.post(
    '/on-call/:group/overrides',
    {
      onRequest: planners,
      schema: { tags, summary: 'Someone covers the group for a while (paged first)', params: groupParams, body: overrideInput },
    },
    async (req, reply) => reply.status(201).send(await notifications.onCall.addOverride(ctx(req), req.params.group, req.body)),
  );
  app.delete(
    '/on-call/:group/overrides/:id',
    { onRequest: planners, schema: { tags, summary: 'Remove an override', params: groupParams.extend({ id: z.string().uuid() }) } },
    async (req, reply) => {
      await notifications.onCall.removeOverride(ctx(req), req.params.group, req.params.id);
      return reply.status(204).send();
    },
  );
};
