import type { AuditService } from '../src/audit/index.js';
import type { Ctx } from '../src/auth/index.js';
import { ownedByCustomerWhere } from '../src/auth/index.js';
// Payments (idempotent by bank reference), credit notes, and the receivables aging report.
import type { Db, Prisma } from '../src/platform/database.js';
import { conflict, invalid, isUniqueViolation, notFound } from '../src/platform/errors.js';
import type { Logger } from '../src/platform/logger.js';
import type { CreditNoteInput, PaymentInput } from './billing.schemas.js';
import type { DunningService } from './dunning.service.js';
import { daysOverdue } from './dunning.service.js';
import type { EventEmitter } from './invoice-issuer.js';
import { balanceOf, n } from './money.js';
import { creditNoteView, paymentView } from './payment.view.js';

const BUCKETS = ['current', '1-30', '31-60', '61-90', '90+'] as const;
type Bucket = (typeof BUCKETS)[number];

/** The currency shown when nothing is open (tariff plans default to it too). */
const DEFAULT_CURRENCY = 'CNY';

export function agingBucket(daysPastDue: number): Bucket {
  if (daysPastDue <= 0) return 'current';
  if (daysPastDue <= 30) return '1-30';
  if (daysPastDue <= 60) return '31-60';
  if (daysPastDue <= 90) return '61-90';
  return '90+';
}

export function createPaymentService(deps: { db: Db; audit: AuditService; events: EventEmitter; dunning: DunningService; log: Logger }) {
  const { db, audit, events, dunning } = deps;
  const log = deps.log.child({ component: 'payments' });

  /**
   * The money is recorded whatever happens here; a failure is logged, and the next payment,
   * credit or replay of this payment tries again.
   */
  async function reactivate(contractId: string) {
    await dunning
      .reactivateIfCleared(contractId)
      .catch((err: Error) => log.error({ err: err.message, contractId }, 'reactivation check failed'));
  }

  /** Locks the invoice row for the rest of the transaction, so concurrent payments add up. */
  async function lockInvoice(tx: Prisma.TransactionClient, id: string) {
    await tx.$queryRaw`SELECT 1 FROM "Invoice" WHERE "id" = ${id}::uuid FOR UPDATE`;
    const inv = await tx.invoice.findUnique({ where: { id } });
    if (!inv) throw notFound('Invoice');
    return inv;
  }

  function sameAs(p: { invoiceId: string | null; amountMinor: bigint }, input: PaymentInput) {
    return p.invoiceId === input.invoiceId && p.amountMinor === BigInt(input.amountMinor);
  }

  return {
    /** Records a payment; the same reference again returns the first one (`created: false`). */
    async record(ctx: Ctx, input: PaymentInput) {
      const existing = await db.payment.findUnique({ where: { reference: input.reference } });
      if (existing) {
        if (!sameAs(existing, input)) throw conflict(`Payment reference ${input.reference} was already recorded with different details`);
        // A replay also retries a reactivation that failed after the first recording.
        if (existing.invoiceId) {
          const inv = await db.invoice.findUnique({ where: { id: existing.invoiceId }, select: { contractId: true } });
          if (inv) await reactivate(inv.contractId);
        }
        return { payment: paymentView(existing), created: false };
      }
      const amount = BigInt(input.amountMinor);
      let contractId: string;
      try {
        const payment = await db.$transaction(async (tx) => {
          const inv = await lockInvoice(tx, input.invoiceId);
          contractId = inv.contractId;
          // A concurrent request with this reference may have committed while we waited for the lock.
          const raced = await tx.payment.findUnique({ where: { reference: input.reference } });
          if (raced) return { row: raced, created: false };
          if (inv.status !== 'ISSUED') throw conflict(`Invoice ${inv.number} is ${inv.status.toLowerCase()}; it takes no payments`);
          if (input.currency && input.currency !== inv.currency)
            throw invalid('Currency differs from the invoice', [{ path: 'currency', message: `Expected ${inv.currency}` }]);
          const balance = balanceOf(inv);
          if (amount > balance)
            throw invalid(`Amount exceeds the invoice balance of ${balance}`, [{ path: 'amountMinor', message: `At most ${balance}` }]);
          const row = await tx.payment.create({
            data: {
              reference: input.reference,
              customerId: inv.customerId,
              invoiceId: inv.id,
              amountMinor: amount,
              currency: inv.currency,
              method: input.method,
              receivedAt: input.receivedAt ?? new Date(),
              createdById: ctx.actor.userId,
            },
          });
          const paidOff = balance === amount;
          const after = await tx.invoice.update({
            where: { id: inv.id },
            data: { paidMinor: { increment: amount }, ...(paidOff ? { status: 'PAID', paidAt: row.receivedAt } : {}) },
          });
          await audit.record(
            { actor: ctx.actor, requestId: ctx.requestId, action: 'payment.recorded', entityType: 'payment', entityId: row.id, after: row },
            tx,
          );
          await events.emit(tx, [
            {
              type: 'payment.received',
              customerId: inv.customerId,
              deviceId: null,
              payload: { paymentId: row.id, invoiceId: inv.id, number: inv.number, amountMinor: n(amount), reference: row.reference },
            },
            ...(paidOff
              ? [
                  {
                    type: 'invoice.paid',
                    customerId: inv.customerId,
                    deviceId: null,
                    payload: { invoiceId: inv.id, number: inv.number, totalMinor: n(after.totalMinor) },
                  },
                ]
              : []),
          ]);
          return { row, created: true };
        });
        if (!payment.created) {
          if (!sameAs(payment.row, input))
            throw conflict(`Payment reference ${input.reference} was already recorded with different details`);
          await reactivate(contractId!);
          return { payment: paymentView(payment.row), created: false };
        }
        await reactivate(contractId!);
        return { payment: paymentView(payment.row), created: true };
      } catch (err) {
        // The same reference recorded concurrently: the unique index kept the first one.
        if (isUniqueViolation(err)) {
          const first = await db.payment.findUnique({ where: { reference: input.reference } });
          if (first && sameAs(first, input)) return { payment: paymentView(first), created: false };
          throw conflict(`Payment reference ${input.reference} was already recorded with different details`);
        }
        throw err;
      }
    },

    async list(ctx: Ctx, filter: { invoiceId?: string; customerId?: string; limit: number }) {
      const rows = await db.payment.findMany({
        where: { AND: [ownedByCustomerWhere(ctx.actor), { invoiceId: filter.invoiceId, customerId: filter.customerId }] },
        orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
        take: filter.limit,
      });
      return { items: rows.map(paymentView) };
    },

    async creditNote(ctx: Ctx, invoiceId: string, input: CreditNoteInput) {
      const visible = await db.invoice.findFirst({
        where: { AND: [{ id: invoiceId }, ownedByCustomerWhere(ctx.actor)] },
        select: { id: true },
      });
      if (!visible) throw notFound('Invoice');
      const amount = BigInt(input.amountMinor);
      const note = await db.$transaction(async (tx) => {
        const inv = await lockInvoice(tx, invoiceId);
        if (inv.status !== 'ISSUED') throw conflict(`Invoice ${inv.number} is ${inv.status.toLowerCase()}; it cannot be credited`);
        const balance = balanceOf(inv);
        if (amount > balance)
          throw invalid(`Amount exceeds the invoice balance of ${balance}`, [{ path: 'amountMinor', message: `At most ${balance}` }]);
        const count = await tx.creditNote.count({ where: { invoiceId } });
        const row = await tx.creditNote.create({
          data: {
            number: `CN-${inv.number}-${count + 1}`,
            invoiceId,
            amountMinor: amount,
            reason: input.reason,
            createdById: ctx.actor.userId,
          },
        });
        const credited = inv.creditedMinor + amount;
        const settled = balance === amount;
        await tx.invoice.update({
          where: { id: invoiceId },
          // Fully credited with nothing paid voids the invoice; otherwise a zero balance is settled.
          data: {
            creditedMinor: credited,
            ...(settled ? (credited === inv.totalMinor ? { status: 'VOID' } : { status: 'PAID', paidAt: new Date() }) : {}),
          },
        });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'credit_note.created',
            entityType: 'invoice',
            entityId: invoiceId,
            after: row,
          },
          tx,
        );
        await events.emit(tx, [
          {
            type: 'invoice.credited',
            customerId: inv.customerId,
            deviceId: null,
            payload: { invoiceId, number: inv.number, creditNote: row.number, amountMinor: n(amount) },
          },
        ]);
        return { row, contractId: inv.contractId };
      });
      await reactivate(note.contractId);
      return creditNoteView(note.row);
    },

    /**
     * Open balances by days past due, in one currency: amounts in different currencies never add
     * up. Without `currency`, the one with the most open invoices; `currencies` lists every
     * currency with open balances, so a reader can ask for the others. In total and per customer.
     */
    async aging(ctx: Ctx, asOf: Date = new Date(), currency?: string) {
      const all = await db.invoice.findMany({
        where: { AND: [ownedByCustomerWhere(ctx.actor), { status: 'ISSUED' }] },
        select: {
          id: true,
          customerId: true,
          totalMinor: true,
          paidMinor: true,
          creditedMinor: true,
          dueAt: true,
          currency: true,
          customer: { select: { name: true } },
        },
      });
      const open = all.filter((r) => balanceOf(r) > 0n);
      const counts = new Map<string, number>();
      for (const r of open) counts.set(r.currency, (counts.get(r.currency) ?? 0) + 1);
      const currencies = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c]) => c);
      const shown = currency ?? currencies[0] ?? DEFAULT_CURRENCY;
      const rows = open.filter((r) => r.currency === shown);
      const zero = (): Record<Bucket, bigint> => ({ current: 0n, '1-30': 0n, '31-60': 0n, '61-90': 0n, '90+': 0n });
      const total = zero();
      const perCustomer = new Map<string, { name: string; buckets: Record<Bucket, bigint>; invoices: number }>();
      for (const r of rows) {
        const balance = balanceOf(r);
        const bucket = agingBucket(r.dueAt ? daysOverdue(r.dueAt, asOf) : 0);
        total[bucket] += balance;
        const c = perCustomer.get(r.customerId) ?? { name: r.customer.name, buckets: zero(), invoices: 0 };
        c.buckets[bucket] += balance;
        c.invoices++;
        perCustomer.set(r.customerId, c);
      }
      const out = (b: Record<Bucket, bigint>) => Object.fromEntries(BUCKETS.map((k) => [k, n(b[k])])) as Record<Bucket, number>;
      const sum = (b: Record<Bucket, bigint>) => n(BUCKETS.reduce((s, k) => s + b[k], 0n));
      return {
        asOf,
        currency: shown,
        currencies,
        buckets: out(total),
        totalMinor: sum(total),
        customers: [...perCustomer.entries()]
          .map(([customerId, c]) => ({
            customerId,
            name: c.name,
            invoices: c.invoices,
            buckets: out(c.buckets),
            totalMinor: sum(c.buckets),
          }))
          .sort((a, b) => b.totalMinor - a.totalMinor),
      };
    },
  };
}

export type PaymentService = ReturnType<typeof createPaymentService>;
