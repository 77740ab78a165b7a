import type { AuditService } from '../audit/index.js';
import type { Ctx } from '../auth/index.js';
import type { Db } from '../platform/database.js';
import { notFound } from '../platform/errors.js';
import type { InteractionInput } from './lead.schemas.js';

/** Calls, visits, e-mails, meetings and notes by staff, on a customer or a lead. */
export function createInteractionService({ db, audit }: { db: Db; audit: AuditService }) {
  return {
    async record(ctx: Ctx, input: InteractionInput) {
      if (input.customerId && !(await db.customer.findUnique({ where: { id: input.customerId }, select: { id: true } })))
        throw notFound('Customer');
      if (input.leadId && !(await db.lead.findUnique({ where: { id: input.leadId }, select: { id: true } }))) throw notFound('Lead');
      return db.$transaction(async (tx) => {
        const row = await tx.interaction.create({
          data: {
            kind: input.kind,
            customerId: input.customerId ?? null,
            leadId: input.leadId ?? null,
            subject: input.subject,
            body: input.body ?? null,
            occurredAt: input.occurredAt ?? new Date(),
            userId: ctx.actor.userId,
          },
        });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'interaction.created',
            entityType: 'interaction',
            entityId: row.id,
            after: row,
          },
          tx,
        );
        return row;
      });
    },

    async list(filter: { customerId?: string; leadId?: string; limit: number }) {
      return db.interaction.findMany({
        where: { customerId: filter.customerId, leadId: filter.leadId },
        orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
        take: filter.limit,
        include: { user: { select: { id: true, name: true } } },
      });
    },
  };
}

export type InteractionService = ReturnType<typeof createInteractionService>;
