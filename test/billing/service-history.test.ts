// A month of changes on one contract (a swap, a retirement, a terminal suspension, a mid-month
// upgrade, a BUY order, a credit), made through the API with the clock moved to each change's
// day, billed to the fen as computed by hand below: on time (the preview on the last evening of
// the month), late (a run a month later, after more changes), and again (a rerun).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { packLastSeen, touchDevicesSql } from '../../devices/index.js';
import { loginAs } from '../helpers/api.js';
import { addUsage, createCustomer, waitFor } from '../helpers/billing.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

let sys: TestSystem;
type Auth = { headers: { authorization: string } };
let admin: Auth;
let finance: Auth;
let sales: Auth;
const ids: Record<string, string> = {};
const S = (n: string) => `${n}-${ids.tag}`;

/** Moves the clock (Date only: timers and sockets keep real time) to a Shanghai wall-clock time. */
function at(local: string) {
  vi.setSystemTime(new Date(`${local}+08:00`));
}

async function call(auth: Auth, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  const res = await sys.app!.inject({
    method,
    url: `/api/v1${url}`,
    headers: auth.headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

async function ok(auth: Auth, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  const r = await call(auth, method, url, payload);
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The terminal's first uplink, as ingest records it (the statement ingest runs). */
async function firstUplink(serial: string, local: string) {
  const d = await sys.services.db.device.findUniqueOrThrow({ where: { serial } });
  const json = packLastSeen(new Map([[d.id, new Date(`${local}+08:00`)]]))!;
  await sys.services.db.$executeRawUnsafe(touchDevicesSql(`'${json}'::json`));
  return d;
}

async function stockAndProvision(serial: string, contractId: string) {
  await ok(admin, 'POST', '/devices', { serial, model: 'NXV-HIST' });
  await ok(admin, 'POST', `/devices/${serial}/provision`, { contractId });
}

type Line = { kind: string; description: string; quantity: number; amountMinor: number };
type Invoice = { id: string; totalMinor: number; subtotalMinor: number; taxMinor: number; lines: Line[] };

async function runPeriod(period: string) {
  const { id } = (await ok(finance, 'POST', '/billing-runs', { period })) as { id: string };
  return waitFor(async () => {
    const run = (await ok(finance, 'GET', `/billing-runs/${id}`)) as { status: string; invoicesCreated: number };
    return run.status === 'COMPLETED' || run.status === 'FAILED' ? run : null;
  }, 60_000);
}

async function invoiceOf(contractId: string, period: string): Promise<Invoice> {
  const list = (await ok(finance, 'GET', `/invoices?contractId=${contractId}&period=${period}`)) as { items: { id: string }[] };
  expect(list.items).toHaveLength(1);
  return (await ok(finance, 'GET', `/invoices/${list.items[0]!.id}`)) as unknown as Invoice;
}

const brief = (lines: Line[]) => lines.map((l) => `${l.kind} ${l.quantity} ${l.amountMinor} ${l.description.replaceAll(ids.tag!, 'x')}`);

beforeAll(async () => {
  sys = await startTestSystem('all');
  const s = sys.services;
  ids.tag = Math.random().toString(36).slice(2, 7).toUpperCase();
  // Sessions are made on the real clock, so they stay valid whatever day the test moves to.
  admin = await loginAs(s, sys.app!, 'ADMIN');
  finance = await loginAs(s, sys.app!, 'FINANCE');
  sales = await loginAs(s, sys.app!, 'SALES');
  const model = {
    code: 'NXV-HIST',
    name: 'History test vehicle unit',
    category: 'VEHICLE' as const,
    codec: 'vehicle-v1',
    expectedIntervalSec: 60,
  };
  await s.db.deviceModel.create({ data: model });
  // BASIC: 30.00 a month, 50.00 activation, 1000 units included, 0.01 a unit over, 6% tax.
  // PRO:   60.00 a month, 80.00 activation, 3000 units included, 0.005 a unit over, 6% tax.
  for (const [code, rental, fee, included, price] of [
    ['BASIC', 3000n, 5000n, 1000, 10_000n],
    ['PRO', 6000n, 8000n, 3000, 5_000n],
  ] as const) {
    const plan = await s.db.tariffPlan.create({
      data: {
        code: `${code}-${ids.tag}`,
        name: code,
        monthlyRentalMinor: rental,
        activationFeeMinor: fee,
        includedMessages: included,
        segmentBytes: 64,
        taxRateBp: 600,
        validFrom: new Date('2026-01-01T00:00:00Z'),
        tiers: { create: [{ fromUnit: 0n, toUnit: null, unitPriceMicros: price }] },
      },
    });
    ids[code] = plan.id;
  }
  ids.customer = (await createCustomer(s, { name: 'History Fleet Ltd' })).id;
  vi.useFakeTimers({ toFake: ['Date'] });
});

afterAll(async () => {
  vi.useRealTimers();
  await sys?.stop();
});

describe('a month billed from its service history', () => {
  it('records a month of changes through the API', async () => {
    at('2026-09-01T09:00:00');
    const contract = (await ok(sales, 'POST', '/contracts', {
      customerId: ids.customer,
      tariffPlanId: ids.BASIC,
      startDate: '2026-09-01',
    })) as { id: string };
    ids.contract = contract.id;
    // T1, T2, T3 in service since 10 September: whole months from October on.
    for (const t of ['T1', 'T2', 'T3']) {
      await stockAndProvision(S(t), contract.id);
      await firstUplink(S(t), '2026-09-10T08:00:00');
    }
    for (const t of ['T1R', 'T4', 'T1R2']) await ok(admin, 'POST', '/devices', { serial: S(t), model: 'NXV-HIST' });

    at('2026-10-03T10:00:00'); // T1 swapped for T1R: T1 billed 1-2 October, T1R from the 3rd (no activation fee).
    await ok(admin, 'POST', `/devices/${S('T1')}/swap`, { newSerial: S('T1R'), reason: 'GPS antenna broken' });
    at('2026-10-05T11:00:00'); // T4 provisioned and sends its first uplink: billed from the 5th, activation fee (BASIC).
    await ok(admin, 'POST', `/devices/${S('T4')}/provision`, { contractId: contract.id });
    await firstUplink(S('T4'), '2026-10-05T11:30:00');
    at('2026-10-11T09:00:00'); // T3 suspended by the customer: no rental 11-15 October.
    await ok(admin, 'POST', `/devices/${S('T3')}/status`, { status: 'SUSPENDED', reason: 'Vehicle in the workshop' });
    at('2026-10-15T10:00:00'); // Upgrade to PRO: days 15-31 under PRO.
    await ok(sales, 'PATCH', `/contracts/${contract.id}`, { tariffPlanId: ids.PRO });
    at('2026-10-16T08:00:00');
    await ok(admin, 'POST', `/devices/${S('T3')}/status`, { status: 'ACTIVE' });
    at('2026-10-20T14:00:00'); // Two units bought at 120.00 each.
    await ok(admin, 'POST', '/devices', { serial: S('B1'), model: 'NXV-HIST' });
    await ok(admin, 'POST', '/devices', { serial: S('B2'), model: 'NXV-HIST' });
    const buy = { customerId: ids.customer, contractId: contract.id, kind: 'BUY', model: 'NXV-HIST', quantity: 2, unitPriceMinor: 12_000 };
    const order = (await ok(sales, 'POST', '/orders', buy)) as { id: string };
    await ok(sales, 'POST', `/orders/${order.id}/confirm`);
    await ok(admin, 'POST', `/orders/${order.id}/fulfil`, {});
    at('2026-10-21T16:00:00'); // T2 retired: billed 1-20 October.
    await ok(admin, 'POST', `/devices/${S('T2')}/status`, { status: 'RETIRED', reason: 'Vehicle sold' });
    at('2026-10-25T12:00:00'); // A goodwill credit of 15.00, by finance only.
    const credit = {
      kind: 'MANUAL',
      description: 'Goodwill credit, network outage 24 October',
      unitPriceMinor: -1500,
      reason: 'Ticket T-1234',
    };
    expect((await call(sales, 'POST', `/contracts/${contract.id}/charges`, credit)).status).toBe(403);
    expect((await call(finance, 'POST', '/contracts/00000000-0000-4000-8000-000000000000/charges', credit)).status).toBe(404);
    const bad = await call(finance, 'POST', `/contracts/${contract.id}/charges`, { ...credit, reason: '' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('reason');
    expect((await call(finance, 'POST', `/contracts/${contract.id}/charges`, credit)).status).toBe(201);
    at('2026-10-28T09:00:00'); // Back to BASIC from 1 November: October stays PRO from the 15th.
    expect((await call(sales, 'PATCH', `/contracts/${contract.id}`, { tariffPlanId: ids.BASIC, effectiveFrom: '2026-10-01' })).status).toBe(
      400,
    );
    await ok(sales, 'PATCH', `/contracts/${contract.id}`, { tariffPlanId: ids.BASIC, effectiveFrom: '2026-11-01' });

    // Usage as ingest counts it: 1000 units on 5 October (BASIC days), 6000 on the 20th (PRO days).
    const t3 = await sys.services.db.device.findUniqueOrThrow({ where: { serial: S('T3') } });
    const t4 = await sys.services.db.device.findUniqueOrThrow({ where: { serial: S('T4') } });
    await addUsage(sys.services, t3, '2026-10-05', 1000, 64);
    await addUsage(sys.services, t4, '2026-10-20', 6000, 64);
  });

  // The hand computation (31 days in October; rental x days / 31 rounded half-up per line):
  // BASIC, 1-14 October (lines labelled "plan BASIC v1, 2026-10-01 to 2026-10-14"):
  //   T1    1-2    2 days  3000 x 2 / 31  =   193.55 ->   194
  //   T1R   3-14  12 days  3000 x 12 / 31 =  1161.29 ->  1161
  //   T2    1-14  14 days  3000 x 14 / 31 =  1354.84 ->  1355
  //   T3    1-10  10 days  3000 x 10 / 31 =   967.74 ->   968
  //   T4    5-14  10 days  3000 x 10 / 31 =   967.74 ->   968
  //   activation: T4 (activated 5 October under BASIC) 1 x 5000 = 5000
  //   allowance: 1000 x (2+12+14+10+10 = 48) / 31 = 1548.39 -> 1548 units; 1000 used: no overage
  //   BASIC total: 194 + 1161 + 1355 + 968 + 968 + 5000 = 9646
  // PRO, 15-31 October (17 days):
  //   T1R  15-31  17 days  6000 x 17 / 31 =  3290.32 ->  3290
  //   T2   15-20   6 days  6000 x 6 / 31  =  1161.29 ->  1161
  //   T3   16-31  16 days  6000 x 16 / 31 =  3096.77 ->  3097
  //   T4   15-31  17 days  6000 x 17 / 31 =  3290.32 ->  3290
  //   no activation (the plan change activates nothing; BASIC's fee above stays)
  //   allowance: 3000 x (17+6+16+17 = 56) / 31 = 5419.35 -> 5419 units; 6000 used: 581 over
  //   overage: 581 x 0.005 = 2.905 -> 291
  //   PRO total: 3290 + 1161 + 3097 + 3290 + 291 = 11129
  // B1, B2 (bought, never activated): no rental. Equipment 2 x 12000 = 24000. Credit -1500.
  // Subtotal 9646 + 11129 + 24000 - 1500 = 43275; tax 6% (PRO, in force at the month end)
  // 43275 x 0.06 = 2596.5 -> 2597; total 45872.
  const expected = [
    'PRORATION 2 194 Rental T1-x: 2 of 31 days (2026-10-01 to 2026-10-02) (plan BASIC-x v1, 2026-10-01 to 2026-10-14)',
    'PRORATION 12 1161 Rental T1R-x: 12 of 31 days (2026-10-03 to 2026-10-14) (plan BASIC-x v1, 2026-10-01 to 2026-10-14)',
    'PRORATION 14 1355 Rental T2-x: 14 of 31 days (2026-10-01 to 2026-10-14) (plan BASIC-x v1, 2026-10-01 to 2026-10-14)',
    'PRORATION 10 968 Rental T3-x: 10 of 31 days (2026-10-01 to 2026-10-10) (plan BASIC-x v1, 2026-10-01 to 2026-10-14)',
    'PRORATION 10 968 Rental T4-x: 10 of 31 days (2026-10-05 to 2026-10-14) (plan BASIC-x v1, 2026-10-01 to 2026-10-14)',
    'ACTIVATION 1 5000 Activation fee, 1 terminal (plan BASIC-x v1, 2026-10-01 to 2026-10-14)',
    'ALLOWANCE 1548 0 Pooled allowance 1548 units (1000 per terminal-month); 1000 units used (plan BASIC-x v1, 2026-10-01 to 2026-10-14)',
    'PRORATION 17 3290 Rental T1R-x: 17 of 31 days (2026-10-15 to 2026-10-31) (plan PRO-x v1, 2026-10-15 to 2026-10-31)',
    'PRORATION 6 1161 Rental T2-x: 6 of 31 days (2026-10-15 to 2026-10-20) (plan PRO-x v1, 2026-10-15 to 2026-10-31)',
    'PRORATION 16 3097 Rental T3-x: 16 of 31 days (2026-10-16 to 2026-10-31) (plan PRO-x v1, 2026-10-15 to 2026-10-31)',
    'PRORATION 17 3290 Rental T4-x: 17 of 31 days (2026-10-15 to 2026-10-31) (plan PRO-x v1, 2026-10-15 to 2026-10-31)',
    'ALLOWANCE 5419 0 Pooled allowance 5419 units (3000 per terminal-month); 6000 units used (plan PRO-x v1, 2026-10-15 to 2026-10-31)',
    'OVERAGE 581 291 Overage units above 0 over allowance (plan PRO-x v1, 2026-10-15 to 2026-10-31)',
    'CHARGE 2 24000 Equipment NXV-HIST x 2 (order O-x)',
    'CREDIT 1 -1500 Goodwill credit, network outage 24 October',
    'TAX 1 2597 Tax 6.00% on 432.75',
  ];
  const withoutOrderNumber = (lines: string[]) => lines.map((l) => l.replace(/\(order O-[0-9A-Z-]+\)/, '(order O-x)'));

  it('previews the hand-computed invoice on the last evening of the month', async () => {
    at('2026-10-31T22:00:00');
    const preview = (await ok(finance, 'GET', `/contracts/${ids.contract}/invoice-preview`)) as unknown as Invoice;
    expect(withoutOrderNumber(brief(preview.lines))).toEqual(expected);
    expect(preview.totalMinor).toBe(45_872);
  });

  it('bills the same invoice a month late, after more changes, and again on a rerun', async () => {
    // November: T4 retired, T1R swapped again, T3 lost, the contract suspended, a new charge.
    at('2026-11-03T10:00:00');
    await ok(admin, 'POST', `/devices/${S('T4')}/status`, { status: 'RETIRED' });
    await ok(admin, 'POST', `/devices/${S('T1R')}/swap`, { newSerial: S('T1R2') });
    await ok(admin, 'POST', `/devices/${S('T3')}/status`, { status: 'LOST' });
    const visit = { kind: 'INSTALLATION', description: 'Installation visit', unitPriceMinor: 9_900, reason: 'Work order 77' };
    await ok(finance, 'POST', `/contracts/${ids.contract}/charges`, visit);
    await ok(finance, 'PATCH', `/contracts/${ids.contract}`, { status: 'SUSPENDED', suspensionReason: 'Customer request' });

    at('2026-12-01T10:00:00');
    vi.useRealTimers();
    const run = await runPeriod('2026-10');
    expect(run.status).toBe('COMPLETED');
    const invoice = await invoiceOf(String(ids.contract), '2026-10');
    expect(withoutOrderNumber(brief(invoice.lines))).toEqual(expected);
    expect({ subtotal: invoice.subtotalMinor, tax: invoice.taxMinor, total: invoice.totalMinor }).toEqual({
      subtotal: 43_275,
      tax: 2_597,
      total: 45_872,
    });

    const again = await runPeriod('2026-10');
    expect(again).toMatchObject({ status: 'COMPLETED', invoicesCreated: 0 });
    const same = await invoiceOf(String(ids.contract), '2026-10');
    expect(same.id).toBe(invoice.id);
    expect(same.lines).toEqual(invoice.lines);

    // The November charge waits for November's invoice, where the contract is back on BASIC.
    const charges = (await ok(finance, 'GET', `/contracts/${ids.contract}/charges`)) as {
      items: { description: string; billedPeriod: string | null }[];
    };
    expect(charges.items.map((c) => [c.description, c.billedPeriod])).toEqual([
      ['Installation visit', null],
      ['Goodwill credit, network outage 24 October', '2026-10'],
      [expect.stringMatching(/^Equipment NXV-HIST x 2/), '2026-10'],
    ]);
    vi.useFakeTimers({ toFake: ['Date'] });
  });
});
