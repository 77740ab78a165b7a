// npm run bench:webhooks -- [--rate 2000] [--seconds 10] [--warmup 2] [--tick 10] [--via outbox|mqtt] [--terminals 20]
//                           [--split | --workers <n>] [--find-knee] [--batch [--max-batch 100] [--max-wait 50]]
// Emits events at a steady rate and measures emit -> webhook received latency at a real HTTP
// receiver running in a child process. --via outbox (default): events.emit, one transaction per
// tick, as the gateway batches. --via mqtt: terminals publish QoS 1 JSON frames to the real
// gateway in this process (publish -> ingest -> outbox -> ... -> webhook).
// --workers n: the worker role in n child processes sharing the load (--split = --workers 1).
// --find-knee: steps the rate up from --rate (x1.25 a step, --seconds each) until p99 passes
// 100 ms and reports the knee. --batch: the endpoint batches (events/s to one endpoint).
// Every run reports lost and duplicate event ids and CPU per delivered event.
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
    workers: { type: 'string', default: '0' },
    'find-knee': { type: 'boolean', default: false },
    'knee-ms': { type: 'string', default: '100' },
    batch: { type: 'boolean', default: false },
    'max-batch': { type: 'string', default: '100' },
    'max-wait': { type: 'string', default: '50' },
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

// --workers n (--split = 1): this process runs the gateway (mqtt) or only emits (outbox), and n
// child processes run the worker role (relay, consumers, webhooks), as production would deploy them.
const workerCount = values.split ? Math.max(1, Number(values.workers)) : Number(values.workers);
const split = workerCount > 0;
const sys = await startTestSystem(split ? (viaMqtt ? 'gateway' : 'api') : viaMqtt ? 'all' : 'worker', { LOG_LEVEL: 'warn' });
const workers: { ask: ReturnType<typeof askOf>; proc: ChildProcess }[] = [];
for (let w = 0; w < workerCount; w++) {
  const env = testEnv(sys.databaseUrl, sys.config.REDIS_PREFIX, { LOG_LEVEL: 'warn' });
  const proc = fork(fileURLToPath(new URL('./platform-role.child.ts', import.meta.url)), ['worker', JSON.stringify(env)], {
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_WORKER_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_WORKER_PROF] : []),
    ],
  });
  process.on('exit', () => proc.kill());
  workers.push({ ask: askOf(proc), proc });
  await workers[w]!.ask();
}
let workerElu: number[][] = [];
/** CPU time of each worker process so far (us). */
const workerCpuUs = async (): Promise<number[]> => {
  const rs = await Promise.all(workers.map((w) => w.ask<{ cpuUs: number; elu: number[] }>('cpu')));
  workerElu = rs.map((r) => r.elu);
  return rs.map((r) => r.cpuUs);
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
  batching: values.batch === true,
  maxBatch: Number(values['max-batch']),
  maxWaitMs: Number(values['max-wait']),
});

let lagged = 0;
/** Publishes `count` events at `rate`, one transaction (or burst of frames) per tick. */
async function drive(count: number, rate: number): Promise<void> {
  const perTick = (rate * tickMs) / 1000;
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
type Stats = { samples: [number, number][]; duplicates: number; requests: number; unique: number };
/** Waits until the receiver has `count` events since its last reset (or 60 s). */
async function received(count: number): Promise<Stats> {
  let stats = await ask<Stats>('stats');
  const deadline = Date.now() + 60_000;
  while (stats.samples.length < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    stats = await ask<Stats>('stats');
  }
  return stats;
}
const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
const pctOf = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

// Warm-up at the offered rate, not counted: connections opened, code paths compiled, pools filled.
const warmup = Math.round(rate * warmupSeconds);
if (warmup > 0) {
  await drive(warmup, rate);
  await received(warmup);
  await new Promise((r) => setTimeout(r, 500));
}

interface StepResult {
  rate: number;
  p50: number;
  p99: number;
  lost: number;
  duplicates: number;
  cpuUsPerEvent: number;
}
let emittedSoFar = warmup;
let duplicatesBefore = 0;

/** One measured run at `stepRate` for `stepSeconds`: prints and returns its figures. */
async function measure(stepRate: number, stepSeconds: number): Promise<StepResult> {
  await ask('reset');
  lagged = 0;
  const total = Math.round(stepRate * stepSeconds);
  out(
    viaMqtt
      ? `publishing ${total} QoS 1 frames at ${stepRate}/s for ${stepSeconds}s from ${values.terminals} terminals in a child process`
      : `emitting ${total} events at ${stepRate}/s for ${stepSeconds}s (${(stepRate * tickMs) / 1000} per ${tickMs} ms transaction)`,
  );
  // Event-loop utilisation of this process per second.
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
  await drive(total, stepRate);
  const emitSeconds = (Date.now() - t0) / 1000;
  const stats = await received(total);
  const doneSeconds = (Date.now() - t0) / 1000;
  clearInterval(eluTimer);
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const workerSecs = (await workerCpuUs()).map((us, i) => (us - workerCpu0[i]!) / 1e6);
  const allSec = cpuSec + workerSecs.reduce((a, b) => a + b, 0);
  emittedSoFar += total;
  // Lost: events emitted so far (warm-up included) that never reached the receiver.
  const lost = emittedSoFar - stats.unique;
  const duplicates = stats.duplicates - duplicatesBefore;
  duplicatesBefore = stats.duplicates;
  const delivered = stats.samples.length;
  const cpuUsPerEvent = (allSec * 1e6) / Math.max(1, delivered);
  out(
    split
      ? `platform processes used ${allSec.toFixed(1)} s of CPU over ${doneSeconds.toFixed(1)} s: ${cpuUsPerEvent.toFixed(0)} us per delivered event ` +
          `(${viaMqtt ? 'gateway' : 'emitter'} ${cpuSec.toFixed(1)} s, worker${workers.length > 1 ? 's' : ''} ${workerSecs.map((x) => x.toFixed(1)).join(' + ')} s; not counting the receiver, terminals, Postgres and Redis)`
      : `this process used ${cpuSec.toFixed(1)} s of CPU over ${doneSeconds.toFixed(1)} s: ${cpuUsPerEvent.toFixed(0)} us per delivered event (everything but the receiver, terminals, Postgres and Redis)`,
  );
  out(`event-loop utilisation of this process per second: ${elu.map((u) => u.toFixed(2)).join(' ')}`);
  for (const [i, e] of workerElu.entries())
    out(`event-loop utilisation of worker ${i + 1} per second: ${e.map((u) => u.toFixed(2)).join(' ')}`);
  const measured = stats.samples.filter(([sentAt]) => sentAt >= t0);
  const lat = sorted(measured.map(([, ms]) => ms));
  const pct = (p: number) => pctOf(lat, p);
  const perSecond = Array.from({ length: Math.ceil(stepSeconds) }, (_, i) =>
    sorted(measured.filter(([at]) => at >= t0 + i * 1000 && at < t0 + (i + 1) * 1000).map(([, ms]) => ms)),
  );
  out(`emitted ${total} in ${emitSeconds.toFixed(1)} s (${(total / emitSeconds).toFixed(0)}/s; ${lagged} ticks fell behind)`);
  out(
    `received ${delivered}/${total}; lost ${lost}, duplicate ids ${duplicates}; all in by ${doneSeconds.toFixed(1)} s; ${stats.requests} POSTs so far`,
  );
  out(`p99 per second of emission (ms): ${perSecond.map((xs) => pctOf(xs, 99)).join(' ')}`);
  out(`emit -> webhook received latency ms: p50 ${pct(50)} p90 ${pct(90)} p99 ${pct(99)} max ${lat[lat.length - 1]}`);
  if (values.batch) out(`events/s to one endpoint (batching): ${(delivered / doneSeconds).toFixed(0)}`);
  return { rate: stepRate, p50: pct(50), p99: pct(99), lost, duplicates, cpuUsPerEvent };
}

const firstStart = Date.now();
if (values['find-knee']) {
  const kneeMs = Number(values['knee-ms']);
  const steps: StepResult[] = [];
  for (let r = rate; ; r = Math.round((r * 1.25) / 100) * 100) {
    const s = await measure(r, seconds);
    steps.push(s);
    if (s.p99 > kneeMs || s.lost > 0 || r > 100_000) break;
    await new Promise((res) => setTimeout(res, 2_000));
  }
  out('\nrate/s   p50 ms   p99 ms   us CPU per event   lost   duplicates');
  for (const s of steps)
    out(
      `${String(s.rate).padStart(6)} ${String(s.p50).padStart(8)} ${String(s.p99).padStart(8)} ${s.cpuUsPerEvent.toFixed(0).padStart(18)} ${String(s.lost).padStart(6)} ${String(s.duplicates).padStart(12)}`,
    );
  const under = steps.filter((s) => s.p99 <= kneeMs);
  out(
    under.length
      ? `knee: p99 stays under ${kneeMs} ms up to ${under[under.length - 1]!.rate}/s; at ${steps[steps.length - 1]!.rate}/s it was ${steps[steps.length - 1]!.p99} ms`
      : `knee: p99 was over ${kneeMs} ms already at ${rate}/s`,
  );
} else {
  await measure(rate, seconds);
}

// Where the time went, per stage (p50/p99 ms): outbox -> queue, -> delivery row, -> attempt recorded.
const stages = await db.$queryRaw<{ stage: string; p50: number; p99: number }[]>`
  WITH d AS (
    SELECT d."createdAt" AS fanned, COALESCE(d.payload->'data'->>'sentAt', d.payload->'data'->'decoded'->'data'->>'sentAt')::bigint AS sent, o."relayedAt" AS relayed, a."createdAt" AS attempted
      FROM "WebhookDelivery" d
      JOIN "OutboxEvent" o ON 'evt_' || o.id = d."eventId"
      JOIN "WebhookAttempt" a ON a."deliveryId" = d.id AND a."attemptNo" = 1
  ), ms AS (
    SELECT extract(epoch FROM relayed) * 1000 - sent AS relay, extract(epoch FROM fanned) * 1000 - sent AS fanout, extract(epoch FROM attempted) * 1000 - sent AS sent_done FROM d WHERE sent >= ${firstStart}
  )
  SELECT 'relayed' AS stage, percentile_cont(0.5) WITHIN GROUP (ORDER BY relay) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY relay) AS p99 FROM ms
  UNION ALL SELECT 'delivery row', percentile_cont(0.5) WITHIN GROUP (ORDER BY fanout), percentile_cont(0.99) WITHIN GROUP (ORDER BY fanout) FROM ms
  UNION ALL SELECT 'attempt recorded', percentile_cont(0.5) WITHIN GROUP (ORDER BY sent_done), percentile_cont(0.99) WITHIN GROUP (ORDER BY sent_done) FROM ms`;
out('stages over all measured runs (ms since publish):');
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
await Promise.all(
  workers.map((w) => {
    const exited = new Promise((r) => w.proc.once('exit', r));
    w.proc.send({ cmd: 'exit' });
    return exited;
  }),
);
await sys.stop();
process.exit(0);
