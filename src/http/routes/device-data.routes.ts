// A terminal's stored data: messages by time range, chart buckets of a decoded field, exports.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { messageExportQuery, messageListFilter, serialSchema, telemetryQuery } from '../../../devices/index.js';
import { pageQuery } from '../../platform/pagination.js';
import { ctx } from './route-helpers.js';

const serialParams = z.object({ serial: serialSchema });
const tags = ['devices'];

export const deviceDataRoutes: FastifyPluginAsyncZod = async (app) => {
  const { messages, telemetry, messageExport } = app.services;
  // Those who look after terminals or own them; billing and sales staff have no use for raw data.
  const readers = app.allow('OPS', 'SERVICE', 'REPAIR', 'SYSTEM', 'CONTRACTOR', 'CUSTOMER');

  app.get(
    '/devices/:serial/messages',
    {
      schema: {
        tags,
        summary: 'Stored messages in a time range (`from` inclusive, `to` exclusive), newest first unless `order=asc`',
        params: serialParams,
        querystring: pageQuery.extend(messageListFilter.shape),
      },
    },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      return messages.list(ctx(req), req.params.serial, filter, { limit, cursor });
    },
  );

  app.get(
    '/devices/:serial/messages/export',
    {
      onRequest: readers,
      schema: {
        tags,
        summary: 'Messages of a range (default the last day, at most 31 days) as CSV or NDJSON, streamed',
        params: serialParams,
        querystring: messageExportQuery,
      },
    },
    async (req, reply) => {
      const out = await messageExport.open(ctx(req), req.params.serial, req.query);
      return reply.type(out.contentType).header('content-disposition', `attachment; filename="${out.filename}"`).send(out.stream);
    },
  );

  app.get(
    '/devices/:serial/telemetry',
    {
      onRequest: readers,
      schema: {
        tags,
        summary: 'Min/max/avg/last of a decoded numeric field per minute, hour or day (days in the operator time zone)',
        params: serialParams,
        querystring: telemetryQuery,
      },
    },
    async (req) => telemetry.buckets(ctx(req), req.params.serial, req.query),
  );
};
