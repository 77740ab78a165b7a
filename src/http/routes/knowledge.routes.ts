import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { STAFF_ROLES } from '../../auth/index.js';
import { articleInput, articlePatch, articleSearch } from '../../service-desk/index.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['knowledge base'];

/** The knowledge base is the service desk's tool: staff read it, service/repair/system staff write it. */
export const knowledgeRoutes: FastifyPluginAsyncZod = async (app) => {
  const { knowledge } = app.services;
  const readers = app.allow(...STAFF_ROLES);
  const writers = app.allow('SERVICE', 'REPAIR', 'SYSTEM', 'OPS');

  app.get(
    '/knowledge-articles',
    { onRequest: readers, schema: { tags, summary: 'Search articles, most relevant first', querystring: articleSearch } },
    async (req) => ({
      items: await knowledge.search(req.query),
    }),
  );
  app.post('/knowledge-articles', { onRequest: writers, schema: { tags, body: articleInput } }, async (req, reply) =>
    reply.status(201).send(await knowledge.create(ctx(req), req.body)),
  );
  app.get('/knowledge-articles/:id', { onRequest: readers, schema: { tags, params: idParams } }, async (req) =>
    knowledge.get(req.params.id),
  );
  app.patch('/knowledge-articles/:id', { onRequest: writers, schema: { tags, params: idParams, body: articlePatch } }, async (req) =>
    knowledge.update(ctx(req), req.params.id, req.body),
  );
  app.post(
    '/knowledge-articles/:id/used',
    { onRequest: readers, schema: { tags, summary: 'Count that the article solved a problem', params: idParams } },
    async (req, reply) => {
      await knowledge.markUsed(req.params.id);
      return reply.status(204).send();
    },
  );
  app.get(
    '/tickets/:id/suggestions',
    { onRequest: readers, schema: { tags, summary: 'Knowledge articles matching the ticket', params: idParams } },
    async (req) => ({
      items: await knowledge.suggestForTicket(req.params.id),
    }),
  );
};
