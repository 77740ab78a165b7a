// Applying customers' credit to their open invoices outside a payment: after a run issues
// invoices (credit from last month's overpayment settles this month's invoice), and before
// dunning looks at balances (so credit is always counted, even if an application failed).
import type { Db } from '../src/platform/database.js';
import type { Logger } from '../src/platform/logger.js';
import { appliedView, applyCredit, lockCustomerLedger, paidEvents } from './credit-ledger.js';
import type { EventEmitter } from './invoice-issuer.js';

type Pair = { customerId: string; currency: string };

export function createCreditApplier({ db, events, log }: { db: Db; events: EventEmitter; log: Logger }) {
  /** One customer and currency, in its own transaction; the contracts whose invoices it touched. */
  async function applyFor({ customerId, currency }: Pair): Promise<string[]> {
    return db.$transaction(async (tx) => {
      await lockCustomerLedger(tx, customerId);
      const applied = await applyCredit(tx, customerId, currency, new Date());
      if (applied.length === 0) return [];
      await events.emit(tx, [
        { type: 'credit.applied', customerId, deviceId: null, payload: { currency, allocations: applied.map(appliedView) } },
        ...paidEvents(customerId, applied),
      ]);
      return applied.map((a) => a.contractId);
    });
  }

  async function applyAll(pairs: Pair[]): Promise<string[]> {
    const touched: string[] = [];
    for (const p of pairs) {
      try {
        touched.push(...(await applyFor(p)));
      } catch (err) {
        log.error({ err: (err as Error).message, customerId: p.customerId }, 'applying credit failed');
      }
    }
    return touched;
  }

  return {
    /** After issuing: only the customers among them that hold credit (one query however many invoices). */
    async applyForCustomers(pairs: Pair[]): Promise<string[]> {
      if (pairs.length === 0) return [];
      const ids = [...new Set(pairs.map((p) => p.customerId))];
      const holders = await db.$queryRaw<Pair[]>`
        SELECT DISTINCT "customerId"::text AS "customerId", "currency" FROM "CreditEntry"
        WHERE "remainingMinor" > 0 AND "customerId" = ANY(${ids}::uuid[])`;
      return applyAll(holders);
    },

    /** Every customer holding credit while an invoice of the same currency is open. */
    async applyPending(): Promise<string[]> {
      const pairs = await db.$queryRaw<Pair[]>`
        SELECT DISTINCT ce."customerId"::text AS "customerId", ce."currency" FROM "CreditEntry" ce
        WHERE ce."remainingMinor" > 0 AND EXISTS (
          SELECT 1 FROM "Invoice" i WHERE i."customerId" = ce."customerId" AND i."currency" = ce."currency" AND i."status" = 'ISSUED'
            AND i."totalMinor" - i."paidMinor" - i."creditedMinor" > 0)`;
      return applyAll(pairs);
    },
  };
}

export type CreditApplier = ReturnType<typeof createCreditApplier>;
