// The customer ledger's moves inside a caller's transaction: allocating money to invoices,
// adding credit lots, applying credit to open invoices (oldest first) and consuming it for
// refunds. Every move of a customer's money takes the customer's advisory lock first, so two
// payments, a refund and a billing run's credit application never interleave, and invoice rows
// are always locked after it (one lock order: no deadlock).
import type { DomainEvent } from '../src/events/index.js';
import type { Prisma } from '../src/platform/database.js';
import { balanceOf, minOf, n } from './money.js';

export type Tx = Prisma.TransactionClient;

export async function lockCustomerLedger(tx: Tx, customerId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`customer-ledger:${customerId}`}))`;
}

export interface Applied {
  invoiceId: string;
  number: string | null;
  contractId: string;
  amountMinor: bigint;
  paidOff: boolean;
  totalMinor: bigint;
}

/**
 * Adds money to an invoice (its `paidMinor`), PAID at zero balance. The caller holds the
 * customer's lock and has checked the amount against the balance.
 */
export async function allocate(
  tx: Tx,
  a: { invoiceId: string; paymentId: string | null; creditEntryId: string | null; amountMinor: bigint; at: Date },
): Promise<{ paidOff: boolean; totalMinor: bigint }> {
  await tx.paymentAllocation.create({
    data: { invoiceId: a.invoiceId, paymentId: a.paymentId, creditEntryId: a.creditEntryId, amountMinor: a.amountMinor, appliedAt: a.at },
  });
  const inv = await tx.invoice.update({ where: { id: a.invoiceId }, data: { paidMinor: { increment: a.amountMinor } } });
  const paidOff = balanceOf(inv) === 0n;
  if (paidOff) await tx.invoice.update({ where: { id: a.invoiceId }, data: { status: 'PAID', paidAt: a.at } });
  return { paidOff, totalMinor: inv.totalMinor };
}

/** A credit lot: money over what was allocated, or a negative invoice's total. */
export async function addCredit(
  tx: Tx,
  lot: {
    customerId: string;
    currency: string;
    kind: 'OVERPAYMENT' | 'NEGATIVE_INVOICE';
    amountMinor: bigint;
    paymentId?: string;
    invoiceId?: string;
    at: Date;
  },
) {
  return tx.creditEntry.create({
    data: {
      customerId: lot.customerId,
      currency: lot.currency,
      kind: lot.kind,
      amountMinor: lot.amountMinor,
      remainingMinor: lot.amountMinor,
      paymentId: lot.paymentId ?? null,
      invoiceId: lot.invoiceId ?? null,
      at: lot.at,
    },
  });
}

/** The customer's credit available in a currency (the sum of what is left of its lots). */
export async function creditAvailable(tx: Tx, customerId: string, currency: string): Promise<bigint> {
  const r = await tx.creditEntry.aggregate({ where: { customerId, currency, remainingMinor: { gt: 0 } }, _sum: { remainingMinor: true } });
  return r._sum.remainingMinor ?? 0n;
}

/** Open lots, oldest first: the order credit is consumed in, for invoices and refunds alike. */
function openLots(tx: Tx, customerId: string, currency: string) {
  return tx.creditEntry.findMany({
    where: { customerId, currency, remainingMinor: { gt: 0 } },
    orderBy: [{ at: 'asc' }, { id: 'asc' }],
  });
}

/**
 * Applies the customer's credit to its open invoices in the currency, oldest issued first, each
 * lot oldest first; one APPLIED entry per invoice, one allocation per lot used (so the money
 * behind every allocation stays known). The caller holds the customer's lock.
 */
export async function applyCredit(tx: Tx, customerId: string, currency: string, at: Date): Promise<Applied[]> {
  const lots = await openLots(tx, customerId, currency);
  if (lots.length === 0) return [];
  await tx.$queryRaw`SELECT 1 FROM "Invoice" WHERE "customerId" = ${customerId}::uuid AND "status" = 'ISSUED' AND "currency" = ${currency} FOR UPDATE`;
  const invoices = await tx.invoice.findMany({
    where: { customerId, currency, status: 'ISSUED' },
    orderBy: [{ issuedAt: 'asc' }, { number: 'asc' }],
  });
  const out: Applied[] = [];
  let lot = 0;
  for (const inv of invoices) {
    let owed = balanceOf(inv);
    if (owed <= 0n) continue;
    let applied = 0n;
    let paidOff = false;
    let totalMinor = inv.totalMinor;
    while (owed > 0n && lot < lots.length) {
      const l = lots[lot]!;
      const take = minOf(l.remainingMinor, owed);
      l.remainingMinor -= take;
      owed -= take;
      applied += take;
      await tx.creditEntry.update({ where: { id: l.id }, data: { remainingMinor: l.remainingMinor } });
      ({ paidOff, totalMinor } = await allocate(tx, {
        invoiceId: inv.id,
        paymentId: l.paymentId,
        creditEntryId: l.id,
        amountMinor: take,
        at,
      }));
      if (l.remainingMinor === 0n) lot++;
    }
    if (applied === 0n) break;
    await tx.creditEntry.create({
      data: { customerId, currency, kind: 'APPLIED', amountMinor: -applied, invoiceId: inv.id, at },
    });
    out.push({ invoiceId: inv.id, number: inv.number, contractId: inv.contractId, amountMinor: applied, paidOff, totalMinor });
    if (lot >= lots.length) break;
  }
  return out;
}

/** Takes `amount` out of the lots, oldest first, for a refund. The caller checked it is available. */
export async function consumeForRefund(tx: Tx, customerId: string, currency: string, amount: bigint): Promise<void> {
  let left = amount;
  for (const l of await openLots(tx, customerId, currency)) {
    if (left === 0n) break;
    const take = minOf(l.remainingMinor, left);
    left -= take;
    await tx.creditEntry.update({ where: { id: l.id }, data: { remainingMinor: l.remainingMinor - take } });
  }
  if (left !== 0n) throw new Error('refund exceeds the credit available');
}

/** invoice.paid for each invoice the moves settled. */
export function paidEvents(
  customerId: string,
  applied: { invoiceId: string; number: string | null; paidOff: boolean; totalMinor: bigint }[],
): DomainEvent[] {
  return applied
    .filter((a) => a.paidOff)
    .map((a) => ({
      type: 'invoice.paid',
      customerId,
      deviceId: null,
      payload: { invoiceId: a.invoiceId, number: a.number, totalMinor: n(a.totalMinor) },
    }));
}

export const appliedView = (a: Applied) => ({ invoiceId: a.invoiceId, number: a.number, amountMinor: n(a.amountMinor) });
