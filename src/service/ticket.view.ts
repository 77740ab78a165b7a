import type { Principal } from '../auth/principal.js';
import { customerScope } from '../auth/principal.js';

/**
 * Prisma `where` on Ticket: an end user sees the tickets of its own customer record; a
 * contractor those of the end users it manages (and its own), plus tickets about terminals it
 * maintains. Staff see everything.
 */
export function ticketScopeWhere(p: Principal) {
  const scope = customerScope(p);
  if (scope === null) return {};
  if ('contractorId' in scope) {
    return {
      OR: [
        { customerId: scope.contractorId },
        { customer: { contractorId: scope.contractorId } },
        { device: { contractorId: scope.contractorId } },
      ],
    };
  }
  return { customerId: scope.customerId };
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
  assigneeId: string | null;
  createdById: string | null;
  mergedIntoId: string | null;
  resolutionNote: string | null;
  resolvedAt: Date | null;
  closedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  device?: { serial: string } | null;
}

/** API shape of a ticket; the dedup key and SLA internals stay inside. */
export function ticketView(t: TicketRow) {
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
    assigneeId: t.assigneeId,
    createdById: t.createdById,
    mergedIntoId: t.mergedIntoId,
    resolutionNote: t.resolutionNote,
    resolvedAt: t.resolvedAt,
    closedAt: t.closedAt,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
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
  return { id: Number(e.id), kind: e.kind, actorId: e.actorId, visibility: e.visibility, body: e.body, data: e.data ?? null, createdAt: e.createdAt };
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
    changes,
  };
}
