import type { AuditService } from '../audit/index.js';
import type { Ctx, Principal } from '../auth/index.js';
import { customerWhere, deviceScopeWhere, isStaff, STAFF_ROLES } from '../auth/index.js';
import type { EventService } from '../events/index.js';
// Tickets: opening (by people and by the platform), scoped reading, comments and status
// changes with a history row each. Automatic tickets carry a dedupKey that is unique while the
// ticket is open, so one problem opens one ticket even when several workers race.
import type { Db, Prisma } from '../platform/database.js';
import { conflict, invalid, isUniqueViolation, notFound } from '../platform/errors.js';
import { toJson } from '../platform/json.js';
import { page, pageArgs } from '../platform/pagination.js';
import { incidentTicketSteps } from './incident-tickets.js';
import { addBusinessMinutes, type BusinessCalendar, businessCalendar, businessMsBetween, calendarFor, slaPolicyFor } from './sla.js';
import {
  type AutoTicketInput,
  type CommentInput,
  DONE_STATUSES,
  type TicketFilter,
  type TicketInput,
  type TicketPatch,
  type TicketStatus,
  UNTOUCHED_STATUSES,
  WORKING_STATUSES,
} from './ticket.schemas.js';
import { slaView, type TicketRow, ticketEventPayload, ticketEventView, ticketScopeWhere, ticketView } from './ticket.view.js';

type Tx = Prisma.TransactionClient;

export interface TicketServiceDeps {
  db: Db;
  audit: AuditService;
  events: Pick<EventService, 'emit'>;
  /** The clock for SLA due dates and stamps; tests pass a fixed instant. */
  now?: () => Date;
  /** Business hours and holidays of the service desk (default Mon-Fri 09:00-18:00 Asia/Shanghai). */
  calendar?: BusinessCalendar;
}

/** What a workflow step adds to a change: more columns, history rows, and its own audit action. */
export interface ChangeExtra {
  data?: Prisma.TicketUncheckedUpdateInput;
  events?: Omit<Prisma.TicketEventCreateManyInput, 'ticketId'>[];
  action?: string;
  changes?: Record<string, unknown>;
}

/** Outcome of an automatic resolution attempt. */
export type AutoResolveOutcome = 'resolved' | 'commented' | 'none';

const withDevice = { device: { select: { serial: true } }, customer: { select: { tier: true } } } as const;
// Automatic tickets arrive in bursts (many event handlers at once share a small pool): wait
// for a connection longer than Prisma's 2 s default instead of failing the handler.
const TX = { maxWait: 10_000, timeout: 20_000 };
const isDone = (s: string) => (DONE_STATUSES as readonly string[]).includes(s);

/** Status change data: finishing a ticket releases its dedup key; reopening clears the stamps. */
/**
 * Where a plain status change (PATCH) may take a ticket, from where. A visit needs its
 * appointment (POST /tickets/{id}/visit) and nothing goes back to NEW; closing follows
 * resolving; a resolved ticket reopens to IN_PROGRESS. The workflow steps have their own rules.
 */
const PATCH_FROM: Partial<Record<TicketStatus, readonly TicketStatus[]>> = {
  TRIAGED: ['NEW'],
  IN_PROGRESS: [...WORKING_STATUSES, 'RESOLVED'],
  WAITING_CUSTOMER: WORKING_STATUSES,
  ESCALATED: WORKING_STATUSES,
  RESOLVED: WORKING_STATUSES,
  CLOSED: ['RESOLVED'],
};

function allowPatchStatus(t: { number: number; status: string }, to: TicketStatus): void {
  if (t.status === 'CLOSED' || t.status === 'MERGED') return; // the change path answers for final tickets
  if (!(PATCH_FROM[to] ?? []).includes(t.status as TicketStatus)) {
    const hint = to === 'VISIT_SCHEDULED' ? ' (schedule the visit with POST /tickets/{id}/visit)' : '';
    throw conflict(`Ticket #${t.number} is ${t.status}: it cannot be set to ${to}${hint}`);
  }
}

function statusData(to: TicketStatus | 'MERGED', note: string | undefined, now: Date) {
  if (to === 'RESOLVED') return { status: to, resolvedAt: now, dedupKey: null, ...(note ? { resolutionNote: note } : {}) };
  if (to === 'CLOSED') return { status: to, closedAt: now, dedupKey: null };
  if (to === 'MERGED') return { status: to, closedAt: now, dedupKey: null };
  return { status: to, resolvedAt: null, closedAt: null };
}

export function createTicketService({
  db,
  audit,
  events,
  now: clock = () => new Date(),
  calendar = businessCalendar('Asia/Shanghai'),
}: TicketServiceDeps) {
  const view = (t: TicketRow) => ticketView(t, slaView(t, clock(), calendar));
  const calendarOf = (t: Pick<TicketRow, 'priority' | 'source' | 'kind' | 'safety'> & { tier?: string | null | undefined }) =>
    calendarFor(calendar, slaPolicyFor({ tier: t.tier, priority: t.priority, source: t.source, kind: t.kind, safety: t.safety }));

  /** Leaving WAITING_CUSTOMER: the paused business time moves the open due dates out by as much. */
  function resumeData(before: TicketRow, now: Date): Prisma.TicketUncheckedUpdateInput {
    if (!before.slaPausedAt) return {};
    const cal = calendarOf({ ...before, tier: before.customer?.tier });
    const pausedMs = businessMsBetween(before.slaPausedAt, now, cal);
    const extend = (due: Date | null) => (due ? addBusinessMinutes(due, pausedMs / 60_000, cal) : due);
    return {
      slaPausedAt: null,
      slaPausedSeconds: before.slaPausedSeconds + Math.round(pausedMs / 1000),
      ...(before.firstRespondedAt ? {} : { firstResponseDueAt: extend(before.firstResponseDueAt) }),
      resolutionDueAt: extend(before.resolutionDueAt),
    };
  }

  async function visible(ctx: Ctx, id: string) {
    const row = await db.ticket.findFirst({ where: { AND: [{ id }, ticketScopeWhere(ctx.actor)] }, include: withDevice });
    if (!row) throw notFound('Ticket');
    return row;
  }

  async function emit(tx: Tx, type: 'ticket.created' | 'ticket.updated', t: TicketRow, changes: Record<string, unknown> = {}) {
    await events.emit(tx, [{ type, customerId: t.customerId, deviceId: t.deviceId, payload: ticketEventPayload(t, changes) }]);
  }

  /** Creates the ticket, its CREATED history row and the ticket.created event in `tx`. */
  async function insertIn(
    tx: Tx,
    input: AutoTicketInput & { source: 'CUSTOMER' | 'STAFF' | 'AUTO' },
    actor: Principal | null,
    requestId?: string,
  ) {
    // A fault counts from when the terminal raised it, not from when its event was handled.
    const now = input.openedAt && input.openedAt < clock() ? input.openedAt : clock();
    const customer = input.customerId ? await tx.customer.findUnique({ where: { id: input.customerId }, select: { tier: true } }) : null;
    const safety = input.safety ?? false;
    const policy = slaPolicyFor({
      tier: customer?.tier,
      priority: input.priority ?? 'NORMAL',
      source: input.source,
      kind: input.kind,
      safety,
    });
    const cal = calendarFor(calendar, policy);
    const row = await tx.ticket.create({
      data: {
        createdAt: now,
        firstResponseDueAt: addBusinessMinutes(now, policy.firstResponseMinutes, cal),
        resolutionDueAt: addBusinessMinutes(now, policy.resolutionMinutes, cal),
        kind: input.kind,
        source: input.source,
        subject: input.subject,
        description: input.description ?? null,
        priority: input.priority ?? 'NORMAL',
        group: input.group ?? 'SERVICE_DESK',
        customerId: input.customerId ?? null,
        deviceId: input.deviceId ?? null,
        incidentId: input.incidentId ?? null,
        faultCode: input.faultCode ?? null,
        safety,
        dedupKey: input.dedupKey ?? null,
        createdById: actor?.userId ?? null,
      },
      include: withDevice,
    });
    await tx.ticketEvent.create({
      data: {
        ticketId: row.id,
        kind: 'CREATED',
        actorId: actor?.userId ?? null,
        visibility: 'CUSTOMER',
        body: row.subject,
        createdAt: now,
      },
    });
    await emit(tx, 'ticket.created', row);
    if (actor) await audit.record({ actor, requestId, action: 'ticket.created', entityType: 'ticket', entityId: row.id, after: row }, tx);
    return row;
  }

  /**
   * Opens a ticket, or returns the open ticket with the same dedupKey. The unique index decides
   * races between processes: the loser's insert fails and it reads the winner's ticket.
   */
  async function open(input: AutoTicketInput & { source: 'CUSTOMER' | 'STAFF' | 'AUTO' }, actor: Principal | null, requestId?: string) {
    const existing = async () =>
      input.dedupKey ? db.ticket.findUnique({ where: { dedupKey: input.dedupKey }, include: withDevice }) : null;
    const before = await existing();
    if (before) return { ticket: before, created: false };
    try {
      return { ticket: await db.$transaction((tx) => insertIn(tx, input, actor, requestId), TX), created: true };
    } catch (err) {
      const winner = isUniqueViolation(err) ? await existing() : null;
      if (winner) return { ticket: winner, created: false };
      throw err;
    }
  }

  /** Applies a change with one history row per changed field and one ticket.updated event. */
  async function change(
    tx: Tx,
    before: TicketRow & { dedupKey?: string | null },
    patch: TicketPatch & { mergedIntoId?: string; toStatus?: 'MERGED' },
    actor: Principal | null,
    requestId?: string,
    extra: ChangeExtra = {},
  ) {
    if (before.status === 'CLOSED' || before.status === 'MERGED')
      throw conflict(`Ticket #${before.number} is ${before.status.toLowerCase()} and can no longer change`);
    const now = clock();
    const data: Prisma.TicketUncheckedUpdateInput = {};
    const history: Prisma.TicketEventCreateManyInput[] = [];
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    const actorId = actor?.userId ?? null;
    const to = patch.toStatus ?? patch.status;
    if (to && to !== before.status) {
      Object.assign(data, statusData(to, patch.note, now));
      if (patch.mergedIntoId) data.mergedIntoId = patch.mergedIntoId;
      changes.status = { from: before.status, to };
      history.push({
        ticketId: before.id,
        kind: 'STATUS',
        actorId,
        visibility: 'CUSTOMER',
        body: patch.note ?? null,
        data: { from: before.status, to },
      });
      // SLA: a staff status change is the first response; waiting on the customer stops the clock.
      if (actor && isStaff(actor) && !before.firstRespondedAt) data.firstRespondedAt = now;
      if (to === 'WAITING_CUSTOMER') data.slaPausedAt = now;
      else Object.assign(data, resumeData(before, now));
    }
    if (patch.assigneeId !== undefined && patch.assigneeId !== before.assigneeId) {
      data.assigneeId = patch.assigneeId;
      changes.assigneeId = { from: before.assigneeId, to: patch.assigneeId };
      history.push({ ticketId: before.id, kind: 'ASSIGNED', actorId, data: { from: before.assigneeId, to: patch.assigneeId } });
    }
    if (patch.group && patch.group !== before.group) {
      data.group = patch.group;
      changes.group = { from: before.group, to: patch.group };
      history.push({ ticketId: before.id, kind: 'GROUP', actorId, data: { from: before.group, to: patch.group } });
    }
    if (patch.priority && patch.priority !== before.priority) {
      data.priority = patch.priority;
      changes.priority = { from: before.priority, to: patch.priority };
      history.push({ ticketId: before.id, kind: 'PRIORITY', actorId, data: { from: before.priority, to: patch.priority } });
    }
    Object.assign(data, extra.data ?? {});
    Object.assign(changes, extra.changes ?? {});
    for (const e of extra.events ?? []) history.push({ actorId, ...e, ticketId: before.id });
    if (history.length === 0) {
      if (patch.note) history.push({ ticketId: before.id, kind: 'COMMENT', actorId, body: patch.note });
      else return before;
    }
    const row = await tx.ticket.update({ where: { id: before.id }, data: { ...data, updatedAt: now }, include: withDevice });
    await tx.ticketEvent.createMany({ data: history.map((h) => ({ createdAt: now, ...h })) });
    if (Object.keys(changes).length) await emit(tx, 'ticket.updated', row, changes);
    if (actor)
      await audit.record(
        { actor, requestId, action: extra.action ?? 'ticket.updated', entityType: 'ticket', entityId: row.id, before, after: row },
        tx,
      );
    return row;
  }

  async function checkAssignee(assigneeId: string | null | undefined) {
    if (!assigneeId) return;
    const user = await db.user.findUnique({ where: { id: assigneeId } });
    if (!user || !STAFF_ROLES.includes(user.role)) throw invalid('Unknown assignee', [{ path: 'assigneeId', message: 'Not a staff user' }]);
  }

  async function addEvent(
    tx: Tx,
    t: TicketRow,
    kind: string,
    body: string,
    visibility: 'INTERNAL' | 'CUSTOMER',
    actorId: string | null,
    data?: unknown,
  ) {
    await tx.ticketEvent.create({ data: { ticketId: t.id, kind, actorId, visibility, body, data: toJson(data) } });
    await tx.ticket.update({ where: { id: t.id }, data: { updatedAt: new Date() } });
  }

  const service = {
    /** A ticket opened by a person: staff for anyone, customers and contractors within their scope. */
    async create(ctx: Ctx, input: TicketInput) {
      const staff = isStaff(ctx.actor);
      let customerId = input.customerId ?? null;
      let deviceId: string | null = null;
      if (input.serial || input.deviceId) {
        const which = input.serial ? { serial: input.serial } : { id: input.deviceId! };
        const device = await db.device.findFirst({ where: { AND: [which, deviceScopeWhere(ctx.actor)] } });
        if (!device)
          throw invalid('Unknown terminal', [{ path: input.serial ? 'serial' : 'deviceId', message: 'No such terminal in your scope' }]);
        deviceId = device.id;
        customerId ??= device.customerId;
      }
      if (ctx.actor.role === 'CUSTOMER') customerId = ctx.actor.customerId;
      else if (!staff) customerId ??= ctx.actor.customerId;
      if (customerId) {
        const customer = await db.customer.findFirst({ where: { AND: [{ id: customerId }, customerWhere(ctx.actor)] } });
        if (!customer) throw invalid('Unknown customer', [{ path: 'customerId', message: 'No such customer in your scope' }]);
      }
      const { ticket } = await open(
        {
          kind: input.kind,
          subject: input.subject,
          description: input.description ?? null,
          // Routing and urgency are the service desk's call for tickets from outside.
          priority: staff ? input.priority : input.priority === 'CRITICAL' ? 'HIGH' : input.priority,
          group: staff ? input.group : 'SERVICE_DESK',
          customerId,
          deviceId,
          source: staff ? 'STAFF' : 'CUSTOMER',
        },
        ctx.actor,
        ctx.requestId,
      );
      return view(ticket);
    },

    /** A ticket opened by the platform; with a dedupKey, the open ticket for that key if one exists. */
    async createAuto(input: AutoTicketInput) {
      const { ticket, created } = await open({ ...input, source: 'AUTO' }, null);
      return { ticket: view(ticket), created };
    },

    /** The same inside a caller's transaction (e.g. an incident and its ticket together). */
    async createAutoIn(tx: Tx, input: AutoTicketInput) {
      if (input.dedupKey) {
        const existing = await tx.ticket.findUnique({ where: { dedupKey: input.dedupKey }, include: withDevice });
        if (existing) return { ticket: view(existing), created: false };
      }
      return { ticket: view(await insertIn(tx, { ...input, source: 'AUTO' }, null)), created: true };
    },

    async get(ctx: Ctx, id: string) {
      const row = await visible(ctx, id);
      const history = await db.ticketEvent.findMany({
        where: { ticketId: id, ...(isStaff(ctx.actor) ? {} : { visibility: 'CUSTOMER' as const }) },
        orderBy: { id: 'asc' },
      });
      return { ...view(row), events: history.map(ticketEventView) };
    },

    async list(ctx: Ctx, filter: TicketFilter, q: { limit: number; cursor?: string | undefined }) {
      const { cursorWhere, orderBy, take } = pageArgs(q);
      const { open: onlyOpen, ...exact } = filter;
      const rows = await db.ticket.findMany({
        where: {
          AND: [
            ticketScopeWhere(ctx.actor),
            cursorWhere,
            exact,
            onlyOpen === undefined ? {} : { status: onlyOpen ? { notIn: [...DONE_STATUSES] } : { in: [...DONE_STATUSES] } },
          ],
        },
        include: withDevice,
        orderBy,
        take,
      });
      return page(rows, q.limit, view);
    },

    async addComment(ctx: Ctx, id: string, input: CommentInput) {
      const t = await visible(ctx, id);
      const visibility = isStaff(ctx.actor) ? input.visibility : 'CUSTOMER';
      return db.$transaction(async (tx) => {
        const now = clock();
        const row = await tx.ticketEvent.create({
          data: { ticketId: id, kind: 'COMMENT', actorId: ctx.actor.userId, visibility, body: input.body, createdAt: now },
        });
        // SLA: the first customer-visible answer by staff is the first response.
        const responded = isStaff(ctx.actor) && visibility === 'CUSTOMER' && !t.firstRespondedAt ? { firstRespondedAt: now } : {};
        await tx.ticket.update({ where: { id }, data: { updatedAt: now, ...responded } });
        // Internal notes never leave the operator; customer-visible ones notify the customer.
        if (visibility === 'CUSTOMER')
          await emit(tx, 'ticket.updated', t, { comment: { by: isStaff(ctx.actor) ? 'operator' : 'customer', eventId: Number(row.id) } });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'ticket.commented',
            entityType: 'ticket',
            entityId: id,
            after: { visibility, body: input.body },
          },
          tx,
        );
        // The customer answered: the ticket is back with the desk and its SLA clock runs again.
        if (!isStaff(ctx.actor) && t.status === 'WAITING_CUSTOMER') {
          const cur = await tx.ticket.findUniqueOrThrow({ where: { id }, include: withDevice });
          await change(tx, cur, { status: 'IN_PROGRESS' }, null);
        }
        return ticketEventView(row);
      });
    },

    /** Status, assignee, group and priority changes by staff (routes restrict who may call it). */
    async update(ctx: Ctx, id: string, patch: TicketPatch) {
      const before = await visible(ctx, id);
      if (patch.status && patch.status !== before.status) allowPatchStatus(before, patch.status);
      await checkAssignee(patch.assigneeId);
      const row = await db.$transaction((tx) => change(tx, before, patch, ctx.actor, ctx.requestId), TX);
      return view(row);
    },

    resolve(ctx: Ctx, id: string, note?: string) {
      return this.update(ctx, id, { status: 'RESOLVED', ...(note ? { note } : {}) });
    },

    close(ctx: Ctx, id: string, note?: string) {
      return this.update(ctx, id, { status: 'CLOSED', ...(note ? { note } : {}) });
    },

    // Building blocks for the workflow service (ticket-workflow.service.ts), which adds steps
    // with their own rules on top of the same change/history/audit path.
    /** The ticket row if `ctx` may see it, else 404. */
    findVisible: (ctx: Ctx, id: string) => visible(ctx, id),
    /** One change with its history rows, event and audit, in the caller's transaction. */
    changeIn: change,
    /** API shape with the SLA block as of now. */
    view,
    now: clock,
    calendarOf,
    withRelations: withDevice,

    /** The open ticket holding a dedupKey, if any. */
    async findOpen(dedupKey: string) {
      const row = await db.ticket.findUnique({ where: { dedupKey }, include: withDevice });
      return row ? view(row) : null;
    },

    /**
     * Resolves an automatic ticket when its cause went away, but only if nobody has started work
     * (status NEW/TRIAGED and no assignee); otherwise leaves it to the person working it and adds
     * an internal comment. The conditional update makes a concurrent assignment win.
     */
    async autoResolve(ref: { dedupKey: string } | { id: string }, note: string, tx?: Tx): Promise<AutoResolveOutcome> {
      const run = async (t: Tx): Promise<AutoResolveOutcome> => {
        const cur = await t.ticket.findUnique({ where: 'id' in ref ? { id: ref.id } : { dedupKey: ref.dedupKey }, include: withDevice });
        if (!cur || isDone(cur.status)) return 'none';
        const now = new Date();
        const n = await t.ticket.updateMany({
          where: { id: cur.id, status: { in: [...UNTOUCHED_STATUSES] }, assigneeId: null },
          data: { ...statusData('RESOLVED', note, now), updatedAt: now },
        });
        if (n.count === 1) {
          await t.ticketEvent.create({
            data: {
              ticketId: cur.id,
              kind: 'STATUS',
              visibility: 'CUSTOMER',
              body: note,
              data: { from: cur.status, to: 'RESOLVED', auto: true },
            },
          });
          await emit(t, 'ticket.updated', { ...cur, status: 'RESOLVED' }, { status: { from: cur.status, to: 'RESOLVED' }, auto: true });
          return 'resolved';
        }
        await addEvent(t, cur, 'COMMENT', note, 'INTERNAL', null, { auto: true });
        return 'commented';
      };
      if (tx) return run(tx);
      // Most recoveries have no ticket to resolve (e.g. terminals of an incident): skip the transaction.
      if ('dedupKey' in ref && !(await db.ticket.findUnique({ where: { dedupKey: ref.dedupKey }, select: { id: true } }))) return 'none';
      return db.$transaction(run, TX);
    },

    /** Folds an untouched ticket into another (e.g. a terminal's NO_SIGNAL ticket into an incident's). */
    async mergeIfUntouched(tx: Tx, id: string, intoId: string, note: string): Promise<AutoResolveOutcome> {
      const cur = await tx.ticket.findUnique({ where: { id }, include: withDevice });
      if (!cur || isDone(cur.status)) return 'none';
      if ((UNTOUCHED_STATUSES as readonly string[]).includes(cur.status) && cur.assigneeId === null) {
        await change(tx, cur, { toStatus: 'MERGED', mergedIntoId: intoId, note }, null);
        return 'resolved';
      }
      await addEvent(tx, cur, 'COMMENT', note, 'INTERNAL', null, { auto: true, incidentTicketId: intoId });
      return 'commented';
    },

    /** A page of the on-call engineer (paged, escalated, acknowledged), on the ticket's internal timeline. */
    async addPageEvent(id: string, body: string, data: unknown) {
      await db.$transaction(async (t) => {
        const cur = await t.ticket.findUnique({ where: { id } });
        if (cur) await addEvent(t, cur, 'PAGE', body, 'INTERNAL', null, data);
      }, TX);
    },

    /** A notification about the ticket and its delivery state (queued, sent, failed...), on the internal timeline. */
    async addNotificationEvent(id: string, body: string, data: unknown) {
      await db.$transaction(async (t) => {
        const cur = await t.ticket.findUnique({ where: { id } });
        if (cur) await addEvent(t, cur, 'NOTIFICATION', body, 'INTERNAL', null, data);
      }, TX);
    },

    /** An internal note by the platform (watchdog, incidents). */

    async addSystemNote(id: string, body: string, data?: unknown, tx?: Tx) {
      const run = async (t: Tx) => {
        const cur = await t.ticket.findUnique({ where: { id } });
        if (cur) await addEvent(t, cur, 'COMMENT', body, 'INTERNAL', null, data);
      };
      return tx ? run(tx) : db.$transaction(run, TX);
    },
  };
  return { ...service, ...incidentTicketSteps(service) };
}

export type TicketService = ReturnType<typeof createTicketService>;
