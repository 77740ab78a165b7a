// Load mode: N terminals publish QoS 1 uplinks as fast as the broker acknowledges them,
// each keeping `inflightPerTerminal` publishes outstanding. Latency is publish -> PUBACK.
// Also used by the gateway benchmark (test/bench), so it stays free of CLI concerns.
import { performance } from 'node:perf_hooks';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { encodeUplink, type UplinkKind } from '../gateway/codecs/index.js';
import type { TerminalCredential } from './credentials.js';
import { LatencyHistogram } from './histogram.js';

export type LoadProgress = {
  elapsedSec: number;
  sent: number;
  acked: number;
  errors: number;
  /** Acknowledged messages per second over the last interval. */
  msgPerSec: number;
  p50Ms: number;
  p99Ms: number;
};

export type LoadOptions = {
  url: string;
  terminals: TerminalCredential[];
  durationSec: number;
  inflightPerTerminal: number;
  /** 8 = heartbeat frame, 11 = event frame, otherwise a JSON object padded to this size (min 9). */
  payloadBytes: number;
  onProgress?: (p: LoadProgress) => void;
  progressIntervalMs?: number;
  connectConcurrency?: number;
  /** How long to wait for outstanding PUBACKs after the run; the rest count as errors. */
  drainTimeoutMs?: number;
  mqtt?: Partial<IClientOptions>;
};

export type LoadResult = {
  sent: number;
  acked: number;
  errors: number;
  msgPerSec: number;
  p50Ms: number;
  p99Ms: number;
  terminals: number;
  connectFailures: number;
  durationSec: number;
  payloadBytes: number;
  inflightPerTerminal: number;
};

export function loadPayload(bytes: number): { kind: UplinkKind; payload: Buffer } {
  const now = new Date();
  if (bytes === 8) return { kind: 'heartbeat', payload: encodeUplink({ type: 'heartbeat', supplyMv: 12_000, signalDbm: -70 }, now) };
  if (bytes === 11) return { kind: 'event', payload: encodeUplink({ type: 'event', eventCode: 0x00ff, value: 1 }, now) };
  if (bytes < 9) throw new RangeError(`payloadBytes must be 8, 11 or at least 9, got ${bytes}`);
  const payload = Buffer.from(`{"p":"${'x'.repeat(bytes - 8)}"}`, 'utf8');
  return { kind: 'telemetry', payload };
}

async function connectAll(o: LoadOptions): Promise<{ clients: { client: MqttClient; serial: string }[]; failures: number }> {
  const clients: { client: MqttClient; serial: string }[] = [];
  let failures = 0;
  const queue = [...o.terminals];
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      try {
        const client = await mqtt.connectAsync(o.url, {
          clientId: t.serial,
          username: t.serial,
          password: t.secret,
          clean: false,
          keepalive: 60,
          reconnectPeriod: 0, // a dropped connection is an error in a load run, not something to hide
          connectTimeout: 10_000,
          ...o.mqtt,
        });
        clients.push({ client, serial: t.serial });
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.connectConcurrency ?? 100, queue.length) }, worker));
  return { clients, failures };
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const { kind, payload } = loadPayload(o.payloadBytes);
  const { clients, failures } = await connectAll(o);
  if (clients.length === 0) throw new Error(`no terminal could connect to ${o.url} (${failures} failed)`);

  const total = new LatencyHistogram();
  const window = new LatencyHistogram();
  let sent = 0;
  let acked = 0;
  let errors = failures;
  let inflight = 0;
  let running = true;
  let onDrained: (() => void) | null = null;

  const pump = (client: MqttClient, topic: string, slot: { inflight: number }) => {
    while (running && slot.inflight < o.inflightPerTerminal && client.connected) {
      slot.inflight++;
      inflight++;
      sent++;
      const t0 = performance.now();
      client.publish(topic, payload, { qos: 1 }, (err) => {
        slot.inflight--;
        inflight--;
        if (err) errors++;
        else {
          acked++;
          const ms = performance.now() - t0;
          total.record(ms);
          window.record(ms);
        }
        if (running) pump(client, topic, slot);
        else if (inflight === 0) onDrained?.();
      });
    }
  };

  const start = performance.now();
  for (const { client, serial } of clients) {
    client.on('error', () => errors++);
    pump(client, `nx/${serial}/up/${kind}`, { inflight: 0 });
  }

  let lastAcked = 0;
  let lastAt = start;
  const progressMs = o.progressIntervalMs ?? 1000;
  const progress = setInterval(() => {
    const now = performance.now();
    o.onProgress?.({
      elapsedSec: (now - start) / 1000,
      sent,
      acked,
      errors,
      msgPerSec: ((acked - lastAcked) * 1000) / (now - lastAt),
      p50Ms: window.percentile(50),
      p99Ms: window.percentile(99),
    });
    lastAcked = acked;
    lastAt = now;
    window.reset();
  }, progressMs);

  await new Promise((r) => setTimeout(r, o.durationSec * 1000));
  running = false;
  const sendingEnded = performance.now();
  const ackedInWindow = acked;
  if (inflight > 0) {
    await new Promise<void>((resolve) => {
      onDrained = resolve;
      setTimeout(resolve, o.drainTimeoutMs ?? 5000);
    });
  }
  clearInterval(progress);
  errors += inflight; // never acknowledged
  await Promise.all(clients.map(({ client }) => client.endAsync(true).catch(() => undefined)));

  const elapsedSec = (sendingEnded - start) / 1000;
  return {
    sent,
    acked,
    errors,
    // Throughput over the sending window: acks that trickle in while draining are not a rate.
    msgPerSec: Math.round(ackedInWindow / elapsedSec),
    p50Ms: round3(total.percentile(50)),
    p99Ms: round3(total.percentile(99)),
    terminals: clients.length,
    connectFailures: failures,
    durationSec: round3(elapsedSec),
    payloadBytes: payload.length,
    inflightPerTerminal: o.inflightPerTerminal,
  };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
