// The alarm routes as callers with the wrong role, the wrong tenant, no token and hostile
// input; the preview against terminals' latest decoded messages.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../src/events/index.js';
import { loginAs } from '../helpers/api.js';
import { makeCustomers } from '../helpers/health-fixtures.js';
import { http } from '../helpers/http.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

let sys: TestSystem;
let base: string;
let ops: string;
let sales: string;
let model: { id: string; code: string };
let owners: { a: Awaited<ReturnType<typeof makeCustomers>>; b: Awaited<ReturnType<typeof makeCustomers>> };
let tokens: Record<'customerA' | 'customerB' | 'contractorA' | 'contractorB', string>;
let devices: { id: string; serial: string; customerId: string | null }[];
let ruleBody: Record<string, unknown>;

beforeAll(async () => {
  sys = await startTestSystem('api', { OPERATOR_TIMEZONE: 'Asia/Shanghai' });
  base = `${sys.httpUrl}/api/v1`;
  const s = sys.services;
  const app = sys.app!;
  ops = (await loginAs(s, app, 'OPS')).token;
  sales = (await loginAs(s, app, 'SALES')).token;
  owners = { a: await makeCustomers(s, 'A'), b: await makeCustomers(s, 'B') };
  tokens = {
    customerA: (await loginAs(s, app, 'CUSTOMER', owners.a.endUser.id)).token,
    customerB: (await loginAs(s, app, 'CUSTOMER', owners.b.endUser.id)).token,
    contractorA: (await loginAs(s, app, 'CONTRACTOR', owners.a.contractor.id)).token,
    contractorB: (await loginAs(s, app, 'CONTRACTOR', owners.b.contractor.id)).token,
  };
  const code = `NXE-A${randomBytes(2).toString('hex').toUpperCase()}`;
  model = await s.db.deviceModel.create({ data: { code, name: code, category: 'ELEVATOR', codec: 'elevator', expectedIntervalSec: 60 } });
  const tag = randomBytes(2).toString('hex').toUpperCase();
  const rows = ['a', 'a', 'b'].map((o, i) => ({
    serial: `NXE-P${tag}${i}`,
    deviceModelId: model.id,
    status: 'ACTIVE' as const,
    customerId: owners[o as 'a' | 'b'].endUser.id,
    contractorId: owners[o as 'a' | 'b'].contractor.id,
  }));
  await s.db.device.createMany({ data: rows });
  devices = await s.db.device.findMany({ where: { deviceModelId: model.id }, orderBy: { serial: 'asc' } });
  ruleBody = {
    name: 'Overload',
    target: { kind: 'MODEL', model: model.code },
    condition: { kind: 'compare', field: 'loadPercent', operator: 'gt', value: 100 },
    severity: 'MAJOR',
  };
});
afterAll(async () => {
  await sys?.stop();
});

let seq = 0;
const uplink = (d: (typeof devices)[number], loadPercent: number): EventEnvelope => ({
  id: `evt_${++seq}`,
  occurredAt: new Date().toISOString(),
  type: 'device.uplink',
  customerId: d.customerId,
  deviceId: d.id,
  payload: {
    serial: d.serial,
    seq,
    model: model.code,
    category: 'ELEVATOR',
    receivedAt: new Date().toISOString(),
    decoded: { type: 'elevator-telemetry', floor: 1, motion: 'idle', door: 'closed', loadPercent, tripCounter: 1 },
  },
});

describe('alarm rule routes', () => {
  it('need a token, and a rule-writing role to change rules; customers and contractors do not see rules', async () => {
    expect((await http(base, 'GET', '/alarm-rules')).status).toBe(401);
    expect((await http(base, 'GET', '/alarms')).status).toBe(401);
    expect((await http(base, 'POST', '/alarm-rules', { body: ruleBody })).status).toBe(401);
    expect((await http(base, 'POST', '/alarm-rules', { token: sales, body: ruleBody })).status).toBe(403);
    expect((await http(base, 'POST', '/alarm-rules/preview', { token: sales, body: ruleBody })).status).toBe(403);
    for (const t of [tokens.customerA, tokens.contractorA]) {
      expect((await http(base, 'GET', '/alarm-rules', { token: t })).status).toBe(403);
      expect((await http(base, 'POST', '/alarm-rules', { token: t, body: ruleBody })).status).toBe(403);
    }
    // The role is checked before the body is looked at: no hint about the format to the wrong role.
    const early = await http(base, 'POST', '/alarm-rules', { token: sales, body: { nonsense: true } });
    expect(early.status).toBe(403);
  });

  it('refuse hostile and ill-fitting rules with 400 naming the field, never 500', async () => {
    const ring = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ latitude: 31 + Math.sin(i) / 10, longitude: 121 + Math.cos(i) / 10 }));
    const cases: [Record<string, unknown>, string][] = [
      [{ ...ruleBody, condition: { kind: 'compare', field: 'loadPrecent', operator: 'gt', value: 100 } }, 'body.condition.field'],
      [{ ...ruleBody, condition: { kind: 'compare', field: 'x'.repeat(10_000), operator: 'gt', value: 1 } }, 'body.condition.field'],
      [{ ...ruleBody, condition: { kind: 'compare', field: '__proto__', operator: 'gt', value: 1 } }, 'body.condition.field'],
      [{ ...ruleBody, condition: { kind: 'compare', field: 'speedKmh', operator: 'gt', value: 80 } }, 'body.condition.field'],
      [{ ...ruleBody, condition: { kind: 'compare', field: 'loadPercent', operator: 'gt', value: 'heavy' } }, 'body.condition.value'],
      [{ ...ruleBody, condition: { kind: 'compare', field: 'door', operator: 'gt', value: 'open' } }, 'body.condition.operator'],
      [{ ...ruleBody, condition: { kind: 'compare', field: 'door', operator: 'eq', value: 'ajar' } }, 'body.condition.value'],
      [{ ...ruleBody, condition: { kind: 'geofence', polygon: ring(5), alarmWhen: 'outside' } }, 'body.condition.kind'],
      [{ ...ruleBody, condition: { kind: 'geofence', polygon: ring(2_000), alarmWhen: 'outside' } }, 'body.condition.polygon'],
      [
        { ...ruleBody, condition: { kind: 'geofence', polygon: [{ latitude: 91, longitude: 0 }], alarmWhen: 'outside' } },
        'body.condition.polygon',
      ],
      [{ ...ruleBody, condition: { kind: 'compare', field: 'loadPercent', operator: 'gt', value: null } }, 'body.condition.value'],
      [{ ...ruleBody, timeWindow: { from: '25:00', to: '13:00' } }, 'body.timeWindow.from'],
      [{ ...ruleBody, raiseAfter: 0 }, 'body.raiseAfter'],
      [{ ...ruleBody, raiseAfter: 1e9 }, 'body.raiseAfter'],
      [{ ...ruleBody, notify: true }, 'body.notify'],
      [{ ...ruleBody, severity: 'APOCALYPTIC' }, 'body.severity'],
      [{ ...ruleBody, target: { kind: 'MODEL', model: 'NXE-NOPE' } }, 'body.target.model'],
      [{ ...ruleBody, target: { kind: 'TERMINAL', serial: 'NXE-NOPE' } }, 'body.target.serial'],
      [{ ...ruleBody, target: { kind: 'CUSTOMER', customerId: '00000000-0000-0000-0000-000000000000' } }, 'body.target.customerId'],
      [
        { ...ruleBody, clear: { condition: { kind: 'compare', field: 'lampOn', operator: 'eq', value: true } } },
        'body.clear.condition.field',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await http(base, 'POST', '/alarm-rules', { token: ops, body });
      expect(res.status, field).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
      const paths = (res.json.errors as { path: string }[]).map((e) => e.path);
      expect(
        paths.some((p) => p.startsWith(field)),
        `${field} in ${paths.join(', ')}`,
      ).toBe(true);
    }
    // A polygon of megabytes is refused for its size before anything parses it.
    const huge = await http(base, 'POST', '/alarm-rules', {
      token: ops,
      body: { ...ruleBody, condition: { kind: 'geofence', polygon: ring(200_000), alarmWhen: 'outside' } },
    });
    expect(huge.status).toBe(413);
    expect(huge.contentType).toContain('application/problem+json');
    const raw = await http(base, 'POST', '/alarm-rules', { token: ops, rawBody: '{"name":' });
    expect(raw.status).toBe(400);
    expect((await http(base, 'GET', '/alarm-rules?limit=50', { token: ops })).json.items).toHaveLength(0);
  });

  it('create, read, replace and delete a rule; the preview names the terminals over the limit now', async () => {
    const created = await http(base, 'POST', '/alarm-rules', { token: ops, body: { ...ruleBody, raiseAfter: 3 } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      target: { kind: 'MODEL', model: model.code },
      raiseAfter: 3,
      clear: { condition: null, after: 3 },
    });
    const id = created.json.id as string;
    const replaced = await http(base, 'PUT', `/alarm-rules/${id}`, { token: ops, body: { ...ruleBody, severity: 'CRITICAL' } });
    expect(replaced.json).toMatchObject({ severity: 'CRITICAL', raiseAfter: 1 });
    expect((await http(base, 'GET', `/alarm-rules/${id}`, { token: ops })).json.severity).toBe('CRITICAL');

    // Latest elevator frames: 120 %, 60 % and nothing yet.
    const s = sys.services;
    const msg = (d: (typeof devices)[number], load: number, n: number, at: Date) =>
      s.db.message.create({
        data: {
          deviceId: d.id,
          topic: `nx/${d.serial}/up/telemetry`,
          kind: 'telemetry',
          qos: 1,
          payload: Buffer.alloc(1),
          bytes: 1,
          seq: n,
          receivedAt: at,
          decoded: { type: 'elevator-telemetry', floor: 1, motion: 'idle', door: 'closed', loadPercent: load, tripCounter: 1 },
        },
      });
    await msg(devices[0]!, 50, 1, new Date(Date.now() - 60_000));
    await msg(devices[0]!, 120, 2, new Date());
    await msg(devices[1]!, 130, 1, new Date(Date.now() - 60_000));
    await msg(devices[1]!, 60, 2, new Date());
    const preview = await http(base, 'POST', '/alarm-rules/preview', { token: ops, body: ruleBody });
    expect(preview.status).toBe(200);
    expect(preview.json).toMatchObject({ examined: 3, withData: 2, truncated: false });
    expect(preview.json.matching).toEqual([expect.objectContaining({ serial: devices[0]!.serial, value: 120 })]);

    expect((await http(base, 'DELETE', `/alarm-rules/${id}`, { token: ops })).status).toBe(204);
    expect((await http(base, 'GET', `/alarm-rules/${id}`, { token: ops })).status).toBe(404);
    expect((await http(base, 'PUT', `/alarm-rules/${id}`, { token: ops, body: ruleBody })).status).toBe(404);
  });
});

describe('alarm routes', () => {
  let alarmA: string;
  let alarmB: string;

  beforeAll(async () => {
    await http(base, 'POST', '/alarm-rules', { token: ops, body: ruleBody });
    await sys.services.alarms.evaluate(devices.map((d) => uplink(d, 150)));
    const all = await sys.services.db.alarm.findMany({ orderBy: { createdAt: 'asc' } });
    expect(all).toHaveLength(3);
    alarmA = all.find((a) => a.deviceId === devices[0]!.id)!.id;
    alarmB = all.find((a) => a.deviceId === devices[2]!.id)!.id;
  });

  it("show each end user and contractor only their terminals' alarms; others' answer 404", async () => {
    const mine = await http(base, 'GET', '/alarms', { token: tokens.customerA });
    expect(mine.json.items).toHaveLength(2);
    expect((await http(base, 'GET', '/alarms', { token: tokens.contractorB })).json.items).toHaveLength(1);
    expect((await http(base, 'GET', '/alarms?status=ACTIVE', { token: ops })).json.items).toHaveLength(3);
    expect((await http(base, 'GET', `/alarms/${alarmB}`, { token: tokens.customerA })).status).toBe(404);
    expect((await http(base, 'POST', `/alarms/${alarmB}/acknowledge`, { token: tokens.contractorA })).status).toBe(404);
    expect((await http(base, 'POST', `/alarms/${alarmB}/clear`, { token: tokens.contractorA })).status).toBe(404);
    expect((await http(base, 'GET', `/alarms/${alarmA}`, { token: tokens.customerA })).json.status).toBe('ACTIVE_UNACK');
  });

  it('are read-only for end users; the maintaining contractor acknowledges and clears', async () => {
    expect((await http(base, 'POST', `/alarms/${alarmA}/acknowledge`, { token: tokens.customerA })).status).toBe(403);
    expect((await http(base, 'POST', `/alarms/${alarmA}/clear`, { token: tokens.customerA })).status).toBe(403);
    const ack = await http(base, 'POST', `/alarms/${alarmA}/acknowledge`, { token: tokens.contractorA });
    expect(ack.json.status).toBe('ACTIVE_ACK');
    const cleared = await http(base, 'POST', `/alarms/${alarmA}/clear`, { token: tokens.contractorA });
    expect(cleared.json.status).toBe('CLEARED_ACK');
    // Doing it again changes nothing and is no error.
    expect((await http(base, 'POST', `/alarms/${alarmA}/clear`, { token: tokens.contractorA })).json.status).toBe('CLEARED_ACK');
    const audit = await sys.services.db.auditLog.findMany({ where: { entityId: alarmA }, orderBy: { createdAt: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['alarm.acknowledge', 'alarm.clear']);
  });

  it('refuse bad filters and ids with 400 naming the field', async () => {
    const bad = await http(base, 'GET', '/alarms?status=ON_FIRE', { token: ops });
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].path).toBe('querystring.status');
    const id = await http(base, 'GET', '/alarms/not-a-uuid', { token: ops });
    expect(id.status).toBe(400);
    expect(id.json.errors[0].path).toBe('params.id');
  });
});
