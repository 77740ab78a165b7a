import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { pageQuery } from '../../platform/pagination.js';
import { batchParams, deliveryFilter, endpointFilter, endpointInput, endpointPatch, recoverInput } from '../../webhooks/index.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['webhooks'];

export const webhookRoutes: FastifyPluginAsyncZod = async (app) => {
  const { endpoints, deliveries } = app.services.webhooks;
  // Customers manage their own endpoints; operations and support staff manage them for anyone.
  const writers = app.allow('OPS', 'SYSTEM', 'SERVICE', 'CUSTOMER', 'CONTRACTOR');

  app.get('/webhook-endpoints', { schema: { tags, querystring: pageQuery.extend(endpointFilter.shape) } }, async (req) => {
    const { limit, cursor, ...filter } = req.query;
    return endpoints.list(ctx(req), filter, { limit, cursor });
  });
  app.post(
    '/webhook-endpoints',
    {
      onRequest: writers,
      schema: { tags, summary: 'Create an endpoint; its signing secret is in this response only', body: endpointInput },
    },
    async (req, reply) => reply.status(201).send(await endpoints.create(ctx(req), req.body)),
  );
  app.get('/webhook-endpoints/:id', { schema: { tags, params: idParams } }, async (req) => endpoints.get(ctx(req), req.params.id));
  app.patch('/webhook-endpoints/:id', { onRequest: writers, schema: { tags, params: idParams, body: endpointPatch } }, async (req) =>
    endpoints.update(ctx(req), req.params.id, req.body),
  );
  app.delete('/webhook-endpoints/:id', { onRequest: writers, schema: { tags, params: idParams } }, async (req, reply) => {
    await endpoints.remove(ctx(req), req.params.id);
    return reply.status(204).send();
  });
  app.post(
    '/webhook-endpoints/:id/rotate-secret',
    {
      onRequest: writers,
      schema: { tags, summary: 'New signing secret (shown once); the previous one also signs for 24 h', params: idParams },
    },
    async (req) => endpoints.rotateSecret(ctx(req), req.params.id),
  );

  app.get(
    '/webhook-endpoints/:id/deliveries',
    {
      schema: { tags, params: idParams, querystring: pageQuery.extend(deliveryFilter.shape) },
    },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      return deliveries.list(ctx(req), req.params.id, filter, { limit, cursor });
    },
  );
  app.post(
    '/webhook-endpoints/:id/recover',
    {
      onRequest: writers,
      schema: { tags, summary: 'Re-send every failed delivery created since a time', params: idParams, body: recoverInput },
    },
    async (req, reply) => reply.status(202).send(await deliveries.recover(ctx(req), req.params.id, req.body.since)),
  );

  app.post(
    '/webhook-endpoints/:id/batches/:batchId/replay',
    {
      onRequest: writers,
      schema: { tags, summary: 'Send a batch again now as one POST, with the same webhook-id', params: batchParams },
    },
    async (req, reply) => reply.status(202).send(await deliveries.replayBatch(ctx(req), req.params.id, req.params.batchId)),
  );

  app.get('/webhook-deliveries/:id', { schema: { tags, params: idParams } }, async (req) => deliveries.get(ctx(req), req.params.id));
  app.post(
    '/webhook-deliveries/:id/replay',
    {
      onRequest: writers,
      schema: { tags, summary: 'Send a delivery again now, with the same webhook-id', params: idParams },
    },
    async (req, reply) => reply.status(202).send(await deliveries.replay(ctx(req), req.params.id)),
  );
};
