import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { createContract, createCustomer, createOracleTariff, createTerminal, waitFor } from '../helpers/billing.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

// A month of receivables, end to end through the API and real billing runs. Every amount is
// computed by hand in the comments. The oracle plan: rental 29.90 a month, tax 6%; a terminal
// in service the whole month is invoiced 29.90 + round(1.794) = 31.69 (3169 fen).
let sys: TestSystem;
let finance: { headers: { authorization: string } };
const ids: Record<string, string> = {};
const MONTH = 3169;

type Invoice = { id: string; number: string; status: string; totalMinor: number; paidMinor: number; balanceMinor: number };
type Line = {
  id: string;
  lineNumber: number;
  status: string;
  note: string;
  amountMinor: number;
  invoice: { id: string } | null;
  customer: { id: string } | null;
};

beforeAll(async () => {
  sys = await startTestSystem('all');
  const s = sys.services;
  finance = await loginAs(s, sys.app!, 'FINANCE');
  const plan = await createOracleTariff(s);
  ids.plan = plan.id;
  // Harbour: two contracts, one terminal each. Refund Co and Queue Co: one each.
  const names = { harbour: 'Harbour Logistics', refund: 'Refund Co', queue: 'Queue Co' };
  let k = 0;
  for (const [key, name] of Object.entries(names)) {
    const c = await createCustomer(s, { name });
    ids[key] = c.id;
    for (const suffix of key === 'harbour' ? ['1', '2'] : ['1']) {
      const contract = await createContract(s, { customerId: c.id, tariffPlanId: plan.id });
      // Contract numbers as the CRM gives them: bank references quote them.
      await s.db.contract.update({ where: { id: contract.id }, data: { number: `C-2026-90000${++k}` } });
      ids[`${key}${suffix}`] = contract.id;
      await createTerminal(s, contract, `NXV-${key}${suffix}`, new Date('2026-08-10T02:00:00Z'));
    }
  }
  // A finance credit of 100.00 on Refund Co's October invoice, more than the month's charges.
  await s.db.oneOffCharge.create({
    data: {
      contractId: ids.refund1!,
      kind: 'MANUAL',
      description: 'Goodwill for the outage',
      unitPriceMinor: -10_000n,
      reason: 'Outage',
      at: new Date('2026-10-05T02:00:00Z'),
    },
  });
});

afterAll(async () => {
  await sys?.stop();
});

const api = (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = finance.headers) =>
  sys.app!.inject({ method, url: `/api/v1${url}`, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

async function runPeriod(period: string) {
  const res = await api('POST', '/billing-runs', { period });
  expect([200, 202]).toContain(res.statusCode);
  const id = (res.json() as { id: string }).id;
  const run = await waitFor(async () => {
    const r = (await api('GET', `/billing-runs/${id}`)).json() as { status: string };
    return r.status === 'COMPLETED' || r.status === 'FAILED' ? r : null;
  }, 60_000);
  expect(run.status).toBe('COMPLETED');
}

async function invoiceOf(contract: string, period: string): Promise<Invoice> {
  const list = (await api('GET', `/invoices?contractId=${ids[contract]}&period=${period}`)).json() as { items: Invoice[] };
  expect(list.items).toHaveLength(1);
  return list.items[0]!;
}
const balanceOf = async (customer: string) =>
  (
    (await api('GET', `/customers/${ids[customer]}/balance`)).json() as {
      balances: { currency: string; openMinor: number; creditMinor: number; netMinor: number }[];
    }
  ).balances[0] ?? { openMinor: 0, creditMinor: 0, netMinor: 0 };
const statement = async (customer: string) =>
  (await api('GET', `/customers/${ids[customer]}/statement`)).json() as {
    entries: { kind: string; document: string; debitMinor: number; creditMinor: number; balanceMinor: number }[];
    closingBalanceMinor: number;
    creditAvailableMinor: number;
  };

// Bank lines are booked today: before the invoices issued during this test (at the real clock).
const today = new Date().toISOString().slice(0, 10);
const csvOf = (rows: string[][]) => ['date,amount,payer,reference', ...rows.map((r) => r.join(','))].join('\n');
const importCsv = (csv: string) =>
  sys.app!.inject({
    method: 'POST',
    url: '/api/v1/billing/bank-statements',
    headers: { ...finance.headers, 'content-type': 'text/csv' },
    payload: csv,
  });

describe('a month of receivables', () => {
  let statementCsv = '';
  const nos: Record<string, string> = {};

  it('September: one payment settles two invoices, the rest becomes credit; an overpayment is credit, not a 400', async () => {
    await runPeriod('2026-09');
    for (const c of ['harbour1', 'harbour2', 'refund1', 'queue1']) {
      const inv = await invoiceOf(c, '2026-09');
      expect(inv.totalMinor).toBe(MONTH);
      nos[`${c}-09`] = inv.number;
      ids[`${c}-09`] = inv.id;
    }
    // 80.00 for both Harbour invoices: 31.69 + 31.69 = 63.38, 16.62 left over as credit.
    const multi = await api('POST', '/payments', {
      reference: 'HB-SEPT',
      amountMinor: 8000,
      allocations: [
        { invoiceId: ids['harbour1-09'], amountMinor: MONTH },
        { invoiceId: ids['harbour2-09'], amountMinor: MONTH },
      ],
    });
    expect(multi.statusCode).toBe(201);
    expect(multi.json()).toMatchObject({ amountMinor: 8000, unallocatedMinor: 1662, customerId: ids.harbour });
    for (const c of ['harbour1', 'harbour2']) expect(await invoiceOf(c, '2026-09')).toMatchObject({ status: 'PAID', balanceMinor: 0 });
    expect(await balanceOf('harbour')).toMatchObject({ openMinor: 0, creditMinor: 1662, netMinor: -1662 });

    // Refund Co pays 50.00 on its 31.69 invoice: once refused, now 18.31 of credit.
    const over = await api('POST', '/payments', { reference: 'RF-SEPT', invoiceId: ids['refund1-09'], amountMinor: 5000 });
    expect(over.statusCode).toBe(201);
    expect(over.json()).toMatchObject({ allocations: [{ invoiceId: ids['refund1-09'], amountMinor: MONTH }], unallocatedMinor: 1831 });
    expect(await balanceOf('refund')).toMatchObject({ creditMinor: 1831 });
    // The same reference again is the same payment, not a second one.
    expect((await api('POST', '/payments', { reference: 'RF-SEPT', invoiceId: ids['refund1-09'], amountMinor: 5000 })).statusCode).toBe(
      200,
    );
    expect(await balanceOf('refund')).toMatchObject({ creditMinor: 1831 });
    // Allocations must fit: more than a balance, or more than the payment, is refused with the field.
    const tooMuch = await api('POST', '/payments', {
      reference: 'BAD-1',
      amountMinor: 100,
      allocations: [{ invoiceId: ids['queue1-09'], amountMinor: 200 }],
    });
    expect(tooMuch.statusCode).toBe(400);
    expect(JSON.stringify(tooMuch.json())).toContain('amountMinor');
    const mixed = await api('POST', '/payments', {
      reference: 'BAD-2',
      amountMinor: 6338,
      allocations: [
        { invoiceId: ids['queue1-09'], amountMinor: MONTH },
        { invoiceId: ids['harbour1-09'], amountMinor: MONTH },
      ],
    });
    expect([400, 409]).toContain(mixed.statusCode);
    expect(await sys.services.db.payment.count({ where: { reference: { startsWith: 'BAD-' } } })).toBe(0);
  });

  it('October: credit settles the next invoices oldest first; a negative total becomes credit, not a negative invoice', async () => {
    await runPeriod('2026-10');
    // Harbour's 16.62 goes to the first October invoice (lower number): 31.69 - 16.62 = 15.07.
    const oct = [await invoiceOf('harbour1', '2026-10'), await invoiceOf('harbour2', '2026-10')].sort((a, b) =>
      a.number.localeCompare(b.number),
    );
    const [first, second] = oct as [Invoice, Invoice];
    nos.first = first.number;
    nos.second = second.number;
    ids.first = first.id;
    ids.second = second.id;
    expect(first).toMatchObject({ totalMinor: MONTH, paidMinor: 1662, balanceMinor: 1507, status: 'ISSUED' });
    expect(second).toMatchObject({ totalMinor: MONTH, paidMinor: 0, balanceMinor: MONTH });
    expect(await balanceOf('harbour')).toMatchObject({ openMinor: 1507 + MONTH, creditMinor: 0 });

    // Refund Co: 29.90 rental - 100.00 credit = -70.10; tax round(-4.206) = -4.21; total -74.31,
    // carried to credit: the invoice asks for 0.00, the customer holds 18.31 + 74.31 = 92.62.
    const neg = (await api('GET', `/invoices/${(await invoiceOf('refund1', '2026-10')).id}`)).json() as Invoice & {
      subtotalMinor: number;
      taxMinor: number;
      lines: { kind: string; amountMinor: number }[];
    };
    expect(neg).toMatchObject({ subtotalMinor: -7010, taxMinor: -421, totalMinor: 0, balanceMinor: 0 });
    expect(neg.lines.at(-1)).toMatchObject({ kind: 'CARRIED_TO_CREDIT', amountMinor: 7431 });
    expect(await balanceOf('refund')).toMatchObject({ openMinor: 0, creditMinor: 9262, netMinor: -9262 });
    // Rerunning the period changes nothing: no second credit, no second application.
    await runPeriod('2026-10');
    expect(await balanceOf('refund')).toMatchObject({ creditMinor: 9262 });
    expect(await balanceOf('harbour')).toMatchObject({ openMinor: 1507 + MONTH });
  });

  it('refunds credit with a reason, oldest credit first, once per reference', async () => {
    const refund = (amountMinor: number, reference: string) =>
      api('POST', `/customers/${ids.refund}/credit-refunds`, { amountMinor, reason: 'Customer closed the account', reference });
    expect((await refund(9263, 'RF-BACK-0')).statusCode).toBe(400); // 92.63 > 92.62 available
    const first = await refund(5000, 'RF-BACK-1');
    expect(first.statusCode).toBe(201);
    expect((await refund(5000, 'RF-BACK-1')).statusCode).toBe(200);
    expect((await refund(4000, 'RF-BACK-1')).statusCode).toBe(409);
    expect(await balanceOf('refund')).toMatchObject({ creditMinor: 4262 }); // 92.62 - 50.00
    // The overpayment's 18.31 went first, then 31.69 of the negative invoice's 74.31: 42.62 left.
    const lots = await sys.services.db.creditEntry.findMany({
      where: { customerId: ids.refund, amountMinor: { gt: 0 } },
      orderBy: { at: 'asc' },
    });
    expect(lots.map((l) => [l.kind, Number(l.remainingMinor)])).toEqual([
      ['OVERPAYMENT', 0],
      ['NEGATIVE_INVOICE', 4262],
    ]);
    const audit = await sys.services.db.auditLog.findMany({ where: { action: 'credit.refunded', entityId: ids.refund } });
    expect(audit).toHaveLength(1);
  });

  it('imports a bank statement: exact lines are posted, partial ones suggested, the rest queued', async () => {
    statementCsv = csvOf([
      [today, '31.69', 'Queue Co', `Invoice ${nos['queue1-09']}`], // exact
      [today, '30.00', 'HARBOUR LOGISTICS', `pay ${nos.second!.toLowerCase()}`], // amount differs
      [today, '31.69', 'Q. Co Ltd', 'Contract C-2026-900004 October'], // only the customer known
      [today, '12.34', 'Unknown Trading', 'Thanks'], // unmatched
      [today, '1.00', 'Mystery', 'X'], // unmatched, twice: two real transfers
      [today, '1.00', 'Mystery', 'X'],
      [today, '-5.00', 'Bank', 'Monthly fee'], // outgoing
    ]);
    const res = await importCsv(statementCsv);
    expect(res.statusCode).toBe(201);
    const out = res.json() as { newLines: number; MATCHED: number; SUGGESTED: number; UNMATCHED: number; DISMISSED: number; items: Line[] };
    expect(out).toMatchObject({ newLines: 7, MATCHED: 1, SUGGESTED: 2, UNMATCHED: 3, DISMISSED: 1 });
    const byLine = new Map(out.items.map((l) => [l.lineNumber, l]));
    expect(byLine.get(2)!.status).toBe('MATCHED');
    expect(await invoiceOf('queue1', '2026-09')).toMatchObject({ status: 'PAID', balanceMinor: 0 });
    expect(byLine.get(3)).toMatchObject({ status: 'SUGGESTED', invoice: { id: ids.second }, customer: { id: ids.harbour } });
    expect(byLine.get(3)!.note).toContain('open balance 31.69, line 30.00');
    const queueOct = await invoiceOf('queue1', '2026-10');
    expect(byLine.get(4)).toMatchObject({ status: 'SUGGESTED', invoice: { id: queueOct.id }, customer: { id: ids.queue } });
    expect(byLine.get(5)!.status).toBe('UNMATCHED');
    expect(byLine.get(8)!.status).toBe('DISMISSED');

    // Finance works the queue: accept both suggestions, put the unknown 12.34 on Harbour's
    // credit (applied at once to its oldest open invoice), dismiss one 1.00.
    const assign = (line: number, body: object) => api('POST', `/billing/bank-statement-lines/${byLine.get(line)!.id}/assign`, body);
    expect((await assign(3, { invoiceId: ids.second })).statusCode).toBe(200);
    expect((await assign(4, { invoiceId: queueOct.id })).statusCode).toBe(200);
    expect((await assign(5, { customerId: ids.harbour })).statusCode).toBe(200);
    expect((await assign(5, { customerId: ids.harbour })).statusCode).toBe(409); // assigned already
    const dismissed = await api('POST', `/billing/bank-statement-lines/${byLine.get(6)!.id}/dismiss`, { reason: 'Test transfer' });
    expect(dismissed.json()).toMatchObject({ status: 'DISMISSED' });
    // 15.07 - 12.34 = 2.73 on the first October invoice; 31.69 - 30.00 = 1.69 on the second.
    expect((await api('GET', `/invoices/${ids.first}`)).json()).toMatchObject({ balanceMinor: 273 });
    expect((await api('GET', `/invoices/${ids.second}`)).json()).toMatchObject({ balanceMinor: 169 });
    expect(await invoiceOf('queue1', '2026-10')).toMatchObject({ status: 'PAID' });
    const queue = (await api('GET', '/billing/bank-statement-lines?status=UNMATCHED')).json() as { items: Line[] };
    expect(queue.items.map((l) => l.amountMinor)).toEqual([100]);
  });

  it('a re-import of the same statement, or an overlapping one, changes nothing already there', async () => {
    const db = sys.services.db;
    const snapshot = async () => ({
      payments: await db.payment.count(),
      allocations: await db.paymentAllocation.aggregate({ _sum: { amountMinor: true } }),
      credit: await db.creditEntry.aggregate({ _sum: { amountMinor: true } }),
      lines: (await db.bankStatementLine.findMany({ orderBy: { lineHash: 'asc' } })).map((l) => [l.lineHash, l.status, l.paymentId]),
      statements: await db.bankStatement.count(),
    });
    const before = await snapshot();
    const again = await importCsv(statementCsv);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ newLines: 0, statementId: null });
    expect(await snapshot()).toEqual(before);

    // The next statement overlaps the last two days and adds the 2.73 that settles Harbour's first October invoice.
    const overlap = csvOf([
      [today, '12.34', 'Unknown Trading', 'Thanks'],
      [today, '1.00', 'Mystery', 'X'],
      [today, '-5.00', 'Bank', 'Monthly fee'],
      [today, '2.73', 'Harbour Logistics', nos.first!],
    ]);
    const res = await importCsv(overlap);
    expect(res.json()).toMatchObject({ lines: 4, newLines: 1, MATCHED: 1 });
    expect((await api('GET', `/invoices/${ids.first}`)).json()).toMatchObject({ status: 'PAID', balanceMinor: 0 });
  });

  it("the customer's statement shows invoices, payments, credit and a running balance to the fen", async () => {
    // Harbour: +31.69 +31.69 (Sept) -80.00 (payment) +31.69 +31.69 (Oct) -30.00 -12.34 -2.73 (bank) = 1.69,
    // which is what is open (the second October invoice) with no credit left.
    const h = await statement('harbour');
    expect(h.entries.filter((e) => e.kind === 'INVOICE').map((e) => e.debitMinor)).toEqual([MONTH, MONTH, MONTH, MONTH]);
    expect(
      h.entries
        .filter((e) => e.kind === 'PAYMENT')
        .map((e) => e.creditMinor)
        .sort((a, b) => a - b),
    ).toEqual([273, 1234, 3000, 8000]);
    expect(h.entries.filter((e) => e.kind === 'CREDIT_APPLIED').map((e) => e.document)).toEqual([nos.first, nos.first]);
    expect(h.closingBalanceMinor).toBe(169);
    expect(h.creditAvailableMinor).toBe(0);
    expect(await balanceOf('harbour')).toMatchObject({ openMinor: 169, creditMinor: 0, netMinor: 169 });
    // Refund Co: +31.69 -50.00 +0.00 -74.31 +50.00 = -42.62: in credit by what it holds.
    const r = await statement('refund');
    expect(r.entries.map((e) => [e.kind, e.balanceMinor])).toEqual([
      ['INVOICE', MONTH],
      ['PAYMENT', MONTH - 5000],
      ['INVOICE', MONTH - 5000],
      ['CREDIT', MONTH - 5000 - 7431],
      ['REFUND', -4262],
    ]);
    expect(r.creditAvailableMinor).toBe(4262);
    const csv = await api('GET', `/customers/${ids.refund}/statement.csv`);
    expect(csv.headers['content-type']).toContain('text/csv');
    const rows = csv.body.trim().split('\n');
    expect(rows[0]).toBe('date,kind,document,description,debit,credit,balance');
    expect(rows.at(-1)).toBe(',CLOSING,,Closing balance,,,-42.62');
    // Aging lists the credit beside what is owed.
    const aging = (await api('GET', '/reports/aging')).json() as {
      customers: { customerId: string; creditMinor: number; netMinor: number }[];
      creditMinor: number;
    };
    expect(aging.customers.find((c) => c.customerId === ids.refund)).toMatchObject({ creditMinor: 4262, netMinor: -4262 });
    expect(aging.creditMinor).toBe(4262);
  });

  it('dunning counts credit first: credit left unapplied settles the overdue invoice before any reminder', async () => {
    const s = sys.services;
    const dunned = await createCustomer(s, { name: 'Credit Holder' });
    const contract = await createContract(s, { customerId: dunned.id, tariffPlanId: ids.plan! });
    await createTerminal(s, contract, 'NXV-DUN', new Date('2026-08-10T02:00:00Z'));
    const out = await s.billing.issuer.issue(contract.id, '2026-09', null);
    if (out.kind !== 'created') throw new Error(out.kind);
    // Credit the issuing did not get to apply (a crash between the two): the ledger has it.
    await s.db.creditEntry.create({ data: { customerId: dunned.id, kind: 'OVERPAYMENT', amountMinor: 5000n, remainingMinor: 5000n } });
    const inv = await s.db.invoice.findUniqueOrThrow({ where: { id: out.invoiceId } });
    await s.billing.dunning.run(new Date(inv.dueAt!.getTime() + 31 * 86_400_000));
    expect(await s.db.dunningNotice.count({ where: { invoiceId: inv.id } })).toBe(0);
    expect((await s.db.contract.findUniqueOrThrow({ where: { id: contract.id } })).status).toBe('ACTIVE');
    expect(await s.db.invoice.findUniqueOrThrow({ where: { id: inv.id } })).toMatchObject({ status: 'PAID', paidMinor: BigInt(MONTH) });
  });
});
