// Usage alerts: a contract whose units this month reach 80% and then 100% of its monthly
// allowance gets a `contract.usage_threshold` event (webhooks; billing's customer mail turns it
// into an e-mail to the billing contact), once per threshold and period.
//
// Evaluated by a periodic worker job from the usage counters, not on ingest: the uplink path is
// one SQL statement per batch of up to 500 messages, and a per-contract sum in it (or a handler
// per `device.uplink` event) would cost every message for an answer needed a few times a month.
// One grouped statement every USAGE_ALERT_EVERY_SEC over the month's counters (index
// contractId, day) costs the same however many terminals report, and sees the pooled total, so
// terminals passing a threshold together raise one alert. UsageAlert's primary key (contract,
// period, threshold) is the once-only guard: the insert and its events commit together, so
// overlapping runs and retries alert once.
//
// The allowance: the contract's plan (as agreed now) x its terminals in service (ACTIVE) now,
// the whole month's pool. Rating prorates the pool by terminal-days at month end; an alert
// about the month in progress uses the whole month, so a terminal activated on the 20th does
// not make the contract look over its allowance earlier than the invoice will.
import type { Db } from '../src/platform/database.js';
import type { EventEmitter } from './invoice-issuer.js';
import { periodBounds, periodOf } from './period.js';

export const USAGE_THRESHOLDS = [80, 100] as const;
export const USAGE_ALERT_JOB = 'billing.usage-alerts';

interface Crossed {
  contractId: string;
  contractNumber: string;
  customerId: string;
  period: string;
  threshold: number;
  usedUnits: bigint;
  allowanceUnits: bigint;
}

export function createUsageAlerts(d: { db: Db; events: EventEmitter; timeZone: string }) {
  return {
    /** One pass over the period of `now`; returns the alerts raised (each once per contract, period and threshold). */
    async check(now = new Date()): Promise<Crossed[]> {
      const period = periodOf(now, d.timeZone);
      const b = periodBounds(period, d.timeZone);
      const thresholds = `{${USAGE_THRESHOLDS.join(',')}}`;
      return d.db.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<Crossed[]>`
          WITH used AS (
            SELECT "contractId", sum("upUnits")::bigint AS units
            FROM "UsageCounter" WHERE "day" >= ${b.firstDay}::date AND "day" < ${b.endDay}::date
            GROUP BY "contractId"
          ), pool AS (
            SELECT c."id", c."number", c."customerId", u.units, tp."includedMessages"::bigint * count(dv."id") AS allowance
            FROM used u
            JOIN "Contract" c ON c."id" = u."contractId"
            JOIN "TariffPlan" tp ON tp."id" = c."tariffPlanId"
            JOIN "Device" dv ON dv."contractId" = c."id" AND dv."status" = 'ACTIVE'
            WHERE tp."includedMessages" > 0
            GROUP BY c."id", c."number", c."customerId", u.units, tp."includedMessages"
          ), crossed AS (
            SELECT p.*, t.threshold FROM pool p CROSS JOIN unnest(${thresholds}::int[]) AS t(threshold)
            WHERE p.units * 100 >= p.allowance * t.threshold
          ), inserted AS (
            INSERT INTO "UsageAlert" ("contractId", "period", "threshold", "usedUnits", "allowanceUnits")
            SELECT "id", ${period}, threshold, units, allowance FROM crossed
            ON CONFLICT DO NOTHING
            RETURNING "contractId", "threshold"
          )
          SELECT x."id"::text AS "contractId", x."number" AS "contractNumber", x."customerId"::text AS "customerId",
                 ${period} AS period, x.threshold, x.units AS "usedUnits", x.allowance AS "allowanceUnits"
          FROM crossed x JOIN inserted i ON i."contractId" = x."id" AND i."threshold" = x.threshold
          ORDER BY x."number", x.threshold`;
        await d.events.emit(
          tx,
          rows.map((r) => ({
            type: 'contract.usage_threshold',
            customerId: r.customerId,
            deviceId: null,
            payload: {
              contractId: r.contractId,
              contractNumber: r.contractNumber,
              period: r.period,
              threshold: r.threshold,
              usedUnits: r.usedUnits,
              allowanceUnits: r.allowanceUnits,
            },
          })),
        );
        return rows;
      });
    },
  };
}

export type UsageAlerts = ReturnType<typeof createUsageAlerts>;
