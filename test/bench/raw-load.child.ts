// Child process of gateway.bench.ts: a share of the terminals as bare MQTT 3.1.1 clients on
// raw sockets, cheap enough per message that the broker, not this process, is the limit.
// CONNECT and CONNACK go through mqtt-packet; the hot path writes pre-built PUBLISH bytes
// (only the packet id is patched) and reads 4-byte PUBACKs by hand. Each terminal keeps
// `inflight` QoS 1 publishes outstanding; brokers acknowledge in order, so a ring of send
// times per terminal gives publish -> PUBACK latency.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import mqtt, { type Packet } from 'mqtt-packet';
import { LatencyHistogram } from '../../simulators/index.js';

export type LoadChildRequest =
  | {
      cmd: 'connect';
      port: number;
      terminals: { serial: string; secret: string }[];
      kind: string;
      payloadHex: string;
      inflight: number;
      /** Connect over TLS trusting this CA (PEM). */
      ca?: string;
    }
  | { cmd: 'go'; durationMs: number; warmupMs: number; drainMs: number }
  | { cmd: 'exit' };

export interface LoadChildResult {
  sent: number;
  /** PUBACKs inside the measured window (after warm-up, before the end). */
  ackedInWindow: number;
  /** All PUBACKs, warm-up and drain included: what the broker promised to keep. */
  ackedTotal: number;
  unacked: number;
  disconnects: number;
  windowMs: number;
  cpuMs: number;
  /** Non-zero buckets of the latency histogram of the measured window: [bucket, count]. */
  buckets: [number, number][];
}

interface Terminal {
  socket: net.Socket;
  template: Buffer;
  idOffset: number;
  nextId: number;
  inflight: number;
  sentAt: Float64Array;
  rest: Buffer | null;
  open: boolean;
}

let terminals: Terminal[] = [];
let inflightMax = 10;
let ring = 16;
let sending = false;
let measuring = false;
let sent = 0;
let ackedInWindow = 0;
let ackedTotal = 0;
let disconnects = 0;
const hist = new LatencyHistogram();

function pump(t: Terminal): void {
  const n = inflightMax - t.inflight;
  if (!sending || !t.open || n <= 0) return;
  const len = t.template.length;
  const chunk = Buffer.allocUnsafe(n * len);
  const now = performance.now();
  for (let i = 0; i < n; i++) {
    const id = t.nextId;
    t.nextId = id === 65535 ? 1 : id + 1;
    const at = i * len;
    t.template.copy(chunk, at);
    chunk[at + t.idOffset] = id >> 8;
    chunk[at + t.idOffset + 1] = id & 0xff;
    t.sentAt[id & (ring - 1)] = now;
  }
  t.inflight += n;
  sent += n;
  t.socket.write(chunk);
}

/** Reads PUBACKs (and skips anything else) from what arrived; keeps a partial packet for later. */
function onData(t: Terminal, data: Buffer): void {
  const b = t.rest ? Buffer.concat([t.rest, data]) : data;
  t.rest = null;
  const now = performance.now();
  let i = 0;
  while (i < b.length) {
    let len = 0;
    let mult = 1;
    let j = i + 1;
    for (;;) {
      if (j >= b.length) {
        t.rest = b.subarray(i);
        break;
      }
      const byte = b[j++]!;
      len += (byte & 0x7f) * mult;
      mult *= 128;
      if ((byte & 0x80) === 0) break;
    }
    if (t.rest) break;
    if (j + len > b.length) {
      t.rest = b.subarray(i);
      break;
    }
    if (b[i]! >> 4 === 4 && len >= 2) {
      const id = (b[j]! << 8) | b[j + 1]!;
      t.inflight--;
      ackedTotal++;
      if (measuring) {
        ackedInWindow++;
        hist.record(now - t.sentAt[id & (ring - 1)]!);
      }
    }
    i = j + len;
  }
  pump(t);
}

async function connectOne(
  port: number,
  serial: string,
  secret: string,
  kind: string,
  payload: Buffer,
  ca: string | undefined,
): Promise<Terminal> {
  const socket = ca ? tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }) : net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once(ca ? 'secureConnect' : 'connect', resolve);
    socket.once('error', reject);
  });
  const parser = mqtt.parser({ protocolVersion: 4 });
  const connack = new Promise<Packet>((resolve, reject) => {
    parser.once('packet', resolve);
    socket.once('close', () => reject(new Error(`${serial}: closed before CONNACK`)));
  });
  const feed = (d: Buffer) => parser.parse(d);
  socket.on('data', feed);
  socket.write(
    mqtt.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: serial,
      username: serial,
      password: Buffer.from(secret),
      clean: true,
      keepalive: 120,
    }),
  );
  const ack = await connack;
  if (ack.cmd !== 'connack' || ack.returnCode !== 0) throw new Error(`${serial}: connection refused`);
  socket.off('data', feed);
  const topic = `nx/${serial}/up/${kind}`;
  const template = mqtt.generate({ cmd: 'publish', topic, payload, qos: 1, messageId: 1, dup: false, retain: false });
  const t: Terminal = {
    socket,
    template,
    // Fixed header, then the topic (2-byte length + bytes), then the packet id.
    idOffset: template.length - payload.length - 2,
    nextId: 1,
    inflight: 0,
    sentAt: new Float64Array(ring),
    rest: null,
    open: true,
  };
  socket.on('data', (d: Buffer) => onData(t, d));
  socket.on('error', () => {});
  socket.on('close', () => {
    if (t.open) disconnects++;
    t.open = false;
  });
  return t;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function go(durationMs: number, warmupMs: number, drainMs: number): Promise<LoadChildResult> {
  sending = true;
  for (const t of terminals) pump(t);
  await sleep(warmupMs);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  measuring = true;
  await sleep(durationMs);
  measuring = false;
  const windowMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  sending = false;
  const until = Date.now() + drainMs;
  while (terminals.some((t) => t.open && t.inflight > 0) && Date.now() < until) await sleep(20);
  return {
    sent,
    ackedInWindow,
    ackedTotal,
    unacked: terminals.reduce((n, t) => n + t.inflight, 0),
    disconnects,
    windowMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    buckets: hist.toBuckets(),
  };
}

process.on('message', (m: LoadChildRequest) => {
  void (async () => {
    if (m.cmd === 'connect') {
      inflightMax = m.inflight;
      while (ring < inflightMax * 2) ring *= 2;
      const payload = Buffer.from(m.payloadHex, 'hex');
      let failures = 0;
      const queue = [...m.terminals];
      const worker = async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          try {
            terminals.push(await connectOne(m.port, c.serial, c.secret, m.kind, payload, m.ca));
          } catch {
            failures++;
          }
        }
      };
      await Promise.all(Array.from({ length: 20 }, worker));
      process.send!({ connected: terminals.length, failures });
    } else if (m.cmd === 'go') {
      process.send!(await go(m.durationMs, m.warmupMs, m.drainMs));
    } else {
      for (const t of terminals) t.socket.destroy();
      terminals = [];
      process.exit(0);
    }
  })();
});
process.send!({ ready: true });
