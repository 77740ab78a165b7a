// npm run bench:webhooks -- [--rate 2000] [--seconds 10] [--warmup 2] [--tick 10] [--via outbox|mqtt] [--terminals 20] [--split]
// Emits events at a steady rate and measures emit -> webhook received latency at a real HTTP
// receiver running in a child process. --via outbox (default): events.emit, one transaction per
// tick, as the gateway batches. --via mqtt: terminals publish QoS 1 JSON frames to the real
// gateway in this process (publish -> ingest -> outbox -> ... -> webhook).
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startTestSystem, testEnv } from '../helpers/system.js';
import { adminCtx, createContract, ensureModel, provisionTerminal } from '../helpers/terminals.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '10' },
    tick: { type: 'string', default: '10' },
    via: { type: 'string', default: 'outbox' },
    terminals: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '2' },
    split: { type: 'boolean', default: false },
  },
});
const viaMqtt = values.via === 'mqtt';
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const tickMs = Number(values.tick);
const warmupSeconds = Number(values.warmup);
const out = (s: string) => process.stdout.write(`${s}\n`);

const child = fork(fileURLToPath(new URL('./webhook-receiver.child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] });
process.on('exit', () => child.kill());
const askOf =
  (proc: ChildProcess) =>
  <T>(msg?: string | Record<string, unknown>) =>
    new Promise<T>((resolve) => {
      proc.once('message', (m) => resolve(m as T));
      if (msg) proc.send(typeof msg === 'string' ? { cmd: msg } : msg);
    });
const ask = askOf(child);
const { port } = await ask<{ port: number }>();

// --split: this process runs the gateway (mqtt) or only emits (outbox), and a child process runs
// the worker role (relay, consumers, webhooks), as production would deploy them.
const split = values.split === true;
const sys = await startTestSystem(split ? (viaMqtt ? 'gateway' : 'api') : viaMqtt ? 'all' : 'worker', { LOG_LEVEL: 'warn' });
let worker: { ask: ReturnType<typeof askOf>; proc: ChildProcess } | null = null;
if (split) {
  const env = testEnv(sys.databaseUrl, sys.config.REDIS_PREFIX, { LOG_LEVEL: 'warn' });
  const proc = fork(fileURLToPath(new URL('./platform-role.child.ts', import.meta.url)), ['worker', JSON.stringify(env)], {
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_WORKER_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_WORKER_PROF] : []),
    ],
  });
  process.on('exit', () => proc.kill());
  worker = { ask: askOf(proc), proc };
  await worker.ask();
}
let workerElu: number[] = [];
const workerCpuUs = async () => {
  if (!worker) return 0;
  const r = await worker.ask<{ cpuUs: number; elu: number[] }>('cpu');
  workerElu = r.elu;
  return r.cpuUs;
};
const { db, events, webhooks } = sys.services;
const ctx = await adminCtx(sys.services);
let customerId: string;
let publish: (n: number, sentAt: number) => Promise<void> = async () => {};
// --via mqtt: the terminals publish from a child process of their own (see terminal-publisher.child.ts).
let terminals: { ask: ReturnType<typeof askOf>; proc: ChildProcess } | null = null;
if (viaMqtt) {
  await ensureModel(sys.services, 'NXE-200', { maxPayloadBytes: 64, rateLimitBurst: 100_000, rateLimitPerMinute: 6_000_000 });
  const { customer, contract } = await createContract(sys.services);
  customerId = customer.id;
  const creds: { serial: string; secret: string }[] = [];
  for (let i = 0; i < Number(values.terminals); i++) {
    const t = await provisionTerminal(sys.services, contract.id, 'NXE-200', `Bench ${i}`);
    creds.push({ serial: t.serial, secret: t.secret });
  }
  const proc = fork(fileURLToPath(new URL('./terminal-publisher.child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] });
  process.on('exit', () => proc.kill());
  terminals = { ask: askOf(proc), proc };
  await terminals.ask();
  await terminals.ask({ cmd: 'connect', port: sys.mqttPort!, terminals: creds });
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
await webhooks.endpoints.create(ctx, {
  customerId,
  url: `http://127.0.0.1:${port}/hook`,
  eventTypes: ['bench.uplink', 'device.uplink'],
  enabled: true,
  maxConcurrency: 100,
});

const perTick = (rate * tickMs) / 1000;
let lagged = 0;
/** Publishes `count` events at the offered rate, one transaction (or burst of frames) per tick. */
async function drive(count: number): Promise<void> {
  if (terminals) {
    lagged += (await terminals.ask<{ lagged: number }>({ cmd: 'drive', count, rate, tickMs })).lagged;
    return;
  }
  const start = Date.now();
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.round(((Date.now() - start) / 1000) * rate) + Math.ceil(perTick));
    if (due > sent) {
      const n = due - sent;
      await publish(n, Date.now());
      sent += n;
      if (n > perTick * 3) lagged++;
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
}
type Stats = { samples: [number, number][]; duplicates: number };
async function received(count: number): Promise<Stats> {
  let stats = await ask<Stats>('stats');
  const deadline = Date.now() + 60_000;
  while (stats.samples.length < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    stats = await ask<Stats>('stats');
  }
  return stats;
}

// Warm-up at the offered rate, not counted: connections opened, code paths compiled, pools filled.
const warmup = Math.round(rate * warmupSeconds);
if (warmup > 0) {
  await drive(warmup);
  await received(warmup);
  await new Promise((r) => setTimeout(r, 500));
}
lagged = 0;

const total = Math.round(rate * seconds);
out(
  viaMqtt
    ? `publishing ${total} QoS 1 frames at ${rate}/s for ${seconds}s from ${values.terminals} terminals in a child process (after ${warmupSeconds}s of warm-up)`
    : `emitting ${total} events at ${rate}/s for ${seconds}s (${perTick} per ${tickMs} ms transaction; after ${warmupSeconds}s of warm-up)`,
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
const workerCpu0 = await workerCpuUs();
const t0 = Date.now();
await drive(total);
const emitSeconds = (Date.now() - t0) / 1000;
const stats = await received(warmup + total);
const doneSeconds = (Date.now() - t0) / 1000;
clearInterval(eluTimer);
const cpu = process.cpuUsage(cpu0);
const cpuSec = (cpu.user + cpu.system) / 1e6;
const workerSec = ((await workerCpuUs()) - workerCpu0) / 1e6;
out(
  split
    ? `platform processes used ${(cpuSec + workerSec).toFixed(1)} s of CPU over ${doneSeconds.toFixed(1)} s (${(((cpuSec + workerSec) * 1e6) / total).toFixed(0)} us per event: ` +
        `${viaMqtt ? 'gateway' : 'emitter'} ${cpuSec.toFixed(1)} s, worker ${workerSec.toFixed(1)} s; not counting the receiver, terminals, Postgres and Redis)`
    : `this process used ${cpuSec.toFixed(1)} s of CPU over ${doneSeconds.toFixed(1)} s (${((cpuSec * 1e6) / total).toFixed(0)} us per event, everything but the receiver, terminals, Postgres and Redis)`,
);
out(`event-loop utilisation of this process per second: ${elu.map((u) => u.toFixed(2)).join(' ')}`);
if (worker) out(`event-loop utilisation of the worker process per second: ${workerElu.map((u) => u.toFixed(2)).join(' ')}`);
const measured = stats.samples.filter(([sentAt]) => sentAt >= t0);
const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
const pctOf = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const lat = sorted(measured.map(([, ms]) => ms));
const pct = (p: number) => pctOf(lat, p);
const perSecond = Array.from({ length: Math.ceil(seconds) }, (_, i) =>
  sorted(measured.filter(([at]) => at >= t0 + i * 1000 && at < t0 + (i + 1) * 1000).map(([, ms]) => ms)),
);
out(`emitted ${total} in ${emitSeconds.toFixed(1)} s (${(total / emitSeconds).toFixed(0)}/s; ${lagged} ticks fell behind)`);
out(`received ${lat.length}/${total} unique, ${stats.duplicates} duplicates, all in by ${doneSeconds.toFixed(1)} s`);
out(`p99 per second of emission (ms): ${perSecond.map((xs) => pctOf(xs, 99)).join(' ')}`);
out(`emit -> webhook received latency ms: p50 ${pct(50)} p90 ${pct(90)} p99 ${pct(99)} max ${lat[lat.length - 1]}`);

// Where the time went, per stage (p50/p99 ms): outbox -> queue, -> delivery row, -> attempt recorded.
const stages = await db.$queryRaw<{ stage: string; p50: number; p99: number }[]>`
  WITH d AS (
    SELECT d."createdAt" AS fanned, COALESCE(d.payload->'data'->>'sentAt', d.payload->'data'->'decoded'->'data'->>'sentAt')::bigint AS sent, o."relayedAt" AS relayed, a."createdAt" AS attempted
      FROM "WebhookDelivery" d
      JOIN "OutboxEvent" o ON 'evt_' || o.id = d."eventId"
      JOIN "WebhookAttempt" a ON a."deliveryId" = d.id AND a."attemptNo" = 1
  ), ms AS (
    SELECT extract(epoch FROM relayed) * 1000 - sent AS relay, extract(epoch FROM fanned) * 1000 - sent AS fanout, extract(epoch FROM attempted) * 1000 - sent AS sent_done FROM d WHERE sent >= ${t0}
  )
  SELECT 'relayed' AS stage, percentile_cont(0.5) WITHIN GROUP (ORDER BY relay) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY relay) AS p99 FROM ms
  UNION ALL SELECT 'delivery row', percentile_cont(0.5) WITHIN GROUP (ORDER BY fanout), percentile_cont(0.99) WITHIN GROUP (ORDER BY fanout) FROM ms
  UNION ALL SELECT 'attempt recorded', percentile_cont(0.5) WITHIN GROUP (ORDER BY sent_done), percentile_cont(0.99) WITHIN GROUP (ORDER BY sent_done) FROM ms`;
for (const s of stages) out(`  stage ${s.stage}: p50 ${Math.round(s.p50)} p99 ${Math.round(s.p99)}`);
const states = await db.$queryRaw<{ status: string; n: number; attempts: number }[]>`
  SELECT status::text, count(*)::int AS n, sum("attemptCount")::int AS attempts FROM "WebhookDelivery" GROUP BY 1 ORDER BY 1`;
const outbox = await db.$queryRaw<
  { n: number; relayed: number }[]
>`SELECT count(*)::int AS n, count("relayedAt")::int AS relayed FROM "OutboxEvent" WHERE type IN ('bench.uplink', 'device.uplink')`;
out(`events (warm-up included): ${outbox[0]?.n} in the outbox, ${outbox[0]?.relayed} relayed`);
out(`deliveries (warm-up included): ${states.map((x) => `${x.n} ${x.status.toLowerCase()} (${x.attempts} attempts)`).join(', ')}`);

terminals?.proc.send({ cmd: 'exit' });
child.send({ cmd: 'exit' });
if (worker) {
  const exited = new Promise((r) => worker.proc.once('exit', r));
  worker.proc.send({ cmd: 'exit' });
  await exited;
}
await sys.stop();
process.exit(0);
