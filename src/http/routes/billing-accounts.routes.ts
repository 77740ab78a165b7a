import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { creditRefundInput, statementQuery } from '../../../billing/index.js';
import { idempotencyHeaders } from '../idempotency.plugin.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['billing'];

/** A customer's account: balance and credit, statement of account (JSON and CSV), refunds of credit. */
export const billingAccountRoutes: FastifyPluginAsyncZod = async (app) => {
  const { accounts } = app.services.billing;
  const readers = app.allow('FINANCE', 'SALES', 'CONTRACTOR', 'CUSTOMER');

  app.get(
    '/customers/:id/balance',
    {
      onRequest: readers,
      schema: { tags, summary: 'Open invoices, credit and what is owed after credit, per currency', params: idParams },
    },
    async (req) => accounts.balance(ctx(req), req.params.id),
  );
  app.get(
    '/customers/:id/statement',
    {
      onRequest: readers,
      schema: {
        tags,
        summary: 'Statement of account: invoices, payments, allocations, credit, running balance',
        params: idParams,
        querystring: statementQuery,
      },
    },
    async (req) => accounts.statement(ctx(req), req.params.id, req.query),
  );
  app.get(
    '/customers/:id/statement.csv',
    { onRequest: readers, schema: { tags, summary: 'The statement of account as CSV', params: idParams, querystring: statementQuery } },
    async (req, reply) =>
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="statement.csv"')
        .send(await accounts.statementCsv(ctx(req), req.params.id, req.query)),
  );
  app.post(
    '/customers/:id/credit-refunds',
    {
      onRequest: app.allow('FINANCE'),
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Pay credit back to the customer (with a reason; audited)',
        headers: idempotencyHeaders,
        params: idParams,
        body: creditRefundInput,
      },
    },
    async (req, reply) => {
      const { refund, created } = await accounts.refund(ctx(req), req.params.id, req.body);
      return reply.status(created ? 201 : 200).send(refund);
    },
  );
};
