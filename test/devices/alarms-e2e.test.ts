// Alarm rules over the whole path: a real terminal publishes over MQTT to the gateway, the
// worker evaluates the rules from the outbox stream, alarms are raised, repeated, acknowledged
// and cleared, and each step reaches the customer's webhook receiver as device.alarm.
import type { MqttClient } from 'mqtt';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeUplink } from '../../gateway/codecs/index.js';
import { loginAs } from '../helpers/api.js';
import { eventually } from '../helpers/health-fixtures.js';
import { http } from '../helpers/http.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { adminCtx, connectTerminal, createContract, ensureModel, provisionTerminal } from '../helpers/terminals.js';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';

let sys: TestSystem;
let base: string;
let ops: { token: string; userId: string };
let receiver: Receiver;
let secret: string;
let terminal: { serial: string; secret: string };
let client: MqttClient;
let customerId: string;

beforeAll(async () => {
  sys = await startTestSystem('all', { OPERATOR_TIMEZONE: 'Asia/Shanghai' });
  base = `${sys.httpUrl}/api/v1`;
  await ensureModel(sys.services, 'NXE-200', { rateLimitBurst: 1000, rateLimitPerMinute: 60000 });
  const { contract, customer } = await createContract(sys.services);
  customerId = customer.id;
  receiver = await startReceiver();
  const ep = await sys.services.webhooks.endpoints.create(await adminCtx(sys.services), {
    customerId: customer.id,
    url: receiver.url,
    eventTypes: ['device.alarm'],
    enabled: true,
    maxConcurrency: 1,
  });
  secret = ep.secret;
  terminal = await provisionTerminal(sys.services, contract.id, 'NXE-200', 'Lift A');
  client = await connectTerminal(sys.mqttPort!, terminal.serial, terminal.secret);
  ops = await loginAs(sys.services, sys.app!, 'OPS');
});
afterAll(async () => {
  await client?.endAsync();
  await receiver?.close();
  await sys?.stop();
});

const telemetry = (loadPercent: number) =>
  client.publishAsync(
    `nx/${terminal.serial}/up/telemetry`,
    encodeUplink({ type: 'elevator-telemetry', floor: 3, motion: 'idle', door: 'open', loadPercent, tripCounter: 7 }, new Date()),
    { qos: 1 },
  );
const heartbeat = (supplyMv: number) =>
  client.publishAsync(`nx/${terminal.serial}/up/heartbeat`, encodeUplink({ type: 'heartbeat', supplyMv, signalDbm: -70 }, new Date()), {
    qos: 1,
  });
const alarmsOf = async (ruleId: string) =>
  (await http(base, 'GET', `/alarms?ruleId=${ruleId}`, { token: ops.token })).json.items as {
    id: string;
    status: string;
    count: number;
    ticketId: string | null;
    details: { value: unknown; seq: number };
  }[];
/** The device.alarm webhooks received so far, verified with the endpoint's secret. */
const alarmHooks = () =>
  receiver.received.map((r) => new Webhook(secret).verify(r.body, r.headers) as { type: string; data: Record<string, unknown> });

describe('alarm rules on a live terminal', () => {
  let overload: string;

  it('an overloaded elevator raises one alarm after 2 consecutive frames, with a ticket and a device.alarm webhook', async () => {
    const res = await http(base, 'POST', '/alarm-rules', {
      token: ops.token,
      body: {
        name: 'Elevator overload',
        target: { kind: 'MODEL', model: 'NXE-200' },
        condition: { kind: 'compare', field: 'loadPercent', operator: 'gt', value: 100 },
        raiseAfter: 2,
        severity: 'MAJOR',
        createTicket: true,
        ticketGroup: 'REPAIR',
      },
    });
    expect(res.status).toBe(201);
    overload = res.json.id;

    await telemetry(120);
    await telemetry(40); // the streak breaks: no alarm
    await telemetry(120);
    // A heartbeat in between does not break the streak: it carries no load.
    await heartbeat(3600);
    await telemetry(125);
    const [a] = await eventually(async () => {
      const list = await alarmsOf(overload);
      return list.length ? list : null;
    });
    expect(a).toMatchObject({ status: 'ACTIVE_UNACK', count: 1, details: { value: 125 } });
    expect(a!.ticketId).toBeTruthy();
    const ticket = await sys.services.db.ticket.findUniqueOrThrow({ where: { id: a!.ticketId! } });
    expect(ticket).toMatchObject({ kind: 'ALARM', group: 'REPAIR', priority: 'HIGH', customerId });

    const raised = await eventually(async () => alarmHooks().find((h) => h.data.action === 'raised'));
    expect(raised).toMatchObject({
      type: 'device.alarm',
      data: { serial: terminal.serial, severity: 'MAJOR', ruleName: 'Elevator overload' },
    });
  });

  it('further overloaded frames bump the count of the same alarm instead of opening another', async () => {
    await telemetry(130);
    await telemetry(140);
    const [a, ...more] = await eventually(async () => {
      const list = await alarmsOf(overload);
      return list[0]?.count === 3 ? list : null;
    });
    expect(more).toHaveLength(0);
    expect(a!.details.value).toBe(140);
  });

  it('acknowledging keeps it active; normal load for 2 frames clears it and resolves its ticket', async () => {
    const [open] = await alarmsOf(overload);
    const ack = await http(base, 'POST', `/alarms/${open!.id}/acknowledge`, { token: ops.token });
    expect(ack.status).toBe(200);
    expect(ack.json).toMatchObject({ status: 'ACTIVE_ACK', active: true, acknowledged: true, acknowledgedById: ops.userId });

    await telemetry(50);
    await telemetry(60);
    const [done] = await eventually(async () => {
      const list = await alarmsOf(overload);
      return list[0]?.status === 'CLEARED_ACK' ? list : null;
    });
    expect(done!.id).toBe(open!.id);
    const ticket = await eventually(async () => {
      const t = await sys.services.db.ticket.findUniqueOrThrow({ where: { id: open!.ticketId! } });
      return t.status === 'RESOLVED' ? t : null;
    });
    expect(ticket.status).toBe('RESOLVED');
    const actions = await eventually(async () => {
      const hooks = alarmHooks().map((h) => h.data.action);
      return hooks.includes('cleared') ? hooks : null;
    });
    expect(actions).toEqual(['raised', 'acknowledged', 'cleared']);
  });

  it('the next overload after clearing is a new alarm', async () => {
    await telemetry(150);
    await telemetry(150);
    const list = await eventually(async () => {
      const l = await alarmsOf(overload);
      return l.length === 2 ? l : null;
    });
    expect(list.map((a) => a.status)).toEqual(['ACTIVE_UNACK', 'CLEARED_ACK']);
  });

  it('low supply for 3 heartbeats pages the on-call engineer; clearing by hand ends it and the streak starts over', async () => {
    await sys.services.notifications.onCall.set(
      { actor: { userId: ops.userId, role: 'OPS', customerId: null, via: 'session' } },
      'SERVICE_DESK',
      {
        shifts: [
          { userId: ops.userId, phone: null, from: new Date(Date.now() - 3600_000), to: new Date(Date.now() + 3600_000), lead: false },
        ],
      },
    );
    const res = await http(base, 'POST', '/alarm-rules', {
      token: ops.token,
      body: {
        name: 'Low supply',
        target: { kind: 'TERMINAL', serial: terminal.serial },
        condition: { kind: 'compare', field: 'supplyMv', operator: 'lt', value: 3300 },
        raiseAfter: 3,
        severity: 'CRITICAL',
        createTicket: true,
        notify: true,
      },
    });
    expect(res.status).toBe(201);
    const rule = res.json.id as string;
    await heartbeat(3100);
    await heartbeat(3150);
    await telemetry(20);
    await heartbeat(3000);
    const [a] = await eventually(async () => {
      const l = await alarmsOf(rule);
      return l.length ? l : null;
    });
    expect(a).toMatchObject({ status: 'ACTIVE_UNACK', count: 1 });
    const paged = await eventually(() => sys.services.db.page.findFirst({ where: { ticketId: a!.ticketId!, reason: 'ALARM' } }));
    expect(paged.userId).toBe(ops.userId);

    const cleared = await http(base, 'POST', `/alarms/${a!.id}/clear`, { token: ops.token });
    expect(cleared.json).toMatchObject({ status: 'CLEARED_UNACK', active: false, clearedById: ops.userId });
    // Three low heartbeats in a row since the clear raise it again: the streak started over at the clear.
    await heartbeat(3000);
    await heartbeat(3000);
    await telemetry(20);
    await heartbeat(3000);
    const again = await eventually(async () => {
      const l = await alarmsOf(rule);
      return l.length === 2 ? l[0] : null;
    });
    const last = await sys.services.db.message.findFirstOrThrow({
      where: { device: { serial: terminal.serial }, kind: 'heartbeat' },
      orderBy: { seq: 'desc' },
    });
    // Raised by the third heartbeat after the clear, not by an earlier one.
    expect(again.details).toMatchObject({ value: 3000, seq: Number(last.seq) });
  });
});
