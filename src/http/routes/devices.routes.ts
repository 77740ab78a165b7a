import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  commandFilter,
  commandInput,
  deviceFilter,
  deviceSettingsPatch,
  provisionInput,
  serialSchema,
  statusChangeInput,
  stockInput,
} from '../../../devices/index.js';
import { pageQuery } from '../../platform/pagination.js';
import { idempotencyHeaders } from '../idempotency.plugin.js';
import { ctx } from './route-helpers.js';

const serialParams = z.object({ serial: serialSchema });
const commandParams = serialParams.extend({ id: z.coerce.number().int().positive().max(0xffffffff) });
const tags = ['devices'];

export const deviceRoutes: FastifyPluginAsyncZod = async (app) => {
  const { devices, downlinks, health } = app.services;
  const stockKeepers = app.allow('OPS', 'SALES', 'REPAIR');
  const provisioners = app.allow('OPS', 'SALES', 'REPAIR', 'CONTRACTOR');
  const operators = app.allow('OPS', 'SERVICE', 'REPAIR', 'SYSTEM', 'FINANCE');
  const tuners = app.allow('OPS', 'SERVICE', 'CONTRACTOR');
  const commanders = app.allow('OPS', 'SERVICE', 'REPAIR', 'SYSTEM', 'CONTRACTOR', 'CUSTOMER');

  app.get('/devices', { schema: { tags, querystring: pageQuery.extend(deviceFilter.shape) } }, async (req) => {
    const { limit, cursor, ...filter } = req.query;
    return devices.list(ctx(req), filter, { limit, cursor });
  });
  app.post(
    '/devices',
    {
      onRequest: stockKeepers,
      config: { idempotent: true },
      schema: { tags, summary: 'Add a terminal to stock', headers: idempotencyHeaders, body: stockInput },
    },
    async (req, reply) => reply.status(201).send(await devices.addToStock(ctx(req), req.body)),
  );
  app.get('/devices/:serial', { schema: { tags, params: serialParams } }, async (req) => devices.get(ctx(req), req.params.serial));
  app.patch(
    '/devices/:serial',
    {
      onRequest: tuners,
      schema: {
        tags,
        summary: 'Change terminal settings, e.g. the expected reporting interval',
        params: serialParams,
        body: deviceSettingsPatch,
      },
    },
    async (req) => {
      const out = await devices.updateSettings(ctx(req), req.params.serial, req.body);
      // This process's watchdog (role all) takes the new interval at once; others within their cache TTL.
      health.invalidate(req.params.serial);
      return out;
    },
  );
  app.post(
    '/devices/:serial/provision',
    {
      onRequest: provisioners,
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Provision a terminal from stock to a contract; the secret is shown once',
        headers: idempotencyHeaders,
        params: serialParams,
        body: provisionInput,
      },
    },
    async (req, reply) => reply.status(201).send(await devices.provision(ctx(req), req.params.serial, req.body)),
  );
  app.post(
    '/devices/:serial/rotate-secret',
    {
      onRequest: provisioners,
      schema: { tags, summary: 'Issue a new terminal secret (shown once); the old one stops working', params: serialParams },
    },
    async (req) => devices.rotateSecret(ctx(req), req.params.serial),
  );
  app.post(
    '/devices/:serial/status',
    {
      onRequest: operators,
      schema: { tags, summary: "Change a terminal's lifecycle status", params: serialParams, body: statusChangeInput },
    },
    async (req) => devices.setStatus(ctx(req), req.params.serial, req.body),
  );

  app.post(
    '/devices/:serial/commands',
    {
      onRequest: commanders,
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Queue a downlink command for the terminal',
        headers: idempotencyHeaders,
        params: serialParams,
        body: commandInput,
      },
    },
    async (req, reply) => reply.status(201).send(await downlinks.create(ctx(req), req.params.serial, req.body)),
  );
  app.get(
    '/devices/:serial/commands',
    { schema: { tags, params: serialParams, querystring: pageQuery.extend(commandFilter.shape) } },
    async (req) => {
      const { limit, cursor, status } = req.query;
      return downlinks.list(ctx(req), req.params.serial, { status }, { limit, cursor });
    },
  );
  app.get('/devices/:serial/commands/:id', { schema: { tags, params: commandParams } }, async (req) =>
    downlinks.get(ctx(req), req.params.serial, req.params.id),
  );
};
