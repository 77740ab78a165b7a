// A terminal's messages over a range as CSV or NDJSON, streamed from a server-side cursor: rows
// are fetched as the client reads, so memory stays at a few hundred rows whatever the range, and
// a client that stops reading stops the fetching (backpressure) instead of filling the heap.

import { pipeline, type Readable, Transform } from 'node:stream';
import pg from 'pg';
import QueryStream from 'pg-query-stream';
import type { Ctx } from '../src/auth/index.js';
import { csvStream } from '../src/platform/csv.js';
import type { Logger } from '../src/platform/logger.js';
import type { DeviceService } from './device.service.js';
import { closedRange } from './message-range.js';
import { DEFAULT_EXPORT_SPAN_MS, MAX_EXPORT_SPAN_MS, type MessageExportQuery } from './messages.schemas.js';

/** Rows per cursor fetch: one round trip per this many rows, and about what is held at once. */
const FETCH_ROWS = 500;

export const EXPORT_COLUMNS = [
  'receivedAt',
  'serial',
  'seq',
  'kind',
  'topic',
  'qos',
  'bytes',
  'units',
  'deviceTime',
  'decodeError',
  'payloadHex',
  'decoded',
] as const;

// Timestamps leave PostgreSQL as ISO text: pg would read a zone-less timestamp in the process's zone.
// The leading comment names the query in pg_stat_activity.
const EXPORT_SQL = `/* message-export */
  SELECT to_char("receivedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "receivedAt", seq::text AS seq, kind, topic, qos, bytes, units,
         to_char("deviceTime", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "deviceTime", "decodeError",
         encode(payload, 'hex') AS "payloadHex", decoded::text AS decoded
  FROM "Message"
  WHERE "deviceId" = $1::uuid AND "receivedAt" >= $2::timestamp(3) AND "receivedAt" < $3::timestamp(3)
    AND ($4::text IS NULL OR kind = $4::text)
  ORDER BY "receivedAt", id`;

interface ExportRow {
  receivedAt: string;
  seq: string;
  kind: string;
  topic: string;
  qos: number;
  bytes: number;
  units: number;
  deviceTime: string | null;
  decodeError: string | null;
  payloadHex: string;
  decoded: string | null;
}

function toRecords(serial: string, format: MessageExportQuery['format']): Transform {
  return new Transform({
    writableObjectMode: true,
    readableObjectMode: format === 'csv',
    transform(row: ExportRow, _enc, done) {
      const record = { ...row, serial, seq: Number(row.seq) };
      if (format === 'csv') return done(null, record);
      done(null, `${JSON.stringify({ ...record, decoded: row.decoded === null ? null : JSON.parse(row.decoded) })}\n`);
    },
  });
}

export function createMessageExport({ databaseUrl, devices, log }: { databaseUrl: string; devices: DeviceService; log: Logger }) {
  let pool: pg.Pool | null = null;
  function poolOf(): pg.Pool {
    if (pool) return pool;
    pool = new pg.Pool({ connectionString: databaseUrl, max: 4, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
    pool.on('error', (err) => log.debug({ err: err.message }, 'message export connection closed'));
    return pool;
  }

  return {
    /** Checks scope and range first (404/400 before any byte is sent), then opens the cursor. */
    async open(ctx: Ctx, serial: string, q: Partial<MessageExportQuery>) {
      const device = await devices.visible(ctx, serial);
      const range = closedRange(q, { defaultSpanMs: DEFAULT_EXPORT_SPAN_MS, maxSpanMs: MAX_EXPORT_SPAN_MS });
      const format = q.format ?? 'csv';
      const client = await poolOf().connect();
      let broken: Error | undefined;
      const onError = (err: Error) => {
        broken = err;
      };
      client.on('error', onError);
      const rows = client.query(
        new QueryStream(EXPORT_SQL, [device.id, range.from.toISOString(), range.to.toISOString(), q.kind ?? null], {
          batchSize: FETCH_ROWS,
          highWaterMark: FETCH_ROWS,
        }),
      );
      // A client gone mid-export leaves the cursor open on the connection: drop that connection.
      const done = (err: NodeJS.ErrnoException | null) => {
        client.removeListener('error', onError);
        client.release(broken ?? err ?? undefined);
        if (err && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') log.warn({ err: err.message, serial }, 'message export failed');
      };
      const records = toRecords(serial, format);
      const out: Readable =
        format === 'csv'
          ? pipeline(rows, records, csvStream({ header: true, columns: [...EXPORT_COLUMNS] }), done)
          : pipeline(rows, records, done);
      const stamp = (d: Date) =>
        d
          .toISOString()
          .replace(/[-:]/g, '')
          .replace(/\.\d+Z$/, 'Z');
      return {
        stream: out,
        contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        filename: `${serial}-${stamp(range.from)}-${stamp(range.to)}.${format}`,
      };
    },

    async close(): Promise<void> {
      const p = pool;
      pool = null;
      await p?.end();
    },
  };
}

export type MessageExport = ReturnType<typeof createMessageExport>;
