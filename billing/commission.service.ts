import type { AuditService } from '../src/audit/index.js';
import type { SystemCtx as Ctx } from '../src/auth/index.js';
import { isStaff } from '../src/auth/index.js';
// Contractor commissions: the contractor's rate (Customer.commissionRateBp) on amounts collected
// in the month (payment allocations, operator time zone) on the contracts it manages: the
// contract's contractor, or else the end user's contractor. A statement freezes one month.
import type { Db } from '../src/platform/database.js';
import { AppError, invalid, notFound } from '../src/platform/errors.js';
import { commissionView } from './commission.view.js';
import { periodBounds } from './period.js';
import { divRoundHalfUp } from './rating.js';

export function createCommissionService({ db, audit, timeZone }: { db: Db; audit: AuditService; timeZone: string }) {
  async function contractorsFor(ctx: Ctx, contractorId?: string) {
    if (ctx.actor && !isStaff(ctx.actor)) {
      if (ctx.actor.role !== 'CONTRACTOR' || !ctx.actor.customerId) throw new AppError('forbidden', 'Your role may not see commissions');
      if (contractorId && contractorId !== ctx.actor.customerId) throw notFound('Contractor');
      contractorId = ctx.actor.customerId;
    }
    return db.customer.findMany({
      where: { kind: 'CONTRACTOR', ...(contractorId ? { id: contractorId } : { commissionRateBp: { not: null } }) },
      select: { id: true, name: true, commissionRateBp: true },
      orderBy: { name: 'asc' },
    });
  }

  async function collected(period: string): Promise<Map<string, bigint>> {
    const b = periodBounds(period, timeZone);
    const rows = await db.$queryRaw<{ contractor: string; collected: bigint }[]>`
      SELECT COALESCE(c."contractorId", cu."contractorId")::text AS contractor, SUM(a."amountMinor")::bigint AS collected
      FROM "PaymentAllocation" a
      JOIN "Invoice" i ON i."id" = a."invoiceId"
      JOIN "Contract" c ON c."id" = i."contractId"
      JOIN "Customer" cu ON cu."id" = c."customerId"
      -- Money only (a negative invoice's credit is not collected), when it met the invoice:
      -- a payment's allocation at its receipt, its overpayment's when the credit is applied.
      -- appliedAt holds UTC without a zone.
      WHERE a."paymentId" IS NOT NULL
        AND a."appliedAt" >= (${b.start.toISOString()}::timestamptz AT TIME ZONE 'UTC')
        AND a."appliedAt" < (${b.end.toISOString()}::timestamptz AT TIME ZONE 'UTC')
      GROUP BY 1`;
    return new Map(rows.filter((r) => r.contractor).map((r) => [r.contractor, BigInt(r.collected)]));
  }

  async function compute(ctx: Ctx, period: string, contractorId?: string) {
    const [contractors, sums] = await Promise.all([contractorsFor(ctx, contractorId), collected(period)]);
    return contractors.map((c) => {
      const collectedMinor = sums.get(c.id) ?? 0n;
      const rateBp = c.commissionRateBp ?? 0;
      return {
        contractorId: c.id,
        name: c.name,
        period,
        collectedMinor,
        rateBp,
        amountMinor: divRoundHalfUp(collectedMinor * BigInt(rateBp), 10_000n),
      };
    });
  }

  return {
    /** Per contractor: the statement if generated (frozen), else the amounts computed now. */
    async list(ctx: Ctx, period: string, contractorId?: string) {
      const lines = await compute(ctx, period, contractorId);
      const statements = await db.commissionStatement.findMany({
        where: { period, contractorId: { in: lines.map((l) => l.contractorId) } },
      });
      const byContractor = new Map(statements.map((s) => [s.contractorId, s]));
      return {
        period,
        items: lines.map((l) => {
          const s = byContractor.get(l.contractorId);
          return { ...commissionView(s ?? l), name: l.name, statement: Boolean(s) };
        }),
      };
    },

    /** Freezes the month's statements (one per contractor and period; regenerating returns them). */
    async generate(ctx: Ctx, period: string, contractorId?: string, now = new Date()) {
      if (periodBounds(period, timeZone).end > now)
        throw invalid(`Period ${period} has not ended yet`, [{ path: 'period', message: 'Not closed' }]);
      const lines = await compute(ctx, period, contractorId);
      await db.$transaction(async (tx) => {
        for (const l of lines) {
          const existing = await tx.commissionStatement.findUnique({
            where: { contractorId_period: { contractorId: l.contractorId, period } },
          });
          if (existing) continue;
          const row = await tx.commissionStatement.create({
            data: { contractorId: l.contractorId, period, collectedMinor: l.collectedMinor, rateBp: l.rateBp, amountMinor: l.amountMinor },
          });
          await audit.record(
            {
              actor: ctx.actor,
              requestId: ctx.requestId,
              action: 'commission_statement.created',
              entityType: 'commission_statement',
              entityId: row.id,
              after: row,
            },
            tx,
          );
        }
      });
      return this.list(ctx, period, contractorId);
    },
  };
}

export type CommissionService = ReturnType<typeof createCommissionService>;
