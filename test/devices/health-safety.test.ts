// Safety-critical faults (the fault table's `safety`): CRITICAL and a 24x7 SLA whatever the tier.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeCustomers, makeDevices, makeFastModel } from '../helpers/health-fixtures.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

let sys: TestSystem;
let owner: Awaited<ReturnType<typeof makeCustomers>>;
let device: { id: string; serial: string };
beforeAll(async () => {
  sys = await startTestSystem('worker', { HEALTH_TICK_MS: '100', OPERATOR_TIMEZONE: 'Asia/Shanghai' });
  owner = await makeCustomers(sys.services, 'Safety');
  await sys.services.db.customer.update({ where: { id: owner.endUser.id }, data: { tier: 'SILVER' } });
  const model = await makeFastModel(sys.services, [
    { code: 0x0101, description: 'Door jammed', severity: 2, group: 'REPAIR' },
    { code: 0x0102, description: 'Car stopped between floors (possible entrapment)', severity: 3, group: 'REPAIR', safety: true },
  ]);
  const [d] = await makeDevices(sys.services, model.id, owner, 1);
  device = d!;
});
afterAll(async () => {
  await sys?.stop();
});

// Saturday 2026-11-28 04:37 in Shanghai.
const SATURDAY = new Date('2026-11-28T04:37:00+08:00');
const fault = (faultCode: number, severity: number) =>
  sys.services.events.emitNow([
    {
      type: 'device.fault',
      customerId: owner.endUser.id,
      deviceId: device.id,
      payload: { serial: device.serial, faultCode, severity, detail: 'floor 7', receivedAt: SATURDAY.toISOString() },
    },
  ]);
const ticketFor = (faultCode: number) => eventually(() => sys.services.db.ticket.findFirst({ where: { deviceId: device.id, faultCode } }));

describe('safety-critical faults', () => {
  it('an entrapment for a SILVER customer on Saturday 04:37 is CRITICAL with its first response due 04:52, counted round the clock', async () => {
    await fault(0x0102, 1);
    const t = await ticketFor(0x0102);
    expect(t).toMatchObject({ kind: 'DEVICE_FAULT', priority: 'CRITICAL', safety: true, group: 'REPAIR' });
    expect(t.createdAt.toISOString()).toBe(SATURDAY.toISOString());
    expect(t.firstResponseDueAt?.toISOString()).toBe(new Date('2026-11-28T04:52:00+08:00').toISOString());
    const ctx = {
      actor: { userId: '00000000-0000-0000-0000-000000000000', role: 'ADMIN' as const, customerId: null, via: 'session' as const },
    };
    const seen = await sys.services.tickets.get(ctx, t.id);
    expect(seen).toMatchObject({ safety: true, sla: { businessHours: '24x7' } });
  });

  it("a fault without the safety class keeps the tier's business-hours SLA (due Monday 13:00)", async () => {
    await fault(0x0101, 2);
    const t = await ticketFor(0x0101);
    expect(t).toMatchObject({ priority: 'HIGH', safety: false });
    expect(t.firstResponseDueAt?.toISOString()).toBe(new Date('2026-11-30T13:00:00+08:00').toISOString());
  });
});
