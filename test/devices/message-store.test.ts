// The partitioned message store: monthly partitions created ahead, retention by whole partition
// (archived to gzip NDJSON first when asked) and by tariff plan inside the partitions kept,
// and the retransmission check finding an original stored in the previous month's partition.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageStore, monthStart, PARTITIONS_AHEAD, SAME_MESSAGE_SQL } from '../../devices/index.js';
import { applyMigrations } from '../../prisma/tools/engine.js';
import { createDb, type Db } from '../../src/platform/database.js';
import { MIGRATIONS_DIR } from '../../src/platform/infrastructure.js';
import { createLogger } from '../../src/platform/logger.js';
import { seedTerminals } from '../helpers/seed-terminals.js';
import { createTestDatabase } from '../helpers/system.js';

let database: { url: string; drop(): Promise<void> };
let db: Db;
let client: pg.Client;
let archiveDir: string;
const now = new Date();
const partitionOf = (d: Date) => `Message_p${d.toISOString().slice(0, 7).replace('-', '')}`;

beforeAll(async () => {
  database = await createTestDatabase();
  await applyMigrations({ connectionString: database.url, migrationsDir: MIGRATIONS_DIR });
  db = createDb(database.url, 2);
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  archiveDir = await mkdtemp(join(tmpdir(), 'nx-archive-'));
});
afterAll(async () => {
  await client?.end();
  await db?.$disconnect();
  await database?.drop();
  if (archiveDir) await rm(archiveDir, { recursive: true, force: true });
});

async function deviceOf(serial: string): Promise<string> {
  return (await client.query<{ id: string }>('SELECT id FROM "Device" WHERE serial = $1', [serial])).rows[0]!.id;
}

async function store(deviceId: string, at: Date, seq: number, packetId: number | null = null, payload = Buffer.from([1, 2, 3])) {
  await client.query(
    `INSERT INTO "Message" ("deviceId","contractId","topic","kind","qos","payload","bytes","receivedAt","seq","packetId")
     SELECT id, "contractId", 'nx/' || serial || '/up/event', 'event', 1, $2, 3, $3::timestamp, $4, $5 FROM "Device" WHERE id = $1`,
    [deviceId, payload, at.toISOString(), seq, packetId],
  );
}

const rowsOf = async (deviceId: string) =>
  (
    await client.query<{ receivedAt: Date }>('SELECT "receivedAt" FROM "Message" WHERE "deviceId" = $1 ORDER BY "receivedAt"', [deviceId])
  ).rows.map((r) => partitionOf(r.receivedAt));

describe('message store upkeep', () => {
  it('creates partitions ahead, archives and drops partitions past retention, and deletes rows of shorter-retention plans', async () => {
    const [short] = await seedTerminals(db, 1, 'NXE-SHORT');
    const [long] = await seedTerminals(db, 1, 'NXE-LONG');
    await client.query(`UPDATE "TariffPlan" SET "messageRetentionMonths" = 2 WHERE code = 'NXE-SHORT'`);
    const a = await deviceOf(short!.serial);
    const b = await deviceOf(long!.serial);
    const day = (months: number) => new Date(monthStart(now, months).getTime() + 86_400_000);
    // 14 months back is older than every retention in force (13 by default): its partition goes.
    await client.query('SELECT nx_message_partition($1::date)', [monthStart(now, -14).toISOString().slice(0, 10)]);
    for (const [i, d] of [a, b].entries()) {
      await store(d, day(-14), 1 + i);
      await store(d, day(-5), 10 + i);
      await store(d, day(-1), 20 + i);
    }

    const store1 = createMessageStore(db, {
      databaseUrl: database.url,
      defaultRetentionMonths: 13,
      archiveDir,
      log: createLogger('warn', { test: true }),
    });
    const report = await store1.upkeep(now);
    expect(report.dropped).toEqual([partitionOf(day(-14))]);
    expect(report.archived).toEqual([partitionOf(day(-14))]);
    expect(report.deletedRows).toBe(1);
    // The terminal on the 2-month plan keeps last month only; the other keeps 13 months.
    expect(await rowsOf(a)).toEqual([partitionOf(day(-1))]);
    expect(await rowsOf(b)).toEqual([partitionOf(day(-5)), partitionOf(day(-1))]);
    const partitions = await store1.partitions();
    expect(partitions).toContain(partitionOf(monthStart(now, PARTITIONS_AHEAD)));
    expect(partitions).not.toContain(partitionOf(day(-14)));

    // The archive holds the dropped partition's rows, one JSON object per line.
    expect(await readdir(archiveDir)).toEqual([`${partitionOf(day(-14))}.ndjson.gz`]);
    const lines = gunzipSync(await readFile(join(archiveDir, `${partitionOf(day(-14))}.ndjson.gz`)))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { deviceId: string; payloadHex: string; seq: string });
    expect(lines.map((l) => [l.deviceId, l.payloadHex, l.seq])).toEqual([
      [a, '010203', '1'],
      [b, '010203', '2'],
    ]);

    // A second run finds nothing to do.
    expect(await store1.upkeep(now)).toEqual({ created: [], archived: [], dropped: [], deletedRows: 0 });
  });

  it('finds a retransmitted packet whose original is stored in the previous month partition', async () => {
    const [t] = await seedTerminals(db, 1, 'NXE-DUP');
    const id = await deviceOf(t!.serial);
    const boundary = monthStart(now);
    const original = Buffer.from([7, 7, 7]);
    // The original just before the month turned, then newer rows of the same terminal after it.
    await store(id, new Date(boundary.getTime() - 60_000), 1, 42, original);
    await store(id, new Date(boundary.getTime() + 60_000), 2, 43);
    await store(id, new Date(boundary.getTime() + 120_000), 3, 44);
    const at = new Date(boundary.getTime() + 3_600_000).toISOString();
    const topic = `nx/${t!.serial}/up/event`;
    const same = await client.query(SAME_MESSAGE_SQL, [id, 42, topic, original, at]);
    expect(same.rows).toEqual([{ seq: '1', same: true }]);
    // Same packet id, other bytes: a reused packet id, not a retransmission.
    const other = await client.query(SAME_MESSAGE_SQL, [id, 42, topic, Buffer.from([9]), at]);
    expect(other.rows).toEqual([{ seq: '1', same: false }]);
    expect((await client.query(SAME_MESSAGE_SQL, [id, 99, topic, original, at])).rows).toEqual([]);
  });
});
