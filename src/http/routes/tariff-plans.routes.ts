import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { tariffPlanFilter, tariffPlanInput, tariffPlanRevision } from '../../../billing/index.js';
import { pageQuery } from '../../platform/pagination.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['tariff-plans'];

export const tariffPlanRoutes: FastifyPluginAsyncZod = async (app) => {
  const { tariffPlans } = app.services;
  const finance = app.allow('FINANCE');

  app.get(
    '/tariff-plans',
    {
      schema: {
        tags,
        summary: 'List tariff plans (latest version of each code unless allVersions=true)',
        querystring: pageQuery.extend(tariffPlanFilter.shape),
      },
    },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      return tariffPlans.list(filter, { limit, cursor });
    },
  );

  app.post(
    '/tariff-plans',
    {
      onRequest: finance,
      schema: { tags, summary: 'Create a tariff plan (version 1) with graduated tiers', body: tariffPlanInput },
    },
    async (req, reply) => reply.status(201).send(await tariffPlans.create(ctx(req), req.body)),
  );

  app.get('/tariff-plans/:id', { schema: { tags, summary: 'Get one version of a tariff plan', params: idParams } }, async (req) =>
    tariffPlans.get(req.params.id),
  );

  app.post(
    '/tariff-plans/:id/versions',
    {
      onRequest: finance,
      schema: {
        tags,
        summary: 'Revise a plan: create the next version with the given changes; contracts keep their version',
        params: idParams,
        body: tariffPlanRevision,
      },
    },
    async (req, reply) => reply.status(201).send(await tariffPlans.revise(ctx(req), req.params.id, req.body)),
  );
};
