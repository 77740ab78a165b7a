import type { AuditService } from '../audit/index.js';
import type { Ctx, Role } from '../auth/index.js';
import { customerWhere } from '../auth/index.js';
import type { Db, Prisma } from '../platform/database.js';
import { AppError, conflict, invalid, notFound } from '../platform/errors.js';
import { page, pageArgs } from '../platform/pagination.js';
import type { CommercialRequestFilter, CommercialRequestInput } from './commercial-request.schemas.js';

/** Who decides a commercial request (ADMIN always may). Nobody decides their own request. */
export const COMMERCIAL_DECIDERS: readonly Role[] = ['SALES', 'FINANCE'];

interface Terms {
  tier?: string;
  paymentTermsDays?: number;
}

/**
 * Commercial terms (tier, payment terms) of a customer change only with the approval of sales
 * or finance. A contractor asks for its end user; the request, its decision and the change it
 * made are kept, audited and shown on the customer's timeline.
 */
export function createCommercialRequestService({ db, audit }: { db: Db; audit: AuditService }) {
  async function inScope(ctx: Ctx, id: string) {
    const row = await db.commercialRequest.findFirst({ where: { AND: [{ id }, { customer: customerWhere(ctx.actor) }] } });
    if (!row) throw notFound('Commercial request');
    return row;
  }

  async function decide(ctx: Ctx, id: string, status: 'APPROVED' | 'REFUSED' | 'WITHDRAWN', note: string | undefined) {
    const request = await inScope(ctx, id);
    if (status === 'WITHDRAWN' && request.requestedById !== ctx.actor.userId) {
      throw new AppError('forbidden', 'Only the person who asked may withdraw a request');
    }
    if (status !== 'WITHDRAWN' && request.requestedById === ctx.actor.userId) {
      throw new AppError('forbidden', 'A request is decided by someone other than the person who asked');
    }
    return db.$transaction(async (tx) => {
      // Conditional: two people deciding at once cannot both apply their decision.
      const done = await tx.commercialRequest.updateMany({
        where: { id, status: 'PENDING' },
        data: { status, decidedById: ctx.actor.userId, decidedAt: new Date(), decisionNote: note ?? null },
      });
      if (done.count !== 1) throw conflict(`The request is ${request.status.toLowerCase()} already`);
      if (status === 'APPROVED') {
        const changes = request.changes as Terms;
        const before = await tx.customer.findUniqueOrThrow({ where: { id: request.customerId } });
        const after = await tx.customer.update({
          where: { id: request.customerId },
          data: {
            ...(changes.tier ? { tier: changes.tier as 'STANDARD' } : {}),
            ...(changes.paymentTermsDays !== undefined ? { paymentTermsDays: changes.paymentTermsDays } : {}),
          },
        });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'customer.commercial_terms_changed',
            entityType: 'customer',
            entityId: request.customerId,
            before: { tier: before.tier, paymentTermsDays: before.paymentTermsDays },
            after: { tier: after.tier, paymentTermsDays: after.paymentTermsDays, requestId: id },
          },
          tx,
        );
      }
      await audit.record(
        {
          actor: ctx.actor,
          requestId: ctx.requestId,
          action: `commercial_request.${status.toLowerCase()}`,
          entityType: 'commercial_request',
          entityId: id,
          after: { status, note: note ?? null },
        },
        tx,
      );
      return tx.commercialRequest.findUniqueOrThrow({ where: { id } });
    });
  }

  return {
    async request(ctx: Ctx, customerId: string, input: CommercialRequestInput) {
      const customer = await db.customer.findFirst({ where: { AND: [{ id: customerId }, customerWhere(ctx.actor)] } });
      if (!customer) throw notFound('Customer');
      if (ctx.actor.role === 'CONTRACTOR' && customer.id === ctx.actor.customerId) {
        throw new AppError('forbidden', 'A contractor asks for its end users, not for itself');
      }
      const changes: Terms = {};
      if (input.tier !== undefined && input.tier !== customer.tier) changes.tier = input.tier;
      if (input.paymentTermsDays !== undefined && input.paymentTermsDays !== customer.paymentTermsDays) {
        changes.paymentTermsDays = input.paymentTermsDays;
      }
      if (!Object.keys(changes).length) {
        throw invalid('The request changes nothing', [
          { path: 'body', message: 'Name a tier or payment terms other than the current ones' },
        ]);
      }
      return db.$transaction(async (tx) => {
        const row = await tx.commercialRequest.create({
          data: {
            customerId,
            requestedById: ctx.actor.userId,
            changes: changes as Prisma.InputJsonObject,
            before: { tier: customer.tier, paymentTermsDays: customer.paymentTermsDays },
            reason: input.reason,
          },
        });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'commercial_request.created',
            entityType: 'commercial_request',
            entityId: row.id,
            after: row,
          },
          tx,
        );
        return row;
      });
    },

    async list(ctx: Ctx, filter: CommercialRequestFilter, q: { limit: number; cursor?: string | undefined }) {
      const { cursorWhere, orderBy, take } = pageArgs(q);
      const rows = await db.commercialRequest.findMany({
        where: {
          AND: [
            { customer: customerWhere(ctx.actor) },
            cursorWhere,
            filter.status ? { status: filter.status } : {},
            filter.customerId ? { customerId: filter.customerId } : {},
          ],
        },
        orderBy,
        take,
        include: { customer: { select: { name: true } } },
      });
      return page(rows, q.limit);
    },

    get: inScope,
    approve: (ctx: Ctx, id: string, note?: string) => decide(ctx, id, 'APPROVED', note),
    refuse: (ctx: Ctx, id: string, note?: string) => decide(ctx, id, 'REFUSED', note),
    withdraw: (ctx: Ctx, id: string) => decide(ctx, id, 'WITHDRAWN', undefined),
  };
}

export type CommercialRequestService = ReturnType<typeof createCommercialRequestService>;
