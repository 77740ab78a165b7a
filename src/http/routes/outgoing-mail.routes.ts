import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { mailFilter } from '../../platform/mail-outbox.js';
import { pageQuery } from '../../platform/pagination.js';
import { idParams } from './route-helpers.js';

const tags = ['outgoing-mail'];

/** The outgoing mail log (invoices, reminders, usage alerts, pages): staff who answer for what was sent. */
export const outgoingMailRoutes: FastifyPluginAsyncZod = async (app) => {
  const { mail } = app.services;
  const staff = app.allow('ADMIN', 'FINANCE', 'OPS');

  app.get(
    '/outgoing-mail',
    {
      onRequest: staff,
      schema: { tags, summary: 'Messages sent or being sent, newest first', querystring: pageQuery.extend(mailFilter.shape) },
    },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      return mail.list(filter, { limit, cursor });
    },
  );
  app.get(
    '/outgoing-mail/:id',
    { onRequest: staff, schema: { tags, summary: 'One message and its delivery state', params: idParams } },
    async (req) => mail.get(req.params.id),
  );
  app.get(
    '/outgoing-mail/:id.eml',
    { onRequest: staff, schema: { tags, summary: 'The message as an RFC 822 file', params: idParams } },
    async (req, reply) =>
      reply
        .type('message/rfc822')
        .header('content-disposition', `attachment; filename="${req.params.id}.eml"`)
        .send(await mail.eml(req.params.id)),
  );
  app.post(
    '/outgoing-mail/:id/retry',
    { onRequest: staff, schema: { tags, summary: 'Send a FAILED message again', params: idParams } },
    async (req) => mail.retry({ actor: req.principal, requestId: req.id }, req.params.id),
  );
};
