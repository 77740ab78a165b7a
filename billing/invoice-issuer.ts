// Issuing in two steps:
// 1. draft: one contract + period -> one DRAFT invoice (rated lines, no number) in one
//    transaction that also locks and marks the usage it rated. Contracts draft in parallel with
//    no shared lock. The unique (contractId, period) index makes reruns and retries harmless.
//    A run drafts many contracts per transaction (draftMany): a commit per contract was most of
//    a run's cost.
// 2. finalize: the period's drafts get gapless legal numbers NX-YYYY-NNNNNN (in contract number
//    order), ISSUED status, issue and due dates and their invoice.issued events, in one
//    transaction holding the year's InvoiceNumberSequence row lock.
// Numbering per invoice inside each draft transaction would serialise every contract of a run
// on that row lock for the length of a commit (an fsync), capping a run near 100 contracts/s.
import { randomUUID } from 'node:crypto';
import type { DomainEvent, OutboxWriter } from '../src/events/index.js';
import type { Db, Prisma } from '../src/platform/database.js';
import { isUniqueViolation } from '../src/platform/errors.js';
import type { Logger } from '../src/platform/logger.js';
import { type PeriodBounds, periodBounds, zonedParts } from './period.js';
import { type RatedLine, rate } from './rating.js';
import { type ContractForRating, type DbLike, loadContract, loadContracts, planAtEnd, ratingInput } from './usage.js';

export interface EventEmitter {
  emit(tx: OutboxWriter, events: DomainEvent[]): Promise<void>;
}

export type IssueOutcome =
  | { kind: 'created'; invoiceId: string; totalMinor: bigint; number: string | null }
  | { kind: 'exists'; invoiceId: string; billingRunId: string | null }
  | { kind: 'empty' }
  | { kind: 'missing' };

class NothingToBill extends Error {}
class AlreadyInvoiced extends Error {
  constructor(
    readonly invoiceId: string,
    readonly billingRunId: string | null,
  ) {
    super('already invoiced');
  }
}

interface Draft {
  id: string;
  contractId: string;
  customerId: string;
  tariffPlanId: string;
  currency: string;
  subtotalMinor: bigint;
  taxMinor: bigint;
  totalMinor: bigint;
  lines: RatedLine[];
}

/** What drafting one loaded (and marked) contract comes to, before anything is written. */
type Rated = { kind: 'exists'; invoiceId: string; billingRunId: string | null } | { kind: 'empty' } | { kind: 'draft'; draft: Draft };

/**
 * Rates a contract loaded with its usage marked. No invoice (and no legal number) when it has no
 * billable terminal and no usage or charge was marked, current or late: a batch cannot roll back one
 * contract's marks, so a contract whose usage was marked always gets its invoice, even at 0.00.
 */
async function rateLoaded(tx: DbLike, c: ContractForRating, b: PeriodBounds, timeZone: string): Promise<Rated> {
  if (c.existingInvoice) return { kind: 'exists', invoiceId: c.existingInvoice.id, billingRunId: c.existingInvoice.billingRunId };
  const input = await ratingInput(tx, c, b, timeZone);
  const marked = (c.marked ?? []).length + (c.markedCharges ?? []).length;
  if (input.terminals.length === 0 && marked === 0 && input.late.length === 0) return { kind: 'empty' };
  const rated = carryNegativeTotal(rate(input));
  return {
    kind: 'draft',
    draft: {
      id: randomUUID(),
      contractId: c.id,
      customerId: c.customerId,
      tariffPlanId: planAtEnd(c, b, timeZone),
      currency: c.currency,
      subtotalMinor: rated.subtotalMinor,
      taxMinor: rated.taxMinor,
      totalMinor: rated.totalMinor,
      lines: rated.lines,
    },
  };
}

/**
 * An invoice never asks the customer for a negative amount: when credits outweigh the charges,
 * a last line carries the negative total to the customer's credit (a lot written when the
 * invoice is issued) and the invoice totals 0.00.
 */
export function carryNegativeTotal<T extends { lines: RatedLine[]; totalMinor: bigint }>(rated: T): T {
  if (rated.totalMinor >= 0n) return rated;
  const carried = -rated.totalMinor;
  return {
    ...rated,
    totalMinor: 0n,
    lines: [
      ...rated.lines,
      {
        kind: 'CARRIED_TO_CREDIT',
        description: 'Negative total carried to your credit balance',
        quantity: 1n,
        unitPriceMicros: carried * 10_000n,
        amountMinor: carried,
      },
    ],
  };
}

/** Every draft invoice and all their lines in one statement (one round trip however many). */
async function insertDrafts(tx: DbLike, period: string, billingRunId: string | null, drafts: Draft[]): Promise<void> {
  if (drafts.length === 0) return;
  const invoices = JSON.stringify(
    drafts.map((d) => ({
      id: d.id,
      contractId: d.contractId,
      customerId: d.customerId,
      tariffPlanId: d.tariffPlanId,
      currency: d.currency,
      subtotal: String(d.subtotalMinor),
      tax: String(d.taxMinor),
      total: String(d.totalMinor),
    })),
  );
  const lines = JSON.stringify(
    drafts.flatMap((d) =>
      d.lines.map((l, i) => ({
        invoiceId: d.id,
        position: i + 1,
        kind: l.kind,
        description: l.description,
        quantity: String(l.quantity),
        unit: String(l.unitPriceMicros),
        amount: String(l.amountMinor),
      })),
    ),
  );
  // Lines join the RETURNING of the invoice insert, so they are written after their invoice.
  await tx.$executeRaw`
    WITH created AS (
      INSERT INTO "Invoice" ("id", "contractId", "customerId", "tariffPlanId", "billingRunId", "period", "currency", "status", "subtotalMinor", "taxMinor", "totalMinor", "updatedAt")
      SELECT x.id, x."contractId", x."customerId", x."tariffPlanId", ${billingRunId}::uuid, ${period}, x.currency, 'DRAFT'::"InvoiceStatus",
             x.subtotal::bigint, x.tax::bigint, x.total::bigint, now() AT TIME ZONE 'UTC'
      FROM json_to_recordset(${invoices}::json) AS x(id uuid, "contractId" uuid, "customerId" uuid, "tariffPlanId" uuid, currency text, subtotal text, tax text, total text)
      RETURNING "id"
    )
    INSERT INTO "InvoiceLine" ("id", "invoiceId", "position", "kind", "description", "quantity", "unitPriceMicros", "amountMinor")
    SELECT gen_random_uuid(), created."id", x.position, x.kind::"InvoiceLineKind", x.description, x.quantity::bigint, x.unit::bigint, x.amount::bigint
    FROM json_to_recordset(${lines}::json) AS x("invoiceId" uuid, position int, kind text, description text, quantity text, unit text, amount text)
    JOIN created ON created."id" = x."invoiceId"`;
}

interface Finalized {
  id: string;
  number: string;
  contractId: string;
  customerId: string;
  period: string;
  totalMinor: bigint;
  currency: string;
}

/** Customers (and currencies) whose issued invoices may now be settled from credit. */
export type OnIssued = (customers: { customerId: string; currency: string }[]) => Promise<void>;

export function createInvoiceIssuer({
  db,
  events,
  timeZone,
  log,
  onIssued,
}: {
  db: Db;
  events: EventEmitter;
  timeZone: string;
  log?: Logger;
  /** Called after the issuing transaction committed (credit application). */
  onIssued?: OnIssued;
}) {
  /** A failure leaves the credit in place; the daily dunning job applies it before it looks at balances. */
  async function afterIssue(rows: Finalized[]) {
    if (!onIssued || rows.length === 0) return;
    const pairs = new Map(rows.map((r) => [`${r.customerId}|${r.currency}`, { customerId: r.customerId, currency: r.currency }]));
    await onIssued([...pairs.values()]).catch((err: Error) =>
      log?.error({ err: err.message }, 'applying credit to issued invoices failed'),
    );
  }

  /**
   * Numbers and issues drafts of the period (or one draft) in one statement: the sequence row
   * is advanced by the number of drafts and locked until the caller's transaction commits, so
   * numbers have no gaps; a rollback gives them all back.
   */
  async function finalizeIn(tx: Prisma.TransactionClient, period: string, now: Date, invoiceId?: string): Promise<Finalized[]> {
    const year = zonedParts(now, timeZone).year;
    const at = now.toISOString();
    const rows = await tx.$queryRaw<Finalized[]>`
      WITH locked AS (
        -- Locked first: a concurrent finalize waits, then finds these rows no longer DRAFT.
        SELECT i."id", c."number" AS contract_number, cu."paymentTermsDays"
        FROM "Invoice" i JOIN "Contract" c ON c."id" = i."contractId" JOIN "Customer" cu ON cu."id" = i."customerId"
        WHERE i."period" = ${period} AND i."status" = 'DRAFT' AND i."number" IS NULL
          AND (${invoiceId ?? null}::uuid IS NULL OR i."id" = ${invoiceId ?? null}::uuid)
        FOR UPDATE OF i
      ), todo AS (
        SELECT "id", "paymentTermsDays", row_number() OVER (ORDER BY contract_number, "id") AS rn FROM locked
      ), n AS (SELECT count(*)::int AS k FROM todo), seq AS (
        INSERT INTO "InvoiceNumberSequence" ("year", "lastNumber") SELECT ${year}, n.k FROM n WHERE n.k > 0
        ON CONFLICT ("year") DO UPDATE SET "lastNumber" = "InvoiceNumberSequence"."lastNumber" + EXCLUDED."lastNumber"
        RETURNING "lastNumber"
      )
      UPDATE "Invoice" i SET
        "number" = ${`NX-${year}-`} || lpad((seq."lastNumber" - n.k + todo.rn)::text, 6, '0'),
        "status" = 'ISSUED',
        "issuedAt" = ${at}::timestamptz AT TIME ZONE 'UTC',
        "dueAt" = (${at}::timestamptz AT TIME ZONE 'UTC') + make_interval(days => todo."paymentTermsDays"),
        "updatedAt" = now() AT TIME ZONE 'UTC'
      FROM todo, n, seq
      WHERE i."id" = todo."id"
      RETURNING i."id"::text, i."number", i."contractId"::text, i."customerId"::text, i."period", i."totalMinor", i."currency"`;
    // Negative totals carried to credit become the customer's credit lots as they are issued.
    if (rows.length > 0)
      await tx.$executeRaw`
        INSERT INTO "CreditEntry" ("id", "customerId", "currency", "kind", "amountMinor", "remainingMinor", "invoiceId", "at")
        SELECT gen_random_uuid(), i."customerId", i."currency", 'NEGATIVE_INVOICE'::"CreditEntryKind", l."amountMinor", l."amountMinor", i."id",
               ${at}::timestamptz AT TIME ZONE 'UTC'
        FROM "Invoice" i JOIN "InvoiceLine" l ON l."invoiceId" = i."id" AND l."kind" = 'CARRIED_TO_CREDIT'
        WHERE i."id" = ANY(${rows.map((r) => r.id)}::uuid[])`;
    await events.emit(
      tx,
      rows.map((r) => ({
        type: 'invoice.issued',
        customerId: r.customerId,
        deviceId: null,
        payload: {
          invoiceId: r.id,
          number: r.number,
          contractId: r.contractId,
          period: r.period,
          totalMinor: r.totalMinor,
          currency: r.currency,
        },
      })),
    );
    return rows;
  }

  /**
   * Drafts the contract's invoice for the period; `finalize` (the default outside a run) also
   * numbers and issues it in the same transaction.
   */
  async function issue(
    contractId: string,
    period: string,
    billingRunId: string | null,
    now = new Date(),
    opts: { finalize?: boolean } = {},
  ): Promise<IssueOutcome> {
    const finalize = opts.finalize ?? billingRunId === null;
    const bounds = periodBounds(period, timeZone);
    let issued: Finalized[] = [];
    try {
      const outcome = await db.$transaction(
        async (tx) => {
          // A draft lost in a crash is rebuilt by the next run (it has no number and no event
          // yet, and its usage marks are lost with it), so it need not wait for the WAL flush;
          // finalizing commits synchronously, flushing every earlier draft with it.
          // One round trip: the contract, its terminals, whether it is already invoiced, and
          // its unbilled usage, marked billed.
          const contract = await loadContract(tx, contractId, { forPeriod: period, asyncCommit: !finalize, markFor: bounds });
          if (!contract) return { kind: 'missing' } as const;
          const rated = await rateLoaded(tx, contract, bounds, timeZone);
          // Already invoiced (a rerun or retry; the marking skipped it) or nothing to bill (no
          // usage was marked): no invoice, and nothing to undo.
          if (rated.kind === 'exists') throw new AlreadyInvoiced(rated.invoiceId, rated.billingRunId);
          if (rated.kind === 'empty') throw new NothingToBill();
          const id = rated.draft.id;
          await insertDrafts(tx, period, billingRunId, [rated.draft]);
          issued = finalize ? await finalizeIn(tx, period, now, id) : [];
          return { kind: 'created', invoiceId: id, totalMinor: rated.draft.totalMinor, number: issued[0]?.number ?? null } as const;
        },
        { timeout: 60_000, maxWait: 60_000 },
      );
      await afterIssue(issued);
      return outcome;
    } catch (err) {
      if (err instanceof NothingToBill) return { kind: 'empty' };
      if (err instanceof AlreadyInvoiced) return { kind: 'exists', invoiceId: err.invoiceId, billingRunId: err.billingRunId };
      // Another run drafted it concurrently: the unique index refused ours, nothing was kept.
      if (isUniqueViolation(err)) {
        const row = await db.invoice.findUnique({
          where: { contractId_period: { contractId, period } },
          select: { id: true, billingRunId: true },
        });
        if (row) return { kind: 'exists', invoiceId: row.id, billingRunId: row.billingRunId };
      }
      throw err;
    }
  }

  return {
    issue,

    /**
     * A run's drafting of many contracts in one transaction (asynchronous commit, like a single
     * draft): one statement loads them all and marks their usage, rating is per contract, one
     * statement writes every invoice and line. One result per contract, in order. If the batch
     * fails (another run drafted one of them, a contract that cannot be rated), each contract is
     * drafted alone with `issue`, so a failure stays with its own contract (and its job's retry).
     */
    async draftMany(period: string, billingRunId: string, contractIds: string[]): Promise<PromiseSettledResult<IssueOutcome>[]> {
      if (contractIds.length === 0) return [];
      const bounds = periodBounds(period, timeZone);
      try {
        const outcomes = await db.$transaction(
          async (tx) => {
            // A batch's statements are estimated dear enough to be JIT-compiled, which costs more
            // (~100 ms each) than running them; a round trip per batch turns it off.
            await tx.$executeRaw`SET LOCAL jit = off`;
            const loaded = await loadContracts(tx, contractIds, { forPeriod: period, asyncCommit: true, markFor: bounds });
            const byId = new Map(loaded.map((c) => [c.id, c]));
            const drafts: Draft[] = [];
            const out: IssueOutcome[] = [];
            for (const id of contractIds) {
              const c = byId.get(id);
              const rated = c ? await rateLoaded(tx, c, bounds, timeZone) : null;
              if (!rated) out.push({ kind: 'missing' });
              else if (rated.kind !== 'draft') out.push(rated);
              else {
                drafts.push(rated.draft);
                out.push({ kind: 'created', invoiceId: rated.draft.id, totalMinor: rated.draft.totalMinor, number: null });
              }
            }
            await insertDrafts(tx, period, billingRunId, drafts);
            return out;
          },
          { timeout: 60_000, maxWait: 60_000 },
        );
        return outcomes.map((value) => ({ status: 'fulfilled', value }));
      } catch (err) {
        log?.warn(
          { period, billingRunId, contracts: contractIds.length, err: (err as Error).message },
          'batch drafting failed; drafting its contracts one by one',
        );
        return Promise.allSettled(contractIds.map((id) => issue(id, period, billingRunId)));
      }
    },

    /** Issues every draft of the period (a run's last step; idempotent). */
    async finalize(period: string, now = new Date()): Promise<number> {
      const rows = await db.$transaction((tx) => finalizeIn(tx, period, now), { timeout: 300_000, maxWait: 60_000 });
      await afterIssue(rows);
      return rows.length;
    },
  };
}

export type InvoiceIssuer = ReturnType<typeof createInvoiceIssuer>;
