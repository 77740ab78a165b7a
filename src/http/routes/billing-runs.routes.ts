import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { billingRunFilter, billingRunInput } from '../../../billing/index.js';
import { idempotencyHeaders } from '../idempotency.plugin.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['billing'];

export const billingRunRoutes: FastifyPluginAsyncZod = async (app) => {
  const { billingRuns } = app.services.billing;
  const finance = app.allow('FINANCE');

  // Starting a period that is already running answers that run (200) instead of a second one.
  app.post(
    '/billing-runs',
    { config: { idempotent: true }, onRequest: finance, schema: { tags, headers: idempotencyHeaders, body: billingRunInput } },
    async (req, reply) => {
      const { run, created } = await billingRuns.start(ctx(req), req.body.period);
      return reply
        .status(created ? 202 : 200)
        .header('location', `/api/v1/billing-runs/${run.id}`)
        .send(run);
    },
  );
  app.get('/billing-runs', { onRequest: finance, schema: { tags, querystring: billingRunFilter } }, async (req) => ({
    items: await billingRuns.list(req.query),
  }));
  app.get('/billing-runs/:id', { onRequest: finance, schema: { tags, params: idParams } }, async (req) => billingRuns.get(req.params.id));
};
