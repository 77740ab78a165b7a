import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { STAFF_ROLES } from '../../auth/index.js';
import { pageQuery } from '../../platform/pagination.js';
import { commentInput, ticketFilter, ticketInput, ticketPatch } from '../../service-desk/index.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['tickets'];

export const ticketRoutes: FastifyPluginAsyncZod = async (app) => {
  const { tickets } = app.services;
  // Working a ticket is staff business; customers and contractors open, read and comment.
  const staff = app.allow(...STAFF_ROLES);

  app.get('/tickets', { schema: { tags, querystring: pageQuery.extend(ticketFilter.shape) } }, async (req) => {
    const { limit, cursor, ...filter } = req.query;
    return tickets.list(ctx(req), filter, { limit, cursor });
  });
  app.post('/tickets', { schema: { tags, body: ticketInput } }, async (req, reply) =>
    reply.status(201).send(await tickets.create(ctx(req), req.body)),
  );
  app.get('/tickets/:id', { schema: { tags, params: idParams } }, async (req) => tickets.get(ctx(req), req.params.id));
  app.patch('/tickets/:id', { onRequest: staff, schema: { tags, params: idParams, body: ticketPatch } }, async (req) =>
    tickets.update(ctx(req), req.params.id, req.body),
  );
  app.post('/tickets/:id/comments', { schema: { tags, params: idParams, body: commentInput } }, async (req, reply) =>
    reply.status(201).send(await tickets.addComment(ctx(req), req.params.id, req.body)),
  );
};
