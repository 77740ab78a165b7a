// API shape of bank statement lines (money as JSON numbers).
import type { BankStatementLine } from '../prisma/generated/client.js';
import { balanceOf, n } from './money.js';

export function bankLineView(
  l: BankStatementLine,
  invoice?: { id: string; number: string | null; status: string; totalMinor: bigint; paidMinor: bigint; creditedMinor: bigint },
  customerName?: string,
) {
  return {
    id: l.id,
    statementId: l.statementId,
    lineNumber: l.lineNumber,
    bookedOn: l.bookedOn.toISOString().slice(0, 10),
    amountMinor: n(l.amountMinor),
    currency: l.currency,
    payer: l.payer,
    reference: l.reference,
    status: l.status,
    note: l.matchNote,
    invoice: invoice ? { id: invoice.id, number: invoice.number, status: invoice.status, balanceMinor: n(balanceOf(invoice)) } : null,
    customer: l.suggestedCustomerId ? { id: l.suggestedCustomerId, name: customerName ?? null } : null,
    paymentId: l.paymentId,
    resolvedAt: l.resolvedAt,
  };
}
