import { describe, expect, it } from 'vitest';
import { type KnownInvoice, type Lookups, matchLine } from './bank-matching.js';
import { parseAmount, readStatement } from './bank-statement-csv.js';

const inv = (id: string, number: string, customerId: string, totalMinor: bigint, paidMinor = 0n): KnownInvoice => ({
  id,
  number,
  customerId,
  currency: 'CNY',
  status: 'ISSUED',
  totalMinor,
  paidMinor,
  creditedMinor: 0n,
});

describe('statement amounts', () => {
  it('are read to the fen without floating point', () => {
    expect(parseAmount('0.1')).toBe(10n);
    expect(parseAmount('1234.05')).toBe(123405n);
    expect(parseAmount('-5')).toBe(-500n);
    expect(parseAmount('9999999999999.99')).toBe(999999999999999n);
    for (const bad of ['1,5', '1e5', '1.005', '', ' 1', '0x10', 'NaN', '1.']) expect(parseAmount(bad)).toBeNull();
  });
});

describe('line hashes', () => {
  it('tell two identical transfers in one file apart, and find the same lines in another file', () => {
    const a = readStatement('date,amount,payer,reference\n2026-12-01,1.00,P,R\n2026-12-01,1.00,P,R\n2026-12-02,2.00,P,R\n');
    const b = readStatement('Date,Amount,Payer,Reference\r\n2026-12-01,1.00,P,R\r\n2026-12-03,3.00,P,R\r\n');
    expect(new Set(a.lines.map((l) => l.hash)).size).toBe(3);
    expect(b.lines[0]!.hash).toBe(a.lines[0]!.hash);
    expect(a.lines.map((l) => l.hash)).not.toContain(b.lines[1]!.hash);
    expect(a.lines.map((l) => l.lineNumber)).toEqual([2, 3, 4]);
  });
});

describe('matching', () => {
  const k: Lookups = {
    invoices: new Map([
      ['NX-2026-000001', inv('i1', 'NX-2026-000001', 'c1', 3169n)],
      ['NX-2026-000002', inv('i2', 'NX-2026-000002', 'c1', 1000n, 400n)],
      ['NX-2026-000003', inv('i3', 'NX-2026-000003', 'c2', 500n)],
    ]),
    contracts: new Map([['C-2026-000009', 'c2']]),
    customerNames: new Map([['acme ltd', 'c2']]),
    openByCustomer: new Map([['c2', [inv('i3', 'NX-2026-000003', 'c2', 500n)]]]),
  };
  const line = (amount: string, reference: string, payer = 'Someone') =>
    readStatement(`date,amount,payer,reference\n2026-12-01,${amount},${payer},${reference}\n`).lines[0]!;

  it('posts exact amounts, across several invoices of one customer too', () => {
    expect(matchLine(line('31.69', 'inv nx-2026-000001'), k)).toMatchObject({ status: 'MATCHED', customerId: 'c1' });
    // 31.69 + (10.00 - 4.00) = 37.69
    const both = matchLine(line('37.69', 'NX-2026-000001 NX-2026-000002'), k);
    expect(both.status).toBe('MATCHED');
    expect(both.status === 'MATCHED' && both.invoices.map((i) => i.id)).toEqual(['i1', 'i2']);
  });

  it('suggests when the amount differs or only the customer is known, and queues the rest', () => {
    expect(matchLine(line('30.00', 'NX-2026-000001'), k)).toMatchObject({ status: 'SUGGESTED', invoiceId: 'i1' });
    expect(matchLine(line('36.69', 'NX-2026-000001 NX-2026-000003'), k)).toMatchObject({ status: 'SUGGESTED' });
    expect(matchLine(line('5.00', 'contract C-2026-000009'), k)).toMatchObject({ status: 'SUGGESTED', customerId: 'c2', invoiceId: 'i3' });
    expect(matchLine(line('7.00', 'thanks', 'ACME Ltd'), k)).toMatchObject({ status: 'SUGGESTED', customerId: 'c2', invoiceId: null });
    expect(matchLine(line('7.00', 'thanks'), k)).toMatchObject({ status: 'UNMATCHED' });
    expect(matchLine(line('-7.00', 'fee'), k)).toMatchObject({ status: 'DISMISSED' });
  });
});
