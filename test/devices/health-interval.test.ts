// The interval the watchdog expects of each terminal: an acknowledged SET_INTERVAL, an override
// by staff or the contractor, the parked interval of a vehicle with the ignition off, the model's.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { eventually, makeCustomers, makeDevices } from '../helpers/health-fixtures.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

let sys: TestSystem;
let owner: Awaited<ReturnType<typeof makeCustomers>>;
beforeAll(async () => {
  sys = await startTestSystem('all', { HEALTH_TICK_MS: '100', HEALTH_SILENCE_GRACE_MS: '300' });
  owner = await makeCustomers(sys.services, 'Interval');
});
afterAll(async () => {
  await sys?.stop();
});

const vehicleModel = (expectedIntervalSec: number, silenceFactor: number, parkedIntervalSec: number | null) =>
  sys.services.db.deviceModel.create({
    data: {
      code: `NXV-T${randomBytes(3).toString('hex').toUpperCase()}`,
      name: 'Test tracker',
      category: 'VEHICLE',
      codec: 'nx-vehicle-v1',
      expectedIntervalSec,
      silenceFactor,
      parkedIntervalSec,
    },
  });
const uplink = (d: { serial: string; id: string }, decoded: Record<string, unknown>, receivedAt = new Date()) =>
  sys.services.events.emitNow([
    {
      type: 'device.uplink',
      customerId: owner.endUser.id,
      deviceId: d.id,
      payload: { serial: d.serial, seq: 1, kind: 'telemetry', receivedAt: receivedAt.toISOString(), decoded },
    },
  ]);
const deadlineOf = async (serial: string) => Number(await sys.services.redis.zscore(sys.services.health.keys.deadlines, serial));
const noSignal = (deviceId: string) => sys.services.db.ticket.findMany({ where: { deviceId, kind: 'NO_SIGNAL' } });
const telemetry = (ignition: boolean) => ({
  type: 'vehicle-telemetry',
  latitude: 31.2,
  longitude: 121.4,
  speedKmh: 0,
  heading: 0,
  ignition,
  moving: false,
  doorOpen: false,
  immobilized: false,
});

describe('expected interval per terminal', () => {
  it('after SET_INTERVAL 600 is acknowledged the terminal is silence-checked at 1,800 s, not 180 s', async () => {
    const model = await vehicleModel(60, 3, null);
    const [d] = await makeDevices(sys.services, model.id, owner, 1);
    const ops = await loginAs(sys.services, sys.app!, 'OPS');
    const before = (await sys.app!.inject({ method: 'GET', url: `/api/v1/devices/${d!.serial}`, headers: ops.headers })).json();
    expect(before.expectedInterval).toEqual({ seconds: 60, source: 'model' });

    const cmd = await sys.services.db.downlinkCommand.create({
      data: {
        deviceId: d!.id,
        opcode: 0x02,
        args: { seconds: 600 },
        payload: new Uint8Array(0),
        status: 'DELIVERED',
        deliveredAt: new Date(),
        expiresAt: new Date(Date.now() + 3_600_000),
      },
    });
    // The ack frame as the gateway stores it, and its bookkeeping of the command.
    const t = new Date();
    await uplink(d!, { type: 'ack', commandId: cmd.id, result: 'done' }, t);
    await sys.services.downlinks.applyAck(d!.id, cmd.id, 'done');
    expect(await eventually(async () => (await deadlineOf(d!.serial)) === t.getTime() + 1_800_000)).toBe(true);

    const after = (await sys.app!.inject({ method: 'GET', url: `/api/v1/devices/${d!.serial}`, headers: ops.headers })).json();
    expect(after.expectedInterval).toEqual({ seconds: 600, source: 'acknowledged' });
    // 185 s later (the false alarm of the old rule) nothing is due; past 1,800 s it is.
    await sys.services.health.tick(t.getTime() + 185_000);
    expect(await noSignal(d!.id)).toHaveLength(0);
    await sys.services.health.tick(t.getTime() + 1_800_000 + 1_000);
    const [ticket] = await eventually(async () => ((await noSignal(d!.id)).length ? noSignal(d!.id) : null));
    expect(ticket!.description).toContain('every 600 s (as it acknowledged with SET_INTERVAL)');
  });

  it("takes an override from staff or the terminal's contractor; others get 403 or 404", async () => {
    const model = await vehicleModel(60, 3, null);
    const [d] = await makeDevices(sys.services, model.id, owner, 1);
    const url = `/api/v1/devices/${d!.serial}`;
    const service = await loginAs(sys.services, sys.app!, 'SERVICE');
    const contractor = await loginAs(sys.services, sys.app!, 'CONTRACTOR', owner.contractor.id);
    const stranger = await loginAs(sys.services, sys.app!, 'CONTRACTOR', (await makeCustomers(sys.services, 'Other')).contractor.id);
    const customer = await loginAs(sys.services, sys.app!, 'CUSTOMER', owner.endUser.id);
    const finance = await loginAs(sys.services, sys.app!, 'FINANCE');

    const set = await sys.app!.inject({ method: 'PATCH', url, headers: service.headers, payload: { expectedIntervalSec: 300 } });
    expect(set.statusCode).toBe(200);
    expect(set.json().expectedInterval).toEqual({ seconds: 300, source: 'override' });
    const byContractor = await sys.app!.inject({
      method: 'PATCH',
      url,
      headers: contractor.headers,
      payload: { expectedIntervalSec: 120 },
    });
    expect(byContractor.json().expectedInterval).toEqual({ seconds: 120, source: 'override' });
    expect(
      (await sys.app!.inject({ method: 'PATCH', url, headers: stranger.headers, payload: { expectedIntervalSec: 10 } })).statusCode,
    ).toBe(404);
    expect(
      (await sys.app!.inject({ method: 'PATCH', url, headers: customer.headers, payload: { expectedIntervalSec: 10 } })).statusCode,
    ).toBe(403);
    expect(
      (await sys.app!.inject({ method: 'PATCH', url, headers: finance.headers, payload: { expectedIntervalSec: 10 } })).statusCode,
    ).toBe(403);
    const bad = await sys.app!.inject({ method: 'PATCH', url, headers: service.headers, payload: { expectedIntervalSec: 0 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.body).toContain('expectedIntervalSec');

    const t = new Date();
    await sys.services.health.observeUplink(d!.serial, t, { type: 'heartbeat' });
    expect(await deadlineOf(d!.serial)).toBe(t.getTime() + 360_000);
    const cleared = await sys.app!.inject({ method: 'PATCH', url, headers: service.headers, payload: { expectedIntervalSec: null } });
    expect(cleared.json().expectedInterval).toEqual({ seconds: 60, source: 'model' });
    await sys.services.redis.zrem(sys.services.health.keys.deadlines, d!.serial);
  });

  it('a parked vehicle raises nothing within its parked window, and is back on its interval once the ignition is on', async () => {
    // Running: silent after 1 s x 2; parked (ignition off): every 6 s, silent after 12 s.
    const model = await vehicleModel(1, 2, 6);
    const [d] = await makeDevices(sys.services, model.id, owner, 1);
    const t = new Date();
    await uplink(d!, telemetry(false), t);
    expect(await eventually(async () => (await deadlineOf(d!.serial)) === t.getTime() + 12_000)).toBe(true);
    const parked = await sys.services.db.device.findUniqueOrThrow({ where: { id: d!.id } });
    expect(parked.parkedSince?.getTime()).toBe(t.getTime());
    const ops = await loginAs(sys.services, sys.app!, 'OPS');
    const detail = (await sys.app!.inject({ method: 'GET', url: `/api/v1/devices/${d!.serial}`, headers: ops.headers })).json();
    expect(detail.expectedInterval).toEqual({ seconds: 6, source: 'parked' });

    // Well past the running window (2 s + grace) the watchdog has raised nothing.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await noSignal(d!.id)).toHaveLength(0);
    await sys.services.health.tick(t.getTime() + 11_000);
    expect(await noSignal(d!.id)).toHaveLength(0);

    // Ignition on: the short window applies again at once (the deadline moves earlier).
    const later = new Date(Date.now() + 3_600_000);
    await sys.services.health.observeUplink(d!.serial, later, telemetry(true));
    expect(await deadlineOf(d!.serial)).toBe(later.getTime() + 2_000);
    expect((await sys.services.db.device.findUniqueOrThrow({ where: { id: d!.id } })).parkedSince).toBeNull();
    await sys.services.redis.zrem(sys.services.health.keys.deadlines, d!.serial);
  });
});
