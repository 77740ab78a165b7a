import type { AuditService } from '../audit/index.js';
import type { Ctx } from '../auth/index.js';
import { customerWhere, isStaff } from '../auth/index.js';
import type { Db } from '../platform/database.js';
import { AppError, invalid, notFound } from '../platform/errors.js';
import { page, pageArgs } from '../platform/pagination.js';
import { containsText } from '../platform/text-match.js';
import { COMMERCIAL_TERMS } from './commercial-request.schemas.js';
import { COMMERCIAL_DECIDERS } from './commercial-request.service.js';
import type { ContactInput, CustomerInput, CustomerPatch } from './crm.schemas.js';

const DEFAULT_PAYMENT_TERMS_DAYS = 30;

/** Sales and finance set tier, payment terms and commission directly; everyone else asks. */
function setsCommercialTerms(ctx: Ctx): boolean {
  return ctx.actor.role === 'ADMIN' || COMMERCIAL_DECIDERS.includes(ctx.actor.role);
}

export function createCustomerService({ db, audit }: { db: Db; audit: AuditService }) {
  async function visible(ctx: Ctx, id: string) {
    const row = await db.customer.findFirst({ where: { AND: [{ id }, customerWhere(ctx.actor)] } });
    if (!row) throw notFound('Customer');
    return row;
  }

  async function checkContractor(contractorId: string | null | undefined) {
    if (!contractorId) return;
    const c = await db.customer.findUnique({ where: { id: contractorId } });
    if (c?.kind !== 'CONTRACTOR') {
      throw invalid('contractorId must name a contractor', [{ path: 'contractorId', message: 'Not a contractor' }]);
    }
  }

  return {
    get: visible,

    async list(
      ctx: Ctx,
      filter: { kind?: 'END_USER' | 'CONTRACTOR'; contractorId?: string; status?: 'ACTIVE' | 'CHURNED'; q?: string },
      q: { limit: number; cursor?: string },
    ) {
      const { cursorWhere, orderBy, take } = pageArgs(q);
      const rows = await db.customer.findMany({
        where: {
          AND: [
            customerWhere(ctx.actor),
            cursorWhere,
            {
              kind: filter.kind,
              contractorId: filter.contractorId,
              status: filter.status,
              ...(filter.q ? { name: containsText(filter.q) } : {}),
            },
          ],
        },
        orderBy,
        take,
      });
      return page(rows, q.limit);
    },

    async create(ctx: Ctx, input: CustomerInput) {
      const data = { ...input };
      if (!isStaff(ctx.actor)) {
        // A contractor creates only its own end users; end users create nothing here.
        if (ctx.actor.role !== 'CONTRACTOR') throw new AppError('forbidden', 'Your role may not create customers');
        if (input.kind !== 'END_USER') {
          throw new AppError('forbidden', 'A contractor creates end users only', [{ path: 'body.kind', message: 'Must be END_USER' }]);
        }
        data.contractorId = ctx.actor.customerId;
        data.commissionRateBp = null;
      }
      if (!setsCommercialTerms(ctx)) {
        // The house terms; anything better is asked for once the customer exists (commercial requests).
        data.tier = 'STANDARD';
        data.paymentTermsDays = DEFAULT_PAYMENT_TERMS_DAYS;
      }
      if (data.kind === 'CONTRACTOR') data.contractorId = null;
      await checkContractor(data.contractorId);
      return db.$transaction(async (tx) => {
        const row = await tx.customer.create({ data });
        await audit.record(
          { actor: ctx.actor, requestId: ctx.requestId, action: 'customer.created', entityType: 'customer', entityId: row.id, after: row },
          tx,
        );
        return row;
      });
    },

    async update(ctx: Ctx, id: string, patch: CustomerPatch) {
      const before = await visible(ctx, id);
      const data = { ...patch };
      if (!setsCommercialTerms(ctx)) {
        const changed = COMMERCIAL_TERMS.filter((term) => data[term] !== undefined && data[term] !== before[term]);
        if (changed.length) {
          throw new AppError(
            'forbidden',
            'Commercial terms change with the approval of sales or finance: ask through POST /customers/{id}/commercial-requests',
            changed.map((term) => ({ path: `body.${term}`, message: 'Needs approval by sales or finance' })),
          );
        }
        for (const term of COMMERCIAL_TERMS) delete data[term];
      }
      if (!isStaff(ctx.actor)) {
        // End users and contractors do not churn customers or move them between contractors.
        if (ctx.actor.role !== 'CONTRACTOR' || before.id === ctx.actor.customerId) delete data.status;
        delete data.contractorId;
      }
      if (before.kind === 'CONTRACTOR') delete data.contractorId;
      await checkContractor(data.contractorId);
      const churn =
        data.status === 'CHURNED' && before.status !== 'CHURNED'
          ? { churnedAt: new Date() }
          : data.status === 'ACTIVE'
            ? { churnedAt: null }
            : {};
      return db.$transaction(async (tx) => {
        const row = await tx.customer.update({ where: { id }, data: { ...data, ...churn } });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'customer.updated',
            entityType: 'customer',
            entityId: id,
            before,
            after: row,
          },
          tx,
        );
        return row;
      });
    },

    async listContacts(ctx: Ctx, customerId: string) {
      await visible(ctx, customerId);
      return db.contact.findMany({ where: { customerId }, orderBy: [{ isPrimary: 'desc' }, { name: 'asc' }] });
    },

    async addContact(ctx: Ctx, customerId: string, input: ContactInput) {
      await visible(ctx, customerId);
      return db.$transaction(async (tx) => {
        if (input.isPrimary) await tx.contact.updateMany({ where: { customerId }, data: { isPrimary: false } });
        if (input.isBilling) await tx.contact.updateMany({ where: { customerId }, data: { isBilling: false } });
        const row = await tx.contact.create({ data: { ...input, customerId } });
        await audit.record(
          { actor: ctx.actor, requestId: ctx.requestId, action: 'contact.created', entityType: 'contact', entityId: row.id, after: row },
          tx,
        );
        return row;
      });
    },

    async updateContact(ctx: Ctx, customerId: string, contactId: string, patch: Partial<ContactInput>) {
      await visible(ctx, customerId);
      const before = await db.contact.findFirst({ where: { id: contactId, customerId } });
      if (!before) throw notFound('Contact');
      return db.$transaction(async (tx) => {
        if (patch.isPrimary) await tx.contact.updateMany({ where: { customerId }, data: { isPrimary: false } });
        if (patch.isBilling) await tx.contact.updateMany({ where: { customerId }, data: { isBilling: false } });
        const row = await tx.contact.update({ where: { id: contactId }, data: patch });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'contact.updated',
            entityType: 'contact',
            entityId: row.id,
            before,
            after: row,
          },
          tx,
        );
        return row;
      });
    },

    /** Opt a contact in or out of ticket e-mails: staff, the contractor and the customer itself (scope gives 404). */
    async setTicketEmails(ctx: Ctx, customerId: string, contactId: string, enabled: boolean) {
      await visible(ctx, customerId);
      const before = await db.contact.findFirst({ where: { id: contactId, customerId } });
      if (!before) throw notFound('Contact');
      if (enabled && !before.email)
        throw invalid('The contact has no e-mail address', [{ path: 'enabled', message: 'Add an e-mail address to the contact first' }]);
      return db.$transaction(async (tx) => {
        const row = await tx.contact.update({ where: { id: contactId }, data: { ticketEmails: enabled } });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'contact.ticket-emails',
            entityType: 'contact',
            entityId: row.id,
            before: { ticketEmails: before.ticketEmails },
            after: { ticketEmails: enabled },
          },
          tx,
        );
        return row;
      });
    },

    async deleteContact(ctx: Ctx, customerId: string, contactId: string) {
      await visible(ctx, customerId);
      const before = await db.contact.findFirst({ where: { id: contactId, customerId } });
      if (!before) throw notFound('Contact');
      await db.$transaction(async (tx) => {
        await tx.contact.delete({ where: { id: contactId } });
        await audit.record(
          { actor: ctx.actor, requestId: ctx.requestId, action: 'contact.deleted', entityType: 'contact', entityId: contactId, before },
          tx,
        );
      });
    },
  };
}

export type CustomerService = ReturnType<typeof createCustomerService>;
