import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { contractFilter, contractInput, contractPatch } from '../../crm/index.js';
import { pageQuery } from '../../platform/pagination.js';
import { idempotencyHeaders } from '../idempotency.plugin.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['contracts'];

export const contractRoutes: FastifyPluginAsyncZod = async (app) => {
  const { contracts } = app.services;
  // Contractors may sign up their own end users; changing a contract is the operator's staff's job.
  const creators = app.allow('SALES', 'FINANCE', 'OPS', 'CONTRACTOR');
  const editors = app.allow('SALES', 'FINANCE', 'OPS');

  app.get(
    '/contracts',
    {
      schema: {
        tags,
        summary: 'List contracts in scope (filters: customer, contractor, status)',
        querystring: pageQuery.extend(contractFilter.shape),
      },
    },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      return contracts.list(ctx(req), filter, { limit, cursor });
    },
  );

  app.post(
    '/contracts',
    {
      onRequest: creators,
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Create a contract (number C-YYYY-NNNNNN generated unless given)',
        headers: idempotencyHeaders,
        body: contractInput,
      },
    },
    async (req, reply) => reply.status(201).send(await contracts.create(ctx(req), req.body)),
  );

  app.get('/contracts/:id', { schema: { tags, summary: 'Get a contract', params: idParams } }, async (req) =>
    contracts.get(ctx(req), req.params.id),
  );

  app.patch(
    '/contracts/:id',
    {
      onRequest: editors,
      schema: {
        tags,
        summary: 'Change tariff plan, end date or status (DRAFT->ACTIVE, ACTIVE<->SUSPENDED, any->TERMINATED)',
        params: idParams,
        body: contractPatch,
      },
    },
    async (req) => contracts.update(ctx(req), req.params.id, req.body),
  );
};
