import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { oneOffChargeInput } from '../../../billing/index.js';
import { idempotencyHeaders } from '../idempotency.plugin.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['billing'];

export const billingChargeRoutes: FastifyPluginAsyncZod = async (app) => {
  const { charges } = app.services.billing;
  const finance = app.allow('FINANCE');

  app.post(
    '/contracts/:id/charges',
    {
      onRequest: finance,
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Add a one-off charge or (negative price) credit with a reason; it goes on the contract's next invoice",
        headers: idempotencyHeaders,
        params: idParams,
        body: oneOffChargeInput,
      },
    },
    async (req, reply) => reply.status(201).send(await charges.create(ctx(req), req.params.id, req.body)),
  );

  app.get(
    '/contracts/:id/charges',
    {
      onRequest: app.allow('FINANCE', 'SALES'),
      schema: { tags, summary: 'One-off charges and credits of a contract', params: idParams },
    },
    async (req) => charges.list(ctx(req), req.params.id),
  );
};
