import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  bankLineAssignInput,
  bankLineDismissInput,
  bankLineFilter,
  bankStatementBody,
  MAX_STATEMENT_BYTES,
} from '../../../billing/index.js';
import { idempotencyHeaders } from '../idempotency.plugin.js';
import { fileFromMultipart } from '../multipart-file.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['billing'];
// Room for the multipart envelope around the largest statement accepted.
const BODY_LIMIT = MAX_STATEMENT_BYTES + 64 * 1024;

/** Bank statement import and the queue of lines finance assigns or dismisses (FINANCE only). */
export const bankStatementRoutes: FastifyPluginAsyncZod = async (app) => {
  const { bankStatements } = app.services.billing;
  const finance = app.allow('FINANCE');

  // The statement may come as it is (text/csv), as a form upload (multipart) or as {"csv": "..."}.
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, { csv: body }));
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (req, body, done) => {
    try {
      const file = fileFromMultipart(body as Buffer, req.headers['content-type'] ?? '');
      done(null, { csv: file.text, ...(file.fileName ? { fileName: file.fileName } : {}) });
    } catch (err) {
      done(err as Error);
    }
  });

  app.post(
    '/billing/bank-statements',
    {
      onRequest: finance,
      bodyLimit: BODY_LIMIT,
      schema: {
        tags,
        summary: 'Import a bank statement CSV (date,amount,payer,reference[,currency]); exact matches are posted as payments',
        body: bankStatementBody,
      },
    },
    async (req, reply) => {
      const out = await bankStatements.import(ctx(req), req.body.csv, req.body.fileName ?? null);
      return reply.status(out.newLines > 0 ? 201 : 200).send(out);
    },
  );
  app.get(
    '/billing/bank-statements',
    {
      onRequest: finance,
      schema: {
        tags,
        summary: 'Imported statements',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
      },
    },
    async (req) => bankStatements.statements(req.query.limit),
  );
  app.get(
    '/billing/bank-statement-lines',
    {
      onRequest: finance,
      schema: { tags, summary: 'Statement lines: matched, suggested, unmatched, assigned, dismissed', querystring: bankLineFilter },
    },
    async (req) => bankStatements.lines(req.query),
  );
  app.post(
    '/billing/bank-statement-lines/:id/assign',
    {
      onRequest: finance,
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Post a line as a payment of an invoice or to a customer's credit",
        headers: idempotencyHeaders,
        params: idParams,
        body: bankLineAssignInput,
      },
    },
    async (req) => bankStatements.assign(ctx(req), req.params.id, req.body),
  );
  app.post(
    '/billing/bank-statement-lines/:id/dismiss',
    {
      onRequest: finance,
      schema: { tags, summary: 'Dismiss a line (not a customer payment)', params: idParams, body: bankLineDismissInput },
    },
    async (req) => bankStatements.dismiss(ctx(req), req.params.id, req.body.reason),
  );
};
