// npm run bench:billing -- [--contracts 20000] [--terminals 100000] [--days 30] [--concurrency N] [--scale 10]
// Generates contracts, terminals and a month of usage counters with SQL generate_series, then
// times a billing run for September 2026 end to end (POST-equivalent start -> run COMPLETED)
// through the real BullMQ flow and workers. Prints figures; the database is dropped afterwards.
// Without --concurrency the worker uses BILLING_CONCURRENCY's default, as deployed.
// --scale N multiplies the default sizes (--scale 10: 200k contracts, 1M terminals, 30M counters).
// Besides wall time it prints this process's CPU time (the worker: rating, BullMQ) per contract
// and its peak RSS, which hold on a shared machine where wall time does not; for a profile run
// `node --cpu-prof --cpu-prof-dir=<dir> --import tsx test/bench/billing.bench.ts`.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startTestSystem } from '../helpers/system.js';

const { values } = parseArgs({
  options: {
    contracts: { type: 'string' },
    terminals: { type: 'string' },
    scale: { type: 'string', default: '1' },
    days: { type: 'string', default: '30' },
    concurrency: { type: 'string' },
  },
});
const scale = Number(values.scale);
const contracts = Number(values.contracts ?? 20_000 * scale);
const terminals = Number(values.terminals ?? 100_000 * scale);
const days = Math.min(30, Number(values.days));
const out = (s: string) => process.stdout.write(`${s}\n`);

const sys = await startTestSystem('worker', {
  LOG_LEVEL: 'warn',
  ...(values.concurrency ? { BILLING_CONCURRENCY: values.concurrency } : {}),
});
const { db, billing } = sys.services;
try {
  const t0 = Date.now();
  const c = new pg.Client({ connectionString: sys.databaseUrl });
  await c.connect();
  const plan = await db.tariffPlan.create({
    data: {
      code: 'BENCH',
      name: 'Bench plan',
      monthlyRentalMinor: 2990n,
      activationFeeMinor: 5000n,
      includedMessages: 1000,
      downlinkPriceMicros: 33_300n,
      tiers: {
        create: [
          { fromUnit: 0n, toUnit: 2000n, unitPriceMicros: 12_000n },
          { fromUnit: 2000n, toUnit: null, unitPriceMicros: 8_500n },
        ],
      },
    },
  });
  const model = await db.deviceModel.create({
    data: { code: 'NXV-BENCH', name: 'Bench unit', category: 'VEHICLE', codec: 'vehicle-v1', expectedIntervalSec: 60 },
  });
  const customers = Math.max(1, Math.floor(contracts / 10));
  const perContract = Math.max(1, Math.floor(terminals / contracts));
  await c.query(`
    CREATE TEMP TABLE bcu AS SELECT gen_random_uuid() AS id, i FROM generate_series(1, ${customers}) i;
    INSERT INTO "Customer" (id, kind, name, "updatedAt") SELECT id, 'END_USER', 'Bench customer ' || i, now() FROM bcu;
    CREATE TEMP TABLE bc AS SELECT gen_random_uuid() AS id, i, (SELECT id FROM bcu WHERE bcu.i = ((g.i - 1) % ${customers}) + 1) AS customer_id FROM generate_series(1, ${contracts}) g(i);
    INSERT INTO "Contract" (id, number, "customerId", "tariffPlanId", status, "startDate", "updatedAt")
      SELECT id, 'BENCH-' || i, customer_id, '${plan.id}', 'ACTIVE', '2026-01-01', now() FROM bc;
    CREATE TEMP TABLE bd AS SELECT gen_random_uuid() AS id, j, bc.id AS contract_id, bc.customer_id
      FROM generate_series(1, ${contracts * perContract}) j JOIN bc ON bc.i = ((j - 1) / ${perContract}) + 1;
    -- Every 10th terminal was activated mid-September (proration + activation fee).
    INSERT INTO "Device" (id, serial, "deviceModelId", status, "contractId", "customerId", "activatedAt", "updatedAt")
      SELECT id, 'NXB-' || j, '${model.id}', 'ACTIVE', contract_id, customer_id,
             CASE WHEN j % 10 = 0 THEN timestamptz '2026-09-14 03:00+00' ELSE timestamptz '2026-07-01 03:00+00' END, now() FROM bd;
    INSERT INTO "UsageCounter" ("deviceId", "contractId", day, "upMessages", "upBytes", "upUnits", "downMessages", "updatedAt")
      SELECT bd.id, bd.contract_id, d::date, 40 + (bd.j + extract(day FROM d)::int) % 30, 0, 60 + (bd.j * 7 + extract(day FROM d)::int) % 70, (bd.j + extract(day FROM d)::int) % 3, now()
      FROM bd CROSS JOIN generate_series(date '2026-09-01', date '2026-09-01' + ${days - 1}, interval '1 day') d
      -- Day by day, as ingest writes them (rows of one contract spread over many pages).
      ORDER BY d, bd.j;
    ANALYZE;
  `);
  await c.end();
  const counters = await db.usageCounter.count();
  out(
    `generated ${contracts} contracts, ${contracts * perContract} terminals, ${counters} usage counters in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  const t1 = Date.now();
  const cpu0 = process.cpuUsage();
  const { run } = await billing.billingRuns.start({ actor: null }, '2026-09');
  const enqueued = Date.now() - t1;
  let last = -1;
  for (;;) {
    const r = await db.billingRun.findUniqueOrThrow({ where: { id: run.id } });
    if (r.processedContracts !== last && Math.floor(r.processedContracts / 2000) !== Math.floor(last / 2000)) {
      out(`  ${((Date.now() - t1) / 1000).toFixed(1)} s: ${r.processedContracts}/${r.totalContracts}`);
    }
    last = r.processedContracts;
    if (r.status === 'COMPLETED' || r.status === 'FAILED') {
      const secs = (Date.now() - t1) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const cpuSec = (cpu.user + cpu.system) / 1e6;
      const sum = await db.invoice.aggregate({ _sum: { totalMinor: true }, _count: true });
      out(
        `billing run ${r.status}: ${r.invoicesCreated} invoices (${r.failedContracts} failed) in ${secs.toFixed(1)} s ` +
          `(enqueue ${(enqueued / 1000).toFixed(1)} s; ${(r.totalContracts / secs).toFixed(0)} contracts/s), total billed ${sum._sum.totalMinor} fen`,
      );
      out(
        `worker process CPU ${cpuSec.toFixed(1)} s (${((cpuSec * 1e6) / Math.max(1, r.totalContracts)).toFixed(0)} us per contract), ` +
          `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
      );
      break;
    }
    await new Promise((res) => setTimeout(res, 250));
  }
} finally {
  await sys.stop();
}
