// A customer's account: balance and credit per currency, the statement of account (invoices,
// payments, allocations, credit, refunds with a running balance) and refunds of credit.
import type { AuditService } from '../src/audit/index.js';
import type { Ctx } from '../src/auth/index.js';
import { customerWhere } from '../src/auth/index.js';
import type { Db } from '../src/platform/database.js';
import { conflict, invalid, notFound } from '../src/platform/errors.js';
import type { CreditRefundInput, StatementQuery } from './billing.schemas.js';
import { consumeForRefund, creditAvailable, lockCustomerLedger } from './credit-ledger.js';
import { type StatementEntry, statementCsv, statementView } from './customer-account.view.js';
import type { EventEmitter } from './invoice-issuer.js';
import { balanceOf, n } from './money.js';

export function createCustomerAccountService({ db, audit, events }: { db: Db; audit: AuditService; events: EventEmitter }) {
  async function visibleCustomer(ctx: Ctx, customerId: string) {
    const c = await db.customer.findFirst({
      where: { AND: [{ id: customerId }, customerWhere(ctx.actor)] },
      select: { id: true, name: true },
    });
    if (!c) throw notFound('Customer');
    return c;
  }

  /** Every entry of the account in the currency, oldest first (debit: owed more; credit: owed less). */
  async function entries(customerId: string, currency: string): Promise<StatementEntry[]> {
    const [invoices, payments, notes, credits] = await Promise.all([
      db.invoice.findMany({
        where: { customerId, currency, status: { not: 'DRAFT' }, issuedAt: { not: null } },
        select: { id: true, number: true, period: true, totalMinor: true, issuedAt: true },
      }),
      db.payment.findMany({
        where: { customerId, currency },
        include: { allocations: { where: { creditEntryId: null }, select: { amountMinor: true, invoice: { select: { number: true } } } } },
      }),
      db.creditNote.findMany({
        where: { invoice: { customerId, currency } },
        select: { id: true, number: true, amountMinor: true, reason: true, createdAt: true, invoice: { select: { number: true } } },
      }),
      db.creditEntry.findMany({
        where: { customerId, currency },
        include: { invoice: { select: { number: true } }, payment: { select: { reference: true } } },
      }),
    ]);
    const out: StatementEntry[] = [];
    for (const i of invoices)
      out.push({
        at: i.issuedAt!,
        kind: 'INVOICE',
        document: i.number ?? i.id,
        description: `Invoice for ${i.period}`,
        debitMinor: i.totalMinor,
        creditMinor: 0n,
      });
    for (const p of payments) {
      const to = p.allocations.map((a) => `${a.invoice.number} ${(Number(a.amountMinor) / 100).toFixed(2)}`);
      const rest = p.amountMinor - p.allocations.reduce((s, a) => s + a.amountMinor, 0n);
      if (rest > 0n) to.push(`credit ${(Number(rest) / 100).toFixed(2)}`);
      out.push({
        at: p.receivedAt,
        kind: 'PAYMENT',
        document: p.reference,
        description: `Payment: ${to.join(', ')}`,
        debitMinor: 0n,
        creditMinor: p.amountMinor,
      });
    }
    for (const c of notes)
      out.push({
        at: c.createdAt,
        kind: 'CREDIT_NOTE',
        document: c.number,
        description: `Credit note on ${c.invoice.number}: ${c.reason}`,
        debitMinor: 0n,
        creditMinor: c.amountMinor,
      });
    for (const e of credits) {
      if (e.kind === 'NEGATIVE_INVOICE')
        out.push({
          at: e.at,
          kind: 'CREDIT',
          document: e.invoice?.number ?? '',
          description: 'Negative invoice total carried to credit',
          debitMinor: 0n,
          creditMinor: e.amountMinor,
        });
      else if (e.kind === 'APPLIED')
        // Moves credit onto an invoice: the account balance does not change.
        out.push({
          at: e.at,
          kind: 'CREDIT_APPLIED',
          document: e.invoice?.number ?? '',
          description: `Credit ${(Number(-e.amountMinor) / 100).toFixed(2)} applied`,
          debitMinor: 0n,
          creditMinor: 0n,
        });
      else if (e.kind === 'REFUND')
        out.push({
          at: e.at,
          kind: 'REFUND',
          document: e.reference ?? '',
          description: `Credit refunded: ${e.reason ?? ''}`,
          debitMinor: -e.amountMinor,
          creditMinor: 0n,
        });
    }
    const order = { INVOICE: 0, CREDIT: 1, PAYMENT: 2, CREDIT_NOTE: 3, CREDIT_APPLIED: 4, REFUND: 5 } as const;
    return out.sort((a, b) => a.at.getTime() - b.at.getTime() || order[a.kind] - order[b.kind] || a.document.localeCompare(b.document));
  }

  async function balances(customerId: string) {
    const [open, credit] = await Promise.all([
      db.invoice.findMany({
        where: { customerId, status: 'ISSUED' },
        select: { currency: true, totalMinor: true, paidMinor: true, creditedMinor: true, dueAt: true },
      }),
      db.creditEntry.groupBy({ by: ['currency'], where: { customerId, remainingMinor: { gt: 0 } }, _sum: { remainingMinor: true } }),
    ]);
    const now = Date.now();
    const by = new Map<string, { open: bigint; overdue: bigint; invoices: number; credit: bigint }>();
    const get = (c: string) => by.get(c) ?? by.set(c, { open: 0n, overdue: 0n, invoices: 0, credit: 0n }).get(c)!;
    for (const i of open) {
      const b = balanceOf(i);
      if (b <= 0n) continue;
      const x = get(i.currency);
      x.open += b;
      x.invoices++;
      if (i.dueAt && i.dueAt.getTime() < now) x.overdue += b;
    }
    for (const c of credit) get(c.currency).credit = c._sum.remainingMinor ?? 0n;
    return [...by.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, x]) => ({
        currency,
        openInvoices: x.invoices,
        openMinor: n(x.open),
        overdueMinor: n(x.overdue),
        creditMinor: n(x.credit),
        /** What the customer owes after credit; negative when in credit. */
        netMinor: n(x.open - x.credit),
      }));
  }

  async function statement(ctx: Ctx, customerId: string, q: StatementQuery) {
    const customer = await visibleCustomer(ctx, customerId);
    if (q.from && q.to && q.from > q.to) throw invalid('from is after to', [{ path: 'from', message: 'After to' }]);
    const all = await entries(customerId, q.currency);
    const before = all.filter((e) => q.from && e.at < q.from);
    const shown = all.filter((e) => (!q.from || e.at >= q.from) && (!q.to || e.at <= q.to));
    const opening = before.reduce((s, e) => s + e.debitMinor - e.creditMinor, 0n);
    const credit = await creditAvailable(db, customerId, q.currency);
    return statementView({
      customer,
      currency: q.currency,
      from: q.from ?? null,
      to: q.to ?? null,
      opening,
      entries: shown,
      creditMinor: credit,
    });
  }

  return {
    async balance(ctx: Ctx, customerId: string) {
      const customer = await visibleCustomer(ctx, customerId);
      return { customerId: customer.id, name: customer.name, balances: await balances(customerId) };
    },

    statement,

    async statementCsv(ctx: Ctx, customerId: string, q: StatementQuery) {
      return statementCsv(await statement(ctx, customerId, q));
    },

    /**
     * Pays credit back to the customer (finance, with a reason; audited). Consumes the oldest
     * lots first; idempotent by the transfer's reference.
     */
    async refund(ctx: Ctx, customerId: string, input: CreditRefundInput) {
      await visibleCustomer(ctx, customerId);
      const amount = BigInt(input.amountMinor);
      const same = (e: { customerId: string; amountMinor: bigint; currency: string }) =>
        e.customerId === customerId && e.amountMinor === -amount && e.currency === input.currency;
      const existing = await db.creditEntry.findUnique({ where: { reference: input.reference } });
      if (existing) {
        if (!same(existing)) throw conflict(`Refund reference ${input.reference} was already recorded with different details`);
        return { refund: refundView(existing), created: false };
      }
      const row = await db.$transaction(async (tx) => {
        await lockCustomerLedger(tx, customerId);
        const raced = await tx.creditEntry.findUnique({ where: { reference: input.reference } });
        if (raced) return { entry: raced, created: false };
        const available = await creditAvailable(tx, customerId, input.currency);
        if (amount > available)
          throw invalid(`Amount exceeds the credit available of ${available}`, [{ path: 'amountMinor', message: `At most ${available}` }]);
        await consumeForRefund(tx, customerId, input.currency, amount);
        const entry = await tx.creditEntry.create({
          data: {
            customerId,
            currency: input.currency,
            kind: 'REFUND',
            amountMinor: -amount,
            reason: input.reason,
            reference: input.reference,
            createdById: ctx.actor.userId,
          },
        });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'credit.refunded',
            entityType: 'customer',
            entityId: customerId,
            after: entry,
          },
          tx,
        );
        await events.emit(tx, [
          {
            type: 'credit.refunded',
            customerId,
            deviceId: null,
            payload: { refundId: entry.id, amountMinor: n(amount), currency: input.currency, reference: input.reference },
          },
        ]);
        return { entry, created: true };
      });
      if (!row.created && !same(row.entry))
        throw conflict(`Refund reference ${input.reference} was already recorded with different details`);
      return { refund: refundView(row.entry), created: row.created };
    },
  };
}

function refundView(e: {
  id: string;
  customerId: string;
  currency: string;
  amountMinor: bigint;
  reason: string | null;
  reference: string | null;
  at: Date;
}) {
  return {
    id: e.id,
    customerId: e.customerId,
    currency: e.currency,
    amountMinor: n(-e.amountMinor),
    reason: e.reason,
    reference: e.reference,
    at: e.at,
  };
}

export type CustomerAccountService = ReturnType<typeof createCustomerAccountService>;
