import type { AuditService } from '../audit/index.js';
import type { Db, Prisma } from '../platform/database.js';
import { conflict, notFound } from '../platform/errors.js';
import { page, pageArgs } from '../platform/pagination.js';
import { containsText } from '../platform/text-match.js';
import { publicUser } from './auth.service.js';
import { assertStrongPassword } from './password-policy.js';
import type { Principal } from './principal.js';
import { hashPassword } from './secrets.js';
import type { UserFilter, UserPatch } from './user.schemas.js';
import { assertRoleFitsCustomer, isExternalRole } from './user-policy.js';

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
      if (filter.q) match.OR = [{ email: containsText(filter.q) }, { name: containsText(filter.q) }];
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
      // A user tied to a customer becomes staff only when the link is dropped explicitly (customerId: null).
      await assertRoleFitsCustomer(db, role, customerId);
      if (patch.password) assertStrongPassword(patch.password, before.email);
      const data: Prisma.UserUncheckedUpdateInput = {
        name: patch.name,
        role: patch.role,
        active: patch.active,
        customerId: isExternalRole(role) ? customerId : null,
      };
      if (patch.password) data.passwordHash = await hashPassword(patch.password);
      // Deactivation, a password reset or a role change ends every session at once. Deactivation
      // and a password reset (the account may be in the wrong hands) also revoke the user's API keys.
      const endSessions = patch.active === false || !!patch.password || (patch.role !== undefined && patch.role !== before.role);
      const revokeKeys = patch.active === false || !!patch.password;
      return db.$transaction(async (tx) => {
        const row = await tx.user.update({ where: { id }, data });
        const ended = endSessions ? (await tx.session.deleteMany({ where: { userId: id } })).count : 0;
        const revoked = revokeKeys
          ? (await tx.apiKey.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: new Date() } })).count
          : 0;
        const after = {
          ...publicUser(row),
          ...(patch.password ? { passwordReset: true } : {}),
          ...(ended ? { sessionsEnded: ended } : {}),
          ...(revoked ? { apiKeysRevoked: revoked } : {}),
        };
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'user.updated',
            entityType: 'user',
            entityId: id,
            before: publicUser(before),
            after,
          },
          tx,
        );
        return publicUser(row);
      });
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
