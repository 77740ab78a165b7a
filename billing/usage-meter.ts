// The writes of usage counters (per device, contract and operator day): the uplink counts the
// gateway's ingest adds in its batch transaction, and the downlink count of a delivered command.
// Billing owns the table; the hot paths compose these fragments into their own transactions.
// Depends on nothing else in billing, so the devices module can be handed `meterDownlink`.
//
// UsageCounter has fillfactor 80 (migration usage_counter_fillfactor): these increments touch
// only the usage columns and updatedAt, none of them indexed, so they are HOT updates on the
// page they read. Ingest never writes the billed columns, which billing runs' marking relies on
// (see markedCte in usage.ts).
import type { Prisma } from '../src/platform/database.js';

/**
 * The uplink usage upsert as SQL text: one counter row per device, contract and operator day of
 * the rows of `source`, a relation with columns "deviceId", "contractId" (rows without one are
 * not metered), "receivedAt" (UTC timestamp), bytes and units. `timeZone` is a SQL expression
 * naming the operator's time zone. Rows are inserted in key order, so concurrent batches and
 * gateways lock shared counters in one order and cannot deadlock. Usable alone or as the body
 * of a CTE over the batch's inserted messages.
 */
export function uplinkUsageUpsert(source: string, timeZone: string): string {
  return `INSERT INTO "UsageCounter" ("deviceId","contractId","day","upMessages","upBytes","upUnits","updatedAt")
           SELECT "deviceId", "contractId", (("receivedAt" AT TIME ZONE 'UTC') AT TIME ZONE ${timeZone})::date AS day,
                  count(*)::int, sum(bytes)::bigint, sum(units)::int, now()
           FROM ${source} WHERE "contractId" IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
           ON CONFLICT ("deviceId","contractId","day") DO UPDATE SET
             "upMessages" = "UsageCounter"."upMessages" + EXCLUDED."upMessages",
             "upBytes" = "UsageCounter"."upBytes" + EXCLUDED."upBytes",
             "upUnits" = "UsageCounter"."upUnits" + EXCLUDED."upUnits",
             "updatedAt" = now()`;
}

export interface UplinkUsage {
  deviceId: string;
  contractId: string | null;
  receivedAt: Date;
  bytes: number;
  units: number;
}

/** The uplink usage upsert as a statement of its own with its parameters; null when nothing is metered. */
export function uplinkUsageStatement(rows: UplinkUsage[], timeZone: string): { text: string; values: string[] } | null {
  const metered = rows.filter((r) => r.contractId);
  if (metered.length === 0) return null;
  const json = JSON.stringify(
    metered.map((r) => ({ d: r.deviceId, c: r.contractId, r: r.receivedAt.toISOString(), b: r.bytes, u: r.units })),
  );
  const source = `(SELECT d AS "deviceId", c AS "contractId", r AS "receivedAt", b AS bytes, u AS units
             FROM json_to_recordset($1::json) AS x(d uuid, c uuid, r timestamp(3), b int, u int)) AS rows`;
  return { text: uplinkUsageUpsert(source, '$2'), values: [json, timeZone] };
}

export interface DownlinkUsage {
  deviceId: string;
  contractId: string;
  /** The operator day (UTC midnight of that calendar date). */
  day: Date;
  bytes: number;
}

/** Counts one delivered downlink command in the caller's transaction. */
export async function meterDownlink(tx: Prisma.TransactionClient, u: DownlinkUsage): Promise<void> {
  const bytes = BigInt(u.bytes);
  await tx.usageCounter.upsert({
    where: { deviceId_contractId_day: { deviceId: u.deviceId, contractId: u.contractId, day: u.day } },
    create: { deviceId: u.deviceId, contractId: u.contractId, day: u.day, downMessages: 1, downBytes: bytes },
    update: { downMessages: { increment: 1 }, downBytes: { increment: bytes } },
  });
}

export type MeterDownlink = typeof meterDownlink;
