import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodOf, shiftPeriod } from '../../billing/period.js';
import { QUEUE } from '../../src/platform/queues.js';
import { loginAs } from '../helpers/api.js';
import { addUsage, createContract, createCustomer, createOracleTariff, createTerminal, waitFor } from '../helpers/billing.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

// The oracle scenario: every expected amount below is computed by hand in the comments
// (and the same figures are checked at unit level in billing/rating.test.ts).
let sys: TestSystem;
let finance: { headers: { authorization: string } };
const ids: Record<string, string> = {};

beforeAll(async () => {
  sys = await startTestSystem('all');
  const s = sys.services;
  finance = await loginAs(s, sys.app!, 'FINANCE');
  const plan = await createOracleTariff(s);
  const contractor = await createCustomer(s, { name: 'Installer Co', kind: 'CONTRACTOR', commissionRateBp: 500 });
  const fleet = await createCustomer(s, { name: 'Fleet Ltd', contractorId: contractor.id });
  const other = await createCustomer(s, { name: 'Other Ltd' });
  const contract = await createContract(s, { customerId: fleet.id, contractorId: contractor.id, tariffPlanId: plan.id });
  const otherContract = await createContract(s, { customerId: other.id, tariffPlanId: plan.id });
  Object.assign(ids, {
    contractor: contractor.id,
    fleet: fleet.id,
    other: other.id,
    contract: contract.id,
    otherContract: otherContract.id,
  });

  const t1 = await createTerminal(s, contract, 'NXV-T1', new Date('2026-08-03T02:00:00Z'));
  const t2 = await createTerminal(s, contract, 'NXV-T2', new Date('2026-08-20T02:00:00Z'));
  // 10:00 on 12 September in Shanghai: 19 of 30 days, activation fee.
  const t3 = await createTerminal(s, contract, 'NXV-T3', new Date('2026-09-12T02:00:00Z'));
  // 04:00 on 1 September in Shanghai (31 August in UTC): full month, activation fee.
  const t4 = await createTerminal(s, contract, 'NXV-T4', new Date('2026-08-31T20:00:00Z'));
  ids.t1 = t1.id;
  // Segmenting: 64 B = 1 unit, 130 B = 3 units, 100 B = 2 units, 10 B = 1 unit.
  await addUsage(s, t1, '2026-09-01', 1000, 64, 20);
  await addUsage(s, t1, '2026-09-15', 1000, 64, 17); // T1: 2000 units, 37 downlinks in all
  await addUsage(s, t2, '2026-09-10', 1000, 130); // 3000 units
  await addUsage(s, t3, '2026-09-12', 567, 100); // 1134 units
  await addUsage(s, t4, '2026-09-30', 1000, 10); // 1000 units -> 7134 units
  // Outside the period: August (never invoiced) and October are not on the September invoice.
  await addUsage(s, t1, '2026-08-31', 5000, 64, 9);
  await addUsage(s, t1, '2026-10-01', 500, 64);

  const o1 = await createTerminal(s, otherContract, 'NXV-O1', new Date('2026-07-01T02:00:00Z'));
  await addUsage(s, o1, '2026-09-05', 10, 64);
});

afterAll(async () => {
  await sys?.stop();
});

async function runPeriod(period: string) {
  const res = await sys.app!.inject({ method: 'POST', url: '/api/v1/billing-runs', headers: finance.headers, payload: { period } });
  expect([200, 202]).toContain(res.statusCode);
  const id = (res.json() as { id: string }).id;
  return waitFor(async () => {
    const run = (await sys.app!.inject({ url: `/api/v1/billing-runs/${id}`, headers: finance.headers })).json() as {
      status: string;
      processedContracts: number;
      invoicesCreated: number;
      percent: number;
      totalContracts: number;
    };
    return run.status === 'COMPLETED' || run.status === 'FAILED' ? run : null;
  });
}

async function invoiceOf(contractId: string, period: string) {
  const list = (
    await sys.app!.inject({ url: `/api/v1/invoices?contractId=${contractId}&period=${period}`, headers: finance.headers })
  ).json() as { items: { id: string }[] };
  expect(list.items).toHaveLength(1);
  return (await sys.app!.inject({ url: `/api/v1/invoices/${list.items[0]!.id}`, headers: finance.headers })).json() as {
    id: string;
    number: string;
    totalMinor: number;
    subtotalMinor: number;
    taxMinor: number;
    issuedAt: string;
    dueAt: string;
    status: string;
    lines: { kind: string; quantity: number; unitPriceMicros: number; amountMinor: number; description: string }[];
  };
}

describe('billing run for September 2026 (the oracle)', () => {
  it('issues the hand-computed invoice through a BullMQ flow', async () => {
    const run = await runPeriod('2026-09');
    expect(run).toMatchObject({ status: 'COMPLETED', totalContracts: 2, processedContracts: 2, invoicesCreated: 2, percent: 100 });

    const inv = await invoiceOf(ids.contract!, '2026-09');
    expect(inv.lines.map((l) => [l.kind, l.quantity, l.amountMinor])).toEqual([
      ['RENTAL', 3, 8970], // T1, T2, T4 x 29.90
      ['PRORATION', 19, 1894], // T3: 29.90 x 19/30 = 18.9366 -> 18.94
      ['ACTIVATION', 2, 10000], // T3, T4 x 50.00
      ['ALLOWANCE', 3633, 0], // 1000 x 109 terminal-days / 30 = 3633.3 -> 3633
      ['OVERAGE', 2000, 2400], // 7134 - 3633 = 3501 over: 2000 x 0.012
      ['OVERAGE', 1501, 1276], // 1501 x 0.0085 = 12.7585 -> 12.76
      ['DOWNLINK', 37, 123], // 37 x 0.0333 = 1.2321 -> 1.23
      ['TAX', 1, 1480], // 6% of 246.63 = 14.7978 -> 14.80
    ]);
    expect(inv).toMatchObject({ subtotalMinor: 24663, taxMinor: 1480, totalMinor: 26143, status: 'ISSUED' });
    expect(inv.lines[1]!.description).toContain('19 of 30 days');
    expect(new Date(inv.dueAt).getTime() - new Date(inv.issuedAt).getTime()).toBe(30 * 86_400_000);

    // Legal numbers: sequential for the year, no gaps.
    const other = await invoiceOf(ids.otherContract!, '2026-09');
    const year = new Date().getUTCFullYear();
    expect([inv.number, other.number].sort()).toEqual([`NX-${year}-000001`, `NX-${year}-000002`]);
  });

  it('reruns the period without a second invoice and with identical amounts', async () => {
    const before = await invoiceOf(ids.contract!, '2026-09');
    const run = await runPeriod('2026-09');
    expect(run).toMatchObject({ status: 'COMPLETED', processedContracts: 2, invoicesCreated: 0 });
    // Directly, too, as a retried child job would.
    const again = await sys.services.billing.issuer.issue(ids.contract!, '2026-09', null);
    expect(again.kind).toBe('exists');
    expect(await sys.services.db.invoice.count({ where: { contractId: ids.contract!, period: '2026-09' } })).toBe(1);
    expect(await invoiceOf(ids.contract!, '2026-09')).toEqual(before);
  });

  it('makes one run of simultaneous starts of a period', async () => {
    const starts = await Promise.all([1, 2, 3].map(() => sys.services.billing.billingRuns.start({ actor: null }, '2026-07')));
    expect(new Set(starts.map((r) => r.run.id)).size).toBe(1);
    expect(starts.filter((r) => r.created)).toHaveLength(1);
    await waitFor(async () => (await sys.services.billing.billingRuns.get(starts[0]!.run.id)).status === 'COMPLETED');
  });

  it('refuses a period that has not ended and answers a running period with the same run', async () => {
    const res = await sys.app!.inject({
      method: 'POST',
      url: '/api/v1/billing-runs',
      headers: finance.headers,
      payload: { period: '2099-01' },
    });
    expect(res.statusCode).toBe(400);
    const bad = await sys.app!.inject({
      method: 'POST',
      url: '/api/v1/billing-runs',
      headers: finance.headers,
      payload: { period: '2026-13' },
    });
    expect(bad.statusCode).toBe(400);
    const sales = await loginAs(sys.services, sys.app!, 'SALES');
    expect(
      (await sys.app!.inject({ method: 'POST', url: '/api/v1/billing-runs', headers: sales.headers, payload: { period: '2026-08' } }))
        .statusCode,
    ).toBe(403);
  });
});

describe('late usage', () => {
  it('goes on the next invoice as a labelled adjustment line, priced as September was', async () => {
    // Recorded after the September invoice: 1000 units and 2 downlinks on 20 September.
    await addUsage(sys.services, { id: ids.t1!, contractId: ids.contract! }, '2026-09-20', 1000, 64, 2);
    // Since September the contract moved to a dearer version of its plan (overage and downlinks
    // only, so October itself, with no overage and no downlinks, rates the same on either).
    const { db } = sys.services;
    const september = await db.contract.findUniqueOrThrow({ where: { id: ids.contract! }, select: { tariffPlanId: true } });
    const dearer = await createOracleTariff(sys.services);
    await db.tariffTier.updateMany({ where: { tariffPlanId: dearer.id }, data: { unitPriceMicros: 99_000n } });
    await db.tariffPlan.update({ where: { id: dearer.id }, data: { downlinkPriceMicros: 99_000n } });
    await db.contract.update({ where: { id: ids.contract! }, data: { tariffPlanId: dearer.id } });
    const run = await runPeriod('2026-10');
    expect(run.status).toBe('COMPLETED');
    const inv = await invoiceOf(ids.contract!, '2026-10');
    expect(inv.lines.map((l) => [l.kind, l.quantity, l.amountMinor])).toEqual([
      ['RENTAL', 4, 11960], // all four terminals the whole of October
      ['ALLOWANCE', 4000, 0], // 500 units used: no overage
      // September re-rated at the margin: overage 3501 -> 4501, all in tier 2:
      // 1000 x 0.0085 = 8.50, + 2 x 0.0333 = 0.0666 -> 8.5666 -> 8.57
      ['ADJUSTMENT', 1000, 857],
      ['TAX', 1, 769], // 6% of 128.17 = 7.6902 -> 7.69
    ]);
    expect(inv.lines[2]!.description).toMatch(/^Late usage for 2026-09 \(after invoice NX-\d{4}-00000[12]\)/);
    expect(inv.totalMinor).toBe(13586);
    const versions = await db.invoice.findMany({
      where: { contractId: ids.contract! },
      orderBy: { period: 'asc' },
      select: { period: true, tariffPlanId: true },
    });
    expect(versions).toEqual([
      { period: '2026-09', tariffPlanId: september.tariffPlanId },
      { period: '2026-10', tariffPlanId: dearer.id },
    ]);
    // Billed exactly once: nothing is left unbilled for September or October.
    const left = await sys.services.db.$queryRaw<{ n: bigint }[]>`
      SELECT COUNT(*) AS n FROM "UsageCounter" WHERE "contractId" = ${ids.contract!}::uuid AND "day" >= '2026-09-01' AND "day" < '2026-11-01' AND "upUnits" <> "billedUpUnits"`;
    expect(Number(left[0]!.n)).toBe(0);
  });
});

describe('invoice access and documents', () => {
  it("scopes invoices: the customer sees its own, the contractor its end users'", async () => {
    const app = sys.app!;
    const customer = await loginAs(sys.services, app, 'CUSTOMER', ids.fleet!);
    const contractor = await loginAs(sys.services, app, 'CONTRACTOR', ids.contractor!);
    const own = (await app.inject({ url: '/api/v1/invoices', headers: customer.headers })).json() as { items: { contractId: string }[] };
    expect(own.items.length).toBe(2);
    expect(own.items.every((i) => i.contractId === ids.contract)).toBe(true);
    const viaContractor = (await app.inject({ url: '/api/v1/invoices', headers: contractor.headers })).json() as { items: unknown[] };
    expect(viaContractor.items.length).toBe(2);
    const foreign = await invoiceOf(ids.otherContract!, '2026-09');
    expect((await app.inject({ url: `/api/v1/invoices/${foreign.id}`, headers: customer.headers })).statusCode).toBe(404);
    expect((await app.inject({ url: `/api/v1/invoices/${foreign.id}.pdf`, headers: contractor.headers })).statusCode).toBe(404);
  });

  it('renders a PDF and a CSV export', async () => {
    const inv = await invoiceOf(ids.contract!, '2026-09');
    const pdf = await sys.app!.inject({ url: `/api/v1/invoices/${inv.id}.pdf`, headers: finance.headers });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const csv = await sys.app!.inject({ url: '/api/v1/invoices.csv?period=2026-09', headers: finance.headers });
    expect(csv.statusCode).toBe(200);
    const rows = csv.body.trim().split('\n');
    expect(rows[0]).toBe('number,period,customer,contract,status,currency,subtotal,tax,total,paid,credited,issuedAt,dueAt');
    expect(rows).toHaveLength(3);
    expect(csv.body).toContain(`${inv.number},2026-09,Fleet Ltd,`);
    expect(csv.body).toContain(',246.63,14.80,261.43,0.00,0.00,');
  });

  it('previews the current period from usage to date without storing anything', async () => {
    const s = sys.services;
    const now = new Date();
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(now);
    await addUsage(s, { id: ids.t1!, contractId: ids.contract! }, today, 100, 64, 1);
    const countBefore = await s.db.invoice.count();
    const customer = await loginAs(s, sys.app!, 'CUSTOMER', ids.fleet!);
    const res = await sys.app!.inject({ url: `/api/v1/contracts/${ids.contract}/invoice-preview`, headers: customer.headers });
    expect(res.statusCode).toBe(200);
    const p = res.json() as { period: string; estimated: boolean; lines: { kind: string; quantity: number }[]; totalMinor: number };
    expect(p.period).toBe(today.slice(0, 7));
    expect(p.estimated).toBe(true);
    expect(p.lines.find((l) => l.kind === 'ALLOWANCE')!.quantity).toBeGreaterThan(0);
    expect(p.lines.find((l) => l.kind === 'DOWNLINK')?.quantity).toBe(1);
    expect(await s.db.invoice.count()).toBe(countBefore);
    const unbilled = await s.db.usageCounter.findFirst({ where: { deviceId: ids.t1!, day: new Date(`${today}T00:00:00Z`) } });
    expect(unbilled!.billedUpUnits).toBe(0);
    const stranger = await loginAs(s, sys.app!, 'CUSTOMER', ids.other!);
    expect(
      (await sys.app!.inject({ url: `/api/v1/contracts/${ids.contract}/invoice-preview`, headers: stranger.headers })).statusCode,
    ).toBe(404);
  });
});

describe('schedules', () => {
  it('registers the monthly run after the grace time and the daily dunning job', async () => {
    const schedulers = await sys.services.queues.get(QUEUE.scheduler).getJobSchedulers();
    const byId = Object.fromEntries(schedulers.map((j) => [j.key, j]));
    // BILLING_GRACE_HOURS=24: 00:00 on the 2nd, operator time.
    expect(byId['billing.monthly']).toMatchObject({ pattern: '0 0 2 * *', tz: 'Asia/Shanghai' });
    expect(byId['billing.dunning']).toMatchObject({ pattern: '0 6 * * *' });
    // Fired now, the monthly job bills last month (in November 2026: October, billed above, so
    // it issues nothing new).
    const before = await sys.services.db.invoice.count();
    const { runId } = (await sys.services.scheduler.runNow('billing.monthly')) as { runId: string };
    const run = await waitFor(async () => {
      const r = await sys.services.db.billingRun.findUnique({ where: { id: runId } });
      return r?.status === 'COMPLETED' ? r : null;
    });
    expect(await sys.services.db.invoice.count()).toBe(before + run.invoicesCreated);
    // ... and freezes last month's commission statements.
    const lastMonth = shiftPeriod(periodOf(new Date(), 'Asia/Shanghai'), -1);
    expect(await sys.services.db.commissionStatement.count({ where: { contractorId: ids.contractor!, period: lastMonth } })).toBe(1);
  });
});
