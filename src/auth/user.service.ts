import type { Db, Prisma } from '../platform/database.js';
import type { AuditService } from '../audit/index.js';
import { conflict, invalid, notFound } from '../platform/errors.js';
import { page, pageArgs } from '../platform/pagination.js';
import { publicUser } from './auth.service.js';
import { hashPassword } from './secrets.js';
import type { Principal } from './principal.js';
import type { UserFilter, UserPatch } from './user.schemas.js';

interface Ctx {
  actor: Principal;
  requestId?: string;
}

/** User administration (the admin's side); logging in and API keys live in auth.service. */
export function createUserService({ db, audit }: { db: Db; audit: AuditService }) {
  return {
    async list(_ctx: Ctx, filter: UserFilter, q: { limit: number; cursor?: string }) {
      const { cursorWhere, orderBy, take } = pageArgs(q);
      const match: Prisma.UserWhereInput = { role: filter.role, active: filter.active, customerId: filter.customerId };
      if (filter.q) match.OR = [{ email: { contains: filter.q, mode: 'insensitive' } }, { name: { contains: filter.q, mode: 'insensitive' } }];
      const rows = await db.user.findMany({ where: { AND: [cursorWhere, match] }, orderBy, take });
      return page(rows, q.limit, (u) => ({ ...publicUser(u), lastLoginAt: u.lastLoginAt }));
    },

    async update(ctx: Ctx, id: string, patch: UserPatch) {
      const before = await db.user.findUnique({ where: { id } });
      if (!before) throw notFound('User');
      if (id === ctx.actor.userId && (patch.active === false || (patch.role && patch.role !== before.role))) {
        // Otherwise the last administrator could lock everyone out.
        throw conflict('You cannot deactivate yourself or change your own role');
      }
      const role = patch.role ?? before.role;
      const customerId = patch.customerId === undefined ? before.customerId : patch.customerId;
      const external = role === 'CONTRACTOR' || role === 'CUSTOMER';
      if (external && !customerId) throw invalid('Contractor and customer users need a customerId', [{ path: 'customerId', message: 'Required for this role' }]);
      if (external) {
        const customer = await db.customer.findUnique({ where: { id: customerId! } });
        if (!customer || (role === 'CONTRACTOR') !== (customer.kind === 'CONTRACTOR')) {
          throw invalid('customerId does not fit the role', [{ path: 'customerId', message: role === 'CONTRACTOR' ? 'Not a contractor' : 'Not an end user' }]);
        }
      }
      const data: Prisma.UserUncheckedUpdateInput = {
        name: patch.name,
        role: patch.role,
        active: patch.active,
        // Staff act for no customer: changing to a staff role drops the link.
        customerId: external ? customerId : null,
      };
      if (patch.password) data.passwordHash = await hashPassword(patch.password);
      // Deactivation, a password reset or a role change ends every session at once;
      // API keys of an inactive user are refused at authentication.
      const endSessions = patch.active === false || !!patch.password || (patch.role !== undefined && patch.role !== before.role);
      return db.$transaction(async (tx) => {
        const row = await tx.user.update({ where: { id }, data });
        const ended = endSessions ? (await tx.session.deleteMany({ where: { userId: id } })).count : 0;
        const after = { ...publicUser(row), ...(patch.password ? { passwordReset: true } : {}), ...(ended ? { sessionsEnded: ended } : {}) };
        await audit.record({ actor: ctx.actor, requestId: ctx.requestId, action: 'user.updated', entityType: 'user', entityId: id, before: publicUser(before), after }, tx);
        return publicUser(row);
      });
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;