// Plain API shapes of billing records: bigint money becomes a JSON number (exact below 2^53
// minor units, i.e. any real invoice); dates stay Dates (serialised as ISO strings).
import type { BillingRun, CommissionStatement, CreditNote, Invoice, InvoiceLine, Payment } from '../prisma/generated/client.js';
import type { RatedLine } from './rating.js';

export const n = (v: bigint): number => {
  const x = Number(v);
  if (!Number.isSafeInteger(x)) throw new Error(`amount ${v} exceeds the exact JSON range`);
  return x;
};

export function balanceOf(inv: Pick<Invoice, 'totalMinor' | 'paidMinor' | 'creditedMinor'>): bigint {
  return inv.totalMinor - inv.paidMinor - inv.creditedMinor;
}

export function lineDto(l: Pick<InvoiceLine, 'kind' | 'description' | 'quantity' | 'unitPriceMicros' | 'amountMinor'> | RatedLine, position?: number) {
  return {
    ...(position !== undefined ? { position } : {}),
    kind: l.kind,
    description: l.description,
    quantity: n(l.quantity),
    unitPriceMicros: n(l.unitPriceMicros),
    amountMinor: n(l.amountMinor),
  };
}

export function invoiceDto(inv: Invoice & { lines?: InvoiceLine[] }) {
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
    ...(inv.lines ? { lines: [...inv.lines].sort((a, b) => a.position - b.position).map((l) => lineDto(l, l.position)) } : {}),
  };
}
export type InvoiceDto = ReturnType<typeof invoiceDto>;

export function paymentDto(p: Payment) {
  return {
    id: p.id,
    reference: p.reference,
    customerId: p.customerId,
    invoiceId: p.invoiceId,
    amountMinor: n(p.amountMinor),
    currency: p.currency,
    method: p.method,
    receivedAt: p.receivedAt,
    createdAt: p.createdAt,
  };
}

export function creditNoteDto(c: CreditNote) {
  return { id: c.id, number: c.number, invoiceId: c.invoiceId, amountMinor: n(c.amountMinor), reason: c.reason, createdAt: c.createdAt };
}

export function billingRunDto(r: BillingRun) {
  return {
    ...r,
    percent: r.totalContracts ? Math.floor((r.processedContracts * 100) / r.totalContracts) : r.status === 'COMPLETED' ? 100 : 0,
  };
}

export function commissionDto(c: Pick<CommissionStatement, 'contractorId' | 'period' | 'collectedMinor' | 'rateBp' | 'amountMinor'> & { id?: string; createdAt?: Date }) {
  return {
    id: c.id ?? null,
    contractorId: c.contractorId,
    period: c.period,
    collectedMinor: n(c.collectedMinor),
    rateBp: c.rateBp,
    amountMinor: n(c.amountMinor),
    createdAt: c.createdAt ?? null,
  };
}
