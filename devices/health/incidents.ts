// Network incidents: many terminals silent together are one problem for the system group, so
// they are linked to one open MASS_SILENCE incident with one ticket instead of a ticket each.
// Incident changes are serialised with a transaction-scoped advisory lock, so concurrent
// workers agree on one open incident and on who resolves it.

import type { EventService } from '../../src/events/index.js';
import type { Db, Prisma } from '../../src/platform/database.js';
import type { TicketService } from '../../src/service-desk/index.js';
import type { TerminalInfo } from './terminal-cache.js';

type Tx = Prisma.TransactionClient;

export const MASS_SILENCE = 'MASS_SILENCE';
const lock = (tx: Tx) => tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext('nx:incident:${MASS_SILENCE}'))`);

/**
 * An incident settles when this share of its terminals (in basis points) reports again and
 * nothing has joined or recovered for SETTLE_QUIET_MS: the network problem is over, and the few
 * terminals still silent are problems of their own (broken, removed, out of power).
 */
export const SETTLE_SHARE_BP = 9_000;
export const SETTLE_QUIET_MS = 30 * 60_000;

/** A settled incident and its terminals that never reported again. */
export interface SettledIncident {
  incidentId: string;
  total: number;
  stillSilent: { deviceId: string; serial: string; silentSince: Date }[];
}

export interface SilentTerminal {
  info: TerminalInfo;
  silentSince: Date;
}

export function createIncidentTracker({ db, tickets, events }: { db: Db; tickets: TicketService; events: Pick<EventService, 'emit'> }) {
  /**
   * Resolves an open incident with its tickets (those nobody works on; see autoResolve) and
   * announces it, under the caller's lock; false if it was no longer open.
   */
  async function resolveIn(tx: Tx, incidentId: string, now: Date, note: string, payload: Record<string, number>): Promise<boolean> {
    const n = await tx.incident.updateMany({ where: { id: incidentId, status: 'OPEN' }, data: { status: 'RESOLVED', resolvedAt: now } });
    if (n.count === 0) return false;
    await tickets.resolveIncidentTickets(tx, incidentId, note);
    await events.emit(tx, [
      { type: 'incident.resolved', customerId: null, deviceId: null, payload: { id: incidentId, kind: MASS_SILENCE, ...payload } },
    ]);
    return true;
  }

  return {
    /**
     * Links silent terminals to the open mass-silence incident (opening it and its SYSTEM ticket
     * if needed) and folds per-terminal NO_SIGNAL tickets of `earlier` serials, opened before the
     * storm was recognised, into the incident ticket.
     */
    async join(silent: SilentTerminal[], earlierSerials: string[], now: Date) {
      return db.$transaction(
        async (tx) => {
          await lock(tx);
          let incident = await tx.incident.findFirst({ where: { kind: MASS_SILENCE, status: 'OPEN' }, orderBy: { startedAt: 'desc' } });
          const opened = !incident;
          if (!incident) {
            const startedAt = new Date(Math.min(now.getTime(), ...silent.map((s) => s.silentSince.getTime())));
            incident = await tx.incident.create({
              data: {
                kind: MASS_SILENCE,
                title: 'Mass silence: many terminals stopped reporting together',
                startedAt,
                description: 'Opened by the health watchdog (storm rule).',
              },
            });
          }
          const incidentId = incident.id;
          const { ticket } = await tickets.createAutoIn(tx, {
            kind: 'INCIDENT',
            subject: incident.title,
            description: `Network incident ${incidentId}: terminals went silent together (base station or gateway outage?). Linked terminals are listed on the incident; it resolves itself when all of them report again.`,
            priority: 'CRITICAL',
            group: 'SYSTEM',
            incidentId,
            dedupKey: `INCIDENT:${incidentId}`,
          });

          const linked = await tx.incidentDevice.createMany({
            data: silent.map((s) => ({ incidentId, deviceId: s.info.deviceId, silentSince: s.silentSince })),
            skipDuplicates: true,
          });

          // Terminals silenced just before the storm was recognised already have their own ticket.
          let folded = 0;
          if (earlierSerials.length) {
            const early = await tickets.foldIntoIncident(tx, {
              incidentId,
              intoId: ticket.id,
              dedupKeys: earlierSerials.map((s) => `NO_SIGNAL:${s}`),
              note: `Part of network incident ${incidentId}; followed on ticket #${ticket.number}.`,
            });
            if (early.length) {
              const data = early.map((t) => ({ incidentId, deviceId: t.deviceId, silentSince: t.since }));
              await tx.incidentDevice.createMany({ data, skipDuplicates: true });
            }
            folded = early.filter((t) => t.outcome !== 'none').length;
          }

          await events.emit(
            tx,
            silent.map((s) => ({
              type: 'device.silent',
              customerId: s.info.customerId,
              deviceId: s.info.deviceId,
              payload: { serial: s.info.serial, lastSeenAt: s.silentSince.toISOString(), incidentId, ticketId: null },
            })),
          );
          if (opened) {
            await events.emit(tx, [
              {
                type: 'incident.opened',
                customerId: null,
                deviceId: null,
                payload: { id: incidentId, kind: MASS_SILENCE, ticketId: ticket.id, terminals: silent.length },
              },
            ]);
          } else if (linked.count > 0) {
            await tickets.addSystemNote(ticket.id, `${linked.count} more terminals joined the incident.`, { joined: linked.count }, tx);
          }
          return { incidentId, ticketId: ticket.id, opened, linked: linked.count, folded };
        },
        { maxWait: 10_000, timeout: 30_000 },
      );
    },

    /**
     * Resolves open incidents that have settled (see SETTLE_SHARE_BP) with their tickets, and
     * returns the terminals still silent in each, for the caller to ticket one by one. Their
     * links stay unrecovered, so the incident keeps the record of who never came back.
     */
    async settle(now: Date): Promise<SettledIncident[]> {
      const cutoff = new Date(now.getTime() - SETTLE_QUIET_MS).toISOString();
      const due = await db.$queryRaw<{ id: string }[]>`
        SELECT i."id"::text AS id FROM "Incident" i JOIN "IncidentDevice" d ON d."incidentId" = i."id"
        WHERE i."status" = 'OPEN' AND i."kind" = ${MASS_SILENCE}
        GROUP BY i."id"
        HAVING count(d."recoveredAt") * 10000 >= count(*) * ${SETTLE_SHARE_BP} AND count(d."recoveredAt") < count(*)
           AND GREATEST(max(d."recoveredAt"), max(d."silentSince")) <= (${cutoff}::timestamptz AT TIME ZONE 'UTC')`;
      const out: SettledIncident[] = [];
      for (const { id: incidentId } of due) {
        const settled = await db.$transaction(
          async (tx) => {
            await lock(tx);
            const links = await tx.incidentDevice.findMany({
              where: { incidentId },
              select: { deviceId: true, silentSince: true, recoveredAt: true, device: { select: { serial: true } } },
            });
            const stillSilent = links
              .filter((l) => !l.recoveredAt)
              .map((l) => ({ deviceId: l.deviceId, serial: l.device.serial, silentSince: l.silentSince }));
            const note = `${links.length - stillSilent.length} of ${links.length} terminals report again; the ${stillSilent.length} still silent get tickets of their own.`;
            // Resolved meanwhile (the last terminals came back): nothing to settle.
            if (!(await resolveIn(tx, incidentId, now, note, { terminals: links.length, stillSilent: stillSilent.length }))) return null;
            return { incidentId, total: links.length, stillSilent };
          },
          { maxWait: 10_000, timeout: 30_000 },
        );
        if (settled) out.push(settled);
      }
      return out;
    },

    /**
     * Marks a terminal recovered in the open incidents it belongs to; an incident whose
     * terminals have all reported again is resolved with its ticket (if nobody works on it).
     * The mark commits before the check, so of several last terminals recovering at once the
     * one checking last sees them all; only the resolution itself takes the lock.
     */
    async recover(deviceId: string, now: Date): Promise<{ incidentId: string; resolved: boolean }[]> {
      const links = await db.incidentDevice.updateManyAndReturn({
        where: { deviceId, recoveredAt: null, incident: { status: 'OPEN' } },
        data: { recoveredAt: now },
        select: { incidentId: true },
      });
      if (!links.length) return [];
      const out: { incidentId: string; resolved: boolean }[] = [];
      for (const { incidentId } of links) {
        const waiting = await db.incidentDevice.findFirst({ where: { incidentId, recoveredAt: null }, select: { deviceId: true } });
        if (waiting) {
          out.push({ incidentId, resolved: false });
          continue;
        }
        // Several last terminals may get here together; one resolves, the others need not queue for the lock.
        const state = await db.incident.findUnique({ where: { id: incidentId }, select: { status: true } });
        if (state?.status !== 'OPEN') {
          out.push({ incidentId, resolved: false });
          continue;
        }
        const resolved = await db.$transaction(
          async (tx) => {
            await lock(tx);
            // A terminal may have joined between the check and the lock.
            if (await tx.incidentDevice.findFirst({ where: { incidentId, recoveredAt: null }, select: { deviceId: true } })) return false;
            const total = await tx.incidentDevice.count({ where: { incidentId } });
            return resolveIn(tx, incidentId, now, `All ${total} terminals of the incident report again.`, { terminals: total });
          },
          { maxWait: 10_000, timeout: 30_000 },
        );
        out.push({ incidentId, resolved });
      }
      return out;
    },
  };
}

export type IncidentTracker = ReturnType<typeof createIncidentTracker>;
