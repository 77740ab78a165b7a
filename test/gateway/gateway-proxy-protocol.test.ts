// The gateway behind a load balancer that speaks the PROXY protocol (MQTT_PROXY_PROTOCOL): the
// address in the header is the terminal's for limits, logs and session rows, over plain MQTT
// and TLS; connections without a header, or from a source not trusted, never reach MQTT.
// The same with a real HAProxy and two gateway processes: gateway-haproxy.test.ts.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import tls from 'node:tls';
import mqtt, { type Packet } from 'mqtt-packet';
import {
  Command,
  INETProtocol,
  IPv4Address,
  IPv4ProxyAddress,
  Peer,
  TransportProtocol,
  V1BinaryProxyProtocol,
  V2ProxyProtocol,
} from 'proxy-protocol-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ensureSelfSignedCertificate } from '../../src/platform/tls-certificate.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { createContract, provisionTerminal, waitFor } from '../helpers/terminals.js';

const v2 = (address: string) =>
  Buffer.from(
    new V2ProxyProtocol(
      Command.PROXY,
      TransportProtocol.STREAM,
      new IPv4ProxyAddress(IPv4Address.createFrom(address.split('.').map(Number)), 40001, IPv4Address.createFrom([10, 0, 0, 1]), 1883),
    ).build(),
  );
const v1 = (address: string) =>
  Buffer.from(new V1BinaryProxyProtocol(INETProtocol.TCP4, new Peer(address, 40001), new Peer('10.0.0.1', 1883)).build());

interface Attempt {
  /** The CONNACK's code (v3.1.1 return code), or null when the gateway closed without one. */
  code: number | null;
  socket: net.Socket | tls.TLSSocket;
}

/** Opens a connection as a balancer would: the header, then (over TLS when `ca` is given) MQTT CONNECT. */
async function viaBalancer(
  port: number,
  header: Buffer | null,
  terminal: { serial: string; secret: string },
  opts: { ca?: Buffer; localAddress?: string; split?: boolean } = {},
): Promise<Attempt> {
  const raw = net.connect({ port, host: '127.0.0.1', localAddress: opts.localAddress });
  raw.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    raw.once('connect', resolve);
    raw.once('error', reject);
  });
  const connect = mqtt.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: terminal.serial,
    username: terminal.serial,
    password: Buffer.from(terminal.secret),
    clean: true,
    keepalive: 30,
  });
  let socket: net.Socket | tls.TLSSocket = raw;
  if (opts.ca) {
    if (header) raw.write(header);
    const secure = tls.connect({ socket: raw, ca: opts.ca, servername: 'localhost' });
    secure.on('error', () => {});
    const ok = await new Promise<boolean>((resolve) => {
      secure.once('secureConnect', () => resolve(true));
      secure.once('close', () => resolve(false));
    });
    if (!ok) return { code: null, socket: secure };
    secure.write(connect);
    socket = secure;
  } else if (header && opts.split) {
    // Byte by byte: the gateway must wait for the whole header, and keep what follows it.
    for (const byte of Buffer.concat([header, connect])) {
      raw.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
  } else {
    raw.write(header ? Buffer.concat([header, connect]) : connect);
  }
  const parser = mqtt.parser();
  const code = await new Promise<number | null>((resolve) => {
    parser.on('packet', (p: Packet) => {
      if (p.cmd === 'connack') resolve(p.returnCode ?? 0);
    });
    socket.on('data', (d: Buffer) => parser.parse(d));
    socket.once('close', () => resolve(null));
    setTimeout(() => resolve(null), 8_000).unref();
  });
  return { code, socket };
}

let sys: TestSystem;
let dir: string;
let ca: Buffer;
let contractId: string;
const logLines: string[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nx-proxy-'));
  const { certPath, keyPath } = await ensureSelfSignedCertificate(dir);
  ca = await readFile(certPath);
  const logTo = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  sys = await startTestSystem(
    'gateway',
    {
      LOG_LEVEL: 'info',
      MQTT_PROXY_PROTOCOL: 'any',
      MQTT_PROXY_TRUSTED: '127.0.0.1,10.9.0.0/16',
      MQTT_TLS_PORT: '0',
      MQTT_TLS_CERT: certPath,
      MQTT_TLS_KEY: keyPath,
      // Two connections per address, refilled far slower than the test runs.
      MQTT_CONNECT_BURST: '2',
      MQTT_CONNECT_PER_SECOND: '0.001',
    },
    logTo,
  );
  contractId = (await createContract(sys.services)).contract.id;
});
afterAll(async () => {
  await sys?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const sessionAddresses = async (serial: string) =>
  (await sys.services.db.deviceSession.findMany({ where: { device: { serial } }, orderBy: { id: 'asc' } })).map((s) => s.remoteAddress);

describe('PROXY protocol', () => {
  it('is configured with the balancers it trusts, or start-up stops naming the variable', () => {
    expect(() => loadConfig({ MQTT_PROXY_PROTOCOL: 'v2' })).toThrow(/MQTT_PROXY_TRUSTED: required with MQTT_PROXY_PROTOCOL/);
    for (const bad of ['10.0.0.0/33', 'lb.example.com', '10.0.0.1/8/8', 'fd00::/129']) {
      expect(() => loadConfig({ MQTT_PROXY_PROTOCOL: 'any', MQTT_PROXY_TRUSTED: bad }), bad).toThrow(/MQTT_PROXY_TRUSTED/);
    }
    expect(() => loadConfig({ MQTT_PROXY_PROTOCOL: 'v3', MQTT_PROXY_TRUSTED: '10.0.0.1' })).toThrow(/MQTT_PROXY_PROTOCOL/);
    expect(loadConfig({ MQTT_PROXY_PROTOCOL: 'v1', MQTT_PROXY_TRUSTED: ' 10.0.0.0/8, 192.0.2.1 ,fd00::/8' }).MQTT_PROXY_TRUSTED).toEqual([
      '10.0.0.0/8',
      '192.0.2.1',
      'fd00::/8',
    ]);
    expect(loadConfig({}).MQTT_PROXY_PROTOCOL).toBe('off');
  });

  it("records the terminal's address from v1 and v2 headers, also split over many reads", async () => {
    const a = await provisionTerminal(sys.services, contractId);
    const b = await provisionTerminal(sys.services, contractId);
    const first = await viaBalancer(sys.mqttPort!, v2('198.51.100.7'), a);
    expect(first.code).toBe(0);
    const second = await viaBalancer(sys.mqttPort!, v1('198.51.100.8'), b, { split: true });
    expect(second.code).toBe(0);
    expect(await waitFor(async () => (await sessionAddresses(a.serial)).length && sessionAddresses(a.serial))).toEqual(['198.51.100.7']);
    expect(await waitFor(async () => (await sessionAddresses(b.serial)).length && sessionAddresses(b.serial))).toEqual(['198.51.100.8']);
    first.socket.destroy();
    second.socket.destroy();
  });

  it('applies the per-address connect limit to the address in the header, not to the balancer', async () => {
    const t = await provisionTerminal(sys.services, contractId);
    const codes: (number | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const attempt = await viaBalancer(sys.mqttPort!, v2('203.0.113.50'), t);
      codes.push(attempt.code);
      attempt.socket.destroy();
    }
    // The third from 203.0.113.50 is refused: "server unavailable", as for any address over its limit.
    expect(codes).toEqual([0, 0, 3]);
    // The balancer's own address carried all of them and has room for none: another terminal still connects.
    const other = await viaBalancer(sys.mqttPort!, v2('203.0.113.51'), t);
    expect(other.code).toBe(0);
    other.socket.destroy();
    const refused = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'terminal connection refused');
    expect(refused.map((l) => l.remoteAddress)).toContain('203.0.113.50');
  });

  it('reads the header before the TLS handshake', async () => {
    const t = await provisionTerminal(sys.services, contractId);
    const attempt = await viaBalancer(sys.mqttTlsPort!, v2('192.0.2.77'), t, { ca });
    expect(attempt.code).toBe(0);
    expect(await waitFor(async () => (await sessionAddresses(t.serial)).length && sessionAddresses(t.serial))).toEqual(['192.0.2.77']);
    attempt.socket.destroy();
    // Without the header the TLS handshake never starts.
    expect((await viaBalancer(sys.mqttTlsPort!, null, t, { ca })).code).toBeNull();
  });

  it('closes connections without a header, and connections from sources it does not trust', async () => {
    const t = await provisionTerminal(sys.services, contractId);
    expect((await viaBalancer(sys.mqttPort!, null, t)).code).toBeNull();
    // 127.0.0.2 is not in MQTT_PROXY_TRUSTED: its header could name any address.
    expect((await viaBalancer(sys.mqttPort!, v2('198.51.100.9'), t, { localAddress: '127.0.0.2' })).code).toBeNull();
    expect(await sessionAddresses(t.serial)).toEqual([]);
    const refusals = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => typeof l.msg === 'string' && l.msg.startsWith('connection refused: PROXY protocol'));
    expect(refusals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ peer: '127.0.0.1', reason: 'no PROXY protocol header' }),
        expect.objectContaining({ peer: '127.0.0.2', reason: 'source not in MQTT_PROXY_TRUSTED' }),
      ]),
    );
  });
});
