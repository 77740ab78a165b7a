// API and CSV shapes of a customer's statement of account.
import { toCsv } from '../src/platform/csv.js';
import { n } from './money.js';

export interface StatementEntry {
  at: Date;
  kind: 'INVOICE' | 'PAYMENT' | 'CREDIT_NOTE' | 'CREDIT' | 'CREDIT_APPLIED' | 'REFUND';
  document: string;
  description: string;
  /** Raises what the customer owes (invoices, refunds of credit). */
  debitMinor: bigint;
  /** Lowers it (payments, credit notes, negative invoices). */
  creditMinor: bigint;
}

export function statementView(s: {
  customer: { id: string; name: string };
  currency: string;
  from: Date | null;
  to: Date | null;
  opening: bigint;
  entries: StatementEntry[];
  creditMinor: bigint;
}) {
  let running = s.opening;
  const entries = s.entries.map((e) => {
    running += e.debitMinor - e.creditMinor;
    return {
      at: e.at,
      kind: e.kind,
      document: e.document,
      description: e.description,
      debitMinor: n(e.debitMinor),
      creditMinor: n(e.creditMinor),
      balanceMinor: n(running),
    };
  });
  return {
    customerId: s.customer.id,
    name: s.customer.name,
    currency: s.currency,
    from: s.from,
    to: s.to,
    openingBalanceMinor: n(s.opening),
    entries,
    /** Owed by the customer at the end (negative: in credit). */
    closingBalanceMinor: n(running),
    /** Credit not yet applied or refunded, today. */
    creditAvailableMinor: n(s.creditMinor),
  };
}
export type StatementView = ReturnType<typeof statementView>;

/** The statement as CSV: amounts in major units with two decimals, formulas neutralised. */
export function statementCsv(s: StatementView): string {
  const money = (v: number) => (v / 100).toFixed(2);
  return toCsv(
    [
      ['', 'OPENING', '', 'Opening balance', '', '', money(s.openingBalanceMinor)],
      ...s.entries.map((e) => [
        e.at.toISOString(),
        e.kind,
        e.document,
        e.description,
        e.debitMinor ? money(e.debitMinor) : '',
        e.creditMinor ? money(e.creditMinor) : '',
        money(e.balanceMinor),
      ]),
      ['', 'CLOSING', '', 'Closing balance', '', '', money(s.closingBalanceMinor)],
    ],
    { header: true, columns: ['date', 'kind', 'document', 'description', 'debit', 'credit', 'balance'] },
  );
}
