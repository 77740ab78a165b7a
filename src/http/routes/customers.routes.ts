import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contactInput, contactPatch, customerFilter, customerInput, customerPatch, ticketEmailsInput } from '../../crm/index.js';
import { pageQuery } from '../../platform/pagination.js';
import { ctx, idParams } from './route-helpers.js';

const contactParams = idParams.extend({ contactId: z.string().uuid() });
const tags = ['customers'];

export const customerRoutes: FastifyPluginAsyncZod = async (app) => {
  const { customers } = app.services;
  const writers = app.allow('SALES', 'OPS', 'FINANCE', 'CONTRACTOR');

  app.get(
    '/customers',
    {
      schema: {
        tags,
        summary: 'List customers in scope (filters: kind, contractor, status, name)',
        querystring: pageQuery.extend(customerFilter.shape),
      },
    },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      return customers.list(ctx(req), filter, { limit, cursor });
    },
  );
  app.post(
    '/customers',
    { onRequest: writers, schema: { tags, summary: 'Create a customer (contractors create their own end users)', body: customerInput } },
    async (req, reply) => reply.status(201).send(await customers.create(ctx(req), req.body)),
  );
  app.get('/customers/:id', { schema: { tags, summary: 'Get a customer', params: idParams } }, async (req) =>
    customers.get(ctx(req), req.params.id),
  );
  app.patch(
    '/customers/:id',
    { onRequest: writers, schema: { tags, summary: 'Update a customer', params: idParams, body: customerPatch } },
    async (req) => customers.update(ctx(req), req.params.id, req.body),
  );

  app.get(
    '/customers/:id/contacts',
    { schema: { tags, summary: 'List the contacts of a customer, primary first', params: idParams } },
    async (req) => ({
      items: await customers.listContacts(ctx(req), req.params.id),
    }),
  );
  app.post(
    '/customers/:id/contacts',
    { onRequest: writers, schema: { tags, summary: 'Add a contact to a customer', params: idParams, body: contactInput } },
    async (req, reply) => reply.status(201).send(await customers.addContact(ctx(req), req.params.id, req.body)),
  );
  app.patch(
    '/customers/:id/contacts/:contactId',
    { onRequest: writers, schema: { tags, summary: 'Update a contact', params: contactParams, body: contactPatch } },
    async (req) => customers.updateContact(ctx(req), req.params.id, req.params.contactId, req.body),
  );
  app.put(
    '/customers/:id/contacts/:contactId/ticket-emails',
    {
      onRequest: app.allow('SALES', 'OPS', 'SERVICE', 'REPAIR', 'SYSTEM', 'FINANCE', 'CONTRACTOR', 'CUSTOMER'),
      schema: {
        tags,
        summary: "Turn a contact's e-mails about the customer's tickets on or off",
        params: contactParams,
        body: ticketEmailsInput,
      },
    },
    async (req) => customers.setTicketEmails(ctx(req), req.params.id, req.params.contactId, req.body.enabled),
  );
  app.delete(
    '/customers/:id/contacts/:contactId',
    { onRequest: writers, schema: { tags, summary: 'Delete a contact', params: contactParams } },
    async (req, reply) => {
      await customers.deleteContact(ctx(req), req.params.id, req.params.contactId);
      return reply.status(204).send();
    },
  );
};
