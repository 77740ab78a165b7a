// npm run bench:webhooks -- [--rate 2000] [--seconds 10] [--tick 10]
// Emits device.uplink events through the outbox at a steady rate (one transaction per tick,
// as the gateway batches) and measures emit -> webhook received latency at a real HTTP
// receiver running in a child process.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startTestSystem } from '../helpers/system.js';

const { values } = parseArgs({
  options: { rate: { type: 'string', default: '2000' }, seconds: { type: 'string', default: '10' }, tick: { type: 'string', default: '10' } },
});
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

const sys = await startTestSystem('worker', { LOG_LEVEL: 'warn' });
const { db, events, webhooks } = sys.services;
const customer = await db.customer.create({ data: { kind: 'END_USER', name: 'Bench fleet' } });
const admin = await sys.services.auth.createUser(null, { email: `bench-${Date.now()}@test.nexsphere`, name: 'Bench', role: 'ADMIN', password: 'correct-horse-battery', customerId: null });
const actor = { userId: admin.id, role: 'ADMIN' as const, customerId: null, via: 'session' as const };
await webhooks.endpoints.create({ actor }, { customerId: customer.id, url: `http://127.0.0.1:${port}/hook`, eventTypes: [], enabled: true, maxConcurrency: 50 });

// Warm-up: connections, prepared paths.
await events.emitNow([{ type: 'device.uplink', customerId: customer.id, deviceId: null, payload: { sentAt: Date.now(), warmup: true } }]);
await new Promise((r) => setTimeout(r, 1_000));

const total = Math.round(rate * seconds);
const perTick = (rate * tickMs) / 1000;
out(`emitting ${total} events at ${rate}/s for ${seconds}s (${perTick} per ${tickMs} ms transaction)`);
// Event-loop utilisation of this process (relay, consumers, delivery worker, emitter) per second.
const elu: number[] = [];
let lastElu = performance.eventLoopUtilization();
const eluTimer = setInterval(() => {
  const now = performance.eventLoopUtilization();
  elu.push(performance.eventLoopUtilization(now, lastElu).utilization);
  lastElu = now;
}, 1_000);
const t0 = Date.now();
let sent = 0;
let lagged = 0;
while (sent < total) {
  const due = Math.min(total, Math.round(((Date.now() - t0) / 1000) * rate) + Math.ceil(perTick));
  if (due > sent) {
    const n = due - sent;
    const sentAt = Date.now();
    const batch = Array.from({ length: n }, (_, i) => ({
      type: 'device.uplink',
      customerId: customer.id,
      deviceId: null,
      payload: { serial: `NX${(sent + i) % 1000}`, seq: sent + i, sentAt, decoded: { speedKmh: 42, lat: 31.23, lon: 121.47 } },
    }));
    await db.$transaction(async (tx) => events.emit(tx, batch));
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
out(`event-loop utilisation per second: ${elu.map((u) => u.toFixed(2)).join(' ')}`);
const lat = stats.latencies.slice(1).sort((a, b) => a - b);
const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? NaN;
out(`emitted ${sent} in ${emitSeconds.toFixed(1)} s (${(sent / emitSeconds).toFixed(0)}/s; ${lagged} ticks fell behind)`);
out(`received ${lat.length}/${total} unique, ${stats.duplicates} duplicates, all in by ${doneSeconds.toFixed(1)} s`);
out(`emit -> webhook received latency ms: p50 ${pct(50)} p90 ${pct(90)} p99 ${pct(99)} max ${lat[lat.length - 1]}`);

// Where the time went, per stage (p50/p99 ms): outbox -> queue, -> delivery row, -> attempt recorded.
const stages = await db.$queryRaw<{ stage: string; p50: number; p99: number }[]>`
  WITH d AS (
    SELECT d."createdAt" AS fanned, (d.payload->'data'->>'sentAt')::bigint AS sent, o."relayedAt" AS relayed, a."createdAt" AS attempted
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

child.send({ cmd: 'exit' });
await sys.stop();
process.exit(0);
