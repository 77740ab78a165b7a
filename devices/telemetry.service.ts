// Chart data of one decoded numeric field of a terminal: min/max/avg/last per minute, hour or
// day, computed in PostgreSQL over the range (never the rows shipped to Node).

import { NUMERIC_FIELDS } from '../gateway/codecs/index.js';
import type { Ctx } from '../src/auth/index.js';
import { type Db, Prisma } from '../src/platform/database.js';
import { invalid } from '../src/platform/errors.js';
import type { DeviceService } from './device.service.js';
import { closedRange } from './message-range.js';
import { TELEMETRY_BUCKETS, type TelemetryQuery } from './messages.schemas.js';

export interface TelemetryBucketRow {
  /** Start of the bucket (days and hours start at the operator's local boundary). */
  at: string;
  count: number;
  min: number;
  max: number;
  avg: number;
  /** The value of the bucket's latest message. */
  last: number;
}

/** Buckets never shipped in one answer; with the span limits per bucket this is never reached by a valid range. */
const MAX_BUCKETS = 10_080;

export function createTelemetryService({ db, devices, timeZone }: { db: Db; devices: DeviceService; timeZone: string }) {
  return {
    async buckets(ctx: Ctx, serial: string, q: Partial<TelemetryQuery> & Pick<TelemetryQuery, 'field'>) {
      const device = await devices.visible(ctx, serial);
      const fields = NUMERIC_FIELDS[device.deviceModel.category];
      if (!fields.includes(q.field))
        throw invalid('Unknown field', [
          { path: 'field', message: `Not a numeric field of ${device.deviceModel.code}; one of ${fields.join(', ')}` },
        ]);
      const bucket = q.bucket ?? '1h';
      const spec = TELEMETRY_BUCKETS[bucket];
      const range = closedRange(q, spec);
      if ((range.to.getTime() - range.from.getTime()) / spec.ms > MAX_BUCKETS)
        throw invalid('Range too long', [{ path: 'to', message: `At most ${MAX_BUCKETS} buckets of ${bucket}` }]);
      // receivedAt is UTC without a zone: AT TIME ZONE 'UTC' makes it an instant, and date_trunc
      // with the operator's zone cuts at local midnights (and local hours in half-hour zones).
      const rows = await db.$queryRaw<{ at: Date; count: number; min: number; max: number; avg: number; last: number }[]>(Prisma.sql`
        SELECT date_trunc(${spec.unit}::text, "receivedAt" AT TIME ZONE 'UTC', ${timeZone}::text) AS at,
               count(*)::int AS count, min(v) AS min, max(v) AS max, avg(v) AS avg,
               (array_agg(v ORDER BY "receivedAt" DESC, id DESC))[1] AS last
        FROM (
          SELECT "receivedAt", id, (decoded ->> ${q.field}::text)::float8 AS v
          FROM "Message"
          WHERE "deviceId" = ${device.id}::uuid
            AND "receivedAt" >= ${range.from.toISOString()}::timestamp(3) AND "receivedAt" < ${range.to.toISOString()}::timestamp(3)
            AND jsonb_typeof(decoded -> ${q.field}::text) = 'number'
        ) pts
        GROUP BY 1 ORDER BY 1`);
      return {
        serial,
        field: q.field,
        bucket,
        timeZone,
        from: range.from.toISOString(),
        to: range.to.toISOString(),
        items: rows.map(
          (r): TelemetryBucketRow => ({
            at: r.at.toISOString(),
            count: r.count,
            min: Number(r.min),
            max: Number(r.max),
            avg: Number(r.avg),
            last: Number(r.last),
          }),
        ),
      };
    },
  };
}

export type TelemetryService = ReturnType<typeof createTelemetryService>;
