import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { STAFF_ROLES } from '../../auth/index.js';
import {
  assignInput,
  escalateInput,
  mergeInput,
  noteInput,
  reopenInput,
  resolveInput,
  triageInput,
  visitInput,
} from '../../service-desk/index.js';
import { ctx, idParams } from './route-helpers.js';

const tags = ['tickets'];

/** Service desk workflow steps; staff only (others get 404 like any ticket outside their scope). */
export const ticketWorkflowRoutes: FastifyPluginAsyncZod = async (app) => {
  const { ticketWorkflow: wf } = app.services;
  const onRequest = app.allow(...STAFF_ROLES);

  app.post(
    '/tickets/:id/triage',
    { onRequest, schema: { tags, summary: 'NEW -> TRIAGED with group, priority, assignee', params: idParams, body: triageInput } },
    async (req) => wf.triage(ctx(req), req.params.id, req.body),
  );
  app.post(
    '/tickets/:id/assign',
    { onRequest, schema: { tags, summary: 'Assign to a staff member (or unassign with null)', params: idParams, body: assignInput } },
    async (req) => wf.assign(ctx(req), req.params.id, req.body),
  );
  app.post(
    '/tickets/:id/escalate',
    { onRequest, schema: { tags, summary: 'To REPAIR (hardware) or SYSTEM (network/platform)', params: idParams, body: escalateInput } },
    async (req) => wf.escalate(ctx(req), req.params.id, req.body),
  );
  app.post(
    '/tickets/:id/visit',
    { onRequest, schema: { tags, summary: 'Schedule an on-site visit', params: idParams, body: visitInput } },
    async (req) => wf.scheduleVisit(ctx(req), req.params.id, req.body),
  );
  app.post(
    '/tickets/:id/resolve',
    {
      onRequest,
      schema: { tags, summary: 'Resolve with a note, optionally saving it to the knowledge base', params: idParams, body: resolveInput },
    },
    async (req) => wf.resolve(ctx(req), req.params.id, req.body),
  );
  app.post(
    '/tickets/:id/close',
    { onRequest, schema: { tags, summary: 'RESOLVED -> CLOSED', params: idParams, body: noteInput.nullish() } },
    async (req) => wf.close(ctx(req), req.params.id, req.body?.note),
  );
  app.post(
    '/tickets/:id/reopen',
    { onRequest, schema: { tags, summary: 'RESOLVED -> IN_PROGRESS; SLA due dates stay', params: idParams, body: reopenInput } },
    async (req) => wf.reopen(ctx(req), req.params.id, req.body.reason),
  );
  app.post(
    '/tickets/:id/merge',
    { onRequest, schema: { tags, summary: 'Merge this duplicate into another ticket', params: idParams, body: mergeInput } },
    async (req) => wf.merge(ctx(req), req.params.id, req.body),
  );
};
