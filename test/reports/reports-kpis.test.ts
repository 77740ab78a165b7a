import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { ensureModel } from '../helpers/terminals.js';

let sys: TestSystem;
const at = (s: string) => new Date(s);

// A fixed data set for October 2026 (operator time zone Asia/Shanghai, UTC+8).
beforeAll(async () => {
  sys = await startTestSystem('api');
  const db = sys.services.db;
  const contractor = await db.customer.create({
    data: { kind: 'CONTRACTOR', name: 'Contractor', commissionRateBp: 1000, createdAt: at('2026-10-02T00:00:00Z') },
  });
  const mk = (name: string, createdAt: string, churnedAt?: string, contractorId?: string) =>
    db.customer.create({
      data: {
        kind: 'END_USER',
        name,
        createdAt: at(createdAt),
        churnedAt: churnedAt ? at(churnedAt) : null,
        status: churnedAt ? 'CHURNED' : 'ACTIVE',
        contractorId,
      },
    });
  const a = await mk('Alpha', '2026-09-01T00:00:00Z');
  const b = await mk('Beta', '2026-09-15T00:00:00Z', '2026-10-10T00:00:00Z', contractor.id);
  const c = await mk('Gamma', '2026-10-05T00:00:00Z');
  await mk('Delta', '2026-08-01T00:00:00Z', '2026-09-20T00:00:00Z');
  // Created 2026-10-31 20:00 UTC = 1 November 04:00 in Shanghai: not new in October.
  await mk('Late', '2026-10-31T20:00:00Z');

  const plan = await db.tariffPlan.create({ data: { code: 'KPI', name: 'KPI plan', monthlyRentalMinor: 1000n } });
  const contract = (customerId: string, n: string) =>
    db.contract.create({ data: { number: `C-KPI-${n}`, customerId, tariffPlanId: plan.id, startDate: at('2026-01-01T00:00:00Z') } });
  const [ca, cb, cc] = [await contract(a.id, 'A'), await contract(b.id, 'B'), await contract(c.id, 'C')];
  const invoice = (contractId: string, customerId: string, period: string, subtotal: bigint, dueAt: string, paidAt?: string) =>
    db.invoice.create({
      data: {
        contractId,
        customerId,
        period,
        subtotalMinor: subtotal,
        totalMinor: subtotal,
        status: paidAt ? 'PAID' : 'ISSUED',
        issuedAt: at('2026-10-01T00:00:00Z'),
        dueAt: at(dueAt),
        paidAt: paidAt ? at(paidAt) : null,
      },
    });
  await invoice(ca.id, a.id, '2026-10', 10_001n, '2026-12-10T00:00:00Z');
  await invoice(cb.id, b.id, '2026-10', 20_000n, '2026-12-10T00:00:00Z');
  await invoice(ca.id, a.id, '2026-09', 5_000n, '2026-10-10T00:00:00Z', '2026-10-09T00:00:00Z');
  await invoice(cb.id, b.id, '2026-09', 7_000n, '2026-10-20T00:00:00Z', '2026-10-25T00:00:00Z');
  await invoice(cc.id, c.id, '2026-09', 3_000n, '2026-10-28T00:00:00Z');
  // Signed in November (outside October's customer counts), paid its first invoice before the due date.
  const e = await mk('Epsilon', '2026-11-02T00:00:00Z');
  const ce = await contract(e.id, 'E');
  await invoice(ce.id, e.id, '2026-09', 1_000n, '2099-12-20T00:00:00Z', '2026-11-05T00:00:00Z');

  const model = await ensureModel(sys.services, 'NXE-200');
  for (const [serial, n] of [
    ['NXE-KPI1', 5],
    ['NXE-KPI2', 7],
  ] as const) {
    const d = await db.device.create({ data: { serial, deviceModelId: model.id, status: 'ACTIVE', contractId: ca.id, customerId: a.id } });
    await db.usageCounter.create({ data: { deviceId: d.id, contractId: ca.id, day: at('2026-10-03T00:00:00Z'), upMessages: n } });
  }
  await db.device.create({ data: { serial: 'NXE-KPI3', deviceModelId: model.id } });
  await db.ticket.create({ data: { kind: 'GENERAL', source: 'STAFF', group: 'REPAIR', subject: 'a', resolutionBreached: true } });
  await db.ticket.create({ data: { kind: 'GENERAL', source: 'STAFF', group: 'REPAIR', subject: 'b' } });
  await db.ticket.create({ data: { kind: 'GENERAL', source: 'STAFF', group: 'SERVICE_DESK', subject: 'c', status: 'RESOLVED' } });
});
afterAll(async () => {
  await sys?.stop();
});

describe('KPI reports', () => {
  it('computes the period KPIs of a fixed data set exactly', async () => {
    const finance = await loginAs(sys.services, sys.app!, 'FINANCE');
    const k = (await sys.app!.inject({ url: '/api/v1/reports/kpis?period=2026-10', headers: finance.headers })).json();
    expect(k).toMatchObject({
      period: '2026-10',
      newCustomers: 1,
      churnedCustomers: 1,
      activeCustomersAtStart: 2,
      churnRateBp: 5000,
      invoicedCustomers: 2,
      revenueMinor: 30_001,
      arpuMinor: 15_001, // 15 000.5 rounded half-up
      invoicesDue: 3,
      invoicesPaidOnTime: 1,
      collectionScoreBp: 3333,
      terminalsByStatus: { ACTIVE: 2, IN_STOCK: 1 },
      messagesPerDay: [{ day: '2026-10-03', messages: 12 }],
      ticketsByGroup: [{ group: 'REPAIR', open: 2, firstResponseBreached: 0, resolutionBreached: 1 }],
    });
  });

  it('segments customers by value and payment behaviour, and exports CSV', async () => {
    const sales = await loginAs(sys.services, sys.app!, 'SALES');
    const res = (await sys.app!.inject({ url: '/api/v1/reports/customer-value?period=2026-10', headers: sales.headers })).json() as {
      items: Record<string, unknown>[];
    };
    expect(res.items).toEqual([
      expect.objectContaining({
        name: 'Beta',
        revenueMinor: 27_000,
        commissionMinor: 2_700,
        marginMinor: 24_300,
        valueSegment: 'HIGH',
        paymentBehaviour: 'POOR',
      }),
      expect.objectContaining({
        name: 'Alpha',
        revenueMinor: 15_001,
        commissionMinor: 0,
        valueSegment: 'MEDIUM',
        paymentBehaviour: 'RELIABLE',
      }),
      expect.objectContaining({ name: 'Gamma', revenueMinor: 3_000, valueSegment: 'LOW', paymentBehaviour: 'POOR' }),
      // Paid in full before the due date: that is a history of paying on time, not none.
      expect.objectContaining({ name: 'Epsilon', revenueMinor: 1_000, paymentBehaviour: 'RELIABLE' }),
    ]);
    const csv = await sys.app!.inject({ url: '/api/v1/reports/kpis?period=2026-10&format=csv', headers: sales.headers });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toContain('churn rate (bp),5000');
  });

  it('is not open to contractors or service staff', async () => {
    const service = await loginAs(sys.services, sys.app!, 'SERVICE');
    expect((await sys.app!.inject({ url: '/api/v1/reports/kpis', headers: service.headers })).statusCode).toBe(403);
  });
});
