import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorDay } from '../../devices/index.js';
import { encodeUplink } from '../../gateway/codecs/index.js';
import { rawConnect } from '../helpers/raw-mqtt.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { connectTerminal, createContract, ensureModel, provisionTerminal, waitFor } from '../helpers/terminals.js';

const run = promisify(execFile);
let sys: TestSystem;
let contractId: string;
beforeAll(async () => {
  sys = await startTestSystem('gateway');
  // segmentBytes 16: a 13-byte elevator frame is 1 unit, a 40-byte fault frame 3 units.
  contractId = (await createContract(sys.services, { segmentBytes: 16 })).contract.id;
  await ensureModel(sys.services, 'NXE-200', { maxPayloadBytes: 64, rateLimitBurst: 1000, rateLimitPerMinute: 60000 });
});
afterAll(async () => {
  await sys?.stop();
});

const messagesOf = async (serial: string) => sys.services.db.message.findMany({ where: { device: { serial } }, orderBy: { seq: 'asc' } });
const clock = new Date('2026-11-25T08:00:00Z');

describe('durable uplink ingest', () => {
  it('stores each frame kind decoded, with seq, units, usage counters, last-seen and outbox events', async () => {
    const t = await provisionTerminal(sys.services, contractId, 'NXE-200', 'Lift A');
    const c = await connectTerminal(sys.mqttPort!, t.serial, t.secret);
    const frames = [
      [
        'telemetry',
        encodeUplink({ type: 'elevator-telemetry', floor: -2, motion: 'up', door: 'closed', loadPercent: 40, tripCounter: 123456 }, clock),
      ],
      ['heartbeat', encodeUplink({ type: 'heartbeat', supplyMv: 12100, signalDbm: -71 }, clock)],
      ['event', encodeUplink({ type: 'event', eventCode: 7, value: -5 }, clock)],
      ['fault', encodeUplink({ type: 'fault', faultCode: 0x0102, severity: 3, detail: 'stopped between 3 and 4' }, clock)],
    ] as const;
    for (const [kind, payload] of frames) await c.publishAsync(`nx/${t.serial}/up/${kind}`, payload, { qos: 1 });
    await c.publishAsync(`nx/${t.serial}/up/event`, JSON.stringify({ door: 'stuck', count: 2 }), { qos: 1 });
    await c.publishAsync(`nx/${t.serial}/status`, 'online', { qos: 1 });
    await c.endAsync();

    const rows = await messagesOf(t.serial);
    expect(rows.map((r) => [Number(r.seq), r.kind])).toEqual([
      [1, 'telemetry'],
      [2, 'heartbeat'],
      [3, 'event'],
      [4, 'fault'],
      [5, 'event'],
      [6, 'status'],
    ]);
    expect(rows[0]!.decoded).toEqual({
      type: 'elevator-telemetry',
      floor: -2,
      motion: 'up',
      door: 'closed',
      loadPercent: 40,
      tripCounter: 123456,
    });
    expect(rows[0]!.deviceTime?.toISOString()).toBe(clock.toISOString());
    expect(rows[3]!.decoded).toMatchObject({ type: 'fault', faultCode: 0x0102, severity: 3 });
    expect(rows[4]!.decoded).toEqual({ type: 'json', data: { door: 'stuck', count: 2 } });
    expect(rows.every((r) => r.decodeError === null && r.qos === 1 && r.contractId === contractId)).toBe(true);
    expect(rows.map((r) => r.units)).toEqual(rows.map((r) => Math.max(1, Math.ceil(r.bytes / 16))));

    const device = await sys.services.db.device.findUniqueOrThrow({ where: { serial: t.serial } });
    expect(device.status).toBe('ACTIVE');
    expect(device.lastSeenAt).toBeTruthy();
    const usage = await sys.services.db.usageCounter.findMany({ where: { deviceId: device.id } });
    expect(usage).toHaveLength(1);
    expect(usage[0]!.day.toISOString().slice(0, 10)).toBe(operatorDay(rows[0]!.receivedAt, sys.config.OPERATOR_TIMEZONE));
    expect(usage[0]).toMatchObject({
      upMessages: 6,
      upBytes: BigInt(rows.reduce((a, r) => a + r.bytes, 0)),
      upUnits: rows.reduce((a, r) => a + r.units, 0),
    });

    const events = await sys.services.db.outboxEvent.findMany({
      where: { deviceId: device.id, type: { in: ['device.uplink', 'device.fault'] } },
      orderBy: { id: 'asc' },
    });
    expect(events.filter((e) => e.type === 'device.uplink')).toHaveLength(6);
    const fault = events.find((e) => e.type === 'device.fault')!;
    expect(fault.payload).toMatchObject({
      serial: t.serial,
      label: 'Lift A',
      model: 'NXE-200',
      faultCode: 0x0102,
      severity: 3,
      seq: 4,
      kind: 'fault',
    });
    expect((events[0]!.payload as { payloadHex: string }).payloadHex).toBe(frames[0][1].toString('hex'));
  });

  it('stores malformed payloads with the error, refuses oversize ones (PUBACK 0x97) and keeps serving the terminal', async () => {
    const t = await provisionTerminal(sys.services, contractId);
    const c = await connectTerminal(sys.mqttPort!, t.serial, t.secret, { protocolVersion: 5 });
    await c.publishAsync(`nx/${t.serial}/up/telemetry`, Buffer.from([0x01, 0, 0, 0, 1, 2]), { qos: 1 }); // truncated
    await c.publishAsync(`nx/${t.serial}/up/telemetry`, Buffer.from([0x77, 1, 2, 3, 4]), { qos: 1 }); // unknown type
    await c.publishAsync(`nx/${t.serial}/up/event`, '{"not json', { qos: 1 });
    // Over the model's 64: refused, neither stored nor billed (protocol.md section 3).
    await expect(c.publishAsync(`nx/${t.serial}/up/event`, Buffer.alloc(65, 0x03), { qos: 1 })).rejects.toMatchObject({ code: 0x97 });
    await c.publishAsync(`nx/${t.serial}/up/heartbeat`, encodeUplink({ type: 'heartbeat', supplyMv: 3300, signalDbm: -90 }, clock), {
      qos: 1,
    });
    // U+0000 cannot be stored by Postgres in text or jsonb; it must not poison the batch.
    await c.publishAsync(`nx/${t.serial}/up/event`, '{"note":"a\\u0000b"}', { qos: 1 });
    await c.endAsync();
    const rows = await messagesOf(t.serial);
    expect(rows).toHaveLength(5);
    expect(rows[4]!.decoded).toEqual({ type: 'json', data: { note: 'ab' } });
    expect(rows.slice(0, 3).every((r) => r.decodeError && r.decoded === null)).toBe(true);
    expect(rows.some((r) => r.bytes === 65)).toBe(false);
    expect(rows[3]!.decoded).toMatchObject({ type: 'heartbeat', supplyMv: 3300 });
  });

  it('accepts QoS 0 and 1 from the Debian mosquitto_pub client', async () => {
    const t = await provisionTerminal(sys.services, contractId);
    const file = join(tmpdir(), `frame-${t.serial}.bin`);
    writeFileSync(file, encodeUplink({ type: 'event', eventCode: 1, value: 2 }, clock));
    for (const qos of ['0', '1']) {
      await run('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        String(sys.mqttPort),
        '-i',
        t.serial,
        '-u',
        t.serial,
        '-P',
        t.secret,
        '-V',
        qos === '1' ? 'mqttv5' : 'mqttv311',
        '-q',
        qos,
        '-t',
        `nx/${t.serial}/up/event`,
        '-f',
        file,
      ]);
    }
    const rows = await waitFor(async () => ((await messagesOf(t.serial)).length === 2 ? messagesOf(t.serial) : null));
    expect(rows.map((r) => r.qos)).toEqual([0, 1]);
    expect(rows.every((r) => r.decoded && (r.decoded as { type: string }).type === 'event')).toBe(true);
  });
});

describe('ACL', () => {
  it('drops and counts publishes outside the own subtree, and refuses foreign subscriptions without dropping the client', async () => {
    const a = await provisionTerminal(sys.services, contractId);
    const b = await provisionTerminal(sys.services, contractId);
    const c = await connectTerminal(sys.mqttPort!, a.serial, a.secret);
    const before = (await sys.services.metrics.mqttDenied.get()).values.reduce((n, v) => n + v.value, 0);
    for (const topic of [
      `nx/${b.serial}/up/event`,
      `nx/${a.serial}/down`,
      `nx/${a.serial}/up/other`,
      'nx/broadcast',
      `nx/${a.serial}/up/event/extra`,
    ]) {
      await c.publishAsync(topic, Buffer.from([3, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]), { qos: 1 });
    }
    // Still connected and served after the denials.
    await c.publishAsync(`nx/${a.serial}/up/event`, encodeUplink({ type: 'event', eventCode: 9, value: 9 }, clock), { qos: 1 });
    expect(c.connected).toBe(true);
    await c.endAsync();
    for (const version of [4, 5] as const) {
      const raw = await rawConnect(sys.mqttPort!, a.serial, a.secret, version);
      const topics = [`nx/${b.serial}/down`, 'nx/+/down', '#', `nx/${a.serial}/down`];
      raw.send({ cmd: 'subscribe', messageId: 3, subscriptions: topics.map((topic) => ({ topic, qos: 1 as const })) });
      // 3.1.1 has only 0x80 for failure; MQTT 5 says why: 0x87 not authorized.
      const refused = version === 4 ? 0x80 : 0x87;
      expect((await raw.next('suback')) as unknown).toMatchObject({ granted: [refused, refused, refused, 1] });
      raw.send({ cmd: 'pingreq' });
      await raw.next('pingresp');
      raw.close();
    }
    expect((await messagesOf(a.serial)).map((m) => m.topic)).toEqual([`nx/${a.serial}/up/event`]);
    expect(await messagesOf(b.serial)).toHaveLength(0);
    const after = (await sys.services.metrics.mqttDenied.get()).values.reduce((n, v) => n + v.value, 0);
    expect(after - before).toBe(5 + 2 * 3);

    // mosquitto_sub on a foreign topic gets a refused subscription.
    const sub = await run('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(sys.mqttPort),
      '-i',
      a.serial,
      '-u',
      a.serial,
      '-P',
      a.secret,
      '-t',
      `nx/${b.serial}/down`,
      '-W',
      '2',
      '-V',
      'mqttv311',
    ]).catch((e: { stderr: string; code: number }) => e);
    expect(`${(sub as { stderr: string }).stderr}`).toMatch(/denied|refused|fail/i);
  });
});

describe('limits and dedup', () => {
  it('drops uplinks over the model rate limit and counts them', async () => {
    await ensureModel(sys.services, 'NXL-10', { rateLimitBurst: 5, rateLimitPerMinute: 1 });
    const t = await provisionTerminal(sys.services, contractId, 'NXL-10');
    const c = await connectTerminal(sys.mqttPort!, t.serial, t.secret, { protocolVersion: 5 });
    const hb = encodeUplink({ type: 'heartbeat', supplyMv: 1, signalDbm: -1 }, clock);
    for (let i = 0; i < 8; i++) await c.publishAsync(`nx/${t.serial}/up/heartbeat`, hb, { qos: 1 }).catch(() => undefined);
    await c.endAsync();
    expect(await messagesOf(t.serial)).toHaveLength(5);
    const denied = (await sys.services.metrics.mqttDenied.get()).values.find((v) => v.labels.reason === 'rate_limited');
    expect(denied?.value).toBeGreaterThanOrEqual(3);
  });

  it('stores a retransmitted QoS 1 duplicate (same packet id, DUP) once, also across a reconnect', async () => {
    const t = await provisionTerminal(sys.services, contractId);
    const topic = `nx/${t.serial}/up/event`;
    const p1 = encodeUplink({ type: 'event', eventCode: 1, value: 1 }, clock);
    const p2 = encodeUplink({ type: 'event', eventCode: 2, value: 2 }, clock);
    const raw = await rawConnect(sys.mqttPort!, t.serial, t.secret, 4, false);
    expect(raw.connack).toMatchObject({ returnCode: 0 });
    // Back to back: the DUP arrives while the original is still being committed.
    raw.send({ cmd: 'publish', topic, payload: p1, qos: 1, messageId: 7, dup: false, retain: false });
    raw.send({ cmd: 'publish', topic, payload: p1, qos: 1, messageId: 7, dup: true, retain: false });
    expect(await raw.next('puback')).toMatchObject({ messageId: 7 });
    // After the PUBACK: still recognised.
    raw.send({ cmd: 'publish', topic, payload: p1, qos: 1, messageId: 7, dup: true, retain: false });
    expect(await raw.next('puback')).toMatchObject({ messageId: 7 });
    raw.close();
    // A new connection of the same session retransmits it again.
    const again = await rawConnect(sys.mqttPort!, t.serial, t.secret, 5, false);
    again.send({ cmd: 'publish', topic, payload: p1, qos: 1, messageId: 7, dup: true, retain: false });
    expect(await again.next('puback')).toMatchObject({ messageId: 7 });
    // A packet id reused for a new message (no DUP) is a new message.
    again.send({ cmd: 'publish', topic, payload: p2, qos: 1, messageId: 7, dup: false, retain: false });
    expect(await again.next('puback')).toMatchObject({ messageId: 7 });
    again.close();
    const rows = await messagesOf(t.serial);
    expect(rows.map((r) => (r.decoded as { eventCode: number }).eventCode)).toEqual([1, 2]);
    const usage = await sys.services.db.usageCounter.findMany({ where: { device: { serial: t.serial } } });
    expect(usage[0]!.upMessages).toBe(2);
  });
});
