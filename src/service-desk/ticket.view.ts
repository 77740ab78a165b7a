import type { Principal } from '../auth/index.js';
import { customerScope } from '../auth/index.js';
import type { Prisma } from '../platform/database.js';
import { type BusinessCalendar, calendarFor, remainingBusinessMinutes, slaPolicyFor } from './sla.js';

/**
 * Prisma `where` on Ticket: an end user sees the tickets of its own customer record; a
 * contractor those of the end users it manages (and its own), plus tickets about terminals it
 * maintains. Staff see everything.
 */
export function ticketScopeWhere(p: Principal): { AND: Prisma.TicketWhereInput[] } {
  // Always `{ AND: [...] }`, like the scopes in auth: spread or combined, it only narrows.
  const scope = customerScope(p);
  if (scope === null) return { AND: [] };
  if ('contractorId' in scope) {
    return {
      AND: [
        {
          OR: [
            { customerId: scope.contractorId },
            { customer: { contractorId: scope.contractorId } },
            { device: { contractorId: scope.contractorId } },
          ],
        },
      ],
    };
  }
  return { AND: [{ customerId: scope.customerId }] };
}

export interface TicketRow {
  id: string;
  number: number;
  kind: string;
  source: string;
  status: string;
  priority: string;
  group: string;
  subject: string;
  description: string | null;
  customerId: string | null;
  deviceId: string | null;
  incidentId: string | null;
  faultCode: number | null;
  safety: boolean;
  assigneeId: string | null;
  createdById: string | null;
  mergedIntoId: string | null;
  resolutionNote: string | null;
  resolvedAt: Date | null;
  closedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  device?: { serial: string } | null;
  customer?: { tier: string } | null;
  firstResponseDueAt: Date | null;
  resolutionDueAt: Date | null;
  firstRespondedAt: Date | null;
  slaPausedAt: Date | null;
  slaPausedSeconds: number;
  firstResponseBreached: boolean;
  resolutionBreached: boolean;
  visitScheduledAt: Date | null;
  visitAddress: string | null;
  knowledgeArticleId: string | null;
}

/**
 * The SLA block of a ticket: due dates, business minutes left (negative once overdue; counted
 * up to the pause while waiting on the customer) and breach flags. Finished clocks show null.
 */
export function slaView(t: TicketRow, now: Date, base: BusinessCalendar) {
  const policy = slaPolicyFor({ tier: t.customer?.tier, priority: t.priority, source: t.source, kind: t.kind, safety: t.safety });
  const cal = calendarFor(base, policy);
  const asOf = t.slaPausedAt ?? now;
  const done = ['RESOLVED', 'CLOSED', 'MERGED'].includes(t.status);
  return {
    tier: policy.tier,
    businessHours: policy.allHours ? '24x7' : 'business',
    firstResponseDueAt: t.firstResponseDueAt,
    resolutionDueAt: t.resolutionDueAt,
    firstRespondedAt: t.firstRespondedAt,
    paused: t.slaPausedAt !== null,
    pausedSince: t.slaPausedAt,
    pausedSeconds: t.slaPausedSeconds,
    firstResponseRemainingMinutes:
      t.firstRespondedAt || done || !t.firstResponseDueAt ? null : remainingBusinessMinutes(asOf, t.firstResponseDueAt, cal),
    resolutionRemainingMinutes: done || !t.resolutionDueAt ? null : remainingBusinessMinutes(asOf, t.resolutionDueAt, cal),
    firstResponseBreached: t.firstResponseBreached,
    resolutionBreached: t.resolutionBreached,
  };
}

/** API shape of a ticket; the dedup key stays inside. `sla` comes from `slaView` when the caller has a clock. */
export function ticketView(t: TicketRow, sla?: ReturnType<typeof slaView>) {
  return {
    id: t.id,
    number: t.number,
    kind: t.kind,
    source: t.source,
    status: t.status,
    priority: t.priority,
    group: t.group,
    subject: t.subject,
    description: t.description,
    customerId: t.customerId,
    deviceId: t.deviceId,
    serial: t.device?.serial ?? null,
    incidentId: t.incidentId,
    faultCode: t.faultCode,
    safety: t.safety,
    assigneeId: t.assigneeId,
    createdById: t.createdById,
    mergedIntoId: t.mergedIntoId,
    resolutionNote: t.resolutionNote,
    knowledgeArticleId: t.knowledgeArticleId,
    visitScheduledAt: t.visitScheduledAt,
    visitAddress: t.visitAddress,
    resolvedAt: t.resolvedAt,
    closedAt: t.closedAt,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    ...(sla ? { sla } : {}),
  };
}
export type TicketView = ReturnType<typeof ticketView>;

export interface TicketEventRow {
  id: bigint;
  kind: string;
  actorId: string | null;
  visibility: string;
  body: string | null;
  data: unknown;
  createdAt: Date;
}

export function ticketEventView(e: TicketEventRow) {
  return {
    id: Number(e.id),
    kind: e.kind,
    actorId: e.actorId,
    visibility: e.visibility,
    body: e.body,
    data: e.data ?? null,
    createdAt: e.createdAt,
  };
}

/** What a ticket event carries to consumers (webhooks of the ticket's customer, live feed). */
export function ticketEventPayload(t: TicketRow, changes: Record<string, unknown> = {}) {
  return {
    id: t.id,
    number: t.number,
    kind: t.kind,
    status: t.status,
    priority: t.priority,
    group: t.group,
    subject: t.subject,
    serial: t.device?.serial ?? null,
    incidentId: t.incidentId,
    faultCode: t.faultCode,
    safety: t.safety,
    changes,
  };
}
