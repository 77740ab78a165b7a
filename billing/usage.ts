// Metering queries: what a contract used in a period, and what it used late in periods that were
// already invoiced. The issuing path locks and marks the counters it rates in the same
// statement, so every unit is invoiced exactly once even while ingest keeps counting.
import { Prisma, type Db } from '../src/platform/database.js';
import type { PeriodBounds } from './period.js';
import { localDate } from './period.js';
import { terminalDays, type LateUsage, type RatingInput, type TariffForRating, type TerminalForRating } from './rating.js';

export type DbLike = Db | Prisma.TransactionClient;

interface UsageRow {
  period: string;
  units: bigint;
  downs: bigint;
}

/** Rows of the contract's unbilled usage up to the period end: the period and invoiced periods before it. */
function unbilledWhere(contractId: string, b: PeriodBounds) {
  return Prisma.sql`u."contractId" = ${contractId}::uuid AND u."day" < ${ymd(b.endDay)}::date
      AND (u."upUnits" <> u."billedUpUnits" OR u."downMessages" <> u."billedDownMessages")
      AND (u."day" >= ${ymd(b.firstDay)}::date
           OR to_char(u."day", 'YYYY-MM') IN (SELECT i."period" FROM "Invoice" i WHERE i."contractId" = ${contractId}::uuid))`;
}

/**
 * A CTE `marked` that sets the billed columns of those rows to their usage and yields, per
 * period, the units and downlinks that were unbilled. One UPDATE joined to each row's own
 * pre-update version (o) returns the delta (u.new usage - o.old billed) without a separate
 * locking pass. Ingest only ever changes the usage columns, never the billed ones, so o's
 * billed values are the ones replaced; a concurrent billing of the same rows waits for the row
 * lock, then skips them (now equal). So every unit is invoiced exactly once.
 */
function markedCte(contractId: string, b: PeriodBounds) {
  return Prisma.sql`m AS (
      UPDATE "UsageCounter" u SET "billedUpUnits" = u."upUnits", "billedDownMessages" = u."downMessages"
      FROM "UsageCounter" o
      WHERE o."deviceId" = u."deviceId" AND o."contractId" = u."contractId" AND o."day" = u."day"
        -- Also bounds o, so the planner never considers scanning the whole table for it.
        AND o."contractId" = ${contractId}::uuid AND o."day" < ${ymd(b.endDay)}::date AND ${unbilledWhere(contractId, b)}
      RETURNING u."day", u."upUnits" - o."billedUpUnits" AS units, u."downMessages" - o."billedDownMessages" AS downs
    ), marked AS (
      SELECT to_char(m."day", 'YYYY-MM') AS period, SUM(m.units)::text AS units, SUM(m.downs)::text AS downs FROM m GROUP BY 1
    )`;
}

/** Unbilled usage grouped by period, read only (the invoice preview). */
export async function unbilledUsage(db: DbLike, contractId: string, b: PeriodBounds): Promise<UsageRow[]> {
  const rows = await db.$queryRaw<{ period: string; units: string; downs: string }[]>`
    SELECT to_char(u."day", 'YYYY-MM') AS period, SUM(u."upUnits" - u."billedUpUnits")::text AS units,
           SUM(u."downMessages" - u."billedDownMessages")::text AS downs
    FROM "UsageCounter" u WHERE ${unbilledWhere(contractId, b)} GROUP BY 1`;
  return rows.map(usageRow);
}

const usageRow = (r: { period: string; units: string; downs: string }): UsageRow => ({ period: r.period, units: BigInt(r.units), downs: BigInt(r.downs) });

function ymd(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export interface ContractForRating {
  id: string;
  number: string;
  customerId: string;
  contractorId: string | null;
  startDate: Date;
  endDate: Date | null;
  currency: string;
  paymentTermsDays: number;
  tariff: TariffForRating;
  /** Terminals ACTIVE or SUSPENDED on the contract now, with their activation instant. */
  devices: { serial: string; activatedAt: Date | null }[];
  /** With `forPeriod`: the invoice the contract already has for that period. */
  existingInvoice: { id: string; billingRunId: string | null } | null;
  /** With `markFor`: the usage just marked billed, per period. */
  marked: UsageRow[] | null;
}

interface TariffRow {
  tariff: TariffForRating;
  currency: string;
}

// A tariff plan version never changes its prices (a revision is a new row), so rating caches
// them by id; a billing run over 20k contracts then reads a handful of plans, not 20k.
const tariffCache = new Map<string, TariffRow>();

async function tariffOf(db: DbLike, planId: string): Promise<TariffRow> {
  const hit = tariffCache.get(planId);
  if (hit) return hit;
  const t = await db.tariffPlan.findUniqueOrThrow({ where: { id: planId }, include: { tiers: true } });
  const row: TariffRow = {
    currency: t.currency,
    tariff: {
      monthlyRentalMinor: t.monthlyRentalMinor,
      activationFeeMinor: t.activationFeeMinor,
      includedMessages: t.includedMessages,
      downlinkPriceMicros: t.downlinkPriceMicros,
      taxRateBp: t.taxRateBp,
      tiers: t.tiers.map((x) => ({ fromUnit: x.fromUnit, toUnit: x.toUnit, unitPriceMicros: x.unitPriceMicros })),
    },
  };
  if (tariffCache.size > 10_000) tariffCache.clear();
  tariffCache.set(planId, row);
  return row;
}

interface ContractRow {
  id: string;
  number: string;
  customerId: string;
  contractorId: string | null;
  startDate: Date;
  endDate: Date | null;
  tariffPlanId: string;
  paymentTermsDays: number;
  devices: { serial: string; activatedAt: string | null }[];
  existingInvoice: { id: string; billingRunId: string | null } | null;
  usage: { period: string; units: string; downs: string }[] | null;
}

/**
 * The contract, its customer's terms, its terminals and (with `forPeriod`) its invoice for the
 * period, in one round trip; `asyncCommit` also turns off synchronous commit for the caller's
 * transaction, and `markFor` marks the contract's unbilled usage up to that period's end and
 * returns it (see markedCte), in that same round trip.
 */
export async function loadContract(
  db: DbLike,
  contractId: string,
  opts: { forPeriod?: string; asyncCommit?: boolean; markFor?: PeriodBounds } = {},
): Promise<ContractForRating | null> {
  const m = opts.markFor;
  const rows = await db.$queryRaw<ContractRow[]>`
    ${m ? Prisma.sql`WITH ${markedCte(contractId, m)}` : Prisma.empty}
    SELECT ${opts.asyncCommit ? Prisma.sql`set_config('synchronous_commit', 'off', true) AS sc,` : Prisma.empty}
           ${m ? Prisma.sql`(SELECT json_agg(marked) FROM marked) AS usage,` : Prisma.sql`NULL::json AS usage,`}
           (SELECT json_build_object('id', i."id", 'billingRunId', i."billingRunId") FROM "Invoice" i
             WHERE i."contractId" = c."id" AND i."period" = ${opts.forPeriod ?? ''}) AS "existingInvoice",
           c."id"::text, c."number", c."customerId"::text, c."contractorId"::text, c."startDate", c."endDate",
           c."tariffPlanId"::text, cu."paymentTermsDays",
           COALESCE((SELECT json_agg(json_build_object('serial', d."serial", 'activatedAt',
                       -- Prisma stores UTC in timestamp columns without zone: say so explicitly.
                       to_char(COALESCE(d."activatedAt", d."provisionedAt"), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
                     FROM "Device" d WHERE d."contractId" = c."id" AND d."status" IN ('ACTIVE', 'SUSPENDED')), '[]'::json) AS devices
    FROM "Contract" c JOIN "Customer" cu ON cu."id" = c."customerId"
    WHERE c."id" = ${contractId}::uuid`;
  const c = rows[0];
  if (!c) return null;
  const plan = await tariffOf(db, c.tariffPlanId);
  return {
    id: c.id,
    number: c.number,
    customerId: c.customerId,
    contractorId: c.contractorId,
    startDate: c.startDate,
    endDate: c.endDate,
    currency: plan.currency,
    paymentTermsDays: c.paymentTermsDays,
    tariff: plan.tariff,
    devices: c.devices.map((d) => ({ serial: d.serial, activatedAt: d.activatedAt ? new Date(d.activatedAt) : null })),
    existingInvoice: c.existingInvoice,
    marked: m ? (c.usage ?? []).map(usageRow) : null,
  };
}

/** Terminals billable in the period: ACTIVE or SUSPENDED now, activated before the period end. */
export function billableTerminals(c: ContractForRating, b: PeriodBounds, tz: string): TerminalForRating[] {
  const contract = { startLocal: localDate(c.startDate, tz), endLocal: c.endDate ? localDate(c.endDate, tz) : null };
  const out: TerminalForRating[] = [];
  for (const d of c.devices) {
    const at = d.activatedAt;
    if (!at || at >= b.end) continue;
    const t = terminalDays({ serial: d.serial, activatedAt: at, activatedLocal: localDate(at, tz) }, contract, b);
    if (t) out.push(t);
  }
  return out;
}

/**
 * Everything rating needs for one contract and period. A contract loaded with `markFor` (the
 * issuing path) brings the usage it marked; otherwise (preview) usage is read without marking.
 */
export async function ratingInput(db: DbLike, c: ContractForRating, b: PeriodBounds, tz: string): Promise<RatingInput> {
  const terminals = billableTerminals(c, b, tz);
  const mark = c.marked !== null;
  const usage = c.marked ?? (await unbilledUsage(db, c.id, b));
  const current = usage.find((u) => u.period === b.period);
  const late: LateUsage[] = [];
  for (const u of usage.filter((x) => x.period < b.period)) late.push(await lateUsage(db, c.id, u, mark));
  return {
    period: b.period,
    daysInMonth: b.daysInMonth,
    tariff: c.tariff,
    terminals,
    upUnits: current?.units ?? 0n,
    downMessages: current?.downs ?? 0n,
    late,
  };
}

async function lateUsage(db: DbLike, contractId: string, u: UsageRow, marked: boolean): Promise<LateUsage> {
  const invoice = await db.invoice.findUnique({
    where: { contractId_period: { contractId, period: u.period } },
    select: { number: true, lines: { where: { kind: 'ALLOWANCE' }, select: { quantity: true } } },
  });
  const [y, m] = u.period.split('-').map(Number) as [number, number];
  const from = new Date(Date.UTC(y, m - 1, 1));
  const to = new Date(Date.UTC(y, m, 1));
  const agg = await db.usageCounter.aggregate({ where: { contractId, day: { gte: from, lt: to } }, _sum: { billedUpUnits: true } });
  const billedNow = BigInt(agg._sum.billedUpUnits ?? 0);
  return {
    period: u.period,
    invoiceNumber: invoice?.number ?? null,
    units: u.units,
    downlinks: u.downs,
    // After marking, the billed column already includes the late units.
    billedUnits: marked ? billedNow - u.units : billedNow,
    allowance: invoice?.lines[0]?.quantity ?? 0n,
  };
}
