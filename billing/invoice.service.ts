import type { Ctx, Principal } from '../src/auth/index.js';
import { contractWhere, isStaff, ownedByCustomerWhere } from '../src/auth/index.js';
// Reading invoices (scoped), exporting them (CSV, PDF) and previewing the current period.
import type { Db } from '../src/platform/database.js';
import { notFound } from '../src/platform/errors.js';
import { page, pageArgs } from '../src/platform/pagination.js';
import { invoicePreviewView, invoicesCsv, invoiceView } from './invoice.view.js';
import { carryNegativeTotal } from './invoice-issuer.js';
import { renderInvoicePdf } from './invoice-pdf.js';
import { periodBounds, periodOf } from './period.js';
import { rate } from './rating.js';
import { loadContract, ratingInput } from './usage.js';

export interface InvoiceFilter {
  status?: 'DRAFT' | 'ISSUED' | 'PAID' | 'VOID';
  customerId?: string;
  contractId?: string;
  period?: string;
  overdue?: boolean;
}

const CSV_LIMIT = 100_000;

/** Customers and contractors see their own invoices once issued (drafts exist during a run). */
export function invoiceScopeWhere(actor: Principal) {
  return isStaff(actor) ? ownedByCustomerWhere(actor) : { AND: [ownedByCustomerWhere(actor), { status: { not: 'DRAFT' as const } }] };
}

export function createInvoiceService({ db, timeZone }: { db: Db; timeZone: string }) {
  function where(ctx: Ctx, f: InvoiceFilter) {
    return {
      AND: [
        invoiceScopeWhere(ctx.actor),
        {
          status: f.status,
          customerId: f.customerId,
          contractId: f.contractId,
          period: f.period,
          ...(f.overdue ? { status: 'ISSUED' as const, dueAt: { lt: new Date() } } : {}),
        },
      ],
    };
  }

  async function visible(ctx: Ctx, id: string) {
    const row = await db.invoice.findFirst({ where: { AND: [{ id }, invoiceScopeWhere(ctx.actor)] }, include: { lines: true } });
    if (!row) throw notFound('Invoice');
    return row;
  }

  return {
    async list(ctx: Ctx, f: InvoiceFilter, q: { limit: number; cursor?: string }) {
      const { cursorWhere, orderBy, take } = pageArgs(q);
      const rows = await db.invoice.findMany({ where: { AND: [where(ctx, f), cursorWhere] }, orderBy, take });
      return page(rows, q.limit, invoiceView);
    },

    async get(ctx: Ctx, id: string) {
      return invoiceView(await visible(ctx, id));
    },

    async csv(ctx: Ctx, f: InvoiceFilter): Promise<string> {
      const rows = await db.invoice.findMany({
        where: where(ctx, f),
        orderBy: [{ issuedAt: 'asc' }, { number: 'asc' }],
        take: CSV_LIMIT,
        include: { customer: { select: { name: true } }, contract: { select: { number: true } } },
      });
      return invoicesCsv(rows);
    },

    async pdf(ctx: Ctx, id: string): Promise<{ number: string; body: Buffer }> {
      const inv = await visible(ctx, id);
      const [customer, contract] = await Promise.all([
        db.customer.findUniqueOrThrow({ where: { id: inv.customerId } }),
        db.contract.findUniqueOrThrow({ where: { id: inv.contractId }, select: { number: true } }),
      ]);
      const body = await renderInvoicePdf({ invoice: inv, lines: inv.lines, customer, contractNumber: contract.number, timeZone });
      return { number: inv.number ?? inv.id, body };
    },

    /** The PDF of an issued invoice for its e-mail (no caller scope: the mail goes to the invoice's own customer). */
    async pdfForMail(id: string): Promise<Buffer> {
      const inv = await db.invoice.findUnique({
        where: { id },
        include: { lines: true, customer: true, contract: { select: { number: true } } },
      });
      if (!inv) throw notFound('Invoice');
      return renderInvoicePdf({ invoice: inv, lines: inv.lines, customer: inv.customer, contractNumber: inv.contract.number, timeZone });
    },

    /** What the contract would be invoiced for the current period with usage to date; stores nothing. */
    async preview(ctx: Ctx, contractId: string, now = new Date()) {
      const visibleContract = await db.contract.findFirst({
        where: { AND: [{ id: contractId }, contractWhere(ctx.actor)] },
        select: { id: true },
      });
      if (!visibleContract) throw notFound('Contract');
      const contract = (await loadContract(db, contractId))!;
      const period = periodOf(now, timeZone);
      const bounds = periodBounds(period, timeZone);
      const rated = carryNegativeTotal(rate(await ratingInput(db, contract, bounds, timeZone)));
      return invoicePreviewView({ contractId, period, asOf: now, currency: contract.currency, rated });
    },
  };
}

export type InvoiceService = ReturnType<typeof createInvoiceService>;
