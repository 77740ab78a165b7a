import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { alarmFilter, alarmRuleFilter, alarmRuleInput } from '../../../devices/index.js';
import { DECODED_FIELDS } from '../../../gateway/codecs/index.js';
import { pageQuery } from '../../platform/pagination.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['alarms'];

/**
 * Alarm rules are the operator's: staff read them, OPS and SYSTEM (and ADMIN) write them.
 * Alarms are scoped like terminals: end users read their own (read-only), contractors read,
 * acknowledge and clear those of the terminals they maintain, staff all.
 */
export const alarmRoutes: FastifyPluginAsyncZod = async (app) => {
  const { alarms } = app.services;
  const staff = app.allow('OPS', 'SERVICE', 'REPAIR', 'SYSTEM');
  const ruleWriters = app.allow('OPS', 'SYSTEM');
  const handlers = app.allow('OPS', 'SERVICE', 'REPAIR', 'SYSTEM', 'CONTRACTOR');

  app.get('/alarm-rules', { onRequest: staff, schema: { tags, querystring: pageQuery.extend(alarmRuleFilter.shape) } }, async (req) => {
    const { limit, cursor, ...filter } = req.query;
    return alarms.rules.list(filter, { limit, cursor });
  });
  app.get(
    '/alarm-rules/fields',
    { onRequest: staff, schema: { tags, summary: 'The decoded fields a rule may test, by frame and category' } },
    async () => ({ items: DECODED_FIELDS }),
  );
  app.post(
    '/alarm-rules',
    { onRequest: ruleWriters, schema: { tags, summary: 'Create an alarm rule', body: alarmRuleInput } },
    async (req, reply) => reply.status(201).send(await alarms.rules.create(ctx(req), req.body)),
  );
  app.post(
    '/alarm-rules/preview',
    {
      onRequest: ruleWriters,
      schema: { tags, summary: "Which terminals would match the rule now, from each one's latest decoded message", body: alarmRuleInput },
    },
    async (req) => alarms.rules.preview(req.body),
  );
  app.get('/alarm-rules/:id', { onRequest: staff, schema: { tags, params: idParams } }, async (req) => alarms.rules.get(req.params.id));
  app.put(
    '/alarm-rules/:id',
    { onRequest: ruleWriters, schema: { tags, summary: 'Replace an alarm rule', params: idParams, body: alarmRuleInput } },
    async (req) => alarms.rules.replace(ctx(req), req.params.id, req.body),
  );
  app.delete(
    '/alarm-rules/:id',
    { onRequest: ruleWriters, schema: { tags, summary: 'Delete an alarm rule; its alarms stay', params: idParams } },
    async (req, reply) => {
      await alarms.rules.remove(ctx(req), req.params.id);
      return reply.status(204).send();
    },
  );

  app.get('/alarms', { schema: { tags, querystring: pageQuery.extend(alarmFilter.shape) } }, async (req) => {
    const { limit, cursor, ...filter } = req.query;
    return alarms.alarms.list(ctx(req), filter, { limit, cursor });
  });
  app.get('/alarms/:id', { schema: { tags, params: idParams } }, async (req) => alarms.alarms.get(ctx(req), req.params.id));
  app.post(
    '/alarms/:id/acknowledge',
    { onRequest: handlers, schema: { tags, summary: 'Acknowledge an alarm (it stays active until cleared)', params: idParams } },
    async (req) => alarms.alarms.acknowledge(ctx(req), req.params.id),
  );
  app.post(
    '/alarms/:id/clear',
    { onRequest: handlers, schema: { tags, summary: 'Clear an alarm by hand', params: idParams } },
    async (req) => alarms.alarms.clear(ctx(req), req.params.id),
  );
};
