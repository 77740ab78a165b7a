import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of API answers
type Json = Record<string, any>;
type Headers = { authorization: string };
let sys: TestSystem;
let finance: Headers;
let sales: Headers;

async function call(method: 'GET' | 'POST' | 'PATCH', url: string, headers: Headers, payload?: object) {
  const res = await sys.app!.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.json() as Json };
}

const plan = (code: string, extra: object = {}) => ({
  code,
  name: `Plan ${code}`,
  monthlyRentalMinor: 3000,
  activationFeeMinor: 5000,
  includedMessages: 2000,
  downlinkPriceMicros: 20_000,
  tiers: [
    { fromUnit: 0, toUnit: 10_000, unitPriceMicros: 8_000 },
    { fromUnit: 10_000, toUnit: null, unitPriceMicros: 5_000 },
  ],
  ...extra,
});

beforeAll(async () => {
  sys = await startTestSystem('api');
  finance = (await loginAs(sys.services, sys.app!, 'FINANCE')).headers;
  sales = (await loginAs(sys.services, sys.app!, 'SALES')).headers;
});
afterAll(async () => {
  await sys?.stop();
});

describe('tariff plans', () => {
  it('creates a plan with money as integer numbers and tiers in order', async () => {
    const res = await call('POST', '/tariff-plans', finance, plan('FLEET-A'));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      code: 'FLEET-A',
      version: 1,
      active: true,
      currency: 'CNY',
      segmentBytes: 64,
      taxRateBp: 600,
      monthlyRentalMinor: 3000,
      activationFeeMinor: 5000,
      downlinkPriceMicros: 20_000,
      tiers: [
        { fromUnit: 0, toUnit: 10_000, unitPriceMicros: 8_000 },
        { fromUnit: 10_000, toUnit: null, unitPriceMicros: 5_000 },
      ],
    });
    const got = await call('GET', `/tariff-plans/${res.body.id}`, sales);
    expect(got.body).toEqual(res.body);
    expect((await call('POST', '/tariff-plans', finance, plan('FLEET-A'))).status).toBe(409);
  });

  it('rejects tiers that leave gaps, overlap or do not end open, naming each tier field', async () => {
    const gap = await call(
      'POST',
      '/tariff-plans',
      finance,
      plan('BAD-1', {
        tiers: [
          { fromUnit: 0, toUnit: 100, unitPriceMicros: 1 },
          { fromUnit: 150, toUnit: null, unitPriceMicros: 1 },
        ],
      }),
    );
    expect(gap.status).toBe(400);
    expect(gap.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.tiers.1.fromUnit']);

    const notFromZero = await call(
      'POST',
      '/tariff-plans',
      finance,
      plan('BAD-2', { tiers: [{ fromUnit: 5, toUnit: null, unitPriceMicros: 1 }] }),
    );
    expect(notFromZero.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.tiers.0.fromUnit']);

    const closed = await call(
      'POST',
      '/tariff-plans',
      finance,
      plan('BAD-3', { tiers: [{ fromUnit: 0, toUnit: 100, unitPriceMicros: 1 }] }),
    );
    expect(closed.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.tiers.0.toUnit']);

    const empty = await call('POST', '/tariff-plans', finance, plan('BAD-4', { tiers: [] }));
    expect(empty.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.tiers']);

    const backwards = await call(
      'POST',
      '/tariff-plans',
      finance,
      plan('BAD-5', {
        tiers: [
          { fromUnit: 0, toUnit: 0, unitPriceMicros: 1 },
          { fromUnit: 0, toUnit: null, unitPriceMicros: 1 },
        ],
      }),
    );
    expect(backwards.body.errors.map((e: { path: string }) => e.path)).toContain('body.tiers.0.toUnit');
  });

  it('accepts only exact integers for money', async () => {
    const fractional = await call('POST', '/tariff-plans', finance, plan('BAD-6', { monthlyRentalMinor: 30.5 }));
    expect(fractional.status).toBe(400);
    expect(fractional.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.monthlyRentalMinor']);
    const unsafe = await call('POST', '/tariff-plans', finance, plan('BAD-7', { downlinkPriceMicros: 2 ** 60 }));
    expect(unsafe.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.downlinkPriceMicros']);
    const text = await call('POST', '/tariff-plans', finance, plan('BAD-8', { activationFeeMinor: '5000' }));
    expect(text.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.activationFeeMinor']);
  });

  it('lets only finance write plans, and everyone read them', async () => {
    expect((await call('POST', '/tariff-plans', sales, plan('SALES-1'))).status).toBe(403);
    const contractor = await loginAs(
      sys.services,
      sys.app!,
      'CONTRACTOR',
      (await sys.services.db.customer.create({ data: { kind: 'CONTRACTOR', name: 'C' } })).id,
    );
    expect((await call('GET', '/tariff-plans', contractor.headers)).status).toBe(200);
  });

  it('revises a plan into version 2 while existing contracts keep version 1', async () => {
    const v1 = (await call('POST', '/tariff-plans', finance, plan('BUILD-A'))).body;
    const customer = (await call('POST', '/customers', sales, { kind: 'END_USER', name: 'Tower Ltd' })).body;
    const contract = (await call('POST', '/contracts', sales, { customerId: customer.id, tariffPlanId: v1.id, startDate: '2026-01-01' }))
      .body;

    const v2 = await call('POST', `/tariff-plans/${v1.id}/versions`, finance, {
      monthlyRentalMinor: 3500,
      tiers: [{ fromUnit: 0, toUnit: null, unitPriceMicros: 7_000 }],
    });
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({
      code: 'BUILD-A',
      version: 2,
      monthlyRentalMinor: 3500,
      activationFeeMinor: 5000,
      includedMessages: 2000,
      active: true,
    });
    expect(v2.body.tiers).toEqual([{ fromUnit: 0, toUnit: null, unitPriceMicros: 7_000 }]);

    // The old version is still in force for its contract, but no longer offered.
    const old = (await call('GET', `/tariff-plans/${v1.id}`, sales)).body;
    expect(old.active).toBe(true);
    expect(old.validTo).toBe(v2.body.validFrom);
    expect(old.monthlyRentalMinor).toBe(3000);
    expect((await call('GET', `/contracts/${contract.id}`, sales)).body.tariffPlan).toMatchObject({ id: v1.id, version: 1 });
    const onOld = await call('POST', '/contracts', sales, { customerId: customer.id, tariffPlanId: v1.id, startDate: '2026-06-01' });
    expect(onOld.status).toBe(400);
    expect(onOld.body.errors[0].path).toBe('tariffPlanId');
    const moved = await call('PATCH', `/contracts/${contract.id}`, sales, { tariffPlanId: v2.body.id });
    expect(moved.body.tariffPlan).toMatchObject({ version: 2 });

    // Revising anything but the latest version is a conflict, not a silent fork.
    expect((await call('POST', `/tariff-plans/${v1.id}/versions`, finance, { name: 'Stale' })).status).toBe(409);

    // A version nobody uses is deactivated when superseded.
    const v3 = (await call('POST', `/tariff-plans/${v2.body.id}/versions`, finance, { name: 'Building care 2027' })).body;
    expect(v3.version).toBe(3);
    expect((await call('GET', `/tariff-plans/${v2.body.id}`, sales)).body.active).toBe(true); // the moved contract uses v2
    const v4 = (await call('POST', `/tariff-plans/${v3.id}/versions`, finance, { name: 'Building care 2028' })).body;
    expect((await call('GET', `/tariff-plans/${v3.id}`, sales)).body.active).toBe(false);

    const latest = (await call('GET', '/tariff-plans?code=BUILD-A', sales)).body.items;
    expect(latest.map((p: Json) => p.version)).toEqual([4]);
    expect(latest[0].id).toBe(v4.id);
    const all = (await call('GET', '/tariff-plans?code=BUILD-A&allVersions=true', sales)).body.items;
    expect(all.map((p: Json) => p.version)).toEqual([4, 3, 2, 1]);

    const audit = (await call('GET', `/audit-log?entityType=tariff-plan&entityId=${v2.body.id}`, finance)).body.items;
    expect(audit.map((a: Json) => a.action)).toEqual(['tariff-plan.superseded', 'tariff-plan.revised']);
    const revised = audit[1];
    expect(revised.before).toMatchObject({ version: 1, monthlyRentalMinor: 3000 });
    expect(revised.after).toMatchObject({ version: 2, monthlyRentalMinor: 3500 });
  });
});
