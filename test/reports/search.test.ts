import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchAnswer } from '../../src/api-types/index.js';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { ensureModel } from '../helpers/terminals.js';

type Login = Awaited<ReturnType<typeof loginAs>>;
let sys: TestSystem;
let ops: Login;
let contractorA: Login;
let customerB: Login;
let ticketNumber: number;

const search = (who: Login | null, qs: string) => sys.app!.inject({ url: `/api/v1/search?${qs}`, headers: who?.headers ?? {} });
const found = async (who: Login, q: string) => (await search(who, `q=${encodeURIComponent(q)}`)).json() as SearchAnswer;

beforeAll(async () => {
  sys = await startTestSystem('api');
  const db = sys.services.db;
  const contractor = await db.customer.create({ data: { kind: 'CONTRACTOR', name: '浦东安装服务 Pudong Install' } });
  const a = await db.customer.create({
    data: { kind: 'END_USER', name: '上海中泰电梯有限公司', contractorId: contractor.id, phone: '+86 21 6888 1234' },
  });
  const b = await db.customer.create({ data: { kind: 'END_USER', name: 'Mars Logistics 火星物流', email: 'ops@mars.example' } });
  await db.contact.create({ data: { customerId: b.id, name: '王芳 Wang Fang', phone: '+86 139 0000 7777' } });
  const model = await ensureModel(sys.services, 'NXE-200');
  await db.device.create({
    data: {
      serial: 'NXE-SRCH-0001',
      deviceModelId: model.id,
      customerId: a.id,
      contractorId: contractor.id,
      address: '浦东新区世纪大道100号',
    },
  });
  await db.device.create({ data: { serial: 'NXE-SRCH-00010', deviceModelId: model.id, customerId: b.id, label: 'Truck 10' } });
  await db.device.create({ data: { serial: 'NXE-SRCH-0002', deviceModelId: model.id, customerId: b.id, label: '冷链车 2' } });
  const plan = await db.tariffPlan.create({ data: { code: 'SRCH', name: 'Search plan', monthlyRentalMinor: 1000n } });
  const ca = await db.contract.create({
    data: { number: 'C-2026-777001', customerId: a.id, tariffPlanId: plan.id, startDate: new Date() },
  });
  const cb = await db.contract.create({
    data: { number: 'C-2026-777002', customerId: b.id, tariffPlanId: plan.id, startDate: new Date() },
  });
  await db.invoice.create({
    data: { number: '2026-777001', contractId: ca.id, customerId: a.id, period: '2026-10', status: 'ISSUED', totalMinor: 12_300n },
  });
  await db.invoice.create({
    data: { number: '2026-777002', contractId: cb.id, customerId: b.id, period: '2026-10', status: 'ISSUED', totalMinor: 4_500n },
  });
  const t = await db.ticket.create({
    data: { kind: 'GENERAL', source: 'STAFF', group: 'SERVICE_DESK', subject: 'Door jammed at Century Avenue', customerId: a.id },
  });
  ticketNumber = t.number;
  ops = await loginAs(sys.services, sys.app!, 'OPS');
  contractorA = await loginAs(sys.services, sys.app!, 'CONTRACTOR', contractor.id);
  customerB = await loginAs(sys.services, sys.app!, 'CUSTOMER', b.id);
});
afterAll(async () => {
  await sys?.stop();
});

describe('global search', () => {
  it('finds a terminal by serial with the exact serial first, and by address in Chinese', async () => {
    const bySerial = await found(ops, 'nxe-srch-0001');
    expect(bySerial.terminals.map((t) => t.serial)).toEqual(['NXE-SRCH-0001', 'NXE-SRCH-00010']);
    expect(bySerial.terminals[0]!.customerName).toBe('上海中泰电梯有限公司');
    expect((await found(ops, '世纪大道')).terminals.map((t) => t.serial)).toEqual(['NXE-SRCH-0001']);
    expect((await found(ops, '冷链')).terminals.map((t) => t.serial)).toEqual(['NXE-SRCH-0002']);
  });

  it('finds customers by name in either script, by phone and by a contact’s name', async () => {
    expect((await found(ops, '中泰')).customers.map((c) => c.name)).toEqual(['上海中泰电梯有限公司']);
    expect((await found(ops, 'mars')).customers.map((c) => c.name)).toEqual(['Mars Logistics 火星物流']);
    expect((await found(ops, '6888 1234')).customers.map((c) => c.name)).toEqual(['上海中泰电梯有限公司']);
    expect((await found(ops, '王芳')).customers.map((c) => c.name)).toEqual(['Mars Logistics 火星物流']);
  });

  it('finds tickets by number, invoices and contracts by number', async () => {
    expect((await found(ops, `#${ticketNumber}`)).tickets.map((t) => t.number)).toEqual([ticketNumber]);
    expect((await found(ops, 'century')).tickets.map((t) => t.number)).toEqual([ticketNumber]);
    expect((await found(ops, '777001')).invoices.map((i) => i.number)).toEqual(['2026-777001']);
    expect((await found(ops, '777001')).contracts.map((c) => c.number)).toEqual(['C-2026-777001']);
  });

  it('shows a contractor and an end user only what their lists show', async () => {
    const mine = await found(contractorA, 'srch');
    expect(mine.terminals.map((t) => t.serial)).toEqual(['NXE-SRCH-0001']);
    expect((await found(contractorA, 'mars')).customers).toEqual([]);
    expect((await found(contractorA, '7770')).invoices.map((i) => i.number)).toEqual(['2026-777001']);
    const theirs = await found(customerB, '7770');
    expect(theirs.invoices.map((i) => i.number)).toEqual(['2026-777002']);
    expect(theirs.contracts.map((c) => c.number)).toEqual(['C-2026-777002']);
    expect((await found(customerB, `#${ticketNumber}`)).tickets).toEqual([]);
    expect((await found(customerB, '中泰')).customers).toEqual([]);
  });

  it('answers no token 401, an API key 403, and bad queries 400 naming the field', async () => {
    expect((await search(null, 'q=mars')).statusCode).toBe(401);
    const key = (
      await sys.app!.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: ops.headers,
        payload: { name: 'wall', scopes: ['devices:read', 'crm:read', 'tickets:read', 'billing:read'] },
      })
    ).json() as { key: string };
    expect((await sys.app!.inject({ url: '/api/v1/search?q=mars', headers: { authorization: `Bearer ${key.key}` } })).statusCode).toBe(403);
    for (const [qs, path] of [
      ['q=m', 'querystring.q'],
      [`q=${'x'.repeat(101)}`, 'querystring.q'],
      ['q=mars&limit=500', 'querystring.limit'],
      ['q=mars&kind=x', 'querystring.kind'],
    ] as const) {
      const res = await search(ops, qs);
      expect(res.statusCode, qs).toBe(400);
      expect((res.json() as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain(path);
    }
    // Wildcards are text, not patterns.
    expect((await found(ops, '%_%')).terminals).toEqual([]);
  });
});
