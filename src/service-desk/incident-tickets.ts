// The tickets side of network incidents: the health watchdog groups silent terminals into an
// incident, and these steps put the matching ticket changes in the watchdog's transaction, so
// the service desk stays the only writer of tickets.
import type { Prisma } from '../platform/database.js';
import { DONE_STATUSES } from './ticket.schemas.js';

type Tx = Prisma.TransactionClient;
type Outcome = 'resolved' | 'commented' | 'none';

interface AutoSteps {
  autoResolve(ref: { id: string }, note: string, tx: Tx): Promise<Outcome>;
  mergeIfUntouched(tx: Tx, id: string, intoId: string, note: string): Promise<Outcome>;
}

/** A terminal's own ticket folded into an incident: where the terminal joins the incident from. */
export interface FoldedTicket {
  deviceId: string;
  /** When the terminal's ticket was opened, i.e. since when it is known silent. */
  since: Date;
  outcome: Outcome;
}

export function incidentTicketSteps(steps: AutoSteps) {
  return {
    /** Resolves an incident's open INCIDENT tickets that nobody works on (autoResolve's rules). */
    async resolveIncidentTickets(tx: Tx, incidentId: string, note: string): Promise<void> {
      const open = await tx.ticket.findMany({
        where: { incidentId, kind: 'INCIDENT', status: { notIn: [...DONE_STATUSES] } },
        select: { id: true },
      });
      for (const t of open) await steps.autoResolve({ id: t.id }, note, tx);
    },

    /**
     * Links the open tickets holding these dedup keys (terminals' own tickets, opened before the
     * incident was recognised) to the incident, and merges each into the incident's ticket if
     * nobody has started on it (else leaves an internal note). Tickets without a terminal are left.
     */
    async foldIntoIncident(tx: Tx, f: { incidentId: string; intoId: string; dedupKeys: string[]; note: string }): Promise<FoldedTicket[]> {
      if (!f.dedupKeys.length) return [];
      const early = await tx.ticket.findMany({
        where: { dedupKey: { in: f.dedupKeys } },
        select: { id: true, deviceId: true, createdAt: true },
      });
      const out: FoldedTicket[] = [];
      for (const t of early) {
        if (!t.deviceId) continue;
        await tx.ticket.update({ where: { id: t.id }, data: { incidentId: f.incidentId } });
        out.push({ deviceId: t.deviceId, since: t.createdAt, outcome: await steps.mergeIfUntouched(tx, t.id, f.intoId, f.note) });
      }
      return out;
    },
  };
}
