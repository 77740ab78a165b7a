import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { fulfilInput, orderFilter, orderInput } from '../../crm/index.js';
import { pageQuery } from '../../platform/pagination.js';
import { idempotencyHeaders } from '../idempotency.plugin.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['orders'];

export const orderRoutes: FastifyPluginAsyncZod = async (app) => {
  const { orders } = app.services;
  const sales = app.allow('SALES', 'OPS');

  app.get(
    '/orders',
    { schema: { tags, summary: 'List orders in scope', querystring: pageQuery.extend(orderFilter.shape) } },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      return orders.list(ctx(req), filter, { limit, cursor });
    },
  );
  app.post(
    '/orders',
    {
      onRequest: sales,
      config: { idempotent: true },
      schema: { tags, summary: 'Order terminals to rent or buy', headers: idempotencyHeaders, body: orderInput },
    },
    async (req, reply) => reply.status(201).send(await orders.create(ctx(req), req.body)),
  );
  app.get('/orders/:id', { schema: { tags, summary: 'Get an order', params: idParams } }, async (req) =>
    orders.get(ctx(req), req.params.id),
  );
  app.post('/orders/:id/confirm', { onRequest: sales, schema: { tags, summary: 'Confirm a new order', params: idParams } }, async (req) =>
    orders.confirm(ctx(req), req.params.id),
  );
  app.post(
    '/orders/:id/cancel',
    { onRequest: sales, schema: { tags, summary: 'Cancel an order not yet fulfilled', params: idParams } },
    async (req) => orders.cancel(ctx(req), req.params.id),
  );
  app.post(
    '/orders/:id/fulfil',
    {
      onRequest: sales,
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Allocate stock to the contract; returns the terminals' secrets once",
        headers: idempotencyHeaders,
        params: idParams,
        body: fulfilInput,
      },
    },
    async (req) => orders.fulfil(ctx(req), req.params.id, req.body),
  );
};
