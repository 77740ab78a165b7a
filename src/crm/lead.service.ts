import type { AuditService } from '../audit/index.js';
import type { Ctx } from '../auth/index.js';
import type { Db } from '../platform/database.js';
import { AppError, invalid, notFound } from '../platform/errors.js';
import { page, pageArgs } from '../platform/pagination.js';
import { containsText } from '../platform/text-match.js';
import type { LeadConversion, LeadInput, LeadPatch, LeadStage } from './lead.schemas.js';

/**
 * The sales pipeline moves forward one stage at a time; a lead can be lost from any open
 * stage and a lost lead reopened to NEW. WON is reached only by converting into a customer.
 */
const NEXT: Record<LeadStage, LeadStage[]> = {
  NEW: ['QUALIFIED', 'LOST'],
  QUALIFIED: ['PROPOSAL', 'NEW', 'LOST'],
  PROPOSAL: ['QUALIFIED', 'LOST'],
  WON: [],
  LOST: ['NEW'],
};

const publicLead = <T extends { estimatedValueMinor: bigint }>(l: T) => ({ ...l, estimatedValueMinor: Number(l.estimatedValueMinor) });

export function createLeadService({ db, audit }: { db: Db; audit: AuditService }) {
  async function find(id: string) {
    const lead = await db.lead.findUnique({ where: { id } });
    if (!lead) throw notFound('Lead');
    return lead;
  }

  return {
    async get(_ctx: Ctx, id: string) {
      return publicLead(await find(id));
    },

    async list(_ctx: Ctx, filter: { stage?: LeadStage; ownerId?: string; q?: string }, q: { limit: number; cursor?: string }) {
      const { cursorWhere, orderBy, take } = pageArgs(q);
      const rows = await db.lead.findMany({
        where: {
          AND: [cursorWhere, { stage: filter.stage, ownerId: filter.ownerId }, filter.q ? { companyName: containsText(filter.q) } : {}],
        },
        orderBy,
        take,
      });
      return page(rows, q.limit, publicLead);
    },

    /** Counts and value per stage: the pipeline board's column headers. */
    async pipeline(_ctx: Ctx) {
      const rows = await db.lead.groupBy({ by: ['stage'], _count: { _all: true }, _sum: { estimatedValueMinor: true } });
      return (['NEW', 'QUALIFIED', 'PROPOSAL', 'WON', 'LOST'] as const).map((stage) => {
        const r = rows.find((x) => x.stage === stage);
        return { stage, count: r?._count._all ?? 0, estimatedValueMinor: Number(r?._sum.estimatedValueMinor ?? 0n) };
      });
    },

    async create(ctx: Ctx, input: LeadInput) {
      const { estimatedValueMinor, ...rest } = input;
      return db.$transaction(async (tx) => {
        const row = await tx.lead.create({
          data: { ...rest, estimatedValueMinor: BigInt(estimatedValueMinor), ownerId: input.ownerId ?? ctx.actor.userId },
        });
        await audit.record(
          { actor: ctx.actor, requestId: ctx.requestId, action: 'lead.created', entityType: 'lead', entityId: row.id, after: row },
          tx,
        );
        return publicLead(row);
      });
    },

    async update(ctx: Ctx, id: string, patch: LeadPatch) {
      const before = await find(id);
      if (patch.stage && patch.stage !== before.stage) {
        if (patch.stage === 'WON')
          throw new AppError('conflict', 'A lead is won by converting it into a customer (POST /leads/{id}/convert)');
        if (!NEXT[before.stage].includes(patch.stage))
          throw new AppError('conflict', `A lead cannot move from ${before.stage} to ${patch.stage}`);
        if (patch.stage === 'LOST' && !patch.lostReason)
          throw invalid('A lost lead needs a reason', [{ path: 'lostReason', message: 'Required when stage is LOST' }]);
      }
      const { estimatedValueMinor, ...rest } = patch;
      return db.$transaction(async (tx) => {
        const row = await tx.lead.update({
          where: { id },
          data: { ...rest, ...(estimatedValueMinor !== undefined ? { estimatedValueMinor: BigInt(estimatedValueMinor) } : {}) },
        });
        await audit.record(
          { actor: ctx.actor, requestId: ctx.requestId, action: 'lead.updated', entityType: 'lead', entityId: id, before, after: row },
          tx,
        );
        return publicLead(row);
      });
    },

    /** Wins the lead: creates the end-user customer (with the lead's contact) and links them. */
    async convert(ctx: Ctx, id: string, input: LeadConversion) {
      const lead = await find(id);
      if (lead.stage === 'WON' || lead.stage === 'LOST')
        throw new AppError('conflict', `A ${lead.stage.toLowerCase()} lead cannot be converted`);
      if (input.contractorId) {
        const c = await db.customer.findUnique({ where: { id: input.contractorId } });
        if (c?.kind !== 'CONTRACTOR')
          throw invalid('contractorId must name a contractor', [{ path: 'contractorId', message: 'Not a contractor' }]);
      }
      return db.$transaction(async (tx) => {
        const customer = await tx.customer.create({
          data: {
            kind: 'END_USER',
            name: lead.companyName,
            email: lead.email,
            phone: lead.phone,
            segment: input.segment ?? null,
            tier: input.tier,
            contractorId: input.contractorId ?? null,
            ...(lead.contactName
              ? { contacts: { create: { name: lead.contactName, email: lead.email, phone: lead.phone, isPrimary: true } } }
              : {}),
          },
        });
        // Conditional update: two people converting at once cannot create two customers.
        const convertedAt = new Date();
        const won = await tx.lead.updateMany({
          where: { id, stage: lead.stage },
          data: { stage: 'WON', convertedCustomerId: customer.id, convertedAt },
        });
        if (won.count !== 1) throw new AppError('conflict', 'The lead changed while converting; reload and retry');
        await tx.interaction.updateMany({ where: { leadId: id }, data: { customerId: customer.id } });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'lead.converted',
            entityType: 'lead',
            entityId: id,
            before: lead,
            after: { stage: 'WON', convertedCustomerId: customer.id },
          },
          tx,
        );
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'customer.created',
            entityType: 'customer',
            entityId: customer.id,
            after: customer,
          },
          tx,
        );
        return { lead: publicLead({ ...lead, stage: 'WON' as const, convertedCustomerId: customer.id, convertedAt }), customer };
      });
    },
  };
}

export type LeadService = ReturnType<typeof createLeadService>;
