import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { deviceModelFilter, deviceModelInput, deviceModelPatch } from '../../../devices/index.js';
import { pageQuery } from '../../platform/pagination.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['device-models'];

export const deviceModelRoutes: FastifyPluginAsyncZod = async (app) => {
  const { deviceModels } = app.services;
  const writers = app.allow('OPS', 'SYSTEM');

  app.get(
    '/device-models',
    {
      schema: { tags, summary: 'List device models', querystring: pageQuery.extend(deviceModelFilter.shape) },
    },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      return deviceModels.list(filter, { limit, cursor });
    },
  );
  app.post(
    '/device-models',
    {
      onRequest: writers,
      schema: { tags, summary: 'Create a device model (codec, reporting interval, limits, fault table)', body: deviceModelInput },
    },
    async (req, reply) => reply.status(201).send(await deviceModels.create(ctx(req), req.body)),
  );
  app.get('/device-models/:id', { schema: { tags, summary: 'Get a device model', params: idParams } }, async (req) =>
    deviceModels.get(req.params.id),
  );
  app.patch(
    '/device-models/:id',
    {
      onRequest: writers,
      schema: { tags, summary: 'Change a device model (code and category are fixed)', params: idParams, body: deviceModelPatch },
    },
    async (req) => deviceModels.update(ctx(req), req.params.id, req.body),
  );
  app.delete(
    '/device-models/:id',
    {
      onRequest: writers,
      schema: { tags, summary: 'Delete a device model nothing refers to', params: idParams },
    },
    async (req, reply) => {
      await deviceModels.remove(ctx(req), req.params.id);
      return reply.status(204).send();
    },
  );
};
