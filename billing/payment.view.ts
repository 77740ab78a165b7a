// API shape of payments and credit notes (money as JSON numbers).
import type { CreditNote, Payment } from '../prisma/generated/client.js';
import { n } from './money.js';

/** A payment with the invoices it was allocated to when recorded (not credit applied later). */
export type PaymentWithAllocations = Payment & { allocations: { invoiceId: string; amountMinor: bigint }[] };

export function paymentView(p: PaymentWithAllocations) {
  const allocated = p.allocations.reduce((s, a) => s + a.amountMinor, 0n);
  return {
    id: p.id,
    reference: p.reference,
    customerId: p.customerId,
    /** The first invoice it paid, for readers of the one-invoice payments of old. */
    invoiceId: p.allocations[0]?.invoiceId ?? null,
    allocations: p.allocations.map((a) => ({ invoiceId: a.invoiceId, amountMinor: n(a.amountMinor) })),
    /** What was left over when recorded: customer credit (applied to open invoices at once). */
    unallocatedMinor: n(p.amountMinor - allocated),
    amountMinor: n(p.amountMinor),
    currency: p.currency,
    method: p.method,
    receivedAt: p.receivedAt,
    createdAt: p.createdAt,
  };
}

export function creditNoteView(c: CreditNote) {
  return { id: c.id, number: c.number, invoiceId: c.invoiceId, amountMinor: n(c.amountMinor), reason: c.reason, createdAt: c.createdAt };
}
