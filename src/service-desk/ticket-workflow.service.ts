import type { Ctx } from '../auth/index.js';
import { STAFF_ROLES } from '../auth/index.js';
// The service desk's flow on top of plain tickets: triage -> (resolve by phone | escalate to
// REPAIR/SYSTEM -> on-site visit) -> resolve with a note (optionally into the knowledge base)
// -> close; plus reopen and merging duplicates. Each step checks where the ticket may go from
// its current status (409 otherwise) and goes through the ticket service's single change path,
// so it writes history rows, a ticket.updated event and one audit row named after the step.
import type { Db } from '../platform/database.js';
import { conflict, invalid } from '../platform/errors.js';
import type { KnowledgeService } from './knowledge.service.js';
import { type TicketStatus, WORKING_STATUSES } from './ticket.schemas.js';
import type { TicketService } from './ticket.service.js';
import type { AssignInput, EscalateInput, MergeInput, ResolveInput, TriageInput, VisitInput } from './ticket-workflow.schemas.js';

type Step = 'triage' | 'assign' | 'escalate' | 'visit' | 'resolve' | 'close' | 'reopen' | 'merge';

const WORKING: readonly TicketStatus[] = WORKING_STATUSES;
/** Statuses each step may start from. CLOSED and MERGED are final. */
const FROM: Record<Step, readonly string[]> = {
  triage: ['NEW'],
  assign: WORKING,
  escalate: ['TRIAGED', 'IN_PROGRESS', 'WAITING_CUSTOMER', 'ESCALATED', 'VISIT_SCHEDULED'],
  visit: ['TRIAGED', 'IN_PROGRESS', 'ESCALATED', 'VISIT_SCHEDULED'],
  resolve: WORKING,
  close: ['RESOLVED'],
  reopen: ['RESOLVED'],
  merge: WORKING,
};

function allow(step: Step, t: { number: number; status: string }) {
  if (!FROM[step].includes(t.status)) throw conflict(`Ticket #${t.number} is ${t.status}: cannot ${step} it`);
}

const TX = { maxWait: 10_000, timeout: 20_000 };

export interface TicketWorkflowDeps {
  db: Db;
  tickets: TicketService;
  knowledge: KnowledgeService;
}

export function createTicketWorkflowService({ db, tickets, knowledge }: TicketWorkflowDeps) {
  async function checkAssignee(assigneeId: string | null | undefined) {
    if (!assigneeId) return;
    const user = await db.user.findUnique({ where: { id: assigneeId } });
    if (!user || !STAFF_ROLES.includes(user.role)) throw invalid('Unknown assignee', [{ path: 'assigneeId', message: 'Not a staff user' }]);
  }

  /** The resolve step has just written its KNOWLEDGE event: an earlier one means a repeat. */
  async function resolvedWithArticleBefore(ticketId: string, articleId: string) {
    const uses = await db.ticketEvent.count({ where: { ticketId, kind: 'KNOWLEDGE', data: { path: ['articleId'], equals: articleId } } });
    return uses > 1;
  }

  /** Loads the ticket in scope, checks the step and applies it in one transaction. */
  async function step(
    ctx: Ctx,
    id: string,
    name: Step,
    run: (
      before: Awaited<ReturnType<TicketService['findVisible']>>,
    ) => Parameters<TicketService['changeIn']>[2] & { extra?: Parameters<TicketService['changeIn']>[5] },
  ) {
    const before = await tickets.findVisible(ctx, id);
    allow(name, before);
    const { extra, ...patch } = run(before);
    const row = await db.$transaction(async (tx) => {
      // Re-read inside the transaction: a concurrent step may have moved the ticket meanwhile.
      const cur = await tx.ticket.findUnique({ where: { id }, include: tickets.withRelations });
      if (!cur) throw conflict('Ticket vanished');
      allow(name, cur);
      return tickets.changeIn(tx, cur, patch, ctx.actor, ctx.requestId, { action: `ticket.${name}`, ...extra });
    }, TX);
    return row;
  }

  return {
    async triage(ctx: Ctx, id: string, input: TriageInput) {
      await checkAssignee(input.assigneeId);
      const row = await step(ctx, id, 'triage', () => ({
        status: 'TRIAGED',
        ...(input.group ? { group: input.group } : {}),
        ...(input.priority ? { priority: input.priority } : {}),
        ...(input.assigneeId !== undefined ? { assigneeId: input.assigneeId } : {}),
        ...(input.note ? { note: input.note } : {}),
      }));
      return tickets.view(row);
    },

    async assign(ctx: Ctx, id: string, input: AssignInput) {
      await checkAssignee(input.assigneeId);
      const row = await step(ctx, id, 'assign', (t) => {
        if (t.assigneeId === input.assigneeId) throw conflict(`Ticket #${t.number} already has that assignee`);
        return { assigneeId: input.assigneeId, ...(input.note ? { extra: { events: [{ kind: 'COMMENT', body: input.note }] } } : {}) };
      });
      return tickets.view(row);
    },

    async escalate(ctx: Ctx, id: string, input: EscalateInput) {
      const row = await step(ctx, id, 'escalate', (t) => {
        if (t.status === 'ESCALATED' && t.group === input.to) throw conflict(`Ticket #${t.number} is already escalated to ${input.to}`);
        return {
          status: 'ESCALATED',
          group: input.to,
          extra: {
            events: [{ kind: 'ESCALATED', body: input.reason, data: { from: t.group, to: input.to } }],
            changes: { escalatedTo: input.to },
          },
        };
      });
      return tickets.view(row);
    },

    async scheduleVisit(ctx: Ctx, id: string, input: VisitInput) {
      if (input.scheduledAt <= tickets.now())
        throw invalid('A visit must be in the future', [{ path: 'scheduledAt', message: 'Must be in the future' }]);
      const row = await step(ctx, id, 'visit', () => ({
        status: 'VISIT_SCHEDULED',
        extra: {
          data: { visitScheduledAt: input.scheduledAt, visitAddress: input.address },
          // The customer needs to know when somebody comes.
          events: [
            {
              kind: 'VISIT',
              visibility: 'CUSTOMER',
              body: input.note ?? `On-site visit at ${input.address}`,
              data: { at: input.scheduledAt.toISOString(), address: input.address },
            },
          ],
          changes: { visit: { at: input.scheduledAt.toISOString(), address: input.address } },
        },
      }));
      return tickets.view(row);
    },

    /**
     * Resolves with a note. `saveAsArticle` turns subject/description/note into a knowledge
     * article linked to the ticket; `articleId` links the article that helped and counts its use.
     */
    async resolve(ctx: Ctx, id: string, input: ResolveInput) {
      const t = await tickets.findVisible(ctx, id);
      allow('resolve', t);
      let articleId: string | null = null;
      if (input.articleId) articleId = (await knowledge.get(input.articleId)).id;
      else if (input.saveAsArticle) {
        const model = t.deviceId ? await db.device.findUnique({ where: { id: t.deviceId }, select: { deviceModelId: true } }) : null;
        const article = await knowledge.create(ctx, {
          title: input.articleTitle ?? t.subject,
          symptoms: [t.subject, t.description].filter(Boolean).join('\n'),
          solution: input.note,
          deviceModelId: model?.deviceModelId ?? null,
          faultCodes: t.faultCode !== null ? [t.faultCode] : [],
          sourceTicketId: t.id,
        });
        articleId = article.id;
      }
      const row = await step(ctx, id, 'resolve', () => ({
        status: 'RESOLVED',
        note: input.note,
        extra: {
          data: { resolutionNote: input.note, ...(articleId ? { knowledgeArticleId: articleId } : {}) },
          ...(articleId
            ? {
                events: [
                  {
                    kind: 'KNOWLEDGE',
                    body: input.saveAsArticle ? 'Saved as knowledge article' : 'Solved with knowledge article',
                    data: { articleId, created: input.saveAsArticle },
                  },
                ],
              }
            : {}),
        },
      }));
      // A ticket resolved again with the same article after a reopen is still one problem solved.
      if (input.articleId && (await resolvedWithArticleBefore(id, input.articleId))) {
        return tickets.view(row);
      }
      if (input.articleId) await knowledge.markUsed(input.articleId);
      return tickets.view(row);
    },

    async close(ctx: Ctx, id: string, note?: string) {
      return tickets.view(await step(ctx, id, 'close', () => ({ status: 'CLOSED', ...(note ? { note } : {}) })));
    },

    /** Back to work after the customer says it is not fixed; the original due dates still apply. */
    async reopen(ctx: Ctx, id: string, reason: string) {
      return tickets.view(
        await step(ctx, id, 'reopen', () => ({
          status: 'IN_PROGRESS',
          note: reason,
          extra: { data: { resolutionNote: null, knowledgeArticleId: null } },
        })),
      );
    },

    /**
     * Folds a duplicate (`id`) into `intoId`: the duplicate becomes MERGED (its dedup key freed),
     * its comments are copied into the surviving ticket, and both get a MERGED history row.
     */
    async merge(ctx: Ctx, id: string, input: MergeInput) {
      if (id === input.intoId) throw invalid('A ticket cannot be merged into itself', [{ path: 'intoId', message: 'Same ticket' }]);
      const source = await tickets.findVisible(ctx, id);
      const target = await tickets.findVisible(ctx, input.intoId);
      allow('merge', source);
      if (!FROM.merge.includes(target.status)) throw conflict(`Ticket #${target.number} is ${target.status}: cannot merge into it`);
      const row = await db.$transaction(async (tx) => {
        const cur = await tx.ticket.findUnique({ where: { id }, include: tickets.withRelations });
        const into = await tx.ticket.findUnique({ where: { id: input.intoId }, include: tickets.withRelations });
        if (!cur || !into) throw conflict('Ticket vanished');
        allow('merge', cur);
        if (!FROM.merge.includes(into.status)) throw conflict(`Ticket #${into.number} is ${into.status}: cannot merge into it`);
        const comments = await tx.ticketEvent.findMany({ where: { ticketId: id, kind: 'COMMENT' }, orderBy: { id: 'asc' } });
        const copied = comments.map((c) => ({
          kind: 'COMMENT',
          actorId: c.actorId,
          visibility: c.visibility,
          body: c.body,
          data: { mergedFrom: cur.number, sourceEventId: Number(c.id) },
        }));
        const merged = await tickets.changeIn(
          tx,
          cur,
          { toStatus: 'MERGED', mergedIntoId: into.id, ...(input.note ? { note: input.note } : {}) },
          ctx.actor,
          ctx.requestId,
          {
            action: 'ticket.merge',
            events: [
              {
                kind: 'MERGED',
                visibility: 'CUSTOMER',
                body: `Merged into ticket #${into.number}`,
                data: { into: into.id, number: into.number },
              },
            ],
          },
        );
        await tickets.changeIn(tx, into, {}, ctx.actor, ctx.requestId, {
          action: 'ticket.merge-received',
          events: [
            {
              kind: 'MERGED',
              visibility: 'CUSTOMER',
              body: `Ticket #${cur.number} merged into this one`,
              data: { from: cur.id, number: cur.number, comments: copied.length },
            },
            ...copied,
          ],
          changes: { mergedFrom: cur.id },
        });
        return merged;
      }, TX);
      return tickets.view(row);
    },
  };
}

export type TicketWorkflowService = ReturnType<typeof createTicketWorkflowService>;
