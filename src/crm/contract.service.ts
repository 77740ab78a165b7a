import type { AuditService } from '../audit/index.js';
import type { Ctx, Principal } from '../auth/index.js';
import { contractWhere, customerWhere, isStaff } from '../auth/index.js';
import type { Db, Prisma } from '../platform/database.js';
import { AppError, conflict, invalid, isUniqueViolation, notFound } from '../platform/errors.js';
import { page, pageArgs } from '../platform/pagination.js';
import {
  CONTRACT_TRANSITIONS,
  type ContractFilter,
  type ContractInput,
  type ContractPatch,
  type ContractStatus,
} from './contract.schemas.js';

/** What a status change hook receives (suspension and reactivation matter to the gateway). */
export interface ContractStatusChange {
  contractId: string;
  customerId: string;
  number: string;
  from: ContractStatus;
  to: ContractStatus;
  reason: string | null;
  actor: Principal | null;
  /** Facts of the cause the event carries as well (dunning: the overdue invoice). */
  detail?: Record<string, string | number | null>;
}

/** A suspension or reactivation decided by the platform itself (dunning), not by a person. */
export interface SystemStatusChange {
  reason?: string;
  /** Reactivation only lifts a suspension whose reason starts with this (dunning lifts only its own). */
  reasonPrefix?: string;
  detail?: Record<string, string | number | null>;
}

/** A dated change of what the contract owes, for billing's service history. */
export interface ContractServiceChange {
  contractId: string;
  kind: 'CONTRACT_STARTED' | 'CONTRACT_SUSPENDED' | 'CONTRACT_REACTIVATED' | 'CONTRACT_TERMINATED' | 'PLAN_CHANGED';
  tariffPlanId?: string | null;
  previousTariffPlanId?: string | null;
  at?: Date;
  /** Local day (operator zone) from which it applies, instead of `at`. */
  effectiveDay?: string;
  reason?: string | null;
}

export interface ContractDeps {
  db: Db;
  audit: AuditService;
  /** The tariff plan module decides whether a plan may be put on a contract (billing owns that table). */
  tariffPlans: { assertAssignable(id: string, field?: string): Promise<void> };
  /** Operator time zone: the year in generated contract numbers follows it. */
  timezone: string;
  /**
   * Called inside the transaction that changes a contract's status. Issue 7 plugs the gateway
   * in here (outbox event so terminals of a suspended contract are refused, and admitted again
   * on reactivation); being in the transaction, the notice commits or rolls back with the change.
   */
  onStatusChanged?: (change: ContractStatusChange, tx: Prisma.TransactionClient) => Promise<void>;
  /** Called after that transaction commits: the place to drop cached terminal credentials. */
  afterStatusChanged?: (change: ContractStatusChange) => Promise<void>;
  /** Billing's service history, written in the transaction that makes the change. */
  history?: { record(tx: Prisma.TransactionClient, changes: ContractServiceChange[]): Promise<void> };
}

const STATUS_CHANGE: Partial<Record<ContractStatus, ContractServiceChange['kind']>> = {
  SUSPENDED: 'CONTRACT_SUSPENDED',
  TERMINATED: 'CONTRACT_TERMINATED',
};

/** The history entry of a status change; none for DRAFT -> ACTIVE (billing starts from startDate). */
function statusChange(id: string, from: ContractStatus, to: ContractStatus, reason: string | null): ContractServiceChange[] {
  const kind = to === 'ACTIVE' && from === 'SUSPENDED' ? 'CONTRACT_REACTIVATED' : STATUS_CHANGE[to];
  return kind ? [{ contractId: id, kind, reason }] : [];
}

const include = { tariffPlan: { select: { id: true, code: true, version: true, name: true } } } as const;

export function createContractService(deps: ContractDeps) {
  const { db, audit, tariffPlans } = deps;
  const yearFormat = new Intl.DateTimeFormat('en', { timeZone: deps.timezone, year: 'numeric' });
  const dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: deps.timezone, year: 'numeric', month: '2-digit', day: '2-digit' });

  async function visible(ctx: Ctx, id: string) {
    const row = await db.contract.findFirst({ where: { AND: [{ id }, contractWhere(ctx.actor)] }, include });
    if (!row) throw notFound('Contract');
    return row;
  }

  /** Next C-YYYY-NNNNNN; the advisory lock serialises allocations so two creates never collide. */
  /** A customer churns when its last contract ends: none left that is not terminated. */
  async function churnIfLastContract(tx: Prisma.TransactionClient, customerId: string, at: Date) {
    const live = await tx.contract.count({ where: { customerId, status: { not: 'TERMINATED' } } });
    if (live === 0)
      await tx.customer.updateMany({ where: { id: customerId, status: 'ACTIVE' }, data: { status: 'CHURNED', churnedAt: at } });
  }

  async function nextNumber(tx: Prisma.TransactionClient): Promise<string> {
    const year = yearFormat.format(new Date());
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('contract-number'))`;
    const rows = await tx.$queryRaw<{ n: number | null }[]>`
      SELECT max(substring(number from 8)::int) AS n FROM "Contract" WHERE number ~ ${`^C-${year}-[0-9]{6}$`}`;
    return `C-${year}-${String((rows[0]?.n ?? 0) + 1).padStart(6, '0')}`;
  }

  async function audited<T extends { id: string }>(
    ctx: Ctx,
    action: string,
    before: unknown,
    write: (tx: Prisma.TransactionClient) => Promise<T>,
  ) {
    try {
      return await db.$transaction(async (tx) => {
        const row = await write(tx);
        await audit.record(
          { actor: ctx.actor, requestId: ctx.requestId, action, entityType: 'contract', entityId: row.id, before, after: row },
          tx,
        );
        return row;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('A contract with this number already exists');
      throw err;
    }
  }

  return {
    get: visible,

    async list(ctx: Ctx, filter: ContractFilter, q: { limit: number; cursor?: string }) {
      const { cursorWhere, orderBy, take } = pageArgs(q);
      const rows = await db.contract.findMany({
        where: {
          AND: [
            contractWhere(ctx.actor),
            cursorWhere,
            { customerId: filter.customerId, contractorId: filter.contractorId, status: filter.status },
          ],
        },
        include,
        orderBy,
        take,
      });
      return page(rows, q.limit);
    },

    async create(ctx: Ctx, input: ContractInput) {
      const staff = isStaff(ctx.actor);
      if (!staff && ctx.actor.role !== 'CONTRACTOR') throw new AppError('forbidden', 'Your role may not create contracts');
      // Unknown and out-of-scope customers get the same answer, so existence does not leak.
      const customer = await db.customer.findFirst({ where: { AND: [{ id: input.customerId }, customerWhere(ctx.actor)] } });
      if (!customer) throw invalid('Unknown customer', [{ path: 'customerId', message: 'No such customer' }]);
      if (customer.kind !== 'END_USER')
        throw invalid('Contracts are made with end users', [{ path: 'customerId', message: 'Not an end user' }]);
      if (customer.status !== 'ACTIVE') throw conflict('The customer has churned');

      let contractorId = customer.contractorId;
      if (staff && input.contractorId !== undefined) {
        contractorId = input.contractorId;
        if (contractorId) {
          const c = await db.customer.findUnique({ where: { id: contractorId } });
          if (c?.kind !== 'CONTRACTOR')
            throw invalid('contractorId must name a contractor', [{ path: 'contractorId', message: 'Not a contractor' }]);
        }
      }
      // A contractor can only reach its own end users (scoped above) and is always their contractor.
      await tariffPlans.assertAssignable(input.tariffPlanId);

      return audited(ctx, 'contract.created', undefined, async (tx) => {
        // Only staff may carry over a number from elsewhere (e.g. a paper contract); others get the sequence.
        const number = (staff ? input.number : undefined) ?? (await nextNumber(tx));
        const row = await tx.contract.create({
          data: {
            number,
            customerId: customer.id,
            contractorId,
            tariffPlanId: input.tariffPlanId,
            startDate: input.startDate,
            endDate: input.endDate ?? null,
            status: input.status,
          },
          include,
        });
        await deps.history?.record(tx, [
          { contractId: row.id, kind: 'CONTRACT_STARTED', tariffPlanId: row.tariffPlanId, at: row.startDate },
        ]);
        return row;
      });
    },

    async update(ctx: Ctx, id: string, patch: ContractPatch) {
      const before = await visible(ctx, id);
      const from = before.status as ContractStatus;
      const to = patch.status ?? from;
      if (from === 'TERMINATED' && (to !== from || patch.tariffPlanId || patch.endDate !== undefined)) {
        throw conflict('The contract is terminated and can no longer change');
      }
      if (to !== from && !CONTRACT_TRANSITIONS[from].includes(to)) {
        throw conflict(`A ${from} contract cannot become ${to}`);
      }
      const data: Prisma.ContractUncheckedUpdateManyInput = {};
      const changes: ContractServiceChange[] = [];
      if (patch.effectiveFrom !== undefined && !patch.tariffPlanId) {
        throw invalid('effectiveFrom goes with a new tariffPlanId', [{ path: 'effectiveFrom', message: 'Only with tariffPlanId' }]);
      }
      // Invoiced days must not change: a plan change applies from today at the earliest.
      if (patch.effectiveFrom !== undefined && patch.effectiveFrom < dayFormat.format(new Date())) {
        throw invalid('effectiveFrom must be today or later', [{ path: 'effectiveFrom', message: 'In the past' }]);
      }
      if (patch.tariffPlanId && patch.tariffPlanId !== before.tariffPlanId) {
        await tariffPlans.assertAssignable(patch.tariffPlanId);
        // The contract names the plan agreed last; billing rates each day under the plan then in force.
        data.tariffPlanId = patch.tariffPlanId;
        changes.push({
          contractId: id,
          kind: 'PLAN_CHANGED',
          tariffPlanId: patch.tariffPlanId,
          previousTariffPlanId: before.tariffPlanId,
          ...(patch.effectiveFrom ? { effectiveDay: patch.effectiveFrom } : {}),
        });
      }
      const endDate = patch.endDate === undefined ? before.endDate : patch.endDate;
      if (endDate && endDate < before.startDate)
        throw invalid('endDate must not be before startDate', [{ path: 'endDate', message: 'Before startDate' }]);
      if (patch.endDate !== undefined) data.endDate = patch.endDate;
      if (to !== from) {
        data.status = to;
        if (to === 'SUSPENDED') {
          data.suspendedAt = new Date();
          data.suspensionReason = patch.suspensionReason ?? 'Suspended by staff';
        } else if (to === 'ACTIVE') {
          data.suspendedAt = null;
          data.suspensionReason = null;
        } else if (to === 'TERMINATED' && !endDate) {
          data.endDate = new Date();
        }
      } else if (patch.suspensionReason !== undefined && from === 'SUSPENDED') {
        data.suspensionReason = patch.suspensionReason;
      }

      const action =
        to === from
          ? 'contract.updated'
          : to === 'ACTIVE'
            ? from === 'SUSPENDED'
              ? 'contract.reactivated'
              : 'contract.activated'
            : `contract.${to.toLowerCase()}`;
      const change = (row: { customerId: string; number: string; suspensionReason: string | null }): ContractStatusChange => ({
        contractId: id,
        customerId: row.customerId,
        number: row.number,
        from,
        to,
        reason: row.suspensionReason,
        actor: ctx.actor,
      });
      const row = await audited(ctx, action, before, async (tx) => {
        // Conditional on the status we checked, so a concurrent change (dunning, another user)
        // turns into a 409 instead of an unchecked transition.
        const { count } = await tx.contract.updateMany({ where: { id, status: from }, data });
        if (count === 0) throw conflict('The contract changed meanwhile; reload and retry');
        const updated = await tx.contract.findUniqueOrThrow({ where: { id }, include });
        if (to !== from) await deps.onStatusChanged?.(change(updated), tx);
        if (to === 'TERMINATED') await churnIfLastContract(tx, updated.customerId, updated.endDate ?? new Date());
        await deps.history?.record(tx, [...changes, ...(to !== from ? statusChange(id, from, to, updated.suspensionReason) : [])]);
        return updated;
      });
      if (to !== from) await deps.afterStatusChanged?.(change(row));
      return row;
    },

    /** ACTIVE -> SUSPENDED by the platform; false if the contract was not active (nothing changed). */
    suspendBySystem: (id: string, c: SystemStatusChange) =>
      systemChange(id, 'ACTIVE', 'SUSPENDED', { suspendedAt: new Date(), suspensionReason: c.reason ?? 'Suspended by the platform' }, c),

    /** SUSPENDED -> ACTIVE by the platform; false if not suspended (or, with reasonPrefix, suspended for another reason). */
    reactivateBySystem: (id: string, c: SystemStatusChange = {}) =>
      systemChange(id, 'SUSPENDED', 'ACTIVE', { suspendedAt: null, suspensionReason: null }, c),
  };

  /**
   * The platform's status changes take the same path as a person's (audit, hooks in the
   * transaction, credentials after commit), without a scope and with no actor. Conditional on
   * the expected status, so whichever of a person and the platform commits first wins.
   */
  async function systemChange(
    id: string,
    from: ContractStatus,
    to: ContractStatus,
    data: Prisma.ContractUncheckedUpdateManyInput,
    c: SystemStatusChange,
  ) {
    const reasonGuard = c.reasonPrefix ? { suspensionReason: { startsWith: c.reasonPrefix } } : {};
    const done = await db.$transaction(async (tx) => {
      const before = await tx.contract.findUnique({ where: { id }, include });
      const { count } = await tx.contract.updateMany({ where: { id, status: from, ...reasonGuard }, data: { ...data, status: to } });
      if (!before || count === 0) return null;
      const after = await tx.contract.findUniqueOrThrow({ where: { id }, include });
      const action = to === 'ACTIVE' ? 'contract.reactivated' : 'contract.suspended';
      await audit.record({ actor: null, action, entityType: 'contract', entityId: id, before, after }, tx);
      const change: ContractStatusChange = {
        contractId: id,
        customerId: after.customerId,
        number: after.number,
        from,
        to,
        reason: after.suspensionReason,
        actor: null,
        ...(c.detail ? { detail: c.detail } : {}),
      };
      await deps.onStatusChanged?.(change, tx);
      await deps.history?.record(tx, statusChange(id, from, to, after.suspensionReason));
      return change;
    });
    if (done) await deps.afterStatusChanged?.(done);
    return done !== null;
  }
}

export type ContractService = ReturnType<typeof createContractService>;
