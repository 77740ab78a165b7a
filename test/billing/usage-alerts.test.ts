// Usage alerts: a contract passing 80% and 100% of its monthly allowance is told once per
// threshold (webhook event and e-mail), also when its terminals pass it together and when two
// checks run at once. No SMTP server here: the e-mails are written as .eml files (demo mode),
// listed by the API and downloadable.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDate } from '../../billing/period.js';
import { loginAs } from '../helpers/api.js';
import { addUsage, createContract, createCustomer, createOracleTariff, createTerminal, waitFor } from '../helpers/billing.js';
import { headerOf } from '../helpers/smtp.js';
import { startTestSystem, type TestSystem, testMailDir } from '../helpers/system.js';
import { adminCtx } from '../helpers/terminals.js';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';

let sys: TestSystem;
let receiver: Receiver;

beforeAll(async () => {
  sys = await startTestSystem('all');
  receiver = await startReceiver();
});
afterAll(async () => {
  await sys?.stop();
  await receiver?.close();
});

describe('usage alerts', () => {
  it('tells the customer once at 80% and once at 100% of the allowance, by webhook and e-mail', async () => {
    const s = sys.services;
    const today = localDate(new Date(), s.config.OPERATOR_TIMEZONE);
    // 1,000 included messages per terminal, two terminals in service: 2,000 units this month.
    const plan = await createOracleTariff(s);
    const customer = await createCustomer(s, { name: '杭州路灯管理处' });
    await s.db.customer.update({ where: { id: customer.id }, data: { email: 'lights@customer.test' } });
    const contract = await createContract(s, { customerId: customer.id, tariffPlanId: plan.id });
    const a = await createTerminal(s, contract, 'NXL-A', new Date('2026-05-01T00:00:00Z'));
    const b = await createTerminal(s, contract, 'NXL-B', new Date('2026-05-01T00:00:00Z'));
    await s.webhooks.endpoints.create(await adminCtx(s), {
      customerId: customer.id,
      url: receiver.url,
      eventTypes: ['contract.*'],
      enabled: true,
      maxConcurrency: 4,
    });
    const check = () => s.billing.usageAlerts.check();

    await addUsage(s, a, today, 900, 64);
    await addUsage(s, b, today, 500, 64);
    expect(await check()).toEqual([]); // 70%
    await addUsage(s, b, today, 200, 64);
    expect((await check()).map((x) => [x.threshold, Number(x.usedUnits), Number(x.allowanceUnits)])).toEqual([[80, 1600, 2000]]);
    expect(await check()).toEqual([]);

    // Both terminals pass 100% together, and two checks race: one alert.
    await Promise.all([addUsage(s, a, today, 250, 64), addUsage(s, b, today, 250, 64)]);
    const raced = (await Promise.all([check(), check()])).flat();
    expect(raced.map((x) => x.threshold)).toEqual([100]);

    const hooks = await waitFor(async () => (receiver.received.length >= 2 ? receiver.received : null), 20_000);
    const bodies = hooks.map((h) => JSON.parse(h.body) as { type: string; data: Record<string, unknown> });
    expect(bodies.map((x) => x.type)).toEqual(['contract.usage_threshold', 'contract.usage_threshold']);
    expect(bodies.map((x) => x.data)).toEqual([
      {
        contractId: contract.id,
        contractNumber: contract.number,
        period: today.slice(0, 7),
        threshold: 80,
        usedUnits: 1600,
        allowanceUnits: 2000,
      },
      {
        contractId: contract.id,
        contractNumber: contract.number,
        period: today.slice(0, 7),
        threshold: 100,
        usedUnits: 2100,
        allowanceUnits: 2000,
      },
    ]);

    // The e-mails, with no SMTP server: .eml files, listed and downloadable.
    const rows = await waitFor(async () => {
      const r = await s.db.outgoingMail.findMany({ where: { customerId: customer.id, status: 'SENT' }, orderBy: { subject: 'asc' } });
      return r.length === 2 ? r : null;
    }, 20_000);
    expect(rows.map((r) => [r.kind, r.toAddress, r.transport])).toEqual([
      ['usage-alert', 'lights@customer.test', 'file'],
      ['usage-alert', 'lights@customer.test', 'file'],
    ]);
    const file = path.join(testMailDir(s.config.REDIS_PREFIX), rows[0]!.file!);
    expect(existsSync(file)).toBe(true);
    const eml = readFileSync(file, 'utf8');
    expect(headerOf(eml, 'To')).toBe('lights@customer.test');
    expect(headerOf(eml, 'Subject')).toBe(
      `Usage alert: contract ${contract.number} has used 100% of its allowance for ${today.slice(0, 7)}`,
    );

    const ops = await loginAs(s, sys.app!, 'OPS');
    const list = await sys.app!.inject({ url: `/api/v1/outgoing-mail?kind=usage-alert&customerId=${customer.id}`, headers: ops.headers });
    expect((list.json() as { items: { status: string }[] }).items.map((i) => i.status)).toEqual(['SENT', 'SENT']);
    const download = await sys.app!.inject({ url: `/api/v1/outgoing-mail/${rows[0]!.id}.eml`, headers: ops.headers });
    expect(download.statusCode).toBe(200);
    expect(download.body).toBe(eml);
  });

  it('records an alert it cannot mail (no address) as NO_RECIPIENT, for finance to follow up', async () => {
    const s = sys.services;
    const today = localDate(new Date(), s.config.OPERATOR_TIMEZONE);
    const plan = await createOracleTariff(s);
    const customer = await createCustomer(s, { name: 'No Address Ltd' });
    const contract = await createContract(s, { customerId: customer.id, tariffPlanId: plan.id });
    const t = await createTerminal(s, contract, 'NXL-C', new Date('2026-05-01T00:00:00Z'));
    await addUsage(s, t, today, 850, 64);
    expect((await s.billing.usageAlerts.check()).map((x) => x.threshold)).toEqual([80]);
    const row = await waitFor(async () => s.db.outgoingMail.findFirst({ where: { customerId: customer.id } }), 20_000);
    expect(row).toMatchObject({ status: 'NO_RECIPIENT', toAddress: null, attempts: 0 });
  });
});
