// Matching bank statement lines to invoices (pure): invoice numbers in the reference or payer
// text, else the customer by a contract number in the text or by its name as the payer.
import type { StatementLine } from './bank-statement-csv.js';
import { balanceOf } from './money.js';

const INVOICE_NUMBER = /NX-\d{4}-\d{6}/g;
const CONTRACT_NUMBER = /C-\d{4}-\d{6}/g;

export interface KnownInvoice {
  id: string;
  number: string | null;
  customerId: string;
  currency: string;
  status: string;
  totalMinor: bigint;
  paidMinor: bigint;
  creditedMinor: bigint;
}

export interface Lookups {
  invoices: Map<string, KnownInvoice>;
  /** Contract number -> customer id. */
  contracts: Map<string, string>;
  /** Lower-case customer name -> customer id (names shared by several customers are left out). */
  customerNames: Map<string, string>;
  /** Open invoices by customer, for "only the customer known" suggestions. */
  openByCustomer: Map<string, KnownInvoice[]>;
}

export type Match =
  | { status: 'MATCHED'; note: string; invoices: KnownInvoice[]; customerId: string }
  | { status: 'SUGGESTED'; note: string; invoiceId: string | null; customerId: string }
  | { status: 'UNMATCHED'; note: string }
  | { status: 'DISMISSED'; note: string };

const textOf = (l: Pick<StatementLine, 'reference' | 'payer'>) => `${l.reference} ${l.payer}`.toUpperCase();

export function invoiceNumbersIn(l: Pick<StatementLine, 'reference' | 'payer'>): string[] {
  return [...new Set(textOf(l).match(INVOICE_NUMBER) ?? [])];
}
export function contractNumbersIn(l: Pick<StatementLine, 'reference' | 'payer'>): string[] {
  return [...new Set(textOf(l).match(CONTRACT_NUMBER) ?? [])];
}

const money = (v: bigint) => (Number(v) / 100).toFixed(2);

export function matchLine(l: StatementLine, k: Lookups): Match {
  if (l.amountMinor < 0n) return { status: 'DISMISSED', note: 'Outgoing transfer: not a receipt' };
  const found = invoiceNumbersIn(l)
    .map((no) => k.invoices.get(no))
    .filter((i): i is KnownInvoice => Boolean(i));
  if (found.length > 0) {
    const open = found.filter((i) => i.status === 'ISSUED' && balanceOf(i) > 0n && i.currency === l.currency);
    const owed = open.reduce((s, i) => s + balanceOf(i), 0n);
    const customers = new Set(found.map((i) => i.customerId));
    const names = found.map((i) => i.number).join(', ');
    if (customers.size === 1 && open.length === found.length && owed === l.amountMinor)
      return { status: 'MATCHED', note: `Invoice ${names}: amount matches`, invoices: open, customerId: found[0]!.customerId };
    const first = open[0] ?? found[0]!;
    const why =
      open.length === 0
        ? `invoice ${names} has nothing open in ${l.currency}`
        : `open balance ${money(owed)}, line ${money(l.amountMinor)}${customers.size > 1 ? ', several customers' : ''}`;
    return {
      status: 'SUGGESTED',
      note: `Invoice ${names}: ${why}`,
      invoiceId: open.length ? first.id : null,
      customerId: first.customerId,
    };
  }
  const byContract = contractNumbersIn(l)
    .map((no) => [no, k.contracts.get(no)] as const)
    .find(([, id]) => id);
  const byName = k.customerNames.get(l.payer.trim().toLowerCase());
  const customerId = byContract?.[1] ?? byName;
  if (customerId) {
    const exact = (k.openByCustomer.get(customerId) ?? []).filter((i) => i.currency === l.currency && balanceOf(i) === l.amountMinor);
    const how = byContract ? `contract ${byContract[0]}` : 'payer name';
    return {
      status: 'SUGGESTED',
      note: `Customer known by ${how}${exact.length === 1 ? `; invoice ${exact[0]!.number} has this balance` : ''}`,
      invoiceId: exact.length === 1 ? exact[0]!.id : null,
      customerId,
    };
  }
  return { status: 'UNMATCHED', note: 'No invoice number or customer reference found' };
}
