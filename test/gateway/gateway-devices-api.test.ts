import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeUplink } from '../../gateway/codecs/index.js';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { connectTerminal, createContract, ensureModel, newSerial } from '../helpers/terminals.js';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem('all');
  await ensureModel(sys.services, 'NXV-100');
});
afterAll(async () => {
  await sys?.stop();
});

describe('terminal provisioning API', () => {
  it('stocks, provisions (secret shown once), scopes, and serves messages decoded with raw hex', async () => {
    const app = sys.app!;
    const ops = await loginAs(sys.services, app, 'OPS');
    const mine = await createContract(sys.services);
    const theirs = await createContract(sys.services);
    const contractor = await loginAs(sys.services, app, 'CONTRACTOR', mine.contractor.id);
    const stranger = await loginAs(sys.services, app, 'CONTRACTOR', theirs.contractor.id);
    const customer = await loginAs(sys.services, app, 'CUSTOMER', mine.customer.id);

    const serial = newSerial('NXV');
    expect(
      (await app.inject({ method: 'POST', url: '/api/v1/devices', headers: contractor.headers, payload: { serial, model: 'NXV-100' } }))
        .statusCode,
    ).toBe(403);
    const stocked = await app.inject({
      method: 'POST',
      url: '/api/v1/devices',
      headers: ops.headers,
      payload: { serial, model: 'NXV-100' },
    });
    expect(stocked.statusCode).toBe(201);
    expect(stocked.json()).toMatchObject({ serial, status: 'IN_STOCK', category: 'VEHICLE' });
    expect(stocked.json()).not.toHaveProperty('secretHash');

    // A contractor cannot provision onto another contractor's contract.
    const foreign = await app.inject({
      method: 'POST',
      url: `/api/v1/devices/${serial}/provision`,
      headers: stranger.headers,
      payload: { contractId: mine.contract.id },
    });
    expect(foreign.statusCode).toBe(400);
    const prov = await app.inject({
      method: 'POST',
      url: `/api/v1/devices/${serial}/provision`,
      headers: contractor.headers,
      payload: { contractId: mine.contract.id, label: 'Truck 7', latitude: 31.2, longitude: 121.5 },
    });
    expect(prov.statusCode).toBe(201);
    const { secret } = prov.json() as { serial: string; secret: string };
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = await sys.services.db.device.findUniqueOrThrow({ where: { serial } });
    expect(row.secretHash).not.toContain(secret);
    const audit = await sys.services.db.auditLog.findMany({ where: { entityId: row.id }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['device.stocked', 'device.provisioned']);
    expect(JSON.stringify(audit.map((a) => [a.before, a.after]))).not.toContain(secret);

    const again = await app.inject({
      method: 'POST',
      url: `/api/v1/devices/${serial}/provision`,
      headers: ops.headers,
      payload: { contractId: mine.contract.id },
    });
    expect(again.statusCode).toBe(409);

    for (const who of [ops, contractor, customer]) {
      const got = await app.inject({ url: `/api/v1/devices/${serial}`, headers: who.headers });
      expect(got.statusCode).toBe(200);
      expect(got.json()).toMatchObject({ serial, status: 'PROVISIONED', label: 'Truck 7', customerId: mine.customer.id });
    }
    expect((await app.inject({ url: `/api/v1/devices/${serial}`, headers: stranger.headers })).statusCode).toBe(404);
    const strangerList = (await app.inject({ url: '/api/v1/devices', headers: stranger.headers })).json() as { items: unknown[] };
    expect(strangerList.items).toHaveLength(0);
    const contractorList = (await app.inject({ url: '/api/v1/devices', headers: contractor.headers })).json() as {
      items: { serial: string }[];
    };
    expect(contractorList.items.map((d) => d.serial)).toEqual([serial]);

    // Messages through the gateway, then read back page by page.
    const c = await connectTerminal(sys.mqttPort!, serial, secret);
    const frames = [1, 2, 3].map((i) =>
      encodeUplink(
        {
          type: 'vehicle-telemetry',
          latitude: 31.2 + i / 1000,
          longitude: 121.5,
          speedKmh: 10 * i,
          heading: 90,
          ignition: true,
          moving: true,
          doorOpen: false,
          immobilized: false,
        },
        new Date('2026-11-25T00:00:00Z'),
      ),
    );
    for (const f of frames) await c.publishAsync(`nx/${serial}/up/telemetry`, f, { qos: 1 });
    await c.endAsync();
    const page1 = (await app.inject({ url: `/api/v1/devices/${serial}/messages?limit=2`, headers: customer.headers })).json() as {
      items: { seq: number; payloadHex: string; decoded: { speedKmh: number } }[];
      nextCursor: string;
    };
    expect(page1.items.map((m) => m.seq)).toEqual([3, 2]);
    expect(page1.items[0]!.payloadHex).toBe(frames[2]!.toString('hex'));
    expect(page1.items[0]!.decoded.speedKmh).toBe(30);
    const page2 = (
      await app.inject({ url: `/api/v1/devices/${serial}/messages?limit=2&cursor=${page1.nextCursor}`, headers: customer.headers })
    ).json() as { items: { seq: number }[]; nextCursor: string | null };
    expect(page2.items.map((m) => m.seq)).toEqual([1]);
    expect(page2.nextCursor).toBeNull();
    expect((await app.inject({ url: `/api/v1/devices/${serial}/messages`, headers: stranger.headers })).statusCode).toBe(404);

    // Rotation returns a new secret and is audited; suspension by a contractor is not allowed.
    const rotated = await app.inject({ method: 'POST', url: `/api/v1/devices/${serial}/rotate-secret`, headers: contractor.headers });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json().secret).not.toBe(secret);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: `/api/v1/devices/${serial}/status`,
          headers: contractor.headers,
          payload: { status: 'SUSPENDED' },
        })
      ).statusCode,
    ).toBe(403);
    const suspended = await app.inject({
      method: 'POST',
      url: `/api/v1/devices/${serial}/status`,
      headers: ops.headers,
      payload: { status: 'SUSPENDED', reason: 'unpaid' },
    });
    expect(suspended.json()).toMatchObject({ status: 'SUSPENDED' });
  });
});
