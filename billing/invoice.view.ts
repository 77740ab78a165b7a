import type { InvoiceAnswer, InvoiceLineAnswer } from '../src/api-types/index.js';
// API shapes of invoices: their lines, the current period's preview and the CSV export. Bigint
// money becomes a JSON number; dates stay Dates (serialised as ISO strings).

import type { Invoice, InvoiceLine } from '../prisma/generated/client.js';
import { toCsv } from '../src/platform/csv.js';
import { balanceOf, n } from './money.js';
import type { RatedLine, RatingResult } from './rating.js';

export function lineView(
  l: Pick<InvoiceLine, 'kind' | 'description' | 'quantity' | 'unitPriceMicros' | 'amountMinor'> | RatedLine,
  position?: number,
): InvoiceLineAnswer {
  return {
    ...(position !== undefined ? { position } : {}),
    kind: l.kind,
    description: l.description,
    quantity: n(l.quantity),
    unitPriceMicros: n(l.unitPriceMicros),
    amountMinor: n(l.amountMinor),
  };
}

export function invoiceView(inv: Invoice & { lines?: InvoiceLine[] }): InvoiceAnswer {
  return {
    id: inv.id,
    number: inv.number,
    contractId: inv.contractId,
    customerId: inv.customerId,
    billingRunId: inv.billingRunId,
    period: inv.period,
    currency: inv.currency,
    status: inv.status,
    subtotalMinor: n(inv.subtotalMinor),
    taxMinor: n(inv.taxMinor),
    totalMinor: n(inv.totalMinor),
    paidMinor: n(inv.paidMinor),
    creditedMinor: n(inv.creditedMinor),
    balanceMinor: n(balanceOf(inv)),
    issuedAt: inv.issuedAt,
    dueAt: inv.dueAt,
    paidAt: inv.paidAt,
    createdAt: inv.createdAt,
    ...(inv.lines ? { lines: [...inv.lines].sort((a, b) => a.position - b.position).map((l) => lineView(l, l.position)) } : {}),
  };
}
export type InvoiceView = ReturnType<typeof invoiceView>;

/** What a contract would be invoiced for a period so far (nothing is stored). */
export function invoicePreviewView(p: { contractId: string; period: string; asOf: Date; currency: string; rated: RatingResult }) {
  const { rated } = p;
  return {
    contractId: p.contractId,
    period: p.period,
    estimated: true,
    asOf: p.asOf,
    currency: p.currency,
    lines: rated.lines.map((l, i) => lineView(l, i + 1)),
    subtotalMinor: n(rated.subtotalMinor),
    taxMinor: n(rated.taxMinor),
    totalMinor: n(rated.totalMinor),
    allowanceUnits: n(rated.allowanceUnits),
    overageUnits: n(rated.overageUnits),
  };
}

/** Invoices as CSV for spreadsheets: amounts in major units with two decimals. */
export function invoicesCsv(rows: (Invoice & { customer: { name: string }; contract: { number: string } })[]): string {
  const money = (v: bigint) => (Number(v) / 100).toFixed(2);
  return toCsv(
    rows.map((r) => {
      const d = invoiceView(r);
      return [
        d.number,
        d.period,
        r.customer.name,
        r.contract.number,
        d.status,
        d.currency,
        money(r.subtotalMinor),
        money(r.taxMinor),
        money(r.totalMinor),
        money(r.paidMinor),
        money(r.creditedMinor),
        d.issuedAt?.toISOString() ?? '',
        d.dueAt?.toISOString() ?? '',
      ];
    }),
    {
      header: true,
      columns: [
        'number',
        'period',
        'customer',
        'contract',
        'status',
        'currency',
        'subtotal',
        'tax',
        'total',
        'paid',
        'credited',
        'issuedAt',
        'dueAt',
      ],
    },
  );
}
