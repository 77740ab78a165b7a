// Metering queries: what a contract used in a period, and what it used late in periods that were
// already invoiced. The issuing path locks and marks the counters it rates in the same
// statement, so every unit is invoiced exactly once even while ingest keeps counting.
import { type Db, Prisma } from '../src/platform/database.js';
import { type ChargeRow, historyColumns, markedChargesCte, unbilledCharges } from './history-sql.js';
import type { PeriodBounds } from './period.js';
import type { LateUsage, OneOffForRating, RatingInput, SegmentForRating, TariffForRating } from './rating.js';
import { type HistoryEntry, planSpans, type TerminalRecord } from './service-timeline.js';

export type DbLike = Db | Prisma.TransactionClient;

interface UsageRow {
  /** "YYYY-MM-DD" for a day of the period being rated, "YYYY-MM" for an earlier (late) period. */
  period: string;
  units: bigint;
  downs: bigint;
}

/**
 * Rows of the contracts' unbilled usage up to the period end: the period and invoiced periods
 * before it (a month that never had an invoice is not billed late).
 */
function unbilledWhere(contractIds: string[], b: PeriodBounds) {
  return Prisma.sql`u."contractId" = ANY(${contractIds}::uuid[]) AND u."day" < ${ymd(b.endDay)}::date
      AND (u."upUnits" <> u."billedUpUnits" OR u."downMessages" <> u."billedDownMessages")
      AND (u."day" >= ${ymd(b.firstDay)}::date
           -- Uncorrelated (one hashed subplan per statement): correlated, its estimated cost per
           -- counter row grew with the Invoice table until a batch's plan crossed the JIT
           -- thresholds (~115 ms of compiling per statement late in a 20k run).
           OR (u."contractId", to_char(u."day", 'YYYY-MM')) IN (SELECT i."contractId", i."period" FROM "Invoice" i WHERE i."contractId" = ANY(${contractIds}::uuid[])))`;
}

/**
 * A CTE `marked` that sets the billed columns of those rows to their usage and yields, per
 * contract, a JSON array of the units and downlinks that were unbilled, per period. One UPDATE
 * joined to each row's own pre-update version (o) returns the delta (u.new usage - o.old billed)
 * without a separate locking pass. Ingest only ever changes the usage columns, never the billed
 * ones, so o's billed values are the ones replaced; a concurrent billing of the same rows waits
 * for the row lock, then skips them (now equal). So every unit is invoiced exactly once.
 * A contract already invoiced for the period is left unmarked: a batch cannot roll back one
 * contract's marks, so they must never be made for a contract that gets no new invoice.
 */
function markedCte(contractIds: string[], b: PeriodBounds) {
  return Prisma.sql`m AS (
      UPDATE "UsageCounter" u SET "billedUpUnits" = u."upUnits", "billedDownMessages" = u."downMessages"
      FROM "UsageCounter" o
      WHERE o."deviceId" = u."deviceId" AND o."contractId" = u."contractId" AND o."day" = u."day"
        -- Also bounds o, so the planner never considers scanning the whole table for it.
        AND o."contractId" = ANY(${contractIds}::uuid[]) AND o."day" < ${ymd(b.endDay)}::date AND ${unbilledWhere(contractIds, b)}
        -- Uncorrelated too: as a correlated NOT EXISTS the planner, misled by stale statistics
        -- of a growing Invoice table, rescanned Invoice for every counter row (seconds per batch).
        AND u."contractId" NOT IN (SELECT x."contractId" FROM "Invoice" x WHERE x."contractId" = ANY(${contractIds}::uuid[]) AND x."period" = ${b.period})
      RETURNING u."contractId", u."day", u."upUnits" - o."billedUpUnits" AS units, u."downMessages" - o."billedDownMessages" AS downs
    ), per_period AS (
      SELECT m."contractId", ${periodKey(b)} AS period, SUM(m.units)::text AS units, SUM(m.downs)::text AS downs FROM m GROUP BY 1, 2
    ), marked AS (
      SELECT p."contractId", json_agg(json_build_object('period', p.period, 'units', p.units, 'downs', p.downs)) AS usage FROM per_period p GROUP BY 1
    )`;
}

/** Unbilled usage grouped by period, read only (the invoice preview). */
export async function unbilledUsage(db: DbLike, contractId: string, b: PeriodBounds): Promise<UsageRow[]> {
  const rows = await db.$queryRaw<{ period: string; units: string; downs: string }[]>`
    SELECT ${periodKey(b, 'u')} AS period, SUM(u."upUnits" - u."billedUpUnits")::text AS units,
           SUM(u."downMessages" - u."billedDownMessages")::text AS downs
    FROM "UsageCounter" u WHERE ${unbilledWhere([contractId], b)} GROUP BY 1`;
  return rows.map(usageRow);
}

/** Usage of the period by day (each day is rated under the plan then in force), earlier periods by month. */
function periodKey(b: PeriodBounds, alias = 'm') {
  const day = Prisma.raw(`${alias}."day"`);
  return Prisma.sql`CASE WHEN ${day} >= ${ymd(b.firstDay)}::date THEN to_char(${day}, 'YYYY-MM-DD') ELSE to_char(${day}, 'YYYY-MM') END`;
}

const usageRow = (r: { period: string; units: string; downs: string }): UsageRow => ({
  period: r.period,
  units: BigInt(r.units),
  downs: BigInt(r.downs),
});

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
  /** The tariff version the contract is on now; its invoices record it. */
  tariffPlanId: string;
  tariff: TariffForRating;
  /** Every terminal the contract ever had, and its service history (see service-timeline.ts). */
  devices: TerminalRecord[];
  history: HistoryEntry[];
  /** With `forPeriod`: the invoice the contract already has for that period. */
  existingInvoice: { id: string; billingRunId: string | null } | null;
  /** With `markFor`: the usage just marked billed, per period. */
  marked: UsageRow[] | null;
  /** With `markFor`: the one-off charges just marked for the period's invoice. */
  markedCharges: ChargeRow[] | null;
}

interface TariffRow {
  tariff: TariffForRating;
  currency: string;
  label: string;
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
    label: `plan ${t.code} v${t.version}`,
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
  devices: (Omit<TerminalRecord, 'activatedAt'> & { activatedAt: string | null })[];
  history: (Omit<HistoryEntry, 'at'> & { at: string })[];
  existingInvoice: { id: string; billingRunId: string | null } | null;
  usage: { period: string; units: string; downs: string }[] | null;
  charges: (Omit<ChargeRow, 'quantity' | 'unitPriceMinor'> & { quantity: number; unitPriceMinor: string })[] | null;
}

/**
 * The contracts, their customers' terms, their terminals and (with `forPeriod`) their invoice
 * for the period, in one round trip; `asyncCommit` also turns off synchronous commit for the
 * caller's transaction, and `markFor` marks the contracts' unbilled usage up to that period's
 * end and returns it (see markedCte), in that same round trip. Contracts that do not exist are
 * left out; the order is not the order of `contractIds`.
 */
export async function loadContracts(
  db: DbLike,
  contractIds: string[],
  opts: { forPeriod?: string; asyncCommit?: boolean; markFor?: PeriodBounds } = {},
): Promise<ContractForRating[]> {
  const m = opts.markFor;
  const rows = await db.$queryRaw<ContractRow[]>`
    ${m ? Prisma.sql`WITH ${markedCte(contractIds, m)}, ${markedChargesCte(contractIds, m)}` : Prisma.empty}
    SELECT ${opts.asyncCommit ? Prisma.sql`set_config('synchronous_commit', 'off', true) AS sc,` : Prisma.empty}
           ${m ? Prisma.sql`mk.usage, mc.charges,` : Prisma.sql`NULL::json AS usage, NULL::json AS charges,`}
           (SELECT json_build_object('id', i."id", 'billingRunId', i."billingRunId") FROM "Invoice" i
             WHERE i."contractId" = c."id" AND i."period" = ${opts.forPeriod ?? ''}) AS "existingInvoice",
           c."id"::text, c."number", c."customerId"::text, c."contractorId"::text, c."startDate", c."endDate",
           c."tariffPlanId"::text, cu."paymentTermsDays", ${historyColumns(m?.end ?? null)}
    FROM "Contract" c JOIN "Customer" cu ON cu."id" = c."customerId"
    ${m ? Prisma.sql`LEFT JOIN marked mk ON mk."contractId" = c."id" LEFT JOIN marked_charges mc ON mc."contractId" = c."id"` : Prisma.empty}
    WHERE c."id" = ANY(${contractIds}::uuid[])`;
  const out: ContractForRating[] = [];
  for (const c of rows) {
    const plan = await tariffOf(db, c.tariffPlanId);
    const history = c.history.map((e) => ({ ...e, at: new Date(e.at) }));
    out.push({
      id: c.id,
      number: c.number,
      customerId: c.customerId,
      contractorId: c.contractorId,
      startDate: c.startDate,
      endDate: c.endDate,
      currency: plan.currency,
      paymentTermsDays: c.paymentTermsDays,
      tariffPlanId: c.tariffPlanId,
      tariff: plan.tariff,
      devices: c.devices.map((d) => ({ ...d, activatedAt: d.activatedAt ? new Date(d.activatedAt) : null })),
      history,
      existingInvoice: c.existingInvoice,
      marked: m ? (c.usage ?? []).map(usageRow) : null,
      markedCharges: m
        ? (c.charges ?? []).map((x) => ({ ...x, quantity: BigInt(x.quantity), unitPriceMinor: BigInt(x.unitPriceMinor) }))
        : null,
    });
  }
  return out;
}

/** One contract (see loadContracts). */
export async function loadContract(
  db: DbLike,
  contractId: string,
  opts: { forPeriod?: string; asyncCommit?: boolean; markFor?: PeriodBounds } = {},
): Promise<ContractForRating | null> {
  return (await loadContracts(db, [contractId], opts))[0] ?? null;
}

/**
 * Everything rating needs for one contract and period: the period replayed from the service
 * history as plan segments, each with its terminals' days and the usage of its days. A contract
 * loaded with `markFor` (the issuing path) brings the usage and charges it marked; otherwise
 * (preview) they are read without marking.
 */
export async function ratingInput(db: DbLike, c: ContractForRating, b: PeriodBounds, tz: string): Promise<RatingInput> {
  const mark = c.marked !== null;
  const usage = c.marked ?? (await unbilledUsage(db, c.id, b));
  const charges = c.markedCharges ?? (await unbilledCharges(db, c.id, b));
  const spans = planSpans(c, b, tz);
  const segments: SegmentForRating[] = [];
  for (const s of spans) {
    const plan = await tariffOf(db, s.planId);
    let upUnits = 0n;
    let downMessages = 0n;
    for (const u of usage) {
      if (u.period.length !== 10 || u.period.slice(0, 7) !== b.period) continue;
      const day = Number(u.period.slice(8, 10));
      if (day < s.firstDay || day > s.lastDay) continue;
      upUnits += u.units;
      downMessages += u.downs;
    }
    const label = spans.length > 1 ? `${plan.label}, ${b.period}-${pad(s.firstDay)} to ${b.period}-${pad(s.lastDay)}` : null;
    segments.push({ label, tariff: plan.tariff, terminals: s.terminals, activations: s.activations, upUnits, downMessages });
  }
  const late: LateUsage[] = [];
  for (const u of usage.filter((x) => x.period.length === 7 && x.period < b.period)) late.push(await lateUsage(db, c.id, u, mark));
  const lastPlan = spans[spans.length - 1]?.planId ?? c.tariffPlanId;
  const oneOffs: OneOffForRating[] = charges.map((x) => ({
    description: x.description,
    quantity: x.quantity,
    unitPriceMinor: x.unitPriceMinor,
  }));
  return {
    period: b.period,
    daysInMonth: b.daysInMonth,
    tariff: (await tariffOf(db, lastPlan)).tariff,
    terminals: segments.flatMap((s) => s.terminals),
    upUnits: segments.reduce((n, s) => n + s.upUnits, 0n),
    downMessages: segments.reduce((n, s) => n + s.downMessages, 0n),
    late,
    segments,
    oneOffs,
  };
}

/** The plan in force at the end of the period: its invoice records it (late usage is priced with it). */
export function planAtEnd(c: ContractForRating, b: PeriodBounds, tz: string): string {
  const spans = planSpans({ ...c, devices: [] }, b, tz);
  return spans[spans.length - 1]?.planId ?? c.tariffPlanId;
}

function pad(d: number): string {
  return String(d).padStart(2, '0');
}

async function lateUsage(db: DbLike, contractId: string, u: UsageRow, marked: boolean): Promise<LateUsage> {
  const invoice = await db.invoice.findUnique({
    where: { contractId_period: { contractId, period: u.period } },
    select: { number: true, tariffPlanId: true, lines: { where: { kind: 'ALLOWANCE' }, select: { quantity: true } } },
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
    // An invoice with plan segments has an allowance line per segment: their sum.
    allowance: (invoice?.lines ?? []).reduce((n, l) => n + l.quantity, 0n),
    // Priced as the period was: with the tariff version its invoice was rated under.
    tariff: invoice?.tariffPlanId ? (await tariffOf(db, invoice.tariffPlanId)).tariff : null,
  };
}
