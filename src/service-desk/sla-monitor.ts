// SLA monitor: run every minute on the shared scheduler (job `tickets.sla-monitor`). It marks
// tickets whose first-response or resolution due date passed, writes an SLA_BREACH history row
// and emits `ticket.sla_breached` (operator-internal: escalation notifications, not webhooks).
// Paused clocks (waiting on the customer) never breach; their due dates move when they resume.

import type { EventService } from '../events/index.js';
import type { Db } from '../platform/database.js';
import type { Logger } from '../platform/logger.js';
import { DONE_STATUSES } from './ticket.schemas.js';
import { ticketEventPayload } from './ticket.view.js';

export const SLA_MONITOR_JOB = 'tickets.sla-monitor';
// Tickets marked per kind per run; a backlog drains over the next minutes instead of one huge run.
const BATCH = 500;

type Clock = 'FIRST_RESPONSE' | 'RESOLUTION';

export interface SlaMonitorDeps {
  db: Db;
  events: Pick<EventService, 'emit'>;
  log?: Logger;
  now?: () => Date;
}

export function createSlaMonitor({ db, events, log, now = () => new Date() }: SlaMonitorDeps) {
  const running = { status: { notIn: [...DONE_STATUSES] }, slaPausedAt: null };

  /** Marks one breach; the conditional update makes concurrent runs mark (and notify) once. */
  async function mark(id: string, clock: Clock, at: Date): Promise<boolean> {
    return db.$transaction(async (tx) => {
      const flag = clock === 'FIRST_RESPONSE' ? { firstResponseBreached: false } : { resolutionBreached: false };
      const set = clock === 'FIRST_RESPONSE' ? { firstResponseBreached: true } : { resolutionBreached: true };
      const n = await tx.ticket.updateMany({ where: { id, ...running, ...flag }, data: set });
      if (n.count === 0) return false;
      const t = await tx.ticket.findUniqueOrThrow({ where: { id }, include: { device: { select: { serial: true } } } });
      const dueAt = clock === 'FIRST_RESPONSE' ? t.firstResponseDueAt : t.resolutionDueAt;
      const what = clock === 'FIRST_RESPONSE' ? 'First response' : 'Resolution';
      await tx.ticketEvent.create({
        data: {
          ticketId: id,
          kind: 'SLA_BREACH',
          visibility: 'INTERNAL',
          body: `${what} target missed (due ${dueAt?.toISOString()})`,
          data: { sla: clock, dueAt: dueAt?.toISOString() ?? null },
          createdAt: at,
        },
      });
      await events.emit(tx, [
        {
          type: 'ticket.sla_breached',
          // Operator-internal: escalation goes to the desk and group leads, not to customer webhooks.
          customerId: null,
          deviceId: t.deviceId,
          payload: {
            ...ticketEventPayload(t, { sla: clock }),
            customerId: t.customerId,
            assigneeId: t.assigneeId,
            sla: clock,
            dueAt: dueAt?.toISOString() ?? null,
          },
        },
      ]);
      return true;
    });
  }

  return {
    /** One pass: returns how many tickets newly breached each clock. */
    async sweep(): Promise<{ firstResponse: number; resolution: number }> {
      const at = now();
      const late = async (clock: Clock) => {
        const where =
          clock === 'FIRST_RESPONSE'
            ? { ...running, firstRespondedAt: null, firstResponseBreached: false, firstResponseDueAt: { lt: at } }
            : { ...running, resolutionBreached: false, resolutionDueAt: { lt: at } };
        const rows = await db.ticket.findMany({ where, select: { id: true }, orderBy: { createdAt: 'asc' }, take: BATCH });
        let marked = 0;
        for (const r of rows) if (await mark(r.id, clock, at)) marked++;
        return marked;
      };
      const result = { firstResponse: await late('FIRST_RESPONSE'), resolution: await late('RESOLUTION') };
      if (result.firstResponse || result.resolution) log?.info(result, 'SLA breaches marked');
      return result;
    },
  };
}

export type SlaMonitor = ReturnType<typeof createSlaMonitor>;
