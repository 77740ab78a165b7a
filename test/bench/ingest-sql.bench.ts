// npx tsx test/bench/ingest-sql.bench.ts [--batch 250] [--rounds 20]
// Where a batch's Postgres time goes: the ingest statement of one batch of 18-byte vehicle
// telemetry frames, timed whole and with one part left out at a time (events, usage,
// last-seen), in interleaved rounds so machine noise hits every variant alike. Each variant
// runs in a transaction that is rolled back, so the table does not grow between variants.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { uplinkUsageUpsert } from '../../billing/index.js';
import {
  insertMessagesCtes,
  packLastSeen,
  packMessages,
  STORED_MESSAGES,
  touchDevicesSql,
  UPLINK_EVENTS,
  UPLINK_EVENTS_ORDER,
} from '../../devices/index.js';
import { decodeUplink, encodeUplink } from '../../gateway/codecs/index.js';
import { applyMigrations } from '../../prisma/tools/engine.js';
import { outboxInsertCte } from '../../src/events/index.js';
import { createDb } from '../../src/platform/database.js';
import { MIGRATIONS_DIR } from '../../src/platform/infrastructure.js';
import { seedTerminals } from '../helpers/seed-terminals.js';
import { createTestDatabase } from '../helpers/system.js';

const { values } = parseArgs({ options: { batch: { type: 'string', default: '250' }, rounds: { type: 'string', default: '20' } } });
const batchN = Number(values.batch);
const rounds = Number(values.rounds);
const database = await createTestDatabase();
const db = createDb(database.url, 2);
const client = new pg.Client({ connectionString: database.url });
try {
  await applyMigrations({ connectionString: database.url, migrationsDir: MIGRATIONS_DIR });
  await seedTerminals(db, 100, 'NXE-SQL', 'VEHICLE');
  await client.connect();
  const devices = (
    await client.query<{ id: string; contractId: string; serial: string }>('SELECT id, "contractId", serial FROM "Device" ORDER BY serial')
  ).rows;
  let seq = 0;
  const batch = () => {
    seq++;
    const now = new Date();
    return Array.from({ length: batchN }, (_, i) => {
      const d = devices[i % devices.length]!;
      const payload = encodeUplink(
        {
          type: 'vehicle-telemetry',
          latitude: 31.2,
          longitude: 121.4,
          speedKmh: 40,
          heading: 90,
          ignition: true,
          moving: true,
          doorOpen: false,
          immobilized: false,
        },
        now,
      );
      const r = decodeUplink(payload, 'telemetry', 'VEHICLE');
      return {
        cred: {
          deviceId: d.id,
          contractId: d.contractId,
          serial: d.serial,
          label: null,
          modelCode: 'NXE-SQL-M',
          category: 'VEHICLE' as const,
          customerId: null,
        },
        topic: `nx/${d.serial}/up/telemetry`,
        kind: 'telemetry',
        qos: 1,
        payload,
        units: 1,
        decoded: r.ok ? (r.frame as unknown as Record<string, unknown>) : null,
        decodeError: null,
        deviceTime: r.ok ? r.deviceTime : null,
        receivedAt: now,
        seq: seq * 1000 + Math.floor(i / devices.length),
        packetId: (i % 65535) + 1,
      };
    });
  };
  const lit = (s: string) => `$nx$${s}$nx$`;
  const variants: Record<string, (m: string, d: string, last: string) => string> = {
    full: (m, d, last) =>
      `WITH ${insertMessagesCtes(`${lit(m)}::json`, `${lit(d)}::json`)}, ${outboxInsertCte('ev', UPLINK_EVENTS, UPLINK_EVENTS_ORDER)},
       usage AS (${uplinkUsageUpsert(STORED_MESSAGES, "'Asia/Shanghai'")}) SELECT 1;
       ${touchDevicesSql(`${lit(last)}::json`)}`,
    'no events': (m, d, last) =>
      `WITH ${insertMessagesCtes(`${lit(m)}::json`, `${lit(d)}::json`)},
       usage AS (${uplinkUsageUpsert(STORED_MESSAGES, "'Asia/Shanghai'")}) SELECT 1;
       ${touchDevicesSql(`${lit(last)}::json`)}`,
    'no usage': (m, d, last) =>
      `WITH ${insertMessagesCtes(`${lit(m)}::json`, `${lit(d)}::json`)}, ${outboxInsertCte('ev', UPLINK_EVENTS, UPLINK_EVENTS_ORDER)} SELECT 1;
       ${touchDevicesSql(`${lit(last)}::json`)}`,
    'no last-seen': (m, d) =>
      `WITH ${insertMessagesCtes(`${lit(m)}::json`, `${lit(d)}::json`)}, ${outboxInsertCte('ev', UPLINK_EVENTS, UPLINK_EVENTS_ORDER)},
       usage AS (${uplinkUsageUpsert(STORED_MESSAGES, "'Asia/Shanghai'")}) SELECT 1`,
    'messages only': (m, d) => `WITH ${insertMessagesCtes(`${lit(m)}::json`, `${lit(d)}::json`)} SELECT 1`,
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const cpu: Record<string, number> = Object.fromEntries(Object.keys(variants).map((k) => [k, 0]));
  const backendCpu = async () => {
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const { readFile } = await import('node:fs/promises');
    const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  };
  for (let r = 0; r < rounds; r++) {
    for (const [name, sql] of Object.entries(variants)) {
      const rows = batch();
      const { messages, devices: devs } = packMessages(rows);
      const last = packLastSeen(new Map(rows.map((p) => [p.cred.deviceId, p.receivedAt])))!;
      const text = sql(messages, devs, last);
      const c0 = await backendCpu();
      const t0 = performance.now();
      await client.query(`BEGIN; ${text}; ROLLBACK`);
      times[name]!.push(performance.now() - t0);
      cpu[name]! += (await backendCpu()) - c0;
    }
  }
  const median = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  process.stdout.write(
    `batch of ${batchN} uplinks, ${rounds} rounds, rolled back (no commit wait): median wall ms, backend CPU us per uplink\n`,
  );
  for (const name of Object.keys(variants)) {
    process.stdout.write(
      `${name.padEnd(14)} ${median(times[name]!).toFixed(1).padStart(7)} ms  ${((cpu[name]! * 1000) / (rounds * batchN)).toFixed(0).padStart(5)} us/uplink\n`,
    );
  }
} finally {
  await client.end();
  await db.$disconnect();
  await database.drop();
}
