import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { COMMERCIAL_DECIDERS, commercialDecisionInput, commercialRequestFilter, commercialRequestInput } from '../../crm/index.js';
import { pageQuery } from '../../platform/pagination.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['customers'];

export const commercialRequestRoutes: FastifyPluginAsyncZod = async (app) => {
  const { commercialRequests } = app.services;
  const askers = app.allow('CONTRACTOR', 'OPS', 'SALES', 'FINANCE');
  const deciders = app.allow(...COMMERCIAL_DECIDERS);

  app.post(
    '/customers/:id/commercial-requests',
    {
      onRequest: askers,
      schema: {
        tags,
        summary: 'Ask for other commercial terms (tier, payment terms); sales or finance decide',
        params: idParams,
        body: commercialRequestInput,
      },
    },
    async (req, reply) => reply.status(201).send(await commercialRequests.request(ctx(req), req.params.id, req.body)),
  );
  app.get(
    '/commercial-requests',
    {
      onRequest: askers,
      schema: { tags, summary: 'Commercial requests in scope, newest first', querystring: pageQuery.extend(commercialRequestFilter.shape) },
    },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      return commercialRequests.list(ctx(req), filter, { limit, cursor });
    },
  );
  app.get(
    '/commercial-requests/:id',
    { onRequest: askers, schema: { tags, summary: 'One commercial request', params: idParams } },
    async (req) => commercialRequests.get(ctx(req), req.params.id),
  );
  app.post(
    '/commercial-requests/:id/approve',
    {
      onRequest: deciders,
      schema: {
        tags,
        summary: 'Approve: the customer gets the terms asked for',
        params: idParams,
        body: commercialDecisionInput.nullish(),
      },
    },
    async (req) => commercialRequests.approve(ctx(req), req.params.id, req.body?.note),
  );
  app.post(
    '/commercial-requests/:id/refuse',
    {
      onRequest: deciders,
      schema: { tags, summary: 'Refuse, with the reason', params: idParams, body: commercialDecisionInput.nullish() },
    },
    async (req) => commercialRequests.refuse(ctx(req), req.params.id, req.body?.note),
  );
  app.post(
    '/commercial-requests/:id/withdraw',
    { onRequest: askers, schema: { tags, summary: 'Withdraw one’s own pending request', params: idParams } },
    async (req) => commercialRequests.withdraw(ctx(req), req.params.id),
  );
};
