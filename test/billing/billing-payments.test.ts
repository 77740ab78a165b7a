import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { addUsage, createContract, createCustomer, createOracleTariff, createTerminal, waitFor } from '../helpers/billing.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

let sys: TestSystem;
let finance: { headers: { authorization: string } };
let planId: string;
const DAY = 86_400_000;

beforeAll(async () => {
  sys = await startTestSystem('api');
  finance = await loginAs(sys.services, sys.app!, 'FINANCE');
  planId = (await createOracleTariff(sys.services)).id;
});
afterAll(async () => {
  await sys?.stop();
});

/** A contract with one terminal and an issued invoice for the period (29.90 + 6% = 31.69). */
async function invoicedContract(name: string, opts: { contractorId?: string; period?: string; issuedAt?: Date } = {}) {
  const s = sys.services;
  const customer = await createCustomer(s, { name, contractorId: opts.contractorId ?? null });
  const contract = await createContract(s, {
    customerId: customer.id,
    contractorId: opts.contractorId ?? null,
    tariffPlanId: planId,
    startDate: new Date('2026-01-01T00:00:00Z'),
  });
  const t = await createTerminal(s, contract, 'NXV-P', new Date('2026-05-01T00:00:00Z'));
  await addUsage(s, t, '2026-09-02', 10, 64);
  const out = await s.billing.issuer.issue(contract.id, opts.period ?? '2026-09', null, opts.issuedAt ?? new Date());
  if (out.kind !== 'created') throw new Error(`not issued: ${out.kind}`);
  return { customer, contract, invoiceId: out.invoiceId, total: Number(out.totalMinor) };
}

const pay = (payload: object) => sys.app!.inject({ method: 'POST', url: '/api/v1/payments', headers: finance.headers, payload });
const invoice = async (id: string) =>
  (await sys.app!.inject({ url: `/api/v1/invoices/${id}`, headers: finance.headers })).json() as {
    status: string;
    paidMinor: number;
    balanceMinor: number;
    creditedMinor: number;
  };

describe('issuing', () => {
  it('issues one invoice when the same contract is issued concurrently, without a gap in numbers', async () => {
    const s = sys.services;
    const { contract } = await invoicedContract('Race Ltd', { period: '2026-08' });
    const outcomes = await Promise.all([1, 2, 3].map(() => s.billing.issuer.issue(contract.id, '2026-09', null)));
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['created', 'exists', 'exists']);
    const year = new Date().getUTCFullYear();
    const seq = await s.db.invoiceNumberSequence.findUniqueOrThrow({ where: { year } });
    const numbers = (await s.db.invoice.findMany({ select: { number: true } }))
      .map((i) => Number(i.number!.slice(-6)))
      .sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: seq.lastNumber }, (_, i) => i + 1));
  });
});

describe('payments', () => {
  it('are idempotent by reference and may be partial', async () => {
    const { invoiceId, total } = await invoicedContract('Payer Ltd');
    expect(total).toBe(3169); // 29.90 + 6% (1.794 -> 1.79)
    const first = await pay({ reference: 'BANK-0001', invoiceId, amountMinor: 1000 });
    expect(first.statusCode).toBe(201);
    const again = await pay({ reference: 'BANK-0001', invoiceId, amountMinor: 1000 });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    expect(await invoice(invoiceId)).toMatchObject({ status: 'ISSUED', paidMinor: 1000, balanceMinor: 2169 });
    // Same reference, other details: a client bug, not a second payment.
    expect((await pay({ reference: 'BANK-0001', invoiceId, amountMinor: 999 })).statusCode).toBe(409);
    // Concurrent duplicates still make one payment.
    const burst = await Promise.all([1, 2, 3].map(() => pay({ reference: 'BANK-0003', invoiceId, amountMinor: 2169 })));
    expect(burst.map((r) => r.statusCode).sort()).toEqual([200, 200, 201]);
    expect(await invoice(invoiceId)).toMatchObject({ status: 'PAID', paidMinor: 3169, balanceMinor: 0 });
    expect(await sys.services.db.payment.count({ where: { allocations: { some: { invoiceId } } } })).toBe(2);
    expect((await pay({ reference: 'BANK-0004', invoiceId, amountMinor: 1 })).statusCode).toBe(409);
  });

  it('credit notes reduce the balance and settle the invoice', async () => {
    const { invoiceId } = await invoicedContract('Credited Ltd');
    const res = await sys.app!.inject({
      method: 'POST',
      url: `/api/v1/invoices/${invoiceId}/credit-notes`,
      headers: finance.headers,
      payload: { amountMinor: 169, reason: 'Goodwill' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().number).toMatch(/^CN-NX-\d{4}-\d{6}-1$/);
    expect(await invoice(invoiceId)).toMatchObject({ creditedMinor: 169, balanceMinor: 3000, status: 'ISSUED' });
    await pay({ reference: 'BANK-CN-1', invoiceId, amountMinor: 3000 });
    expect(await invoice(invoiceId)).toMatchObject({ status: 'PAID', balanceMinor: 0 });
  });
});

describe('receivables aging', () => {
  it('buckets open balances by days past due', async () => {
    const asOf = new Date('2027-03-01T00:00:00Z');
    const { contract } = await invoicedContract('Aging Ltd', { period: '2026-05' });
    const s = sys.services;
    // One invoice per bucket: due in the future, 10, 45, 75 and 120 days ago.
    const periods = ['2026-05', '2026-06', '2026-07', '2026-08', '2026-09'];
    for (const p of periods.slice(1)) await s.billing.issuer.issue(contract.id, p, null);
    const pastDue = [-5, 10, 45, 75, 120];
    for (const [i, p] of periods.entries()) {
      await s.db.invoice.update({
        where: { contractId_period: { contractId: contract.id, period: p } },
        data: { dueAt: new Date(asOf.getTime() - pastDue[i]! * DAY) },
      });
    }
    // A partial payment leaves a partial balance in its bucket.
    const inv45 = await s.db.invoice.findUniqueOrThrow({ where: { contractId_period: { contractId: contract.id, period: '2026-07' } } });
    await pay({ reference: 'AGING-1', invoiceId: inv45.id, amountMinor: 1169 });

    const customer = await loginAs(s, sys.app!, 'CUSTOMER', contract.customerId);
    const res = await sys.app!.inject({ url: `/api/v1/reports/aging?asOf=${asOf.toISOString()}`, headers: customer.headers });
    expect(res.statusCode).toBe(200);
    const report = res.json() as { buckets: Record<string, number>; totalMinor: number; customers: { customerId: string }[] };
    // May carries the activation fee: (29.90 + 50.00) + 6% = 84.694 -> 84.69.
    expect(report.buckets).toEqual({ current: 8469, '1-30': 3169, '31-60': 2000, '61-90': 3169, '90+': 3169 });
    expect(report.totalMinor).toBe(8469 + 3169 * 3 + 2000);
    expect(report.customers.map((c) => c.customerId)).toEqual([contract.customerId]);

    // An invoice in another currency is never added to these: it has its own report.
    await s.db.invoice.update({ where: { id: inv45.id }, data: { currency: 'USD' } });
    const cny = (
      await sys.app!.inject({ url: `/api/v1/reports/aging?asOf=${asOf.toISOString()}`, headers: customer.headers })
    ).json() as typeof report & { currency: string; currencies: string[] };
    expect(cny).toMatchObject({ currency: 'CNY', currencies: ['CNY', 'USD'], totalMinor: 8469 + 3169 * 3 });
    expect(cny.buckets['31-60']).toBe(0);
    const usd = (
      await sys.app!.inject({ url: `/api/v1/reports/aging?asOf=${asOf.toISOString()}&currency=USD`, headers: customer.headers })
    ).json() as typeof cny;
    expect(usd).toMatchObject({
      currency: 'USD',
      totalMinor: 2000,
      buckets: { current: 0, '1-30': 0, '31-60': 2000, '61-90': 0, '90+': 0 },
    });
    expect((await sys.app!.inject({ url: '/api/v1/reports/aging?currency=usd', headers: customer.headers })).statusCode).toBe(400);
  });
});

describe('dunning', () => {
  it('reminds, suspends the contract, and reactivates it when paid', async () => {
    const s = sys.services;
    const { contract, invoiceId, total } = await invoicedContract('Late Payer Ltd');
    const { dueAt } = await s.db.invoice.findUniqueOrThrow({ where: { id: invoiceId } });
    const at = (days: number) => new Date(dueAt!.getTime() + days * DAY + 3600_000);
    const events = async (type: string) =>
      s.db.outboxEvent.findMany({ where: { type, payload: { path: ['contractId'], equals: contract.id } } });

    // Gateways learn of the suspension through the credential invalidation channel.
    const sub = new Redis(sys.config.REDIS_URL!);
    const messages: string[] = [];
    sub.on('message', (_c, m: string) => messages.push(m));
    await sub.subscribe(`${sys.config.REDIS_PREFIX}:devices:credentials-changed`);

    try {
      // Other tests' invoices are overdue too; only this invoice's notices matter here.
      const levels = async () =>
        (await s.db.dunningNotice.findMany({ where: { invoiceId }, orderBy: { level: 'asc' } })).map((n) => n.level);
      await s.billing.dunning.run(at(3));
      expect(await levels()).toEqual([]);
      await s.billing.dunning.run(at(8));
      await s.billing.dunning.run(at(9)); // once per level
      expect(await levels()).toEqual([7]);
      await s.billing.dunning.run(at(15));
      const overdue = await events('invoice.overdue');
      expect(overdue.map((e) => (e.payload as { level: number }).level)).toEqual([7, 14]);
      expect(overdue[0]!.customerId).toBe(contract.customerId);

      await s.billing.dunning.run(at(29));
      expect((await s.db.contract.findUniqueOrThrow({ where: { id: contract.id } })).status).toBe('ACTIVE');
      await s.billing.dunning.run(at(31));
      expect((await s.db.contract.findUniqueOrThrow({ where: { id: contract.id } })).status).toBe('SUSPENDED');
      expect(await events('contract.suspended')).toHaveLength(1);
      await waitFor(async () => messages.some((m) => m.includes(contract.id)), 3000);
      await s.billing.dunning.run(at(32));
      expect(await events('contract.suspended')).toHaveLength(1);
      const notices = await s.db.dunningNotice.findMany({ where: { invoiceId }, orderBy: { level: 'asc' } });
      expect(notices.map((n) => [n.level, n.action])).toEqual([
        [7, 'REMINDER'],
        [14, 'REMINDER'],
        [30, 'SUSPENSION'],
      ]);

      // A partial payment leaves it suspended; clearing the balance reactivates at once.
      messages.length = 0;
      await pay({ reference: 'LATE-1', invoiceId, amountMinor: 1000 });
      expect((await s.db.contract.findUniqueOrThrow({ where: { id: contract.id } })).status).toBe('SUSPENDED');
      await pay({ reference: 'LATE-2', invoiceId, amountMinor: total - 1000 });
      const after = await s.db.contract.findUniqueOrThrow({ where: { id: contract.id } });
      expect(after).toMatchObject({ status: 'ACTIVE', suspendedAt: null, suspensionReason: null });
      expect(await events('contract.reactivated')).toHaveLength(1);
      await waitFor(async () => messages.some((m) => m.includes(contract.id)), 3000);
    } finally {
      sub.disconnect();
    }
  });
});

describe('manual contract suspension', () => {
  it('emits contract.suspended / contract.reactivated and tells the gateways', async () => {
    const s = sys.services;
    const { contract } = await invoicedContract('Manual Ltd');
    const sub = new Redis(sys.config.REDIS_URL!);
    const messages: string[] = [];
    sub.on('message', (_c, m: string) => messages.push(m));
    await sub.subscribe(`${sys.config.REDIS_PREFIX}:devices:credentials-changed`);
    try {
      const sales = await loginAs(s, sys.app!, 'SALES');
      const patch = (status: string) =>
        sys.app!.inject({
          method: 'PATCH',
          url: `/api/v1/contracts/${contract.id}`,
          headers: sales.headers,
          payload: { status, suspensionReason: status === 'SUSPENDED' ? 'Customer request' : undefined },
        });
      expect((await patch('SUSPENDED')).statusCode).toBe(200);
      await waitFor(async () => messages.some((m) => m.includes(contract.id)), 3000);
      // A manual suspension is not lifted by payments: only dunning's own are.
      expect(await s.billing.dunning.reactivateIfCleared(contract.id)).toBe(false);
      expect((await patch('ACTIVE')).statusCode).toBe(200);
      const types = (
        await s.db.outboxEvent.findMany({ where: { payload: { path: ['contractId'], equals: contract.id } }, orderBy: { id: 'asc' } })
      ).map((e) => e.type);
      expect(types.filter((t) => t.startsWith('contract.'))).toEqual(['contract.suspended', 'contract.reactivated']);
    } finally {
      sub.disconnect();
    }
  });
});

describe('commissions', () => {
  it('pays the contractor its rate on amounts collected in the month', async () => {
    const s = sys.services;
    const app = sys.app!;
    const contractor = await createCustomer(s, { name: 'Commission Installer', kind: 'CONTRACTOR', commissionRateBp: 500 });
    const rival = await createCustomer(s, { name: 'Rival Installer', kind: 'CONTRACTOR', commissionRateBp: 700 });
    const a = await invoicedContract('Managed A', { contractorId: contractor.id });
    const b = await invoicedContract('Managed B', { contractorId: contractor.id });
    const c = await invoicedContract('Rival managed', { contractorId: rival.id });
    await pay({ reference: 'COM-1', invoiceId: a.invoiceId, amountMinor: 3169, receivedAt: '2026-10-03T02:00:00Z' });
    await pay({ reference: 'COM-2', invoiceId: b.invoiceId, amountMinor: 1234, receivedAt: '2026-10-31T15:59:00Z' }); // 23:59 local
    await pay({ reference: 'COM-3', invoiceId: b.invoiceId, amountMinor: 100, receivedAt: '2026-10-31T16:00:00Z' }); // November locally
    await pay({ reference: 'COM-4', invoiceId: c.invoiceId, amountMinor: 3169, receivedAt: '2026-10-10T02:00:00Z' });

    const me = await loginAs(s, app, 'CONTRACTOR', contractor.id);
    const mine = (await app.inject({ url: '/api/v1/commissions?period=2026-10', headers: me.headers })).json() as {
      items: { contractorId: string; collectedMinor: number; amountMinor: number; statement: boolean }[];
    };
    // 5% of 31.69 + 12.34 = 44.03 -> 2.2015 -> 2.20
    expect(mine.items).toEqual([
      expect.objectContaining({ contractorId: contractor.id, collectedMinor: 4403, rateBp: 500, amountMinor: 220, statement: false }),
    ]);
    expect((await app.inject({ url: `/api/v1/commissions?period=2026-10&contractorId=${rival.id}`, headers: me.headers })).statusCode).toBe(
      404,
    );

    const gen = await app.inject({
      method: 'POST',
      url: '/api/v1/commission-statements',
      headers: finance.headers,
      payload: { period: '2026-10' },
    });
    expect(gen.statusCode).toBe(200);
    const all = gen.json() as { items: { contractorId: string; amountMinor: number; statement: boolean }[] };
    expect(all.items.find((i) => i.contractorId === rival.id)).toMatchObject({ amountMinor: 222, statement: true }); // 7% of 31.69 = 2.2183
    // Regenerating keeps one frozen statement per contractor and period.
    await app.inject({ method: 'POST', url: '/api/v1/commission-statements', headers: finance.headers, payload: { period: '2026-10' } });
    expect(await s.db.commissionStatement.count({ where: { period: '2026-10', contractorId: contractor.id } })).toBe(1);
    expect(
      (await app.inject({ method: 'POST', url: '/api/v1/commission-statements', headers: me.headers, payload: { period: '2026-10' } }))
        .statusCode,
    ).toBe(403);
  });
});
