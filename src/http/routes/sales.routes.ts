import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { STAFF_ROLES } from '../../auth/index.js';
import { interactionInput, LEAD_STAGES, leadConversion, leadInput, leadPatch } from '../../crm/index.js';
import { pageQuery } from '../../platform/pagination.js';
import { ctx, idParams } from './route-helpers.js';

/** Leads and the pipeline (sales), interactions (any staff), the customer 360 timeline (staff). */
export const salesRoutes: FastifyPluginAsyncZod = async (app) => {
  const { leads, interactions, timeline } = app.services;
  const sales = app.allow('SALES');
  const staff = app.allow(...STAFF_ROLES);

  app.get(
    '/leads',
    {
      onRequest: sales,
      schema: {
        tags: ['leads'],
        querystring: pageQuery.extend({
          stage: z.enum(LEAD_STAGES).optional(),
          ownerId: z.string().uuid().optional(),
          q: z.string().max(100).optional(),
        }),
      },
    },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      return leads.list(ctx(req), filter, { limit, cursor });
    },
  );
  app.get(
    '/leads/pipeline',
    { onRequest: sales, schema: { tags: ['leads'], summary: 'Lead count and estimated value per stage' } },
    async (req) => ({ stages: await leads.pipeline(ctx(req)) }),
  );
  app.post('/leads', { onRequest: sales, schema: { tags: ['leads'], body: leadInput } }, async (req, reply) =>
    reply.status(201).send(await leads.create(ctx(req), req.body)),
  );
  app.get('/leads/:id', { onRequest: sales, schema: { tags: ['leads'], params: idParams } }, async (req) =>
    leads.get(ctx(req), req.params.id),
  );
  app.patch('/leads/:id', { onRequest: sales, schema: { tags: ['leads'], params: idParams, body: leadPatch } }, async (req) =>
    leads.update(ctx(req), req.params.id, req.body),
  );
  app.post(
    '/leads/:id/convert',
    { onRequest: sales, schema: { tags: ['leads'], summary: 'Win the lead: create the customer', params: idParams, body: leadConversion } },
    async (req, reply) => reply.status(201).send(await leads.convert(ctx(req), req.params.id, req.body)),
  );

  app.post(
    '/interactions',
    {
      onRequest: staff,
      schema: { tags: ['interactions'], summary: 'Record a call, visit, e-mail, meeting or note', body: interactionInput },
    },
    async (req, reply) => reply.status(201).send(await interactions.record(ctx(req), req.body)),
  );
  app.get(
    '/interactions',
    {
      onRequest: staff,
      schema: {
        tags: ['interactions'],
        querystring: z.object({
          customerId: z.string().uuid().optional(),
          leadId: z.string().uuid().optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
        }),
      },
    },
    async (req) => ({
      items: await interactions.list(req.query),
    }),
  );

  app.get(
    '/customers/:id/timeline',
    {
      onRequest: staff,
      schema: {
        tags: ['customers'],
        summary: 'Customer 360: every contact and major record, newest first',
        params: idParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), before: z.coerce.date().optional() }),
      },
    },
    async (req) => timeline.forCustomer(req.params.id, req.query),
  );
};
