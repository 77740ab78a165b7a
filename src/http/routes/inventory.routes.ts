import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { csvBody, serialSchema, swapInput } from '../../../devices/index.js';
import { idempotencyHeaders } from '../idempotency.plugin.js';
import { ctx } from './route-helpers.js';

const tags = ['devices'];

/** Bulk inventory work: CSV stock import, bulk provisioning, unit swaps. */
export const inventoryRoutes: FastifyPluginAsyncZod = async (app) => {
  const { inventory } = app.services;

  // A CSV file may be posted as it is (text/csv) or wrapped as {"csv": "..."} in JSON.
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 5 * 1024 * 1024 }, (_req, body, done) => done(null, { csv: body }));

  app.post(
    '/devices/import',
    {
      onRequest: app.allow('OPS', 'SALES', 'REPAIR'),
      schema: { tags, summary: 'Add terminals to stock from CSV (serial,model[,firmware]); a report per row', body: csvBody },
    },
    async (req) => inventory.importStock(ctx(req), req.body.csv),
  );

  app.post(
    '/devices/provision-bulk',
    {
      onRequest: app.allow('OPS', 'SALES', 'REPAIR', 'CONTRACTOR'),
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Provision terminals from CSV (serial,contract[,label,address,latitude,longitude]); secrets appear in this report only',
        headers: idempotencyHeaders,
        body: csvBody,
      },
    },
    async (req) => inventory.provisionBulk(ctx(req), req.body.csv),
  );

  app.post(
    '/devices/:serial/swap',
    {
      onRequest: app.allow('OPS', 'REPAIR', 'CONTRACTOR'),
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Replace a unit in the field with one from stock; the new secret is shown once',
        headers: idempotencyHeaders,
        params: z.object({ serial: serialSchema }),
        body: swapInput,
      },
    },
    async (req) => inventory.swap(ctx(req), req.params.serial, req.body),
  );
};
