import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContractStatusChange, createContractService } from '../../src/crm/index.js';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

let sys: TestSystem;
type Headers = { authorization: string };
let sales: Headers;
let finance: Headers;
let planId: string;
let contractorA: string;
let contractorB: string;
let custA: string;
let custB: string;

async function call(method: 'GET' | 'POST' | 'PATCH', url: string, headers: Headers, payload?: object) {
  const res = await sys.app!.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of API answers
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

beforeAll(async () => {
  sys = await startTestSystem('api');
  sales = (await loginAs(sys.services, sys.app!, 'SALES')).headers;
  finance = (await loginAs(sys.services, sys.app!, 'FINANCE')).headers;
  const plan = await call('POST', '/tariff-plans', finance, {
    code: 'FLEET-TEST',
    name: 'Fleet test',
    monthlyRentalMinor: 3000,
    includedMessages: 1000,
    tiers: [{ fromUnit: 0, toUnit: null, unitPriceMicros: 8000 }],
  });
  expect(plan.status).toBe(201);
  planId = plan.body.id;
  const mk = async (payload: object) => (await call('POST', '/customers', sales, payload)).body.id as string;
  contractorA = await mk({ kind: 'CONTRACTOR', name: 'Contractor A' });
  contractorB = await mk({ kind: 'CONTRACTOR', name: 'Contractor B' });
  custA = await mk({ kind: 'END_USER', name: 'End user of A', contractorId: contractorA });
  custB = await mk({ kind: 'END_USER', name: 'End user of B', contractorId: contractorB });
});
afterAll(async () => {
  await sys?.stop();
});

describe('contracts', () => {
  it("numbers new contracts C-YYYY-NNNNNN and defaults the contractor to the customer's", async () => {
    const a = await call('POST', '/contracts', sales, { customerId: custA, tariffPlanId: planId, startDate: '2026-02-01' });
    expect(a.status).toBe(201);
    expect(a.body.number).toMatch(/^C-\d{4}-\d{6}$/);
    expect(a.body).toMatchObject({ customerId: custA, contractorId: contractorA, status: 'ACTIVE', startDate: '2026-02-01T00:00:00.000Z' });
    expect(a.body.tariffPlan).toMatchObject({ code: 'FLEET-TEST', version: 1 });
    const b = await call('POST', '/contracts', sales, { customerId: custA, tariffPlanId: planId, startDate: '2026-02-01' });
    expect(Number(b.body.number.slice(-6))).toBe(Number(a.body.number.slice(-6)) + 1);

    const given = await call('POST', '/contracts', sales, {
      number: 'LEGACY-0001',
      customerId: custA,
      tariffPlanId: planId,
      startDate: '2026-02-01',
    });
    expect(given.body.number).toBe('LEGACY-0001');
    const dup = await call('POST', '/contracts', sales, {
      number: 'LEGACY-0001',
      customerId: custA,
      tariffPlanId: planId,
      startDate: '2026-02-01',
    });
    expect(dup.status).toBe(409);
  });

  it('allocates distinct numbers to concurrent creations', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        call('POST', '/contracts', sales, { customerId: custB, tariffPlanId: planId, startDate: '2026-03-01' }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(201));
    expect(new Set(results.map((r) => r.body.number)).size).toBe(6);
  });

  it('refuses contracts with contractors, unknown plans and reversed dates, naming the fields', async () => {
    const withContractor = await call('POST', '/contracts', sales, {
      customerId: contractorA,
      tariffPlanId: planId,
      startDate: '2026-02-01',
    });
    expect(withContractor.status).toBe(400);
    expect(withContractor.body.errors).toEqual([{ path: 'customerId', message: 'Not an end user' }]);

    const unknownPlan = await call('POST', '/contracts', sales, {
      customerId: custA,
      tariffPlanId: '00000000-0000-4000-8000-000000000000',
      startDate: '2026-02-01',
    });
    expect(unknownPlan.status).toBe(400);
    expect(unknownPlan.body.errors[0].path).toBe('tariffPlanId');

    const bad = await call('POST', '/contracts', sales, {
      customerId: 'nope',
      tariffPlanId: planId,
      startDate: '2026-02-01',
      endDate: '2026-01-01',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toContain('body.customerId');

    const reversed = await call('POST', '/contracts', sales, {
      customerId: custA,
      tariffPlanId: planId,
      startDate: '2026-02-01',
      endDate: '2026-01-01',
    });
    expect(reversed.status).toBe(400);
    expect(reversed.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.endDate']);
  });

  it("scopes contractors: A creates and sees only contracts of its end users; B's answer 404", async () => {
    const a = await loginAs(sys.services, sys.app!, 'CONTRACTOR', contractorA);
    const own = await call('POST', '/contracts', a.headers, {
      customerId: custA,
      contractorId: contractorB,
      tariffPlanId: planId,
      startDate: '2026-04-01',
    });
    expect(own.status).toBe(201);
    // Whatever it sends, the contractor of the contract is the end user's contractor.
    expect(own.body.contractorId).toBe(contractorA);

    const foreignCustomer = await call('POST', '/contracts', a.headers, {
      customerId: custB,
      tariffPlanId: planId,
      startDate: '2026-04-01',
    });
    expect(foreignCustomer.status).toBe(400);
    expect(foreignCustomer.body.errors[0].path).toBe('customerId');

    const bContract = await call('POST', '/contracts', sales, { customerId: custB, tariffPlanId: planId, startDate: '2026-04-01' });
    expect((await call('GET', `/contracts/${bContract.body.id}`, a.headers)).status).toBe(404);
    expect((await call('PATCH', `/contracts/${bContract.body.id}`, a.headers, { status: 'SUSPENDED' })).status).toBe(403);
    expect((await call('GET', `/customers/${custB}`, a.headers)).status).toBe(404);
    expect((await call('PATCH', `/customers/${custB}`, a.headers, { name: 'Hijacked' })).status).toBe(404);

    const list = await call('GET', '/contracts?limit=100', a.headers);
    expect(list.body.items.length).toBeGreaterThan(0);
    expect(list.body.items.every((c: { customerId: string }) => c.customerId === custA)).toBe(true);
    const filtered = await call('GET', `/contracts?customerId=${custB}`, a.headers);
    expect(filtered.body.items).toEqual([]);

    // An end user sees its own contracts only.
    const endUser = await loginAs(sys.services, sys.app!, 'CUSTOMER', custB);
    const mine = await call('GET', '/contracts?limit=100', endUser.headers);
    expect(mine.body.items.every((c: { customerId: string }) => c.customerId === custB)).toBe(true);
    expect((await call('GET', `/contracts/${own.body.id}`, endUser.headers)).status).toBe(404);
    expect(
      (await call('POST', '/contracts', endUser.headers, { customerId: custB, tariffPlanId: planId, startDate: '2026-04-01' })).status,
    ).toBe(403);
  });

  it('filters by status and pages with a cursor', async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of API answers
      const page: { body: Record<string, any> } = await call(
        'GET',
        `/contracts?status=ACTIVE&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        sales,
      );
      all.push(...page.body.items.map((c: { id: string; status: string }) => c.status));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(new Set(all)).toEqual(new Set(['ACTIVE']));
  });

  it('churns a customer when its last contract ends; sales takes it back before a new contract', async () => {
    const customerId = (await call('POST', '/customers', sales, { kind: 'END_USER', name: 'One-contract Logistics' })).body.id as string;
    const first = (await call('POST', '/contracts', sales, { customerId, tariffPlanId: planId, startDate: '2026-05-01' })).body
      .id as string;
    const second = (await call('POST', '/contracts', sales, { customerId, tariffPlanId: planId, startDate: '2026-06-01' })).body
      .id as string;
    await call('PATCH', `/contracts/${first}`, sales, { status: 'TERMINATED' });
    expect((await call('GET', `/customers/${customerId}`, sales)).body).toMatchObject({ status: 'ACTIVE', churnedAt: null });
    await call('PATCH', `/contracts/${second}`, sales, { status: 'TERMINATED' });
    const churned = (await call('GET', `/customers/${customerId}`, sales)).body;
    expect(churned.status).toBe('CHURNED');
    expect(churned.churnedAt).toBeTruthy();
    // A churned customer gets no new contract until sales takes it back.
    expect((await call('POST', '/contracts', sales, { customerId, tariffPlanId: planId, startDate: '2026-09-01' })).status).toBe(409);
    expect((await call('PATCH', `/customers/${customerId}`, sales, { status: 'ACTIVE' })).body).toMatchObject({
      status: 'ACTIVE',
      churnedAt: null,
    });
    expect((await call('POST', '/contracts', sales, { customerId, tariffPlanId: planId, startDate: '2026-09-01' })).status).toBe(201);
  });

  it('follows the lifecycle and answers 409 to transitions it does not allow, auditing each change', async () => {
    const draft = await call('POST', '/contracts', sales, {
      customerId: custA,
      tariffPlanId: planId,
      startDate: '2026-05-01',
      status: 'DRAFT',
    });
    const id = draft.body.id as string;
    expect(draft.body.status).toBe('DRAFT');
    expect((await call('PATCH', `/contracts/${id}`, finance, { status: 'SUSPENDED' })).status).toBe(409);
    expect((await call('PATCH', `/contracts/${id}`, sales, { status: 'ACTIVE' })).body.status).toBe('ACTIVE');

    const suspended = await call('PATCH', `/contracts/${id}`, finance, {
      status: 'SUSPENDED',
      suspensionReason: 'Invoice 2026-000123 overdue',
    });
    expect(suspended.body).toMatchObject({ status: 'SUSPENDED', suspensionReason: 'Invoice 2026-000123 overdue' });
    expect(suspended.body.suspendedAt).toBeTruthy();
    const back = await call('PATCH', `/contracts/${id}`, finance, { status: 'ACTIVE' });
    expect(back.body).toMatchObject({ status: 'ACTIVE', suspendedAt: null, suspensionReason: null });

    const ended = await call('PATCH', `/contracts/${id}`, sales, { status: 'TERMINATED' });
    expect(ended.body.status).toBe('TERMINATED');
    expect(ended.body.endDate).toBeTruthy();
    const revive = await call('PATCH', `/contracts/${id}`, sales, { status: 'ACTIVE' });
    expect(revive.status).toBe(409);
    expect(revive.body).toMatchObject({ status: 409, title: 'Conflict' });
    expect((await call('PATCH', `/contracts/${id}`, sales, { tariffPlanId: planId, endDate: '2027-01-01' })).status).toBe(409);

    const audit = await call('GET', `/audit-log?entityType=contract&entityId=${id}`, finance);
    expect(audit.body.items.map((a: { action: string }) => a.action)).toEqual([
      'contract.terminated',
      'contract.reactivated',
      'contract.suspended',
      'contract.activated',
      'contract.created',
    ]);
    const suspension = audit.body.items[2];
    expect(suspension.before.status).toBe('ACTIVE');
    expect(suspension.after.status).toBe('SUSPENDED');
  });

  it('lets only sales, finance and ops change contracts', async () => {
    const c = await call('POST', '/contracts', sales, { customerId: custA, tariffPlanId: planId, startDate: '2026-05-01' });
    const a = await loginAs(sys.services, sys.app!, 'CONTRACTOR', contractorA);
    expect((await call('GET', `/contracts/${c.body.id}`, a.headers)).status).toBe(200);
    expect((await call('PATCH', `/contracts/${c.body.id}`, a.headers, { endDate: '2027-01-01' })).status).toBe(403);
    const service = await loginAs(sys.services, sys.app!, 'SERVICE');
    expect((await call('PATCH', `/contracts/${c.body.id}`, service.headers, { endDate: '2027-01-01' })).status).toBe(403);
    const ok = await call('PATCH', `/contracts/${c.body.id}`, sales, { endDate: '2027-01-01' });
    expect(ok.body.endDate).toBe('2027-01-01T00:00:00.000Z');
  });

  it('tells the status hooks about suspension and reactivation, inside and after the transaction', async () => {
    const seen: string[] = [];
    const { db, audit, tariffPlans } = sys.services;
    const service = createContractService({
      db,
      audit,
      tariffPlans,
      timezone: 'Asia/Shanghai',
      onStatusChanged: async (c: ContractStatusChange, tx) => {
        // Inside the transaction the new status is already visible.
        const row = await tx.contract.findUniqueOrThrow({ where: { id: c.contractId } });
        seen.push(`in:${c.from}->${c.to}:${row.status}`);
      },
      afterStatusChanged: async (c) => void seen.push(`after:${c.to}:${c.reason ?? '-'}`),
    });
    const actor = {
      userId: (await loginAs(sys.services, sys.app!, 'FINANCE')).userId,
      role: 'FINANCE' as const,
      customerId: null,
      via: 'session' as const,
    };
    const c = await service.create(
      { actor },
      { customerId: custA, tariffPlanId: planId, startDate: new Date('2026-06-01'), status: 'ACTIVE' },
    );
    await service.update({ actor }, c.id, { status: 'SUSPENDED', suspensionReason: 'fraud check' });
    await service.update({ actor }, c.id, { endDate: new Date('2027-06-01') });
    await service.update({ actor }, c.id, { status: 'ACTIVE' });
    expect(seen).toEqual([
      'in:ACTIVE->SUSPENDED:SUSPENDED',
      'after:SUSPENDED:fraud check',
      'in:SUSPENDED->ACTIVE:ACTIVE',
      'after:ACTIVE:-',
    ]);
  });
});
