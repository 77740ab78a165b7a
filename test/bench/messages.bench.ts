// npm run bench:messages -- [--rows 20000000] [--terminals 1000] [--every 15] [--runs 20] [--reseed]
// Reads of one terminal's day in a store of --rows messages: a page of the listing, the whole day
// page by page, chart buckets and a CSV export, through the HTTP API (in-process inject) and, for
// the page, the SQL's own execution time (EXPLAIN ANALYZE). The store is seeded with
// generate_series into its own database (BENCH_MESSAGES_DATABASE_URL, default nx_bench_messages),
// in time order across terminals as ingest writes it, with the indexes built after the rows; it
// is kept, so a rerun on an idle machine measures the same store without seeding again.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startSystem } from '../../src/app/system.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { loginAs } from '../helpers/api.js';
import { TEST_PG_URL, testEnv } from '../helpers/system.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '20000000' },
    terminals: { type: 'string', default: '1000' },
    every: { type: 'string', default: '15' },
    runs: { type: 'string', default: '20' },
    reseed: { type: 'boolean', default: false },
  },
});
const ROWS = Number(values.rows);
const TERMINALS = Number(values.terminals);
const EVERY_S = Number(values.every);
const RUNS = Number(values.runs);
const START = new Date('2026-09-01T00:00:00.000Z');
const out = (s: string) => process.stdout.write(`${s}\n`);

const dbUrl = new URL(process.env.BENCH_MESSAGES_DATABASE_URL ?? `${TEST_PG_URL.replace(/\/[^/]*$/, '')}/nx_bench_messages`);
const admin = new pg.Client({ connectionString: TEST_PG_URL });
await admin.connect();
const dbName = dbUrl.pathname.slice(1);
const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName])).rowCount === 1;
if (!exists) await admin.query(`CREATE DATABASE "${dbName}"`);
await admin.end();

const config = loadConfig(testEnv(dbUrl.toString(), `bench${randomBytes(4).toString('hex')}`, { LOG_LEVEL: 'warn' }));
const sys = await startSystem(config, 'api', createLogger('warn', { bench: 'messages' }));
const sql = new pg.Pool({ connectionString: dbUrl.toString(), max: 2 });

async function seed(): Promise<void> {
  const t0 = Date.now();
  await sql.query('TRUNCATE "Message", "Device" CASCADE');
  const model = await sql.query<{ id: string }>(
    `INSERT INTO "DeviceModel" (id, code, name, category, codec, "expectedIntervalSec", "updatedAt")
     VALUES (gen_random_uuid(), 'NXV-BENCH', 'Bench vehicle', 'VEHICLE', 'nx-vehicle-v1', $1, now())
     ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    [EVERY_S],
  );
  await sql.query(
    `INSERT INTO "Device" (id, serial, "deviceModelId", status, "updatedAt")
     SELECT gen_random_uuid(), 'NXV-B' || lpad(d::text, 6, '0'), $1, 'ACTIVE', now() FROM generate_series(0, $2::int - 1) d`,
    [model.rows[0]!.id, TERMINALS],
  );
  // Indexes are built once after the rows (as a restore would), not maintained row by row.
  const indexes = (
    await sql.query<{ name: string; def: string }>(
      `SELECT indexname AS name, indexdef AS def FROM pg_indexes
       WHERE tablename = 'Message' AND schemaname = current_schema()
         AND indexname NOT IN (SELECT conname FROM pg_constraint)`,
    )
  ).rows;
  for (const ix of indexes) await sql.query(`DROP INDEX "${ix.name}"`);
  const steps = Math.ceil(ROWS / TERMINALS);
  const chunk = Math.max(1, Math.floor(250_000 / TERMINALS));
  let next = 0;
  let done = 0;
  // Two writers, each a slice of time for every terminal: rows land in time order as ingest writes them.
  async function writer(): Promise<void> {
    while (next < steps) {
      const from = next;
      next = Math.min(steps, next + chunk);
      await sql.query(
        `INSERT INTO "Message" ("deviceId","topic","kind","qos","payload","bytes","units","decoded","deviceTime","receivedAt","seq")
         SELECT dv.id, 'nx/' || dv.serial || CASE WHEN t % 10 = 9 THEN '/up/heartbeat' ELSE '/up/telemetry' END,
                CASE WHEN t % 10 = 9 THEN 'heartbeat' ELSE 'telemetry' END, 1, '\\x0165d2a1c0'::bytea, 18, 1,
                CASE WHEN t % 10 = 9
                  THEN jsonb_build_object('type','heartbeat','supplyMv',12000 + (t + dv.n) % 500,'signalDbm',-(60 + (t + dv.n) % 40))
                  ELSE jsonb_build_object('type','vehicle-telemetry','latitude',31.2 + dv.n / 10000.0,'longitude',121.5,
                         'speedKmh',(t + dv.n) % 120,'heading',(t * 7) % 360,'ignition',true,'moving',true,'doorOpen',false,'immobilized',false) END,
                ts, ts, t + 1
         FROM generate_series($1::int, $2::int - 1) t
         CROSS JOIN (SELECT id, serial, row_number() OVER (ORDER BY serial) AS n FROM "Device") dv
         CROSS JOIN LATERAL (SELECT $3::timestamp(3) + make_interval(secs => t * $4::float8 + dv.n * 0.01) AS ts) x`,
        [from, next, START.toISOString(), EVERY_S],
      );
      done += (next - from) * TERMINALS;
      process.stderr.write(`\rseeded ${(done / 1e6).toFixed(1)}M rows, ${Math.round((Date.now() - t0) / 1000)} s`);
    }
  }
  await Promise.all([writer(), writer()]);
  process.stderr.write('\n');
  await sql.query(`SET maintenance_work_mem = '512MB'`);
  for (const ix of indexes) {
    const t = Date.now();
    await sql.query(ix.def);
    out(`index ${ix.name} built in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }
  await sql.query('VACUUM ANALYZE "Message"');
  out(`seeded ${done} messages for ${TERMINALS} terminals in ${Math.round((Date.now() - t0) / 1000)} s`);
}

try {
  const stored = Number((await sql.query(`SELECT reltuples::bigint AS n FROM pg_class WHERE relname = 'Message'`)).rows[0]?.n ?? 0);
  if (values.reseed || Math.abs(stored - ROWS) > ROWS * 0.02) await seed();
  else out(`reusing the seeded store (~${stored} messages) in ${dbName}; --reseed to rebuild it`);

  const app = sys.app!;
  const ops = await loginAs(sys.services, app, 'OPS');
  const serial = `NXV-B${String(Math.floor(TERMINALS / 2)).padStart(6, '0')}`;
  const dayFrom = new Date(START.getTime() + 86_400_000).toISOString();
  const dayTo = new Date(START.getTime() + 2 * 86_400_000).toISOString();
  const day = `from=${dayFrom}&to=${dayTo}`;

  async function time(name: string, fn: () => Promise<string>): Promise<void> {
    for (let i = 0; i < 2; i++) await fn();
    const ms: number[] = [];
    let note = '';
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      note = await fn();
      ms.push(performance.now() - t);
    }
    const cpu = process.cpuUsage(cpu0);
    ms.sort((a, b) => a - b);
    const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(1);
    const cpuMs = ((cpu.user + cpu.system) / 1000 / RUNS).toFixed(1);
    out(`| ${name} | ${note} | ${q(0.5)} | ${q(0.95)} | ${ms.at(-1)!.toFixed(1)} | ${cpuMs} |`);
  }
  async function fetch(url: string): Promise<{ body: string; json: () => unknown }> {
    const res = await app.inject({ url: `/api/v1${url}`, headers: ops.headers });
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return { body: res.body, json: () => res.json() };
  }

  const cpu0 = process.cpuUsage();
  out(`\none terminal (${serial}) of ${TERMINALS}, one day, ${RUNS} runs each; ms through the HTTP API (in-process)`);
  out('| read | answer | p50 ms | p95 ms | max ms | Node CPU ms per read |');
  out('| --- | --- | --- | --- | --- | --- |');
  await time('messages, first page of 100, newest first', async () => {
    const p = (await fetch(`/devices/${serial}/messages?${day}&limit=100`)).json() as { items: unknown[] };
    return `${p.items.length} rows`;
  });
  await time('messages, first page of 100, kind=heartbeat', async () => {
    const p = (await fetch(`/devices/${serial}/messages?${day}&limit=100&kind=heartbeat`)).json() as { items: unknown[] };
    return `${p.items.length} rows`;
  });
  await time('messages, a page from the middle of the day (cursor)', async () => {
    const first = (await fetch(`/devices/${serial}/messages?${day}&limit=500`)).json() as { nextCursor: string | null };
    if (!first.nextCursor) return 'one page only';
    const t = performance.now();
    const p = (await fetch(`/devices/${serial}/messages?${day}&limit=500&cursor=${first.nextCursor}`)).json() as { items: unknown[] };
    return `${p.items.length} rows (${(performance.now() - t).toFixed(1)} ms for the second page alone)`;
  });
  await time('messages, the whole day in pages of 500', async () => {
    let n = 0;
    let pages = 0;
    let cursor: string | null = null;
    do {
      const p = (await fetch(`/devices/${serial}/messages?${day}&limit=500${cursor ? `&cursor=${cursor}` : ''}`)).json() as {
        items: unknown[];
        nextCursor: string | null;
      };
      n += p.items.length;
      pages++;
      cursor = p.nextCursor;
    } while (cursor);
    return `${n} rows in ${pages} pages`;
  });
  for (const bucket of ['1m', '1h'] as const) {
    await time(`telemetry speedKmh, ${bucket} buckets over the day`, async () => {
      const p = (await fetch(`/devices/${serial}/telemetry?field=speedKmh&bucket=${bucket}&${day}`)).json() as { items: unknown[] };
      return `${p.items.length} buckets`;
    });
  }
  await time('telemetry speedKmh, 1d buckets over the whole store', async () => {
    const to = new Date(START.getTime() + Math.ceil(ROWS / TERMINALS) * EVERY_S * 1000 + 86_400_000).toISOString();
    const p = (await fetch(`/devices/${serial}/telemetry?field=speedKmh&bucket=1d&from=2026-08-31&to=${to}`)).json() as {
      items: unknown[];
    };
    return `${p.items.length} buckets`;
  });
  await time('CSV export of the day (to the last byte)', async () => {
    const { body } = await fetch(`/devices/${serial}/messages/export?${day}`);
    return `${body.split('\n').length - 2} rows, ${(body.length / 1e6).toFixed(1)} MB`;
  });
  const cpu = process.cpuUsage(cpu0);
  out(`\nCPU of this process (API + client) over the reads: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`);

  const device = await sql.query<{ id: string }>('SELECT id FROM "Device" WHERE serial = $1', [serial]);
  const plan = await sql.query(
    `EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT)
     SELECT * FROM "Message" WHERE "deviceId" = $1::uuid AND "receivedAt" >= $2::timestamp(3) AND "receivedAt" < $3::timestamp(3)
     ORDER BY "receivedAt" DESC, id DESC LIMIT 101`,
    [device.rows[0]!.id, dayFrom, dayTo],
  );
  out('\nthe page query in PostgreSQL (the listing adds only the cursor condition):');
  for (const r of plan.rows as { 'QUERY PLAN': string }[]) out(`  ${r['QUERY PLAN']}`);
  const size = await sql.query(`SELECT pg_size_pretty(pg_total_relation_size('"Message"')) AS s, count(*) AS n FROM "Message"`);
  out(`store: ${size.rows[0].n} messages, ${size.rows[0].s} with indexes`);
} finally {
  await sql.end();
  await sys.stop();
}
