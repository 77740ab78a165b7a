// SQL of the service history and one-off charges that rides in the statement loading a batch of
// contracts (usage.ts), so a batch still costs one round trip however many contracts it has.
import { type Db, Prisma } from '../src/platform/database.js';
import type { PeriodBounds } from './period.js';

type DbLike = Db | Prisma.TransactionClient;

export interface ChargeRow {
  id: string;
  description: string;
  quantity: bigint;
  unitPriceMinor: bigint;
}

// Prisma stores UTC in timestamp columns without zone: say so explicitly.
const iso = (col: string) => Prisma.raw(`to_char(${col}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/**
 * Columns `devices` (every terminal the contract ever had) and `history` (its service events,
 * in order; up to `until` when given) for a query over "Contract" c.
 */
export function historyColumns(until: Date | null) {
  return Prisma.sql`
    COALESCE((SELECT json_agg(json_build_object('id', d."id", 'serial', d."serial", 'status', d."status",
                'replacement', d."replacesId" IS NOT NULL, 'activatedAt', ${iso('d."activatedAt"')}))
              FROM "Device" d WHERE d."contractId" = c."id" AND d."status" <> 'IN_STOCK'), '[]'::json) AS devices,
    COALESCE((SELECT json_agg(json_build_object('kind', e."kind", 'deviceId', e."deviceId", 'tariffPlanId', e."tariffPlanId",
                'previousTariffPlanId', e."previousTariffPlanId", 'at', ${iso('e."at"')}) ORDER BY e."at", e."recordedAt", e."id")
              FROM "ServiceEvent" e WHERE e."contractId" = c."id"
                ${until ? Prisma.sql`AND e."at" < ${until.toISOString()}::timestamptz AT TIME ZONE 'UTC'` : Prisma.empty}), '[]'::json) AS history`;
}

/**
 * CTE `marked_charges`: the contracts' one-off charges owed before the period end and not yet
 * invoiced, marked for this period's invoice, as a JSON array per contract. Like usage, a
 * contract already invoiced for the period is left unmarked (its charges go on the next one).
 */
export function markedChargesCte(contractIds: string[], b: PeriodBounds) {
  return Prisma.sql`mch AS (
      UPDATE "OneOffCharge" o SET "billedPeriod" = ${b.period}
      WHERE o."contractId" = ANY(${contractIds}::uuid[]) AND o."billedPeriod" IS NULL
        AND o."at" < ${b.end.toISOString()}::timestamptz AT TIME ZONE 'UTC'
        AND o."contractId" NOT IN (SELECT x."contractId" FROM "Invoice" x WHERE x."contractId" = ANY(${contractIds}::uuid[]) AND x."period" = ${b.period})
      RETURNING o."id", o."contractId", o."description", o."quantity", o."unitPriceMinor", o."at"
    ), marked_charges AS (
      SELECT mch."contractId", json_agg(json_build_object('id', mch."id", 'description', mch."description", 'quantity', mch."quantity",
               'unitPriceMinor', mch."unitPriceMinor"::text) ORDER BY mch."at", mch."id") AS charges
      FROM mch GROUP BY 1
    )`;
}

/** The charges the contract's invoice for the period would carry, read only (the preview). */
export async function unbilledCharges(db: DbLike, contractId: string, b: PeriodBounds): Promise<ChargeRow[]> {
  const rows = await db.oneOffCharge.findMany({
    where: { contractId, billedPeriod: null, at: { lt: b.end } },
    orderBy: [{ at: 'asc' }, { id: 'asc' }],
    select: { id: true, description: true, quantity: true, unitPriceMinor: true },
  });
  return rows.map((r) => ({ ...r, quantity: BigInt(r.quantity) }));
}
