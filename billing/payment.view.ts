// API shape of payments and credit notes (money as JSON numbers).
import type { CreditNote, Payment } from '../prisma/generated/client.js';
import { n } from './money.js';

export function paymentView(p: Payment) {
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

export function creditNoteView(c: CreditNote) {
  return { id: c.id, number: c.number, invoiceId: c.invoiceId, amountMinor: n(c.amountMinor), reason: c.reason, createdAt: c.createdAt };
}
