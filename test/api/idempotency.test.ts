import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeIdempotencyRecords } from '../../src/platform/idempotency-store.js';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of API answers
type Json = Record<string, any>;
type Headers = Record<string, string>;
let sys: TestSystem;
let sales: { headers: Headers; userId: string };
let customerId: string;
let tariffPlanId: string;

async function post(headers: Headers, payload: object, key?: string) {
  const res = await sys.app!.inject({
    method: 'POST',
    url: '/api/v1/contracts',
    headers: { ...headers, ...(key ? { 'idempotency-key': key } : {}) },
    payload,
  });
  return { status: res.statusCode, body: res.json() as Json, replayed: res.headers['idempotent-replayed'] };
}

beforeAll(async () => {
  sys = await startTestSystem('api');
  sales = await loginAs(sys.services, sys.app!, 'SALES');
  const finance = await loginAs(sys.services, sys.app!, 'FINANCE');
  tariffPlanId = (
    await sys.app!.inject({
      method: 'POST',
      url: '/api/v1/tariff-plans',
      headers: finance.headers,
      payload: { code: 'IDEM', name: 'Idem', monthlyRentalMinor: 100, tiers: [{ fromUnit: 0, toUnit: null, unitPriceMicros: 1 }] },
    })
  ).json().id;
  customerId = (
    await sys.app!.inject({
      method: 'POST',
      url: '/api/v1/customers',
      headers: sales.headers,
      payload: { kind: 'END_USER', name: 'Idem Ltd' },
    })
  ).json().id;
});
afterAll(async () => {
  await sys?.stop();
});

const count = () => sys.services.db.contract.count({ where: { customerId } });

describe('Idempotency-Key', () => {
  it('replays the first response for a retry with the same key and body, creating one contract', async () => {
    const body = { customerId, tariffPlanId, startDate: '2026-01-01' };
    const first = await post(sales.headers, body, 'retry-1');
    expect(first.status).toBe(201);
    expect(first.replayed).toBeUndefined();
    // Key order does not make it another request.
    const again = await post(sales.headers, { startDate: '2026-01-01', tariffPlanId, customerId }, 'retry-1');
    expect(again.status).toBe(201);
    expect(again.replayed).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await count()).toBe(1);
  });

  it('answers 422 when a key is reused with another body', async () => {
    await post(sales.headers, { customerId, tariffPlanId, startDate: '2026-01-01' }, 'reuse-1');
    const other = await post(sales.headers, { customerId, tariffPlanId, startDate: '2026-02-01' }, 'reuse-1');
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ status: 422, title: 'Unprocessable content', errors: [{ path: 'headers.idempotency-key' }] });
  });

  it('keeps keys per user and treats requests without a key as distinct', async () => {
    const before = await count();
    const other = await loginAs(sys.services, sys.app!, 'SALES');
    const a = await post(sales.headers, { customerId, tariffPlanId, startDate: '2026-01-01' }, 'shared-key');
    const b = await post(other.headers, { customerId, tariffPlanId, startDate: '2026-01-01' }, 'shared-key');
    expect(b.replayed).toBeUndefined();
    expect(b.body.id).not.toBe(a.body.id);
    await post(sales.headers, { customerId, tariffPlanId, startDate: '2026-01-01' });
    await post(sales.headers, { customerId, tariffPlanId, startDate: '2026-01-01' });
    expect(await count()).toBe(before + 4);
  });

  it('releases the key when the first attempt fails, so a corrected retry goes through', async () => {
    const failed = await post(
      sales.headers,
      { customerId, tariffPlanId: '00000000-0000-4000-8000-000000000000', startDate: '2026-01-01' },
      'fix-1',
    );
    expect(failed.status).toBe(400);
    const fixed = await post(sales.headers, { customerId, tariffPlanId, startDate: '2026-01-01' }, 'fix-1');
    expect(fixed.status).toBe(201);
    expect(fixed.replayed).toBeUndefined();
  });

  it('lets only one of several simultaneous identical requests create the contract', async () => {
    const before = await count();
    const body = { customerId, tariffPlanId, startDate: '2026-07-01' };
    const results = await Promise.all(Array.from({ length: 5 }, () => post(sales.headers, body, 'burst-1')));
    expect(await count()).toBe(before + 1);
    for (const r of results) expect([201, 409]).toContain(r.status);
    const created = results.filter((r) => r.status === 201);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    // Once the first finished, every retry is a replay.
    const late = await post(sales.headers, body, 'burst-1');
    expect(late).toMatchObject({ status: 201, replayed: 'true' });
    expect(late.body.id).toBe(created[0]!.body.id);
  });

  it('takes over a key whose first request died mid-flight, and validates the header', async () => {
    await sys.services.db.idempotencyRecord.create({
      data: {
        userId: sales.userId,
        key: 'dead-1',
        method: 'POST',
        path: '/api/v1/contracts',
        bodyHash: 'x',
        statusCode: 0,
        response: {},
        createdAt: new Date(Date.now() - 5 * 60_000),
      },
    });
    expect((await post(sales.headers, { customerId, tariffPlanId, startDate: '2026-01-01' }, 'dead-1')).status).toBe(201);

    const tooLong = await post(sales.headers, { customerId, tariffPlanId, startDate: '2026-01-01' }, 'k'.repeat(300));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors.map((e: Json) => e.path)).toEqual(['headers.idempotency-key']);
  });

  it('forgets stored responses after a day', async () => {
    await post(sales.headers, { customerId, tariffPlanId, startDate: '2026-01-01' }, 'old-1');
    const db = sys.services.db;
    expect(await purgeIdempotencyRecords(db)).toBe(0);
    expect(await purgeIdempotencyRecords(db, Date.now() + 25 * 3600_000)).toBeGreaterThan(0);
    expect(await db.idempotencyRecord.count({ where: { key: 'old-1' } })).toBe(0);
  });
});
