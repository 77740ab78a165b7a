// npx tsx test/bench/health.bench.ts [--fleet 20000] [--storm 2000]
// Times the health watchdog on a fleet: the uplink path (cold and warm terminal cache), one
// watchdog pass when nothing expires (should not grow with the fleet), and a storm of
// `--storm` terminals going silent together (one incident) and recovering. Prints figures;
// the database is dropped afterwards.
import { parseArgs } from 'node:util';
import { startTestSystem } from '../helpers/system.js';

const { values } = parseArgs({ options: { fleet: { type: 'string', default: '20000' }, storm: { type: 'string', default: '2000' } } });
const fleet = Number(values.fleet);
const storm = Math.min(fleet, Number(values.storm));
const out = (s: string) => process.stdout.write(`${s}\n`);

// A long tick: the bench drives the passes itself.
const sys = await startTestSystem('worker', { LOG_LEVEL: 'warn', HEALTH_TICK_MS: '3600000', HEALTH_SILENCE_GRACE_MS: '0' });
const { db, health, redis } = sys.services;

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
const rate = (n: number, ms: number) => `${n} in ${ms} ms (${Math.round((n * 1000) / Math.max(1, ms))}/s)`;

try {
  const model = await db.deviceModel.create({
    data: {
      code: 'NXL-BENCH',
      name: 'Bench',
      category: 'STREETLIGHT',
      codec: 'nx-streetlight-v1',
      expectedIntervalSec: 900,
      silenceFactor: 3,
    },
  });
  const customer = await db.customer.create({ data: { kind: 'END_USER', name: 'Bench' } });
  const serials = Array.from({ length: fleet }, (_, i) => `NXL-B${String(i).padStart(7, '0')}`);
  for (let i = 0; i < fleet; i += 5_000) {
    await db.device.createMany({
      data: serials
        .slice(i, i + 5_000)
        .map((serial) => ({ serial, deviceModelId: model.id, status: 'ACTIVE' as const, customerId: customer.id })),
    });
  }

  let t = Date.now();
  await pool(serials, 32, (s) => health.observeUplink(s, new Date()));
  out(`uplinks, cold cache (misses batched into one Postgres query per turn): ${rate(fleet, Date.now() - t)}`);
  t = Date.now();
  await pool(serials, 32, (s) => health.observeUplink(s, new Date()));
  out(`uplinks, warm cache (Redis only): ${rate(fleet, Date.now() - t)}`);

  t = Date.now();
  const passes = 200;
  for (let i = 0; i < passes; i++) await health.tick();
  out(`watchdog pass with ${fleet} tracked, none expiring: ${((Date.now() - t) / passes).toFixed(2)} ms each`);

  // A base station fails: `storm` terminals last reported an hour ago.
  const stormSerials = serials.slice(0, storm);
  const pipe = redis.multi();
  for (const s of stormSerials) pipe.zadd(health.keys.deadlines, Date.now() - 1_000, s);
  await pipe.exec();
  t = Date.now();
  let claimed = 0;
  while (claimed < storm) claimed += await health.tick();
  const incidents = await db.incident.findMany({ include: { _count: { select: { devices: true } } } });
  const perTerminal = await db.ticket.count({ where: { kind: 'NO_SIGNAL' } });
  out(
    `storm of ${storm}: ${Date.now() - t} ms to link them; incidents ${incidents.length} (${incidents.map((i) => i._count.devices).join(', ')} terminals), NO_SIGNAL tickets ${perTerminal}`,
  );

  t = Date.now();
  await pool(stormSerials, 32, (s) => health.observeUplink(s, new Date()));
  const resolved = await db.incident.count({ where: { status: 'RESOLVED' } });
  out(`storm recovery: ${rate(storm, Date.now() - t)}; incidents resolved ${resolved}`);
} finally {
  await sys.stop();
}
