// Alarms in Postgres: what the engine's transitions do (raise, repeat, clear) and what people
// do (list, acknowledge, clear). One open alarm per terminal and rule (openKey); a raise, an
// acknowledgement and a clear each emit `device.alarm` in the same transaction. Lifecycle:
// ACTIVE_UNACK -> ACTIVE_ACK (acknowledged) -> CLEARED_ACK, or ACTIVE_UNACK -> CLEARED_UNACK
// (cleared first) -> CLEARED_ACK.
import type { AuditService } from '../../src/audit/index.js';
import { type Ctx, customerScope, isStaff } from '../../src/auth/index.js';
import type { EventService } from '../../src/events/index.js';
import type { Db, Prisma } from '../../src/platform/database.js';
import { notFound } from '../../src/platform/errors.js';
import type { Logger } from '../../src/platform/logger.js';
import { page, pageArgs } from '../../src/platform/pagination.js';
import type { TicketPriority, TicketService } from '../../src/service-desk/index.js';
import { type AlarmRow, alarmView } from './alarm.view.js';
import type { RepeatTransition, StateTransition, Transition } from './alarm-engine.js';
import type { AlarmFilter, AlarmSeverity, AlarmStatus } from './alarm-rule.schemas.js';
import type { AlarmStateStore } from './alarm-state.js';

type Tx = Prisma.TransactionClient;

export type AlarmAction = 'raised' | 'acknowledged' | 'cleared';

const PRIORITY: Record<AlarmSeverity, TicketPriority> = { CRITICAL: 'CRITICAL', MAJOR: 'HIGH', MINOR: 'NORMAL', WARNING: 'LOW' };
const withDevice = { device: { select: { serial: true, label: true } } } as const;
export const openKeyOf = (ruleId: string, deviceId: string) => `${ruleId}:${deviceId}`;
const ticketKeyOf = (alarmId: string) => `ALARM:${alarmId}`;

/** Prisma `where` on Alarm: staff see all; a contractor the terminals it maintains or owns; an end user its own. */
export function alarmScopeWhere(p: Ctx['actor']): { AND: Prisma.AlarmWhereInput[] } {
  const scope = customerScope(p);
  if (scope === null) return { AND: [] };
  if ('contractorId' in scope) return { AND: [{ OR: [{ contractorId: scope.contractorId }, { customerId: scope.contractorId }] }] };
  return { AND: [{ customerId: scope.customerId }] };
}

export interface AlarmServiceDeps {
  db: Db;
  audit: AuditService;
  events: Pick<EventService, 'emit'>;
  tickets: Pick<TicketService, 'createAutoIn' | 'autoResolve'>;
  state: Pick<AlarmStateStore, 'reset'>;
  log: Logger;
  /** Pages the on-call person of the ticket's group (notifications); absent, nobody is paged. */
  page?: ((ticketId: string) => Promise<unknown>) | undefined;
}

export function createAlarmService({ db, audit, events, tickets, state, log, page: pageOnCall }: AlarmServiceDeps) {
  async function emitAlarm(tx: Tx, action: AlarmAction, a: AlarmRow & { device: { serial: string; label: string | null } | null }) {
    await events.emit(tx, [{ type: 'device.alarm', customerId: a.customerId, deviceId: a.deviceId, payload: { action, ...alarmView(a) } }]);
  }

  async function raise(t: StateTransition): Promise<void> {
    const { rule, uplink: u } = t;
    const key = openKeyOf(rule.id, u.deviceId);
    const at = new Date(u.receivedAtMs);
    const details = { field: rule.raise.field, value: t.value, seq: u.seq } as Prisma.InputJsonValue;
    const paged = await db.$transaction(async (tx) => {
      const open = await tx.alarm.findUnique({ where: { openKey: key }, select: { id: true, ticketId: true } });
      // Open already (Redis lost the streak, or a retried job): a repeat, not a second alarm.
      if (open) {
        await tx.alarm.update({ where: { id: open.id }, data: { count: { increment: 1 }, lastSeenAt: at, details } });
        return null;
      }
      const a = await tx.alarm.create({
        data: {
          ruleId: rule.id,
          ruleName: rule.name,
          deviceId: u.deviceId,
          customerId: u.customerId,
          contractorId: u.contractorId,
          severity: rule.severity,
          openKey: key,
          firstSeenAt: at,
          lastSeenAt: at,
          details,
        },
        include: withDevice,
      });
      let ticketId: string | null = null;
      if (rule.createTicket) {
        const { ticket } = await tickets.createAutoIn(tx, {
          kind: 'ALARM',
          subject: `${rule.name} on terminal ${u.serial}`,
          description: `Alarm rule "${rule.name}" (${rule.severity}) raised on terminal ${u.serial} (${u.modelCode}): ${rule.raise.field} = ${JSON.stringify(t.value)} at ${at.toISOString()}.`,
          priority: PRIORITY[rule.severity],
          group: rule.ticketGroup,
          customerId: u.customerId,
          deviceId: u.deviceId,
          openedAt: at,
          dedupKey: ticketKeyOf(a.id),
        });
        ticketId = ticket.id;
        await tx.alarm.update({ where: { id: a.id }, data: { ticketId } });
      }
      await emitAlarm(tx, 'raised', { ...a, ticketId });
      return rule.notify && ticketId ? ticketId : null;
    });
    if (paged && pageOnCall) await pageOnCall(paged);
  }

  /** Many repeats in one statement: the batch's count and latest time per open alarm. */
  async function repeat(list: RepeatTransition[]): Promise<void> {
    if (!list.length) return;
    const rows = list.map((t) => ({
      k: openKeyOf(t.rule.id, t.uplink.deviceId),
      n: t.n,
      t: new Date(t.uplink.receivedAtMs).toISOString(),
      d: { field: t.rule.raise.field, value: t.value, seq: t.uplink.seq },
    }));
    await db.$executeRawUnsafe(
      `UPDATE "Alarm" a SET count = a.count + v.n, "lastSeenAt" = greatest(a."lastSeenAt", v.t), details = v.d, "updatedAt" = now() AT TIME ZONE 'UTC'
         FROM jsonb_to_recordset($1::jsonb) AS v(k text, n int, t timestamp(3), d jsonb)
        WHERE a."openKey" = v.k`,
      JSON.stringify(rows),
    );
  }

  /** Clears an open alarm; `by` null when the condition cleared it. Returns the alarm, or null if none was open. */
  async function clearOpen(where: Prisma.AlarmWhereUniqueInput, by: string | null, note: string): Promise<AlarmRow | null> {
    const cleared = await db.$transaction(async (tx) => {
      const cur = await tx.alarm.findUnique({ where, include: withDevice });
      if (!cur || cur.openKey === null) return null;
      const n = await tx.alarm.updateMany({
        where: { id: cur.id, openKey: { not: null } },
        data: {
          openKey: null,
          status: cur.status === 'ACTIVE_ACK' ? 'CLEARED_ACK' : 'CLEARED_UNACK',
          clearedAt: new Date(),
          clearedById: by,
        },
      });
      if (n.count === 0) return null;
      const a = await tx.alarm.findUniqueOrThrow({ where: { id: cur.id }, include: withDevice });
      await emitAlarm(tx, 'cleared', a);
      return a;
    });
    if (cleared?.ticketId) await tickets.autoResolve({ id: cleared.ticketId }, note);
    return cleared;
  }

  async function visible(ctx: Ctx, id: string) {
    const a = await db.alarm.findFirst({ where: { id, ...alarmScopeWhere(ctx.actor) }, include: withDevice });
    if (!a) throw notFound('Alarm');
    return a;
  }

  return {
    /** Applies the engine's transitions of one batch in order (repeats gathered between raises and clears). */
    async apply(transitions: Transition[]): Promise<void> {
      let repeats: RepeatTransition[] = [];
      for (const t of transitions) {
        if (t.kind === 'repeat') {
          repeats.push(t);
          continue;
        }
        await repeat(repeats);
        repeats = [];
        if (t.kind === 'raise') await raise(t);
        else {
          const at = new Date(t.uplink.receivedAtMs).toISOString();
          const a = await clearOpen(
            { openKey: openKeyOf(t.rule.id, t.uplink.deviceId) },
            null,
            `Alarm "${t.rule.name}" cleared on terminal ${t.uplink.serial} at ${at}.`,
          );
          if (a) log.info({ alarmId: a.id, ruleId: t.rule.id, serial: t.uplink.serial }, 'alarm cleared by its condition');
        }
      }
      await repeat(repeats);
    },

    async list(ctx: Ctx, f: AlarmFilter, q: { limit: number; cursor?: string | undefined }) {
      const { cursorWhere, orderBy, take } = pageArgs(q);
      const status: Prisma.AlarmWhereInput =
        f.status === 'ACTIVE'
          ? { status: { in: ['ACTIVE_UNACK', 'ACTIVE_ACK'] } }
          : f.status === 'CLEARED'
            ? { status: { in: ['CLEARED_UNACK', 'CLEARED_ACK'] } }
            : f.status
              ? { status: f.status as AlarmStatus }
              : {};
      const rows = await db.alarm.findMany({
        where: {
          AND: [
            alarmScopeWhere(ctx.actor),
            cursorWhere,
            status,
            f.severity ? { severity: f.severity } : {},
            f.serial ? { device: { serial: f.serial } } : {},
            f.ruleId ? { ruleId: f.ruleId } : {},
            f.customerId ? { customerId: f.customerId } : {},
            f.from ? { createdAt: { gte: f.from } } : {},
            f.to ? { createdAt: { lt: f.to } } : {},
          ],
        },
        include: withDevice,
        orderBy,
        take,
      });
      return page(rows, q.limit, alarmView);
    },

    async get(ctx: Ctx, id: string) {
      return alarmView(await visible(ctx, id));
    },

    async acknowledge(ctx: Ctx, id: string) {
      const cur = await visible(ctx, id);
      const next: AlarmStatus | null = cur.status === 'ACTIVE_UNACK' ? 'ACTIVE_ACK' : cur.status === 'CLEARED_UNACK' ? 'CLEARED_ACK' : null;
      if (!next) return alarmView(cur);
      const a = await db.$transaction(async (tx) => {
        const n = await tx.alarm.updateMany({
          where: { id, status: cur.status },
          data: { status: next, acknowledgedAt: new Date(), acknowledgedById: ctx.actor.userId },
        });
        const now = await tx.alarm.findUniqueOrThrow({ where: { id }, include: withDevice });
        if (n.count === 1) {
          await emitAlarm(tx, 'acknowledged', now);
          await audit.record(
            {
              actor: ctx.actor,
              action: 'alarm.acknowledge',
              entityType: 'Alarm',
              entityId: id,
              before: { status: cur.status },
              after: { status: next },
              ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
            },
            tx,
          );
        }
        return now;
      });
      return alarmView(a);
    },

    /** A person clears an alarm; the engine forgets the streak, so the condition must build up again to re-raise it. */
    async clear(ctx: Ctx, id: string) {
      const cur = await visible(ctx, id);
      const who = isStaff(ctx.actor) ? 'staff' : 'the contractor';
      const a = await clearOpen({ id }, ctx.actor.userId, `Alarm "${cur.ruleName}" cleared by ${who}.`);
      if (!a) return alarmView(cur);
      if (a.ruleId) await state.reset(a.deviceId, a.ruleId);
      await audit.record({
        actor: ctx.actor,
        action: 'alarm.clear',
        entityType: 'Alarm',
        entityId: id,
        before: { status: cur.status },
        after: { status: a.status },
        ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
      });
      return alarmView(a);
    },
  };
}

export type AlarmService = ReturnType<typeof createAlarmService>;
