// The service history: an append-only log of dated changes that affect what a contract owes.
// The domains that make a change (CRM contracts, devices) call `record` inside their own
// transaction, so a change and its history commit or roll back together; only billing writes
// the table. Rating replays the log for a period (service-timeline.ts).

import type { ServiceEventKind } from '../prisma/generated/enums.js';
import type { Prisma } from '../src/platform/database.js';
import { zonedMidnight } from './period.js';

export type { ServiceEventKind };

export interface ServiceEventInput {
  contractId: string;
  deviceId?: string | null;
  kind: ServiceEventKind;
  tariffPlanId?: string | null;
  previousTariffPlanId?: string | null;
  /** When the change takes effect; default: now. */
  at?: Date;
  /** Instead of `at`: a local calendar day "YYYY-MM-DD", effective from its local midnight. */
  effectiveDay?: string;
  reason?: string | null;
}

export interface ServiceHistory {
  record(tx: Prisma.TransactionClient, events: ServiceEventInput[]): Promise<void>;
}

export function createServiceHistory({ timeZone }: { timeZone: string }): ServiceHistory {
  const effective = (e: ServiceEventInput): Date => {
    if (e.effectiveDay) {
      const [y, m, d] = e.effectiveDay.split('-').map(Number) as [number, number, number];
      return zonedMidnight(y, m, d, timeZone);
    }
    return e.at ?? new Date();
  };
  return {
    async record(tx, events) {
      if (events.length === 0) return;
      await tx.serviceEvent.createMany({
        data: events.map((e) => ({
          contractId: e.contractId,
          deviceId: e.deviceId ?? null,
          kind: e.kind,
          tariffPlanId: e.tariffPlanId ?? null,
          previousTariffPlanId: e.previousTariffPlanId ?? null,
          at: effective(e),
          reason: e.reason ?? null,
        })),
      });
    },
  };
}
