import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { agingQuery, commissionQuery, commissionStatementInput, paymentFilter, paymentInput } from '../../../billing/index.js';
import { idempotencyHeaders } from '../idempotency.plugin.js';
import { ctx } from './route-helpers.js';

const tags = ['billing'];

export const billingPaymentRoutes: FastifyPluginAsyncZod = async (app) => {
  const { payments, aging, commissions } = app.services.billing;
  const finance = app.allow('FINANCE');

  // Idempotent by bank reference: the same reference again answers the first payment with 200.
  app.post(
    '/payments',
    { config: { idempotent: true }, onRequest: finance, schema: { tags, headers: idempotencyHeaders, body: paymentInput } },
    async (req, reply) => {
      const { payment, created } = await payments.record(ctx(req), req.body);
      return reply.status(created ? 201 : 200).send(payment);
    },
  );
  app.get('/payments', { schema: { tags, querystring: paymentFilter } }, async (req) => payments.list(ctx(req), req.query));

  app.get(
    '/reports/aging',
    { onRequest: app.allow('FINANCE', 'SALES', 'CONTRACTOR', 'CUSTOMER'), schema: { tags, querystring: agingQuery } },
    async (req) => aging.aging(ctx(req), req.query.asOf, req.query.currency),
  );

  app.get('/commissions', { onRequest: app.allow('FINANCE', 'CONTRACTOR'), schema: { tags, querystring: commissionQuery } }, async (req) =>
    commissions.list(ctx(req), req.query.period, req.query.contractorId),
  );
  app.post('/commission-statements', { onRequest: finance, schema: { tags, body: commissionStatementInput } }, async (req) =>
    commissions.generate(ctx(req), req.body.period, req.body.contractorId),
  );
};
