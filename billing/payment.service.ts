// Payments (receipts, idempotent by bank reference) allocated to one or several invoices, the
// rest kept as customer credit and applied to open invoices oldest first; credit notes.
import type { AuditService } from '../src/audit/index.js';
import type { Ctx } from '../src/auth/index.js';
import { ownedByCustomerWhere } from '../src/auth/index.js';
import type { Db } from '../src/platform/database.js';
import { conflict, invalid, isUniqueViolation, notFound } from '../src/platform/errors.js';
import type { Logger } from '../src/platform/logger.js';
import type { CreditNoteInput, PaymentInput } from './billing.schemas.js';
import { type Applied, addCredit, allocate, appliedView, applyCredit, lockCustomerLedger, paidEvents, type Tx } from './credit-ledger.js';
import type { DunningService } from './dunning.service.js';
import type { EventEmitter } from './invoice-issuer.js';
import { balanceOf, n } from './money.js';
import { creditNoteView, type PaymentWithAllocations, paymentView } from './payment.view.js';

/** The currency of a customer with nothing else to go by (tariff plans default to it too). */
export const DEFAULT_CURRENCY = 'CNY';

/** What a payment named: invoices with an amount each, or one invoice taking what it can. */
type Named = { invoiceId: string; amountMinor: bigint | null }[];

export interface Posted {
  payment: PaymentWithAllocations;
  created: boolean;
  /** Contracts whose invoices it touched: reactivation candidates. */
  contractIds: string[];
}

const withAllocations = { allocations: { where: { creditEntryId: null }, select: { invoiceId: true, amountMinor: true } } } as const;

export function createPaymentService(deps: { db: Db; audit: AuditService; events: EventEmitter; dunning: DunningService; log: Logger }) {
  const { db, audit, events, dunning } = deps;
  const log = deps.log.child({ component: 'payments' });

  /**
   * The money is recorded whatever happens here; a failure is logged, and the next payment,
   * credit or replay of this payment tries again (and the daily dunning job checks anyway).
   */
  async function reactivate(contractIds: string[]) {
    for (const contractId of new Set(contractIds)) {
      await dunning
        .reactivateIfCleared(contractId)
        .catch((err: Error) => log.error({ err: err.message, contractId }, 'reactivation check failed'));
    }
  }

  function named(input: PaymentInput): Named {
    if (input.allocations) return input.allocations.map((a) => ({ invoiceId: a.invoiceId, amountMinor: BigInt(a.amountMinor) }));
    return input.invoiceId ? [{ invoiceId: input.invoiceId, amountMinor: null }] : [];
  }

  /** The same reference again must mean the same payment: amount, payer and the invoices it named. */
  function sameAs(p: PaymentWithAllocations, input: PaymentInput) {
    if (p.amountMinor !== BigInt(input.amountMinor)) return false;
    if (input.customerId && input.customerId !== p.customerId) return false;
    const direct = new Map(p.allocations.map((a) => [a.invoiceId, a.amountMinor]));
    return named(input).every((x) => direct.has(x.invoiceId) && (x.amountMinor === null || direct.get(x.invoiceId) === x.amountMinor));
  }

  const differs = (reference: string) => conflict(`Payment reference ${reference} was already recorded with different details`);

  /**
   * Records a payment inside the caller's transaction (the API's own, or a bank statement
   * line's): allocations first, then what is left over becomes an OVERPAYMENT credit lot, applied
   * at once to the customer's other open invoices, oldest first.
   */
  async function post(tx: Tx, actorUserId: string | null, input: PaymentInput): Promise<Posted> {
    const wanted = named(input);
    const amount = BigInt(input.amountMinor);
    let customerId = input.customerId;
    if (wanted.length > 0) {
      const owners = await tx.invoice.findMany({
        where: { id: { in: wanted.map((w) => w.invoiceId) } },
        select: { id: true, customerId: true },
      });
      if (owners.length !== wanted.length) throw notFound('Invoice');
      const customers = new Set(owners.map((o) => o.customerId));
      if (customers.size > 1 || (customerId && !customers.has(customerId)))
        throw invalid('The invoices of one payment belong to one customer', [{ path: 'allocations', message: 'Several customers' }]);
      customerId = owners[0]!.customerId;
    } else if (!(await tx.customer.findUnique({ where: { id: customerId! }, select: { id: true } }))) {
      throw notFound('Customer');
    }
    const payer = customerId!;
    await lockCustomerLedger(tx, payer);
    // A concurrent request with this reference may have committed while we waited for the lock.
    const raced = await tx.payment.findUnique({ where: { reference: input.reference }, include: withAllocations });
    if (raced) return { payment: raced, created: false, contractIds: [] };

    const ids = wanted.map((w) => w.invoiceId);
    if (ids.length) await tx.$queryRaw`SELECT 1 FROM "Invoice" WHERE "id" = ANY(${ids}::uuid[]) FOR UPDATE`;
    const invoices = new Map((await tx.invoice.findMany({ where: { id: { in: ids } } })).map((i) => [i.id, i]));
    const currency = input.currency ?? invoices.get(ids[0] ?? '')?.currency ?? DEFAULT_CURRENCY;
    const plan: { invoiceId: string; amountMinor: bigint }[] = [];
    let left = amount;
    for (const [i, w] of wanted.entries()) {
      const inv = invoices.get(w.invoiceId)!;
      if (inv.status !== 'ISSUED') throw conflict(`Invoice ${inv.number ?? inv.id} is ${inv.status.toLowerCase()}; it takes no payments`);
      if (inv.currency !== currency)
        throw invalid('Currency differs from the invoice', [{ path: 'currency', message: `Expected ${inv.currency}` }]);
      const balance = balanceOf(inv);
      const path = input.allocations ? `allocations.${i}.amountMinor` : 'amountMinor';
      const share = w.amountMinor ?? (left < balance ? left : balance);
      if (share > balance)
        throw invalid(`Allocation exceeds the balance of invoice ${inv.number}`, [{ path, message: `At most ${balance}` }]);
      if (share > left)
        throw invalid('Allocations add up to more than the payment', [
          { path: 'amountMinor', message: `At least ${amount - left + share}` },
        ]);
      left -= share;
      if (share > 0n) plan.push({ invoiceId: inv.id, amountMinor: share });
    }

    const receivedAt = input.receivedAt ?? new Date();
    const row = await tx.payment.create({
      data: {
        reference: input.reference,
        customerId: payer,
        amountMinor: amount,
        currency,
        method: input.method,
        receivedAt,
        createdById: actorUserId,
      },
    });
    const applied: Applied[] = [];
    for (const p of plan) {
      const inv = invoices.get(p.invoiceId)!;
      const r = await allocate(tx, {
        invoiceId: p.invoiceId,
        paymentId: row.id,
        creditEntryId: null,
        amountMinor: p.amountMinor,
        at: receivedAt,
      });
      applied.push({ invoiceId: inv.id, number: inv.number, contractId: inv.contractId, amountMinor: p.amountMinor, ...r });
    }
    const fromCredit: Applied[] = [];
    if (left > 0n) {
      await addCredit(tx, { customerId: payer, currency, kind: 'OVERPAYMENT', amountMinor: left, paymentId: row.id, at: receivedAt });
      fromCredit.push(...(await applyCredit(tx, payer, currency, new Date())));
    }
    await events.emit(tx, [
      {
        type: 'payment.received',
        customerId: payer,
        deviceId: null,
        payload: {
          paymentId: row.id,
          reference: row.reference,
          amountMinor: n(amount),
          currency,
          invoiceId: applied[0]?.invoiceId ?? null,
          number: applied[0]?.number ?? null,
          allocations: [...applied, ...fromCredit].map(appliedView),
          creditMinor: n(left - fromCredit.reduce((s, a) => s + a.amountMinor, 0n)),
        },
      },
      ...paidEvents(payer, [...applied, ...fromCredit]),
    ]);
    const payment = await tx.payment.findUniqueOrThrow({ where: { id: row.id }, include: withAllocations });
    return { payment, created: true, contractIds: [...applied, ...fromCredit].map((a) => a.contractId) };
  }

  return {
    post,

    /** Records a payment; the same reference again returns the first one (`created: false`). */
    async record(ctx: Ctx, input: PaymentInput) {
      const existing = await db.payment.findUnique({ where: { reference: input.reference }, include: withAllocations });
      if (existing) {
        if (!sameAs(existing, input)) throw differs(input.reference);
        // A replay also retries a reactivation that failed after the first recording.
        const touched = await db.paymentAllocation.findMany({
          where: { paymentId: existing.id },
          select: { invoice: { select: { contractId: true } } },
        });
        await reactivate(touched.map((t) => t.invoice.contractId));
        return { payment: paymentView(existing), created: false };
      }
      try {
        const out = await db.$transaction(async (tx) => {
          const posted = await post(tx, ctx.actor.userId, input);
          if (posted.created)
            await audit.record(
              {
                actor: ctx.actor,
                requestId: ctx.requestId,
                action: 'payment.recorded',
                entityType: 'payment',
                entityId: posted.payment.id,
                after: posted.payment,
              },
              tx,
            );
          return posted;
        });
        if (!out.created && !sameAs(out.payment, input)) throw differs(input.reference);
        await reactivate(out.contractIds);
        return { payment: paymentView(out.payment), created: out.created };
      } catch (err) {
        // The same reference recorded concurrently: the unique index kept the first one.
        if (isUniqueViolation(err)) {
          const first = await db.payment.findUnique({ where: { reference: input.reference }, include: withAllocations });
          if (first && sameAs(first, input)) return { payment: paymentView(first), created: false };
          throw differs(input.reference);
        }
        throw err;
      }
    },

    async list(ctx: Ctx, filter: { invoiceId?: string; customerId?: string; limit: number }) {
      const rows = await db.payment.findMany({
        where: {
          AND: [
            ownedByCustomerWhere(ctx.actor),
            { customerId: filter.customerId },
            filter.invoiceId ? { allocations: { some: { invoiceId: filter.invoiceId } } } : {},
          ],
        },
        include: withAllocations,
        orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
        take: filter.limit,
      });
      return { items: rows.map(paymentView) };
    },

    async creditNote(ctx: Ctx, invoiceId: string, input: CreditNoteInput) {
      const visible = await db.invoice.findFirst({
        where: { AND: [{ id: invoiceId }, ownedByCustomerWhere(ctx.actor)] },
        select: { id: true, customerId: true },
      });
      if (!visible) throw notFound('Invoice');
      const amount = BigInt(input.amountMinor);
      const note = await db.$transaction(async (tx) => {
        await lockCustomerLedger(tx, visible.customerId);
        await tx.$queryRaw`SELECT 1 FROM "Invoice" WHERE "id" = ${invoiceId}::uuid FOR UPDATE`;
        const inv = await tx.invoice.findUniqueOrThrow({ where: { id: invoiceId } });
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
      await reactivate([note.contractId]);
      return creditNoteView(note.row);
    },
  };
}

export type PaymentService = ReturnType<typeof createPaymentService>;
