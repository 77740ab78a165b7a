// The terminal edge against hostile or broken clients (protocol.md sections 1 and 3): packet and
// payload size limits, refusals that do not tell unknown serials from wrong secrets, client id rules.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import mqtt from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeUplink } from '../../gateway/codecs/index.js';
import { ensureSelfSignedCertificate } from '../../src/platform/tls-certificate.js';
import { rawConnect } from '../helpers/raw-mqtt.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import {
  adminCtx,
  connackCode,
  connectTerminal,
  createContract,
  ensureModel,
  newSerial,
  provisionTerminal,
  waitFor,
} from '../helpers/terminals.js';

let sys: TestSystem;
let contractId: string;
const logLines: string[] = [];
beforeAll(async () => {
  const logTo = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  sys = await startTestSystem('gateway', { LOG_LEVEL: 'info' }, logTo);
  contractId = (await createContract(sys.services, { segmentBytes: 64 })).contract.id;
  await ensureModel(sys.services, 'NXE-256', { maxPayloadBytes: 256 });
});
afterAll(async () => {
  await sys?.stop();
});

const logged = (msg: string) => logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === msg);
const stored = async (serial: string) => {
  const device = await sys.services.db.device.findUniqueOrThrow({ where: { serial } });
  const messages = await sys.services.db.message.count({ where: { deviceId: device.id } });
  const usage = await sys.services.db.usageCounter.findMany({ where: { deviceId: device.id } });
  return { messages, units: usage.reduce((n, u) => n + Number(u.upUnits), 0) };
};
const denied = async (reason: string) =>
  (await sys.services.metrics.mqttDenied.get()).values.filter((v) => v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
const publishPacket = (serial: string, bytes: number) =>
  ({
    cmd: 'publish',
    topic: `nx/${serial}/up/event`,
    payload: Buffer.alloc(bytes, 0x41),
    qos: 1,
    messageId: 7,
    dup: false,
    retain: false,
  }) as const;

describe('packet size limit (Maximum Packet Size 65,536)', () => {
  it('advertises the limit and answers a 130 KB PUBLISH over MQTT 5 with DISCONNECT 0x95, storing and billing nothing', async () => {
    const t = await provisionTerminal(sys.services, contractId, 'NXE-256');
    const raw = await rawConnect(sys.mqttPort!, t.serial, t.secret, 5);
    expect(raw.connack).toMatchObject({ reasonCode: 0, properties: { maximumPacketSize: 65_536 } });
    const before = await denied('packet_too_large');
    raw.send(publishPacket(t.serial, 130 * 1024));
    expect(await raw.next('disconnect')).toMatchObject({ reasonCode: 0x95 });
    await raw.closed;
    expect(await denied('packet_too_large')).toBe(before + 1);
    expect(await stored(t.serial)).toEqual({ messages: 0, units: 0 });
    const line = await waitFor(async () => logged('mqtt packet too large, connection closed').find((l) => l.serial === t.serial));
    expect(line).toMatchObject({ level: 40, size: expect.any(Number), limit: 65_536 });
  });

  it('refuses as soon as the fixed header announces too much, before the body arrives', async () => {
    const t = await provisionTerminal(sys.services, contractId, 'NXE-256');
    const raw = await rawConnect(sys.mqttPort!, t.serial, t.secret, 5);
    const whole = mqtt.generate(publishPacket(t.serial, 130 * 1024), { protocolVersion: 5 });
    raw.write(whole.subarray(0, 1024)); // the rest is never sent
    expect(await raw.next('disconnect', 3000)).toMatchObject({ reasonCode: 0x95 });
    await raw.closed;
  });

  it('closes an MQTT 3.1.1 connection that starts a 130 KB PUBLISH, without a PUBACK', async () => {
    const t = await provisionTerminal(sys.services, contractId, 'NXE-256');
    const raw = await rawConnect(sys.mqttPort!, t.serial, t.secret, 4);
    const whole = mqtt.generate(publishPacket(t.serial, 130 * 1024), { protocolVersion: 4 });
    raw.write(whole.subarray(0, 1024));
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('connection still open')), 3000));
    await Promise.race([raw.closed, timeout]);
    await expect(raw.next('puback', 200)).rejects.toThrow('no puback');
    expect(await stored(t.serial)).toEqual({ messages: 0, units: 0 });
  });
});

describe("payload limit of the terminal's model", () => {
  it('answers an oversize payload with PUBACK 0x97 over MQTT 5, stores and bills nothing, counts and logs it', async () => {
    const t = await provisionTerminal(sys.services, contractId, 'NXE-256');
    const raw = await rawConnect(sys.mqttPort!, t.serial, t.secret, 5);
    const before = await denied('payload_too_large');
    raw.send(publishPacket(t.serial, 2000));
    expect(await raw.next('puback')).toMatchObject({ messageId: 7, reasonCode: 0x97 });
    // Still served: a payload within the limit is stored and acknowledged plainly.
    const ok = encodeUplink({ type: 'event', eventCode: 1, value: 2 }, new Date());
    raw.send({ cmd: 'publish', topic: `nx/${t.serial}/up/event`, payload: ok, qos: 1, messageId: 8, dup: false, retain: false });
    expect(await raw.next('puback')).toMatchObject({ messageId: 8, reasonCode: 0 });
    raw.close();
    expect(await stored(t.serial)).toEqual({ messages: 1, units: 1 });
    expect(await denied('payload_too_large')).toBe(before + 1);
    const line = logged('mqtt publish denied').find((l) => l.serial === t.serial);
    expect(line).toMatchObject({ level: 40, reason: 'payload_too_large', size: 2000, limit: 256 });
  });

  it('acknowledges and drops an oversize payload over MQTT 3.1.1, keeping the connection', async () => {
    const t = await provisionTerminal(sys.services, contractId, 'NXE-256');
    const raw = await rawConnect(sys.mqttPort!, t.serial, t.secret, 4);
    raw.send(publishPacket(t.serial, 257));
    expect(await raw.next('puback')).toMatchObject({ messageId: 7 });
    raw.send({ cmd: 'pingreq' });
    await raw.next('pingresp');
    raw.close();
    expect(await stored(t.serial)).toEqual({ messages: 0, units: 0 });
  });
});

describe('CONNECT refusals that reveal nothing', () => {
  it('answers an unknown serial, a unit in stock and a wrong secret with the same code', async () => {
    const t = await provisionTerminal(sys.services, contractId, 'NXE-256');
    const stock = newSerial();
    await sys.services.devices.addToStock(await adminCtx(sys.services), { serial: stock, model: 'NXE-256' });
    for (const protocolVersion of [4, 5] as const) {
      const wrongSecret = await connackCode(sys.mqttPort!, t.serial, 'not-the-secret', { protocolVersion });
      const unknown = await connackCode(sys.mqttPort!, newSerial(), 'not-the-secret', { protocolVersion });
      const inStock = await connackCode(sys.mqttPort!, stock, 'not-the-secret', { protocolVersion });
      expect([unknown, inStock]).toEqual([wrongSecret, wrongSecret]);
      expect(wrongSecret).toBe(protocolVersion === 5 ? 0x86 : 4);
    }
  });

  it('rejects a client id over 64 characters (2 / 0x85) and logs it shortened, without control characters', async () => {
    const long = `NXE-\u0007\u001b[31m${'9'.repeat(80)}`;
    const v4 = await rawConnect(sys.mqttPort!, long, 'whatever', 4);
    expect(v4.connack).toMatchObject({ returnCode: 2 });
    const v5 = await rawConnect(sys.mqttPort!, long, 'whatever', 5);
    expect(v5.connack).toMatchObject({ reasonCode: 0x85 });
    const sixtyFour = `NXE-${'9'.repeat(60)}`;
    expect((await rawConnect(sys.mqttPort!, sixtyFour, 'whatever', 5)).connack).toMatchObject({ reasonCode: 0x86 });
    const lines = logged('terminal connection refused').filter((l) => String(l.clientId).startsWith('NXE-[31m999'));
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(String(l.clientId).length).toBeLessThanOrEqual(35);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserts that no control character reaches the log
      expect(String(l.clientId)).not.toMatch(/[\u0000-\u001f]/);
    }
    expect(logLines.join('\n')).not.toContain('9'.repeat(40));
  });
});

describe('MQTT over TLS only (MQTT_PLAIN=false)', () => {
  let tlsSys: TestSystem;
  let dir: string;
  let ca: Buffer;
  let tlsContract: string;
  beforeAll(async () => {
    // The certificate demo mode makes (openssl, self-signed for localhost and 127.0.0.1).
    dir = await mkdtemp(join(tmpdir(), 'nx-mqtt-tls-'));
    const { certPath, keyPath } = await ensureSelfSignedCertificate(dir);
    ca = await readFile(certPath);
    tlsSys = await startTestSystem('gateway', { MQTT_TLS_PORT: '0', MQTT_TLS_CERT: certPath, MQTT_TLS_KEY: keyPath, MQTT_PLAIN: 'false' });
    tlsContract = (await createContract(tlsSys.services, { segmentBytes: 64 })).contract.id;
  });
  afterAll(async () => {
    await tlsSys?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('listens for TLS only and names the certificate fingerprint among its endpoints', () => {
    expect(tlsSys.mqttPort).toBeNull();
    expect(tlsSys.mqttTlsPort).toBeGreaterThan(0);
    expect(tlsSys.endpoints.join('\n')).toContain(new X509Certificate(ca).fingerprint256);
  });

  it('stores a QoS 1 uplink sent over TLS, and refuses a client that does not trust the certificate', async () => {
    const t = await provisionTerminal(tlsSys.services, tlsContract);
    const url = { protocol: 'mqtts' as const, host: 'localhost', ca };
    const c = await connectTerminal(tlsSys.mqttTlsPort!, t.serial, t.secret, { ...url, protocolVersion: 5 });
    await c.publishAsync(`nx/${t.serial}/up/event`, encodeUplink({ type: 'event', eventCode: 1, value: 2 }, new Date()), { qos: 1 });
    await c.endAsync();
    expect(await tlsSys.services.db.message.count({ where: { device: { serial: t.serial } } })).toBe(1);
    await expect(
      connectTerminal(tlsSys.mqttTlsPort!, t.serial, t.secret, { protocol: 'mqtts', host: 'localhost', reconnectPeriod: 0 }),
    ).rejects.toThrow(/self-signed|self signed/);
  });

  it('applies the packet size limit over TLS too', async () => {
    const t = await provisionTerminal(tlsSys.services, tlsContract);
    const raw = await rawConnect(tlsSys.mqttTlsPort!, t.serial, t.secret, 5, true, { ca });
    raw.send(publishPacket(t.serial, 130 * 1024));
    expect(await raw.next('disconnect')).toMatchObject({ reasonCode: 0x95 });
    await raw.closed;
  });

  it('carries the load generator over mqtts:// with --ca', async () => {
    const terminals = [await provisionTerminal(tlsSys.services, tlsContract), await provisionTerminal(tlsSys.services, tlsContract)];
    const csv = join(dir, 'creds.csv');
    await writeFile(csv, terminals.map((t) => `${t.serial},${t.secret}`).join('\n'));
    const args = ['load', '--url', `mqtts://localhost:${tlsSys.mqttTlsPort}`, '--ca', join(dir, 'mqtt-tls-cert.pem'), '--credentials', csv];
    const options = ['--duration', '1', '--inflight', '1', '--payload-bytes', '11'];
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'simulators/cli.ts', ...args, ...options], {
      timeout: 30_000,
    });
    const result = JSON.parse(stdout) as { terminals: number; acked: number; connectFailures: number };
    expect(result).toMatchObject({ terminals: 2, connectFailures: 0 });
    expect(result.acked).toBeGreaterThan(0);
  });
});
