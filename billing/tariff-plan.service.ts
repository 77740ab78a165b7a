import type { AuditService } from '../src/audit/index.js';
import type { Ctx } from '../src/auth/index.js';
/*
 * Tariff plans: versioned price lists. A change never edits a version that contracts may
 * already be billed under; it creates version+1 of the same code, and existing contracts keep
 * pointing at their version.
 *
 * Rating rules in short (the billing run applies them; billing/rating.ts has the full list):
 * - A message's billable units = ceil(bytes / segmentBytes), fixed at ingest (Message.units).
 * - The allowance is pooled per contract: includedMessages per active terminal, prorated by
 *   the days each terminal is active; usage within the pool costs nothing.
 * - Units above the pool are priced by graduated tiers: overage unit n (0-based) falls in the
 *   tier with fromUnit <= n < toUnit (toUnit null = no limit) at that tier's unitPriceMicros.
 * - Prices are millionths of the currency unit (1 fen = 10,000 micros); each invoice line's
 *   amount is rounded half-up once, at line level, never per message; tax on the subtotal.
 */
import type { Db, Prisma } from '../src/platform/database.js';
import { conflict, invalid, isUniqueViolation, notFound } from '../src/platform/errors.js';
import { page, pageArgs } from '../src/platform/pagination.js';
import type { TariffPlanFilter, TariffPlanInput, TariffPlanRevision, TierInput } from './tariff-plan.schemas.js';
import { tariffPlanView } from './tariff-plan.view.js';

const include = { tiers: { orderBy: { fromUnit: 'asc' } } } as const;
type PlanRow = Prisma.TariffPlanGetPayload<{ include: typeof include }>;

const tierRows = (tiers: TierInput[]) =>
  tiers.map((t) => ({
    fromUnit: BigInt(t.fromUnit),
    toUnit: t.toUnit === null ? null : BigInt(t.toUnit),
    unitPriceMicros: BigInt(t.unitPriceMicros),
  }));

export function createTariffPlanService({ db, audit }: { db: Db; audit: AuditService }) {
  async function load(id: string): Promise<PlanRow> {
    const row = await db.tariffPlan.findUnique({ where: { id }, include });
    if (!row) throw notFound('Tariff plan');
    return row;
  }

  return {
    async get(id: string) {
      return tariffPlanView(await load(id));
    },

    async list(filter: TariffPlanFilter, q: { limit: number; cursor?: string }) {
      const { cursorWhere, orderBy, take } = pageArgs(q);
      const where: Prisma.TariffPlanWhereInput[] = [cursorWhere, { code: filter.code, active: filter.active }];
      if (!filter.allVersions) {
        // Plans are tens, not thousands: resolving the latest version of each code first is cheap.
        const latest = await db.$queryRaw<
          { id: string }[]
        >`SELECT DISTINCT ON (code) id::text AS id FROM "TariffPlan" ORDER BY code, version DESC`;
        where.push({ id: { in: latest.map((r) => r.id) } });
      }
      const rows = await db.tariffPlan.findMany({ where: { AND: where }, include, orderBy, take });
      return page(rows, q.limit, tariffPlanView);
    },

    async create(ctx: Ctx, input: TariffPlanInput) {
      const { tiers, ...fields } = input;
      if (await db.tariffPlan.findFirst({ where: { code: input.code } })) {
        throw conflict(`Tariff plan ${input.code} exists; revise it with POST /api/v1/tariff-plans/{id}/versions`);
      }
      const data = {
        ...fields,
        version: 1,
        monthlyRentalMinor: BigInt(fields.monthlyRentalMinor),
        activationFeeMinor: BigInt(fields.activationFeeMinor),
        downlinkPriceMicros: BigInt(fields.downlinkPriceMicros),
        validFrom: fields.validFrom ?? new Date(),
        validTo: fields.validTo ?? null,
        tiers: { create: tierRows(tiers) },
      };
      try {
        return await db.$transaction(async (tx) => {
          const row = await tx.tariffPlan.create({ data, include });
          const dto = tariffPlanView(row);
          await audit.record(
            {
              actor: ctx.actor,
              requestId: ctx.requestId,
              action: 'tariff-plan.created',
              entityType: 'tariff-plan',
              entityId: row.id,
              after: dto,
            },
            tx,
          );
          return dto;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`Tariff plan ${input.code} exists`);
        throw err;
      }
    },

    /**
     * Creates version+1 of the plan's code from the latest version plus `changes`. The previous
     * version stops being offered (validTo = the new validFrom); it stays active while contracts
     * use it, so their billing is unchanged, and is deactivated when nothing uses it.
     */
    async revise(ctx: Ctx, id: string, changes: TariffPlanRevision) {
      const base = await load(id);
      const latest = await db.tariffPlan.findFirst({ where: { code: base.code }, orderBy: { version: 'desc' } });
      if (latest && latest.id !== base.id)
        throw conflict(`Version ${base.version} is not the latest of ${base.code} (${latest.version}); revise the latest`);
      const validFrom = changes.validFrom ?? new Date();
      const validTo = changes.validTo === undefined ? base.validTo : changes.validTo;
      if (validTo && validTo <= validFrom)
        throw invalid('validTo must be after validFrom', [{ path: 'validTo', message: 'Not after validFrom' }]);
      const tiers = changes.tiers
        ? tierRows(changes.tiers)
        : base.tiers.map(({ fromUnit, toUnit, unitPriceMicros }) => ({ fromUnit, toUnit, unitPriceMicros }));
      const big = (v: number | undefined, fallback: bigint) => (v === undefined ? fallback : BigInt(v));
      try {
        return await db.$transaction(async (tx) => {
          const created = await tx.tariffPlan.create({
            data: {
              code: base.code,
              version: base.version + 1,
              name: changes.name ?? base.name,
              currency: changes.currency ?? base.currency,
              monthlyRentalMinor: big(changes.monthlyRentalMinor, base.monthlyRentalMinor),
              activationFeeMinor: big(changes.activationFeeMinor, base.activationFeeMinor),
              includedMessages: changes.includedMessages ?? base.includedMessages,
              segmentBytes: changes.segmentBytes ?? base.segmentBytes,
              downlinkPriceMicros: big(changes.downlinkPriceMicros, base.downlinkPriceMicros),
              taxRateBp: changes.taxRateBp ?? base.taxRateBp,
              messageRetentionMonths:
                changes.messageRetentionMonths === undefined ? base.messageRetentionMonths : changes.messageRetentionMonths,
              validFrom,
              validTo,
              tiers: { create: tiers },
            },
            include,
          });
          const inUse = (await tx.contract.count({ where: { tariffPlanId: base.id } })) > 0;
          const previous = await tx.tariffPlan.update({
            where: { id: base.id },
            data: { validTo: base.validTo && base.validTo < validFrom ? base.validTo : validFrom, active: base.active && inUse },
            include,
          });
          const dto = tariffPlanView(created);
          await audit.record(
            {
              actor: ctx.actor,
              requestId: ctx.requestId,
              action: 'tariff-plan.revised',
              entityType: 'tariff-plan',
              entityId: created.id,
              before: tariffPlanView(base),
              after: dto,
            },
            tx,
          );
          await audit.record(
            {
              actor: ctx.actor,
              requestId: ctx.requestId,
              action: 'tariff-plan.superseded',
              entityType: 'tariff-plan',
              entityId: base.id,
              before: tariffPlanView(base),
              after: tariffPlanView(previous),
            },
            tx,
          );
          return dto;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`Version ${base.version + 1} of ${base.code} was just created; revise the latest`);
        throw err;
      }
    },

    /** A plan may go on a contract while it is active and currently offered (not superseded). */
    async assertAssignable(id: string, field = 'tariffPlanId') {
      const plan = await db.tariffPlan.findUnique({ where: { id } });
      const now = new Date();
      if (!plan) throw invalid('Unknown tariff plan', [{ path: field, message: 'No such tariff plan' }]);
      if (!plan.active || plan.validFrom > now || (plan.validTo && plan.validTo <= now)) {
        throw invalid(`Tariff plan ${plan.code} v${plan.version} is not offered now`, [
          { path: field, message: 'Tariff plan is inactive or not currently valid' },
        ]);
      }
    },
  };
}

export type TariffPlanService = ReturnType<typeof createTariffPlanService>;
