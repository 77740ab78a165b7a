// npm run bench:webhooks -- [--rate 2000] [--seconds 10] [--tick 10] [--via outbox|mqtt] [--terminals 20]
// Emits events at a steady rate and measures emit -> webhook received latency at a real HTTP
// receiver running in a child process. --via outbox (default): events.emit, one transaction per
// tick, as the gateway batches. --via mqtt: terminals publish QoS 1 JSON frames to the real
// gateway in this process (publish -> ingest -> outbox -> ... -> webhook).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { MqttClient } from 'mqtt';
import { startTestSystem } from '../helpers/system.js';
import { adminCtx, connectTerminal, createContract, ensureModel, provisionTerminal } from '../helpers/terminals.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '10' },
    tick: { type: 'string', default: '10' },
    via: { type: 'string', default: 'outbox' },
    terminals: { type: 'string', default: '20' },
  },
});
const viaMqtt = values.via === 'mqtt';
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const tickMs = Number(values.tick);
const out = (s: string) => process.stdout.write(`${s}\n`);

const child = fork(fileURLToPath(new URL('./webhook-receiver.child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] });
process.on('exit', () => child.kill());
const ask = <T>(cmd?: string) =>
  new Promise<T>((resolve) => {
    child.once('message', (m) => resolve(m as T));
    if (cmd) child.send({ cmd });
  });
const { port } = await ask<{ port: number }>();

const sys = await startTestSystem(viaMqtt ? 'all' : 'worker', { LOG_LEVEL: 'warn' });
const { db, events, webhooks } = sys.services;
const ctx = await adminCtx(sys.services);
let customerId: string;
let publish: (n: number, sentAt: number) => Promise<void>;
const clients: MqttClient[] = [];
if (viaMqtt) {
  await ensureModel(sys.services, 'NXE-200', { maxPayloadBytes: 64, rateLimitBurst: 100_000, rateLimitPerMinute: 6_000_000 });
  const { customer, contract } = await createContract(sys.services);
  customerId = customer.id;
  for (let i = 0; i < Number(values.terminals); i++) {
    const t = await provisionTerminal(sys.services, contract.id, 'NXE-200', `Bench ${i}`);
    clients.push(await connectTerminal(sys.mqttPort!, t.serial, t.secret));
  }
  let next = 0;
  // QoS 1 without waiting for each PUBACK: the terminals keep publishing at the offered rate.
  publish = async (n, sentAt) => {
    for (let i = 0; i < n; i++) {
      const c = clients[next++ % clients.length]!;
      c.publish(`nx/${c.options.clientId}/up/event`, JSON.stringify({ sentAt }), { qos: 1 });
    }
  };
} else {
  customerId = (await db.customer.create({ data: { kind: 'END_USER', name: 'Bench fleet' } })).id;
  publish = async (n, sentAt) => {
    const batch = Array.from({ length: n }, (_, i) => ({
      // Not device.uplink: the health watchdog would look up these made-up serials; this measures the webhook path.
      type: 'bench.uplink',
      customerId,
      deviceId: null,
      payload: { seq: i, sentAt, decoded: { speedKmh: 42, lat: 31.23, lon: 121.47 } },
    }));
    await db.$transaction(async (tx) => events.emit(tx, batch));
  };
}
await webhooks.endpoints.create(ctx, { customerId, url: `http://127.0.0.1:${port}/hook`, eventTypes: ['bench.uplink', 'device.uplink'], enabled: true, maxConcurrency: 100 });

// Warm-up: connections, prepared paths.
await publish(1, Date.now());
await new Promise((r) => setTimeout(r, 1_000));

const total = Math.round(rate * seconds);
const perTick = (rate * tickMs) / 1000;
out(
  viaMqtt
    ? `publishing ${total} QoS 1 frames at ${rate}/s for ${seconds}s from ${clients.length} terminals`
    : `emitting ${total} events at ${rate}/s for ${seconds}s (${perTick} per ${tickMs} ms transaction)`,
);
// Event-loop utilisation of this process (relay, consumers, delivery worker, emitter) per second.
const elu: number[] = [];
let lastElu = performance.eventLoopUtilization();
const eluTimer = setInterval(() => {
  const now = performance.eventLoopUtilization();
  elu.push(performance.eventLoopUtilization(now, lastElu).utilization);
  lastElu = now;
}, 1_000);
const cpu0 = process.cpuUsage();
const t0 = Date.now();
let sent = 0;
let lagged = 0;
while (sent < total) {
  const due = Math.min(total, Math.round(((Date.now() - t0) / 1000) * rate) + Math.ceil(perTick));
  if (due > sent) {
    const n = due - sent;
    await publish(n, Date.now());
    sent += n;
    if (n > perTick * 3) lagged++;
  }
  await new Promise((r) => setTimeout(r, tickMs));
}
const emitSeconds = (Date.now() - t0) / 1000;

let stats = await ask<{ latencies: number[]; duplicates: number }>('stats');
const deadline = Date.now() + 60_000;
while (stats.latencies.length < total + 1 && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 250));
  stats = await ask('stats');
}
const doneSeconds = (Date.now() - t0) / 1000;
clearInterval(eluTimer);
const cpu = process.cpuUsage(cpu0);
const cpuSec = (cpu.user + cpu.system) / 1e6;
out(`this process used ${cpuSec.toFixed(1)} s of CPU over ${doneSeconds.toFixed(1)} s (${((cpuSec * 1e6) / total).toFixed(0)} us per event, everything but the receiver, Postgres and Redis)`);
out(`event-loop utilisation per second: ${elu.map((u) => u.toFixed(2)).join(' ')}`);
const lat = stats.latencies.slice(1).sort((a, b) => a - b);
const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? NaN;
out(`emitted ${sent} in ${emitSeconds.toFixed(1)} s (${(sent / emitSeconds).toFixed(0)}/s; ${lagged} ticks fell behind)`);
out(`received ${lat.length}/${total} unique, ${stats.duplicates} duplicates, all in by ${doneSeconds.toFixed(1)} s`);
out(`emit -> webhook received latency ms: p50 ${pct(50)} p90 ${pct(90)} p99 ${pct(99)} max ${lat[lat.length - 1]}`);

// Where the time went, per stage (p50/p99 ms): outbox -> queue, -> delivery row, -> attempt recorded.
const stages = await db.$queryRaw<{ stage: string; p50: number; p99: number }[]>`
  WITH d AS (
    SELECT d."createdAt" AS fanned, COALESCE(d.payload->'data'->>'sentAt', d.payload->'data'->'decoded'->'data'->>'sentAt')::bigint AS sent, o."relayedAt" AS relayed, a."createdAt" AS attempted
      FROM "WebhookDelivery" d
      JOIN "OutboxEvent" o ON 'evt_' || o.id = d."eventId"
      JOIN "WebhookAttempt" a ON a."deliveryId" = d.id AND a."attemptNo" = 1
  ), ms AS (
    SELECT extract(epoch FROM relayed) * 1000 - sent AS relay, extract(epoch FROM fanned) * 1000 - sent AS fanout, extract(epoch FROM attempted) * 1000 - sent AS sent_done FROM d
  )
  SELECT 'relayed' AS stage, percentile_cont(0.5) WITHIN GROUP (ORDER BY relay) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY relay) AS p99 FROM ms
  UNION ALL SELECT 'delivery row', percentile_cont(0.5) WITHIN GROUP (ORDER BY fanout), percentile_cont(0.99) WITHIN GROUP (ORDER BY fanout) FROM ms
  UNION ALL SELECT 'attempt recorded', percentile_cont(0.5) WITHIN GROUP (ORDER BY sent_done), percentile_cont(0.99) WITHIN GROUP (ORDER BY sent_done) FROM ms`;
for (const s of stages) out(`  stage ${s.stage}: p50 ${Math.round(s.p50)} p99 ${Math.round(s.p99)}`);

await Promise.all(clients.map((c) => c.endAsync()));
child.send({ cmd: 'exit' });
await sys.stop();
process.exit(0);
