// The console's data feeds over HTTP: GET /overview (counts, traffic per minute, silent and
// faulty terminals, open tickets, map) and GET /live (SSE from the worker through Redis),
// both scoped to the principal's customers.

import type { IncomingMessage } from 'node:http';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeUplink } from '../../gateway/codecs/index.js';
import { moveAccessTokenToHeader } from '../../src/http/access-token.js';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { adminCtx, connectTerminal, createContract, ensureModel, newSerial, waitFor } from '../helpers/terminals.js';

let sys: TestSystem;
let a: Awaited<ReturnType<typeof createContract>>;
let b: Awaited<ReturnType<typeof createContract>>;
const terminals: Record<string, { serial: string; secret: string }> = {};
const clients: MqttClient[] = [];

async function provision(contractId: string, model: string, latitude: number, longitude: number) {
  await ensureModel(sys.services, model);
  const serial = newSerial(model.slice(0, 3));
  const ctx = await adminCtx(sys.services);
  await sys.services.devices.addToStock(ctx, { serial, model });
  const r = await sys.services.devices.provision(ctx, serial, { contractId, latitude, longitude });
  return { serial, secret: r.secret };
}

/** Reads an SSE stream in the background and keeps every event's parsed data. */
function openStream(token: string) {
  const controller = new AbortController();
  const events: { type: string; serial: string | null; customerId: string | null; lat: number | null }[] = [];
  const hello: unknown[] = [];
  const ready = fetch(`${sys.httpUrl}/api/v1/live?access_token=${encodeURIComponent(token)}`, { signal: controller.signal }).then(
    async (res) => {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buf = '';
      void (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            buf += decoder.decode(value, { stream: true });
            for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
              const block = buf.slice(0, i);
              buf = buf.slice(i + 2);
              const data = block
                .split('\n')
                .filter((l) => l.startsWith('data: '))
                .map((l) => l.slice(6))
                .join('\n');
              if (!data) continue;
              if (block.includes('event: hello')) hello.push(JSON.parse(data));
              else events.push(...(JSON.parse(data) as typeof events));
            }
          }
        } catch {
          /* aborted */
        }
      })();
    },
  );
  return { events, hello, ready, close: () => controller.abort() };
}

beforeAll(async () => {
  sys = await startTestSystem('all');
  a = await createContract(sys.services);
  b = await createContract(sys.services);
  terminals.vehicleA = await provision(a.contract.id, 'NXV-100', 31.23, 121.47);
  terminals.liftA = await provision(a.contract.id, 'NXE-200', 31.24, 121.5);
  terminals.lampB = await provision(b.contract.id, 'NXL-100', 23.13, 113.26);
});
afterAll(async () => {
  for (const c of clients) await c.endAsync().catch(() => {});
  await sys?.stop();
});

// Generous time: the event pipeline shares 2 cores with the other test files.
describe('console data feeds', { timeout: 90_000 }, () => {
  it('takes ?access_token= as the bearer on the live feed only, and drops it from the URL that gets logged', () => {
    const live = { url: '/api/v1/live?access_token=nxs_abc&x=1', headers: {} } as IncomingMessage;
    expect(moveAccessTokenToHeader(live)).toBe('/api/v1/live?x=1');
    expect(live.headers.authorization).toBe('Bearer nxs_abc');
    const other = { url: '/api/v1/devices?access_token=nxs_abc', headers: {} } as IncomingMessage;
    expect(moveAccessTokenToHeader(other)).toBe('/api/v1/devices?access_token=nxs_abc');
    expect(other.headers.authorization).toBeUndefined();
  });

  it('refuses the live feed without a valid token', async () => {
    const res = await fetch(`${sys.httpUrl}/api/v1/live?access_token=nxs_wrong`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(`${sys.httpUrl}/api/v1/live`)).status).toBe(401);
  });

  it('streams uplinks, online and fault events live, each principal seeing only its customers', async () => {
    const ops = await loginAs(sys.services, sys.app!, 'OPS');
    const contractorA = await loginAs(sys.services, sys.app!, 'CONTRACTOR', a.contractor.id);
    const customerB = await loginAs(sys.services, sys.app!, 'CUSTOMER', b.customer.id);
    const streams = { ops: openStream(ops.token), a: openStream(contractorA.token), b: openStream(customerB.token) };
    await Promise.all(Object.values(streams).map((s) => s.ready));
    await waitFor(async () => Object.values(streams).every((s) => s.hello.length === 1));

    const va = terminals.vehicleA!;
    const lb = terminals.lampB!;
    const cA = await connectTerminal(sys.mqttPort!, va.serial, va.secret);
    const cB = await connectTerminal(sys.mqttPort!, lb.serial, lb.secret);
    clients.push(cA, cB);
    await cA.publishAsync(
      `nx/${va.serial}/up/telemetry`,
      encodeUplink(
        {
          type: 'vehicle-telemetry',
          latitude: 31.2401,
          longitude: 121.49,
          speedKmh: 20,
          heading: 90,
          ignition: true,
          moving: true,
          doorOpen: false,
          immobilized: false,
        },
        new Date(),
      ),
      { qos: 1 },
    );
    await cB.publishAsync(
      `nx/${lb.serial}/up/fault`,
      encodeUplink({ type: 'fault', faultCode: 0x0201, severity: 1, detail: 'lamp' }, new Date()),
      { qos: 1 },
    );

    const has = (s: ReturnType<typeof openStream>, type: string, serial: string) =>
      s.events.some((e) => e.type === type && e.serial === serial);
    await waitFor(async () => has(streams.ops, 'device.uplink', va.serial) && has(streams.ops, 'device.fault', lb.serial), 30_000);
    await waitFor(async () => has(streams.a, 'device.uplink', va.serial) && has(streams.b, 'device.fault', lb.serial), 10_000);
    expect(has(streams.ops, 'device.online', va.serial)).toBe(true);
    // The vehicle's fix travels with its uplink so the map can move it.
    expect(streams.a.events.find((e) => e.type === 'device.uplink' && e.serial === va.serial)?.lat).toBeCloseTo(31.2401, 4);
    // Give a stray cross-scope event time to arrive before asserting it never does.
    await new Promise((r) => setTimeout(r, 700));
    expect(streams.a.events.some((e) => e.serial === lb.serial)).toBe(false);
    expect(streams.b.events.some((e) => e.serial === va.serial)).toBe(false);
    for (const s of Object.values(streams)) s.close();
  });

  it('summarises the network for staff and for each scope', async () => {
    const ops = await loginAs(sys.services, sys.app!, 'OPS');
    const contractorA = await loginAs(sys.services, sys.app!, 'CONTRACTOR', a.contractor.id);
    // A terminal that last reported long ago is silent (model interval 60 s × factor 3).
    await sys.services.db.device.update({
      where: { serial: terminals.liftA!.serial },
      data: { lastSeenAt: new Date(Date.now() - 3600_000) },
    });

    type Overview = {
      terminals: { total: number; online: number; byCategory: Record<string, { total: number; online: number }> };
      messagesPerMinute: { minute: string; count: number }[];
      silent: { count: number; items: { serial: string }[] };
      faulty: { count: number; items: { serial: string; faultCode: number }[] };
      openTickets: { total: number; byPriority: Record<string, number> };
      incidents: { count: number; items: { title: string; silentTerminals: number }[] };
    };
    const get = async (headers: { authorization: string }, url = '/api/v1/overview') => {
      const res = await sys.app!.inject({ url, headers });
      expect(res.statusCode).toBe(200);
      return res.json();
    };
    // The lamp's fault frame opened a fault ticket (health watchdog): the lamp counts as faulty.
    const all = (await waitFor(
      async () => {
        const o = (await get(ops.headers)) as Overview;
        return o.messagesPerMinute.reduce((s, p) => s + p.count, 0) >= 2 && o.terminals.online === 2 && o.faulty.count === 1 ? o : null;
      },
      30_000,
      200,
    )) as Overview;
    expect(all.faulty).toMatchObject({
      count: 1,
      items: [expect.objectContaining({ serial: terminals.lampB!.serial, faultCode: 0x0201 })],
    });
    expect(all.openTickets.total).toBeGreaterThanOrEqual(1);
    expect(all.terminals.total).toBe(3);
    expect(all.terminals.byCategory.VEHICLE).toMatchObject({ total: 1, online: 1 });
    expect(all.terminals.byCategory.STREETLIGHT).toMatchObject({ total: 1, online: 1 });
    expect(all.messagesPerMinute).toHaveLength(61);
    expect(all.silent.items.map((s) => s.serial)).toContain(terminals.liftA!.serial);

    const mine = (await get(contractorA.headers)) as Overview;
    expect(mine.terminals.total).toBe(2);
    expect(mine.terminals.byCategory.STREETLIGHT).toMatchObject({ total: 0 });
    expect(mine.messagesPerMinute.reduce((s, p) => s + p.count, 0)).toBe(1);
    expect(mine.faulty.count).toBe(0);

    // A network incident involving contractor A's lift: staff and A see it, B's customer does not.
    const lift = await sys.services.db.device.findUniqueOrThrow({ where: { serial: terminals.liftA!.serial } });
    await sys.services.db.incident.create({
      data: { kind: 'MASS_SILENCE', title: 'Pudong cell silent', devices: { create: [{ deviceId: lift.id, silentSince: new Date() }] } },
    });
    const customerB = await loginAs(sys.services, sys.app!, 'CUSTOMER', b.customer.id);
    expect(((await get(ops.headers)) as Overview).incidents.items).toEqual([
      expect.objectContaining({ title: 'Pudong cell silent', silentTerminals: 1 }),
    ]);
    expect(((await get(contractorA.headers)) as Overview).incidents.count).toBe(1);
    expect(((await get(customerB.headers)) as Overview).incidents.count).toBe(0);

    const map = (await get(contractorA.headers, '/api/v1/overview/map')) as { items: { serial: string; lat: number; lon: number }[] };
    expect(map.items.map((p) => p.serial).sort()).toEqual([terminals.vehicleA!.serial, terminals.liftA!.serial].sort());
    // The vehicle is drawn at its last reported fix, not where it was provisioned.
    expect(map.items.find((p) => p.serial === terminals.vehicleA!.serial)).toMatchObject({ lat: 31.2401, lon: 121.49 });
  });
});
