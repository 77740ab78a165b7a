// The message store's upkeep, run by the worker's scheduled job: monthly partitions of Message
// created ahead, and retention. Whole partitions past the longest retention in force are
// detached (CONCURRENTLY, so ingest never waits on the parent's lock), optionally archived to
// a gzip NDJSON file, and dropped; rows of tariff plans that keep messages for less than that
// are deleted inside the partitions that remain (per-plan retention is finer than a partition).
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import pg from 'pg';
import QueryStream from 'pg-query-stream';
import type { Db } from '../src/platform/database.js';
import type { Logger } from '../src/platform/logger.js';

/** The worker's scheduled job running `upkeep`. */
export const MESSAGE_STORE_JOB = 'devices.message-store';

/** Months of partitions kept ready ahead of the current one. */
export const PARTITIONS_AHEAD = 3;
const NAME = /^Message_p(\d{4})(\d{2})$/;
const DELETE_CHUNK = 10_000;

export interface MessageStoreSettings {
  databaseUrl: string;
  /** Months messages are kept when the terminal's tariff plan says nothing. */
  defaultRetentionMonths: number;
  /** Where a partition is written (gzip NDJSON) before it is dropped; none: dropped unarchived. */
  archiveDir?: string;
  log: Logger;
}

export interface UpkeepReport {
  created: string[];
  archived: string[];
  dropped: string[];
  deletedRows: number;
}

/** First day (UTC) of the month `delta` months after the one holding `at`. */
export function monthStart(at: Date, delta = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + delta, 1));
}

const ymd = (d: Date) => d.toISOString().slice(0, 10);

export function createMessageStore(db: Db, s: MessageStoreSettings) {
  /** Creates the partitions of the current month and PARTITIONS_AHEAD more, when missing. */
  async function createAhead(now: Date): Promise<string[]> {
    const before = new Set(await partitions());
    const names: string[] = [];
    for (let i = 0; i <= PARTITIONS_AHEAD; i++) {
      const r = await db.$queryRawUnsafe<{ name: string }[]>('SELECT nx_message_partition($1::date) AS name', ymd(monthStart(now, i)));
      names.push(r[0]!.name);
    }
    return names.filter((n) => !before.has(n));
  }

  /** Attached partitions of Message, oldest first. */
  async function partitions(): Promise<string[]> {
    const rows = await db.$queryRawUnsafe<{ name: string }[]>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = '"Message"'::regclass ORDER BY 1`,
    );
    return rows.map((r) => r.name);
  }

  /** Tables named like a partition but detached: an earlier run stopped between detach and drop. */
  async function detached(): Promise<string[]> {
    const rows = await db.$queryRawUnsafe<{ name: string }[]>(
      `SELECT relname AS name FROM pg_class WHERE relkind = 'r' AND NOT relispartition
         AND relname ~ '^Message_p[0-9]{6}$' AND relnamespace = current_schema()::regnamespace ORDER BY 1`,
    );
    return rows.map((r) => r.name);
  }

  /** The longest retention in force: partitions older than this hold nothing anyone keeps. */
  async function longestMonths(): Promise<number> {
    const r = await db.$queryRawUnsafe<{ m: number | null }[]>('SELECT max("messageRetentionMonths") AS m FROM "TariffPlan"');
    return Math.max(s.defaultRetentionMonths, r[0]?.m ?? 0);
  }

  /** Writes a detached partition to `<archiveDir>/<name>.ndjson.gz` (via a temporary file, synced before the rename). */
  async function archive(name: string): Promise<void> {
    if (!s.archiveDir) return;
    await mkdir(s.archiveDir, { recursive: true });
    const file = join(s.archiveDir, `${name}.ndjson.gz`);
    const partial = `${file}.partial`;
    const client = new pg.Client({ connectionString: s.databaseUrl });
    await client.connect();
    try {
      const rows = client.query(
        new QueryStream(
          `SELECT id::text, "deviceId", "contractId", direction, topic, kind, qos, encode(payload, 'hex') AS "payloadHex", bytes, units,
                  decoded, "decodeError", "deviceTime", "receivedAt", seq::text, "packetId"
           FROM "${name}" ORDER BY "receivedAt", id`,
          [],
          { batchSize: 2_000 },
        ),
      );
      const out = createWriteStream(partial);
      await pipeline(
        rows,
        async function* (source: AsyncIterable<Record<string, unknown>>) {
          for await (const row of source) yield `${JSON.stringify(row)}\n`;
        },
        createGzip(),
        out,
      );
      const fh = await open(partial, 'r');
      await fh.sync();
      await fh.close();
      await rename(partial, file);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    } finally {
      await client.end();
    }
  }

  /** Deletes, in chunks, rows older than their tariff plan's retention when that is shorter than `longest`. */
  async function deleteShorterRetention(now: Date, longest: number): Promise<number> {
    const plans = await db.$queryRawUnsafe<{ months: number }[]>(
      `SELECT DISTINCT COALESCE("messageRetentionMonths", $1::int) AS months FROM "TariffPlan"
       UNION SELECT $1::int ORDER BY 1`,
      s.defaultRetentionMonths,
    );
    let deleted = 0;
    for (const { months } of plans) {
      if (months >= longest) continue;
      // Rows whose terminal's contract is on a plan keeping `months` (or, with no contract or no
      // plan retention, the default), received before the start of the month that many months back.
      const cutoff = ymd(monthStart(now, -months));
      const sql = `DELETE FROM "Message" WHERE (id, "receivedAt") IN (
          SELECT m.id, m."receivedAt" FROM "Message" m
          LEFT JOIN "Contract" c ON c.id = m."contractId"
          LEFT JOIN "TariffPlan" p ON p.id = c."tariffPlanId"
          WHERE m."receivedAt" < $1::timestamp AND COALESCE(p."messageRetentionMonths", $2::int) = $3::int
          LIMIT ${DELETE_CHUNK})`;
      for (;;) {
        const n = await db.$executeRawUnsafe(sql, cutoff, s.defaultRetentionMonths, months);
        deleted += n;
        if (n < DELETE_CHUNK) break;
      }
    }
    return deleted;
  }

  return {
    createAhead,
    partitions,

    /** One run of the upkeep job: partitions ahead, then retention. */
    async upkeep(now = new Date()): Promise<UpkeepReport> {
      const created = await createAhead(now);
      const longest = await longestMonths();
      // A partition whose month ends before this is past every retention in force.
      const cutoff = monthStart(now, -longest);
      const report: UpkeepReport = { created, archived: [], dropped: [], deletedRows: 0 };
      for (const name of await partitions()) {
        const m = NAME.exec(name);
        if (!m) continue;
        const end = new Date(Date.UTC(Number(m[1]), Number(m[2]), 1));
        if (end > cutoff) continue;
        await db.$executeRawUnsafe(`ALTER TABLE "Message" DETACH PARTITION "${name}" CONCURRENTLY`);
      }
      for (const name of await detached()) {
        await archive(name);
        if (s.archiveDir) report.archived.push(name);
        await db.$executeRawUnsafe(`DROP TABLE "${name}"`);
        report.dropped.push(name);
        s.log.info({ partition: name, archived: Boolean(s.archiveDir) }, 'message partition past retention dropped');
      }
      report.deletedRows = await deleteShorterRetention(now, longest);
      return report;
    },
  };
}

export type MessageStore = ReturnType<typeof createMessageStore>;
