import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCommand, encodeCommand, encodeUplink } from '../../gateway/codecs/index.js';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { connectTerminal, createContract, provisionTerminal, waitFor } from '../helpers/terminals.js';

let sys: TestSystem;
let ops: { headers: { authorization: string } };
let contract: Awaited<ReturnType<typeof createContract>>;
beforeAll(async () => {
  sys = await startTestSystem('all');
  ops = await loginAs(sys.services, sys.app!, 'OPS');
  contract = await createContract(sys.services);
});
afterAll(async () => {
  await sys?.stop();
});

async function post(serial: string, body: object, headers = ops.headers) {
  return sys.app!.inject({ method: 'POST', url: `/api/v1/devices/${serial}/commands`, headers, payload: body });
}
async function statusOf(serial: string, id: number): Promise<string> {
  return (await sys.app!.inject({ url: `/api/v1/devices/${serial}/commands/${id}`, headers: ops.headers })).json().status as string;
}
const until = (serial: string, id: number, status: string) => waitFor(async () => (await statusOf(serial, id)) === status, 5000);
function nextDownlink(c: MqttClient): Promise<{ topic: string; payload: Buffer }> {
  return new Promise((resolve) => c.once('message', (topic, payload) => resolve({ topic, payload })));
}

describe('downlink commands', () => {
  it('runs queued -> sent -> delivered -> acknowledged, delivering a command queued while offline on reconnect', async () => {
    const t = await provisionTerminal(sys.services, contract.contract.id, 'NXL-100');
    const created = await post(t.serial, { opcode: 'DIM', args: { percent: 40 } });
    expect(created.statusCode).toBe(201);
    const cmd = created.json() as { id: number; status: string; payloadHex: string };
    expect(cmd.status).toBe('QUEUED');
    expect(cmd.payloadHex).toBe(encodeCommand(cmd.id, { opcode: 'DIM', args: { percent: 40 } }).toString('hex'));

    // First connection subscribes with a persistent session; the queued command follows.
    const c = await connectTerminal(sys.mqttPort!, t.serial, t.secret, { clean: false });
    const got = nextDownlink(c);
    await c.subscribeAsync(`nx/${t.serial}/down`, { qos: 1 });
    const msg = await got;
    expect(msg.topic).toBe(`nx/${t.serial}/down`);
    expect(decodeCommand(msg.payload)).toMatchObject({ ok: true, commandId: cmd.id });
    await until(t.serial, cmd.id, 'DELIVERED');

    await c.publishAsync(`nx/${t.serial}/up/ack`, encodeUplink({ type: 'ack', commandId: cmd.id, result: 'done' }, new Date()), { qos: 1 });
    await until(t.serial, cmd.id, 'ACKNOWLEDGED');
    await c.endAsync();

    // Offline: queued; the reconnecting terminal (session present, no new SUBSCRIBE) receives it.
    const second = (await post(t.serial, { opcode: 'SWITCH_LAMP', args: { on: false } })).json() as { id: number };
    expect(await statusOf(t.serial, second.id)).toBe('QUEUED');
    const c2 = await connectTerminal(sys.mqttPort!, t.serial, t.secret, { clean: false, protocolVersion: 5 });
    const again = await nextDownlink(c2);
    expect(decodeCommand(again.payload)).toMatchObject({ ok: true, commandId: second.id });
    await until(t.serial, second.id, 'DELIVERED');
    await c2.publishAsync(`nx/${t.serial}/up/ack`, encodeUplink({ type: 'ack', commandId: second.id, result: 'rejected' }, new Date()), {
      qos: 1,
    });
    await until(t.serial, second.id, 'REJECTED');

    // Online: sent at once through the Redis notice.
    const live = nextDownlink(c2);
    const third = (await post(t.serial, { opcode: 'REPORT_NOW' })).json() as { id: number };
    expect(decodeCommand((await live).payload)).toMatchObject({ ok: true, commandId: third.id });
    await until(t.serial, third.id, 'DELIVERED');
    await c2.endAsync();

    const list = (await sys.app!.inject({ url: `/api/v1/devices/${t.serial}/commands`, headers: ops.headers })).json() as {
      items: { id: number; status: string }[];
    };
    expect(list.items.map((i) => [i.id, i.status])).toEqual([
      [third.id, 'DELIVERED'],
      [second.id, 'REJECTED'],
      [cmd.id, 'ACKNOWLEDGED'],
    ]);
    const statusEvents = await sys.services.db.outboxEvent.findMany({
      where: { type: 'downlink.status', payload: { path: ['commandId'], equals: cmd.id } },
      orderBy: { id: 'asc' },
    });
    expect(statusEvents.map((e) => (e.payload as { status: string }).status)).toEqual(['QUEUED', 'SENT', 'DELIVERED', 'ACKNOWLEDGED']);
    const usage = await sys.services.db.usageCounter.findMany({ where: { device: { serial: t.serial } } });
    expect(usage.reduce((n, u) => n + u.downMessages, 0)).toBe(3);
  });

  it('expires a command whose deadline passes before delivery', async () => {
    const t = await provisionTerminal(sys.services, contract.contract.id, 'NXV-100');
    const cmd = (await post(t.serial, { opcode: 'IMMOBILIZE', args: { on: true }, ttlSeconds: 5 })).json() as { id: number };
    await waitFor(async () => (await statusOf(t.serial, cmd.id)) === 'EXPIRED', 9000, 250);
  }, 15_000);

  it('validates commands against the protocol and the device category, and scopes them', async () => {
    const t = await provisionTerminal(sys.services, contract.contract.id, 'NXE-200');
    const wrongCategory = await post(t.serial, { opcode: 'IMMOBILIZE', args: { on: true } });
    expect(wrongCategory.statusCode).toBe(400);
    const badArgs = await post(t.serial, { opcode: 'SET_INTERVAL', args: { seconds: 70000 } });
    expect(badArgs.statusCode).toBe(400);
    const other = await createContract(sys.services);
    const stranger = await loginAs(sys.services, sys.app!, 'CONTRACTOR', other.contractor.id);
    expect((await post(t.serial, { opcode: 'REPORT_NOW' }, stranger.headers)).statusCode).toBe(404);
    const own = await loginAs(sys.services, sys.app!, 'CUSTOMER', contract.customer.id);
    expect((await post(t.serial, { opcode: 'REPORT_NOW' }, own.headers)).statusCode).toBe(201);
  });
  it('completes a command whose ack overtakes the gateway marking it sent and delivered, counting the downlink once', async () => {
    const t = await provisionTerminal(sys.services, contract.contract.id, 'NXL-100');
    const cmd = (await post(t.serial, { opcode: 'DIM', args: { percent: 10 } })).json() as { id: number };
    const { downlinks, db } = sys.services;
    const device = await db.device.findUniqueOrThrow({ where: { serial: t.serial } });
    const downs = async () =>
      (await db.usageCounter.aggregate({ where: { deviceId: device.id }, _sum: { downMessages: true } }))._sum.downMessages ?? 0;
    const before = await downs();
    // The terminal's ack frame committed while the send and PUBACK bookkeeping had not.
    await downlinks.applyAck(device.id, cmd.id, 'done');
    expect(await statusOf(t.serial, cmd.id)).toBe('ACKNOWLEDGED');
    await downlinks.markSent(cmd.id);
    await downlinks.markDelivered(cmd.id);
    const row = await db.downlinkCommand.findUniqueOrThrow({ where: { id: cmd.id } });
    expect(row.status).toBe('ACKNOWLEDGED');
    expect(row.deliveredAt).not.toBeNull();
    expect((await downs()) - before).toBe(1);
  });
});
