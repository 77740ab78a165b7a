// Dunning: reminders at configured days overdue, suspension of the contract at N days overdue,
// reactivation as soon as the overdue balance is cleared. Every step writes a DunningNotice
// (unique per invoice and level), so running the daily job twice sends nothing twice.

import type { ContractService } from '../src/crm/index.js';
import type { Db } from '../src/platform/database.js';
import type { Logger } from '../src/platform/logger.js';
import type { EventEmitter } from './invoice-issuer.js';
import { balanceOf, n } from './money.js';

const DAY_MS = 86_400_000;
export const DUNNING_REASON = 'DUNNING';

/** The CRM contract service: the owner of contracts changes their status for dunning. */
export type ContractStatusOwner = Pick<ContractService, 'suspendBySystem' | 'reactivateBySystem'>;

export interface DunningDeps {
  db: Db;
  events: EventEmitter;
  contracts: ContractStatusOwner;
  log: Logger;
  reminderDays: number[];
  suspendDays: number;
  /** Applies pending customer credit; returns the contracts whose invoices it settled (or reduced). */
  applyCredit?: () => Promise<string[]>;
}

export function daysOverdue(dueAt: Date, asOf: Date): number {
  return Math.floor((asOf.getTime() - dueAt.getTime()) / DAY_MS);
}

export function createDunningService(d: DunningDeps) {
  const { db, events, contracts } = d;
  const log = d.log.child({ component: 'dunning' });
  const reminders = [...new Set(d.reminderDays)].filter((x) => x > 0 && x !== d.suspendDays).sort((a, b) => a - b);

  // The contract service writes the change, its audit row and the contract.suspended event in
  // one transaction and drops the terminals' cached credentials after commit.
  async function suspend(contractId: string, invoice: { id: string; number: string | null }, overdue: number): Promise<boolean> {
    const reason = `${DUNNING_REASON}: invoice ${invoice.number} ${overdue} days overdue`;
    const changed = await contracts.suspendBySystem(contractId, { reason, detail: { invoiceId: invoice.id } });
    if (changed) log.info({ contractId, invoice: invoice.number, overdue }, 'contract suspended for non-payment');
    return changed;
  }

  /**
   * After a payment or credit: a contract suspended by dunning is reactivated once none of its
   * invoices is past due with a balance.
   */
  async function reactivateIfCleared(contractId: string, now: Date = new Date()): Promise<boolean> {
    const contract = await db.contract.findUnique({ where: { id: contractId } });
    if (contract?.status !== 'SUSPENDED' || !contract.suspensionReason?.startsWith(DUNNING_REASON)) return false;
    // Past due by the clock, or already in dunning (covers catch-up runs with an explicit asOf).
    const open = await db.invoice.findMany({
      where: { contractId, status: 'ISSUED', OR: [{ dueAt: { lt: now } }, { dunningNotices: { some: {} } }] },
    });
    if (open.some((i) => balanceOf(i) > 0n)) return false;
    const changed = await contracts.reactivateBySystem(contractId, { reasonPrefix: DUNNING_REASON });
    if (changed) log.info({ contractId }, 'contract reactivated after payment');
    return changed;
  }

  return {
    /** The daily job; `asOf` lets tests and catch-up runs pick the day. */
    async run(asOf: Date = new Date()) {
      // Balances after credit: credit still waiting (an application that failed after a run)
      // is applied first, and what it cleared is reactivated.
      const credited = d.applyCredit ? await d.applyCredit() : [];
      for (const contractId of new Set(credited)) await reactivateIfCleared(contractId);
      const candidates = await db.invoice.findMany({
        where: { status: 'ISSUED', dueAt: { lt: new Date(asOf.getTime() - DAY_MS + 1) } },
        include: { dunningNotices: { select: { level: true } } },
        orderBy: { dueAt: 'asc' },
      });
      let remindersSent = 0;
      let suspended = 0;
      for (const inv of candidates) {
        const balance = balanceOf(inv);
        if (balance <= 0n || !inv.dueAt) continue;
        const overdue = daysOverdue(inv.dueAt, asOf);
        const sent = new Set(inv.dunningNotices.map((x) => x.level));
        const due = reminders.filter((lvl) => overdue >= lvl && !sent.has(lvl));
        if (due.length > 0) {
          const level = due[due.length - 1]!;
          const created = await db.$transaction(async (tx) => {
            // Levels skipped while the job was not running are recorded, but one reminder goes out.
            const res = await tx.dunningNotice.createMany({
              data: due.map((lvl) => ({ invoiceId: inv.id, level: lvl, action: 'REMINDER' })),
              skipDuplicates: true,
            });
            if (res.count === 0) return false;
            await events.emit(tx, [
              {
                type: 'invoice.overdue',
                customerId: inv.customerId,
                deviceId: null,
                payload: {
                  invoiceId: inv.id,
                  number: inv.number,
                  contractId: inv.contractId,
                  daysOverdue: overdue,
                  level,
                  balanceMinor: n(balance),
                  currency: inv.currency,
                  dueAt: inv.dueAt,
                },
              },
            ]);
            return true;
          });
          if (created) remindersSent++;
        }
        if (overdue >= d.suspendDays && !sent.has(d.suspendDays)) {
          const res = await db.dunningNotice.createMany({
            data: [{ invoiceId: inv.id, level: d.suspendDays, action: 'SUSPENSION' }],
            skipDuplicates: true,
          });
          if (res.count > 0 && (await suspend(inv.contractId, inv, overdue))) suspended++;
        }
      }
      if (remindersSent || suspended) log.info({ remindersSent, suspended }, 'dunning run');
      return { remindersSent, suspended };
    },

    reactivateIfCleared,
  };
}

export type DunningService = ReturnType<typeof createDunningService>;
