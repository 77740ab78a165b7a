// Issuing in two steps:
// 1. draft: one contract + period -> one DRAFT invoice (rated lines, no number) in one
//    transaction that also locks and marks the usage it rated. Contracts draft in parallel with
//    no shared lock. The unique (contractId, period) index makes reruns and retries harmless.
// 2. finalize: the period's drafts get gapless legal numbers NX-YYYY-NNNNNN (in contract number
//    order), ISSUED status, issue and due dates and their invoice.issued events, in one
//    transaction holding the year's InvoiceNumberSequence row lock.
// Numbering per invoice inside each draft transaction would serialise every contract of a run
// on that row lock for the length of a commit (an fsync), capping a run near 100 contracts/s.
import { randomUUID } from 'node:crypto';
import type { Db } from '../src/platform/database.js';
import { Prisma } from '../src/platform/database.js';
import type { DomainEvent, OutboxWriter } from '../src/events/index.js';
import { periodBounds, zonedParts } from './period.js';
import { rate, type RatedLine } from './rating.js';
import { loadContract, ratingInput, type DbLike } from './usage.js';

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

/** Unique violations surface as P2002 from Prisma calls, as SQLSTATE 23505 from raw SQL. */
function isUniqueViolation(err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') return true;
  const e = err as { meta?: { code?: string }; message?: string; cause?: { code?: string } };
  return e?.meta?.code === '23505' || e?.cause?.code === '23505' || /23505|unique constraint/i.test(e?.message ?? '');
}

async function insertDraft(tx: DbLike, inv: { id: string; contractId: string; customerId: string; billingRunId: string | null; period: string; currency: string; subtotalMinor: bigint; taxMinor: bigint; totalMinor: bigint; lines: RatedLine[] }) {
  const lines = JSON.stringify(
    inv.lines.map((l, i) => ({ position: i + 1, kind: l.kind, description: l.description, quantity: String(l.quantity), unit: String(l.unitPriceMicros), amount: String(l.amountMinor) })),
  );
  // One round trip for the invoice and its lines.
  await tx.$executeRaw`
    WITH created AS (
      INSERT INTO "Invoice" ("id", "contractId", "customerId", "billingRunId", "period", "currency", "status", "subtotalMinor", "taxMinor", "totalMinor", "updatedAt")
      VALUES (${inv.id}::uuid, ${inv.contractId}::uuid, ${inv.customerId}::uuid, ${inv.billingRunId}::uuid, ${inv.period}, ${inv.currency}, 'DRAFT'::"InvoiceStatus",
              ${inv.subtotalMinor}, ${inv.taxMinor}, ${inv.totalMinor}, now() AT TIME ZONE 'UTC')
      RETURNING "id"
    )
    INSERT INTO "InvoiceLine" ("id", "invoiceId", "position", "kind", "description", "quantity", "unitPriceMicros", "amountMinor")
    SELECT gen_random_uuid(), created."id", x.position, x.kind::"InvoiceLineKind", x.description, x.quantity::bigint, x.unit::bigint, x.amount::bigint
    FROM created, json_to_recordset(${lines}::json) AS x(position int, kind text, description text, quantity text, unit text, amount text)`;
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

export function createInvoiceIssuer({ db, events, timeZone }: { db: Db; events: EventEmitter; timeZone: string }) {
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
    await events.emit(
      tx,
      rows.map((r) => ({
        type: 'invoice.issued',
        customerId: r.customerId,
        deviceId: null,
        payload: { invoiceId: r.id, number: r.number, contractId: r.contractId, period: r.period, totalMinor: r.totalMinor, currency: r.currency },
      })),
    );
    return rows;
  }

  return {
    /**
     * Drafts the contract's invoice for the period; `finalize` (the default outside a run) also
     * numbers and issues it in the same transaction.
     */
    async issue(contractId: string, period: string, billingRunId: string | null, now = new Date(), opts: { finalize?: boolean } = {}): Promise<IssueOutcome> {
      const finalize = opts.finalize ?? billingRunId === null;
      const bounds = periodBounds(period, timeZone);
      try {
        return await db.$transaction(
          async (tx) => {
            // A draft lost in a crash is rebuilt by the next run (it has no number and no event
            // yet, and its usage marks are lost with it), so it need not wait for the WAL flush;
            // finalizing commits synchronously, flushing every earlier draft with it.
            // One round trip: the contract, its terminals, whether it is already invoiced, and
            // its unbilled usage, marked billed.
            const contract = await loadContract(tx, contractId, { forPeriod: period, asyncCommit: !finalize, markFor: bounds });
            if (!contract) return { kind: 'missing' } as const;
            // Already invoiced (a rerun or retry): the rollback undoes the marking just done.
            if (contract.existingInvoice) throw new AlreadyInvoiced(contract.existingInvoice.id, contract.existingInvoice.billingRunId);
            const input = await ratingInput(tx, contract, bounds, timeZone);
            const rated = rate(input);
            // Nothing rented and nothing used: no invoice, and the rollback un-marks nothing.
            if (rated.totalMinor === 0n && input.terminals.length === 0 && input.late.length === 0) throw new NothingToBill();
            const id = randomUUID();
            await insertDraft(tx, {
              id,
              contractId,
              customerId: contract.customerId,
              billingRunId,
              period,
              currency: contract.currency,
              subtotalMinor: rated.subtotalMinor,
              taxMinor: rated.taxMinor,
              totalMinor: rated.totalMinor,
              lines: rated.lines,
            });
            const number = finalize ? ((await finalizeIn(tx, period, now, id))[0]?.number ?? null) : null;
            return { kind: 'created', invoiceId: id, totalMinor: rated.totalMinor, number } as const;
          },
          { timeout: 60_000, maxWait: 60_000 },
        );
      } catch (err) {
        if (err instanceof NothingToBill) return { kind: 'empty' };
        if (err instanceof AlreadyInvoiced) return { kind: 'exists', invoiceId: err.invoiceId, billingRunId: err.billingRunId };
        // Another run drafted it concurrently: the unique index refused ours, nothing was kept.
        if (isUniqueViolation(err)) {
          const row = await db.invoice.findUnique({ where: { contractId_period: { contractId, period } }, select: { id: true, billingRunId: true } });
          if (row) return { kind: 'exists', invoiceId: row.id, billingRunId: row.billingRunId };
        }
        throw err;
      }
    },

    /** Issues every draft of the period (a run's last step; idempotent). */
    async finalize(period: string, now = new Date()): Promise<number> {
      const rows = await db.$transaction((tx) => finalizeIn(tx, period, now), { timeout: 300_000, maxWait: 60_000 });
      return rows.length;
    },
  };
}

export type InvoiceIssuer = ReturnType<typeof createInvoiceIssuer>;
