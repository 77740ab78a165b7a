// Bank statement import: lines kept once (by hash), exact matches posted as payments at once,
// the rest suggested or queued for finance to assign (to an invoice or a customer's credit) or
// dismiss. A line and the payment it becomes commit together, so a re-import finds the line and
// posts nothing twice.
import type { AuditService } from '../src/audit/index.js';
import type { Ctx } from '../src/auth/index.js';
import type { Db } from '../src/platform/database.js';
import { AppError, conflict, invalid, notFound } from '../src/platform/errors.js';
import type { Logger } from '../src/platform/logger.js';
import { contractNumbersIn, invoiceNumbersIn, type KnownInvoice, type Lookups, type Match, matchLine } from './bank-matching.js';
import { bankLineView } from './bank-statement.view.js';
import { readStatement, type StatementLine } from './bank-statement-csv.js';
import type { DunningService } from './dunning.service.js';
import { balanceOf } from './money.js';
import type { PaymentService } from './payment.service.js';

export interface BankLineFilter {
  status?: 'MATCHED' | 'SUGGESTED' | 'UNMATCHED' | 'ASSIGNED' | 'DISMISSED';
  statementId?: string;
  limit: number;
}

const invoiceFields = {
  id: true,
  number: true,
  customerId: true,
  currency: true,
  status: true,
  totalMinor: true,
  paidMinor: true,
  creditedMinor: true,
} as const;

/** The payment a line becomes: one per line whatever happens, so posting is idempotent. */
const paymentReference = (hash: string) => `BANK-${hash.slice(0, 16)}`;
const receivedOn = (bookedOn: string | Date) => new Date(typeof bookedOn === 'string' ? `${bookedOn}T00:00:00Z` : bookedOn);

export function createBankStatementService(deps: {
  db: Db;
  audit: AuditService;
  payments: PaymentService;
  dunning: DunningService;
  log: Logger;
}) {
  const { db, audit, payments, dunning } = deps;
  const log = deps.log.child({ component: 'bank-statements' });

  async function reactivate(contractIds: string[]) {
    for (const id of new Set(contractIds))
      await dunning
        .reactivateIfCleared(id)
        .catch((err: Error) => log.error({ err: err.message, contractId: id }, 'reactivation check failed'));
  }

  async function lookups(lines: StatementLine[]): Promise<Lookups> {
    const numbers = [...new Set(lines.flatMap(invoiceNumbersIn))];
    const contractNos = [...new Set(lines.flatMap(contractNumbersIn))];
    const payers = [...new Set(lines.map((l) => l.payer.trim().toLowerCase()).filter(Boolean))];
    const [invoices, contracts, named] = await Promise.all([
      db.invoice.findMany({ where: { number: { in: numbers } }, select: invoiceFields }),
      db.contract.findMany({ where: { number: { in: contractNos } }, select: { number: true, customerId: true } }),
      payers.length
        ? db.$queryRaw<
            { id: string; name: string }[]
          >`SELECT "id"::text, lower("name") AS name FROM "Customer" WHERE lower("name") = ANY(${payers}::text[])`
        : Promise.resolve([]),
    ]);
    const nameCount = new Map<string, number>();
    for (const c of named) nameCount.set(c.name, (nameCount.get(c.name) ?? 0) + 1);
    const customerNames = new Map(named.filter((c) => nameCount.get(c.name) === 1).map((c) => [c.name, c.id]));
    const customerIds = [...new Set([...contracts.map((c) => c.customerId), ...customerNames.values()])];
    const open = await db.invoice.findMany({ where: { customerId: { in: customerIds }, status: 'ISSUED' }, select: invoiceFields });
    // One object per invoice, so a line posted during the import is seen by the later lines' suggestions.
    const byId = new Map<string, KnownInvoice>(invoices.map((i) => [i.id, i]));
    const openByCustomer = new Map<string, KnownInvoice[]>();
    for (const o of open) {
      const i = byId.get(o.id) ?? o;
      if (balanceOf(i) > 0n) openByCustomer.set(i.customerId, [...(openByCustomer.get(i.customerId) ?? []), i]);
    }
    return {
      invoices: new Map(invoices.filter((i) => i.number).map((i) => [i.number!, i])),
      contracts: new Map(contracts.map((c) => [c.number, c.customerId])),
      customerNames,
      openByCustomer,
    };
  }

  /** Inserts the line (unless known) and, for an exact match, its payment, in one transaction. */
  async function keep(
    ctx: Ctx,
    statementId: string,
    l: StatementLine,
    m: Match,
  ): Promise<{ kept: boolean; status: Match['status']; contractIds: string[] }> {
    return db.$transaction(async (tx) => {
      const data = {
        statementId,
        lineHash: l.hash,
        lineNumber: l.lineNumber,
        bookedOn: receivedOn(l.bookedOn),
        amountMinor: l.amountMinor,
        currency: l.currency,
        payer: l.payer,
        reference: l.reference,
        status: m.status,
        matchNote: m.note,
        suggestedInvoiceId: m.status === 'SUGGESTED' ? m.invoiceId : m.status === 'MATCHED' ? (m.invoices[0]?.id ?? null) : null,
        suggestedCustomerId: m.status === 'SUGGESTED' || m.status === 'MATCHED' ? m.customerId : null,
      };
      const inserted = await tx.bankStatementLine.createMany({ data: [data], skipDuplicates: true });
      if (inserted.count === 0) return { kept: false, status: m.status, contractIds: [] };
      if (m.status !== 'MATCHED') return { kept: true, status: m.status, contractIds: [] };
      const posted = await payments.post(tx, ctx.actor.userId, {
        reference: paymentReference(l.hash),
        customerId: m.customerId,
        allocations: m.invoices.map((i) => ({ invoiceId: i.id, amountMinor: Number(balanceOf(i)) })),
        amountMinor: Number(l.amountMinor),
        currency: l.currency,
        method: 'BANK_STATEMENT',
        receivedAt: receivedOn(l.bookedOn),
      });
      await tx.bankStatementLine.update({ where: { lineHash: l.hash }, data: { paymentId: posted.payment.id, resolvedAt: new Date() } });
      return { kept: true, status: m.status, contractIds: posted.contractIds };
    });
  }

  return {
    /** Imports a statement; lines already known (same or overlapping file) are left as they are. */
    async import(ctx: Ctx, csv: string, fileName: string | null) {
      const { lines, sha256 } = readStatement(csv);
      const known = new Map(
        (
          await db.bankStatementLine.findMany({
            where: { lineHash: { in: lines.map((l) => l.hash) } },
            select: { lineHash: true, id: true },
          })
        ).map((r) => [r.lineHash, r.id]),
      );
      const fresh = lines.filter((l) => !known.has(l.hash));
      const counts = { MATCHED: 0, SUGGESTED: 0, UNMATCHED: 0, DISMISSED: 0 };
      if (fresh.length === 0) return { statementId: null, lines: lines.length, newLines: 0, ...counts, items: [] };
      const statement = await db.bankStatement.create({
        data: { fileName, sha256, lineCount: lines.length, newLines: 0, importedById: ctx.actor.userId },
      });
      const k = await lookups(fresh);
      const touched: string[] = [];
      let added = 0;
      for (const l of fresh) {
        let m = matchLine(l, k);
        let r: Awaited<ReturnType<typeof keep>>;
        try {
          r = await keep(ctx, statement.id, l, m);
        } catch (err) {
          // The invoice changed since the lookup (paid meanwhile): finance decides.
          if (!(err instanceof AppError) || m.status !== 'MATCHED') throw err;
          m = {
            status: 'SUGGESTED',
            note: `${m.note}; not posted: ${err.message}`,
            invoiceId: m.invoices[0]?.id ?? null,
            customerId: m.customerId,
          };
          r = await keep(ctx, statement.id, l, m);
        }
        if (!r.kept) continue;
        added++;
        counts[r.status === 'MATCHED' ? 'MATCHED' : r.status]++;
        touched.push(...r.contractIds);
        // A posted payment changes invoices the later lines may name.
        if (m.status === 'MATCHED')
          for (const i of m.invoices) Object.assign(i, { status: 'PAID', paidMinor: i.totalMinor - i.creditedMinor });
      }
      await db.bankStatement.update({ where: { id: statement.id }, data: { newLines: added } });
      await audit.record({
        actor: ctx.actor,
        requestId: ctx.requestId,
        action: 'bank_statement.imported',
        entityType: 'bank_statement',
        entityId: statement.id,
        after: { fileName, sha256, lines: lines.length, newLines: added, ...counts },
      });
      await reactivate(touched);
      const items = await db.bankStatementLine.findMany({ where: { statementId: statement.id }, orderBy: { lineNumber: 'asc' } });
      return { statementId: statement.id, lines: lines.length, newLines: added, ...counts, items: await this.describe(items) };
    },

    async statements(limit = 50) {
      const rows = await db.bankStatement.findMany({ orderBy: { importedAt: 'desc' }, take: limit });
      return { items: rows };
    },

    async lines(f: BankLineFilter) {
      const rows = await db.bankStatementLine.findMany({
        where: { status: f.status, statementId: f.statementId },
        orderBy: [{ bookedOn: 'desc' }, { lineNumber: 'asc' }],
        take: f.limit,
      });
      return { items: await this.describe(rows) };
    },

    /** Lines with the numbers and names a person needs to decide. */
    async describe(rows: Parameters<typeof bankLineView>[0][]) {
      const invoiceIds = [...new Set(rows.map((r) => r.suggestedInvoiceId).filter((x): x is string => Boolean(x)))];
      const customerIds = [...new Set(rows.map((r) => r.suggestedCustomerId).filter((x): x is string => Boolean(x)))];
      const [invoices, customers] = await Promise.all([
        db.invoice.findMany({ where: { id: { in: invoiceIds } }, select: invoiceFields }),
        db.customer.findMany({ where: { id: { in: customerIds } }, select: { id: true, name: true } }),
      ]);
      const inv = new Map(invoices.map((i) => [i.id, i]));
      const cus = new Map(customers.map((c) => [c.id, c.name]));
      return rows.map((r) =>
        bankLineView(r, r.suggestedInvoiceId ? inv.get(r.suggestedInvoiceId) : undefined, cus.get(r.suggestedCustomerId ?? '')),
      );
    },

    /** Finance assigns a queued line to an invoice (the rest is credit) or to a customer's credit. */
    async assign(ctx: Ctx, lineId: string, target: { invoiceId?: string; customerId?: string }) {
      const out = await db.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT 1 FROM "BankStatementLine" WHERE "id" = ${lineId}::uuid FOR UPDATE`;
        const line = await tx.bankStatementLine.findUnique({ where: { id: lineId } });
        if (!line) throw notFound('Bank statement line');
        if (line.status !== 'SUGGESTED' && line.status !== 'UNMATCHED') throw conflict(`The line is ${line.status.toLowerCase()} already`);
        if (line.amountMinor <= 0n) throw conflict('An outgoing transfer cannot be assigned as a payment');
        const posted = await payments.post(tx, ctx.actor.userId, {
          reference: paymentReference(line.lineHash),
          ...(target.invoiceId ? { invoiceId: target.invoiceId } : { customerId: target.customerId }),
          amountMinor: Number(line.amountMinor),
          currency: line.currency,
          method: 'BANK_STATEMENT',
          receivedAt: receivedOn(line.bookedOn),
        });
        const after = await tx.bankStatementLine.update({
          where: { id: lineId },
          data: { status: 'ASSIGNED', paymentId: posted.payment.id, resolvedById: ctx.actor.userId, resolvedAt: new Date() },
        });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'bank_line.assigned',
            entityType: 'bank_statement_line',
            entityId: lineId,
            before: line,
            after,
          },
          tx,
        );
        return { after, contractIds: posted.contractIds };
      });
      await reactivate(out.contractIds);
      return (await this.describe([out.after]))[0]!;
    },

    async dismiss(ctx: Ctx, lineId: string, reason: string) {
      const after = await db.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT 1 FROM "BankStatementLine" WHERE "id" = ${lineId}::uuid FOR UPDATE`;
        const line = await tx.bankStatementLine.findUnique({ where: { id: lineId } });
        if (!line) throw notFound('Bank statement line');
        if (line.status !== 'SUGGESTED' && line.status !== 'UNMATCHED') throw conflict(`The line is ${line.status.toLowerCase()} already`);
        const row = await tx.bankStatementLine.update({
          where: { id: lineId },
          data: { status: 'DISMISSED', matchNote: `Dismissed: ${reason}`, resolvedById: ctx.actor.userId, resolvedAt: new Date() },
        });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'bank_line.dismissed',
            entityType: 'bank_statement_line',
            entityId: lineId,
            before: line,
            after: row,
          },
          tx,
        );
        return row;
      });
      return (await this.describe([after]))[0]!;
    },
  };
}

/** Refuses a target that is neither or both (the schema checks it too; services are called directly in tests). */
export function assignTarget(t: { invoiceId?: string; customerId?: string }) {
  if (Boolean(t.invoiceId) === Boolean(t.customerId))
    throw invalid('Give invoiceId or customerId', [{ path: 'invoiceId', message: 'Exactly one' }]);
  return t;
}

export type BankStatementService = ReturnType<typeof createBankStatementService>;
