import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { creditNoteInput, invoiceFilter } from '../../../billing/index.js';
import { pageQuery } from '../../platform/pagination.js';
import { idempotencyHeaders } from '../idempotency.plugin.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['billing'];

export const billingInvoiceRoutes: FastifyPluginAsyncZod = async (app) => {
  const { invoices, payments } = app.services.billing;

  app.get('/invoices', { schema: { tags, querystring: pageQuery.extend(invoiceFilter.shape) } }, async (req) => {
    const { limit, cursor, ...filter } = req.query;
    return invoices.list(ctx(req), filter, { limit, cursor });
  });
  app.get('/invoices.csv', { schema: { tags, querystring: invoiceFilter } }, async (req, reply) =>
    reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="invoices.csv"')
      .send(await invoices.csv(ctx(req), req.query)),
  );
  app.get('/invoices/:id', { schema: { tags, params: idParams } }, async (req) => invoices.get(ctx(req), req.params.id));
  app.get('/invoices/:id.pdf', { schema: { tags, params: idParams } }, async (req, reply) => {
    const pdf = await invoices.pdf(ctx(req), req.params.id);
    return reply.type('application/pdf').header('content-disposition', `inline; filename="${pdf.number}.pdf"`).send(pdf.body);
  });
  app.post(
    '/invoices/:id/credit-notes',
    {
      config: { idempotent: true },
      onRequest: app.allow('FINANCE'),
      schema: { tags, headers: idempotencyHeaders, params: idParams, body: creditNoteInput },
    },
    async (req, reply) => reply.status(201).send(await payments.creditNote(ctx(req), req.params.id, req.body)),
  );
  app.get('/contracts/:id/invoice-preview', { schema: { tags, params: idParams } }, async (req) =>
    invoices.preview(ctx(req), req.params.id),
  );
};
