import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { connackCode, createContract, provisionTerminal, waitFor } from '../helpers/terminals.js';
import { startReceiver } from '../helpers/webhook-receiver.js';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem('all');
});
afterAll(async () => {
  await sys?.stop();
});

const V5 = { protocolVersion: 5 as const };
const DAY = 86_400_000;

describe('dunning end to end with the gateway', () => {
  it('suspension refuses the terminals; the payment that clears the balance admits them again', async () => {
    const s = sys.services;
    const { contract, customer } = await createContract(s);
    const t = await provisionTerminal(s, contract.id);
    expect(await connackCode(sys.mqttPort!, t.serial, t.secret, V5)).toBe(0);

    // An issued invoice of 100.00 due ten days ago.
    const dueAt = new Date(Date.now() - 10 * DAY);
    const invoice = await s.db.invoice.create({
      data: {
        number: 'NX-2026-900001',
        contractId: contract.id,
        customerId: customer.id,
        period: '2026-09',
        status: 'ISSUED',
        subtotalMinor: 9434n,
        taxMinor: 566n,
        totalMinor: 10_000n,
        issuedAt: new Date(dueAt.getTime() - 30 * DAY),
        dueAt,
      },
    });

    // The end user's system hears of the reminders and the suspension by webhook.
    const receiver = await startReceiver();
    const ops = await loginAs(s, sys.app!, 'OPS');
    const ep = await sys.app!.inject({
      method: 'POST',
      url: '/api/v1/webhook-endpoints',
      headers: ops.headers,
      payload: { url: receiver.url, customerId: customer.id, eventTypes: ['invoice.*', 'contract.*'] },
    });
    expect(ep.statusCode, ep.body).toBe(201);

    await s.billing.dunning.run(new Date(dueAt.getTime() + 8 * DAY));
    // The daily job 31 days after the due date suspends the contract: refused within 2 s.
    await s.billing.dunning.run(new Date(dueAt.getTime() + 31 * DAY));
    const suspendedAt = Date.now();
    await waitFor(async () => (await connackCode(sys.mqttPort!, t.serial, t.secret, V5)) === 0x8a, 2000, 100);
    expect(Date.now() - suspendedAt).toBeLessThan(2000);

    // Paying the whole balance reactivates at once: accepted again within 2 s.
    const finance = await loginAs(s, sys.app!, 'FINANCE');
    const paid = await sys.app!.inject({
      method: 'POST',
      url: '/api/v1/payments',
      headers: finance.headers,
      payload: { reference: 'GW-1', invoiceId: invoice.id, amountMinor: 10_000 },
    });
    expect(paid.statusCode).toBe(201);
    const paidAt = Date.now();
    await waitFor(async () => (await connackCode(sys.mqttPort!, t.serial, t.secret, V5)) === 0, 2000, 100);
    expect(Date.now() - paidAt).toBeLessThan(2000);
    expect((await s.db.contract.findUniqueOrThrow({ where: { id: contract.id } })).status).toBe('ACTIVE');
    const types = () => receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type);
    await waitFor(async () => types().includes('contract.reactivated'), 10_000, 100);
    expect(types()).toEqual(expect.arrayContaining(['invoice.overdue', 'contract.suspended', 'invoice.paid', 'contract.reactivated']));
    // Webhooks are delivered concurrently, so reminders may arrive in any order: one per level.
    await waitFor(async () => types().filter((t) => t === 'invoice.overdue').length >= 2, 10_000, 100);
    const overdue = receiver.received
      .map((r) => JSON.parse(r.body) as { type: string; data: { level: number; number: string } })
      .filter((e) => e.type === 'invoice.overdue');
    expect(overdue.map((e) => e.data.level).sort((a, b) => a - b)).toEqual([7, 14]);
    expect(overdue.every((e) => e.data.number === 'NX-2026-900001')).toBe(true);
    expect(receiver.received[0]!.headers['webhook-signature']).toMatch(/^v1,/);
    await receiver.close();
  });
});
