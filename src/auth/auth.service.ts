import type { Db } from '../platform/database.js';
import { AppError, notFound } from '../platform/errors.js';
import type { AuditService } from '../audit/index.js';
import { hashPassword, hashSecret, newSecret, verifyPassword } from './secrets.js';
import { isStaff, type Principal, type Role } from './principal.js';

export interface AuthDeps {
  db: Db;
  audit: AuditService;
  sessionTtlHours: number;
}

// A fixed hash to compare against when the e-mail is unknown, so timing does not reveal which e-mails exist.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export function createAuthService({ db, audit, sessionTtlHours }: AuthDeps) {
  return {
    async login(email: string, password: string): Promise<{ token: string; expiresAt: Date; principal: Principal }> {
      const user = await db.user.findUnique({ where: { email: email.toLowerCase() } });
      const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
      if (!user || !ok || !user.active) throw new AppError('unauthorized', 'Wrong e-mail or password');
      const token = newSecret('nxs_');
      const expiresAt = new Date(Date.now() + sessionTtlHours * 3600_000);
      await db.session.create({ data: { tokenHash: hashSecret(token), userId: user.id, expiresAt } });
      await db.user.update({ where: { id: user.id }, data: { lastLoginAt: new Date() } });
      return { token, expiresAt, principal: toPrincipal(user, 'session') };
    },

    async logout(token: string): Promise<void> {
      await db.session.deleteMany({ where: { tokenHash: hashSecret(token) } });
    },

    /** Resolves a bearer token (session token or API key) to a principal, or null. */
    async authenticate(token: string): Promise<Principal | null> {
      const tokenHash = hashSecret(token);
      if (token.startsWith('nxk_')) {
        const key = await db.apiKey.findUnique({ where: { keyHash: tokenHash }, include: { user: true } });
        if (!key || key.revokedAt || (key.expiresAt && key.expiresAt < new Date()) || !key.user.active) return null;
        // Last-used is informative only: at most one write a minute per key.
        if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > 60_000) {
          await db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date() } });
        }
        return toPrincipal(key.user, 'api-key');
      }
      const session = await db.session.findUnique({ where: { tokenHash }, include: { user: true } });
      if (!session || session.expiresAt < new Date() || !session.user.active) return null;
      return toPrincipal(session.user, 'session');
    },

    async createUser(
      actor: Principal | null,
      input: { email: string; name: string; role: Role; password: string; customerId?: string | null },
    ) {
      if ((input.role === 'CONTRACTOR' || input.role === 'CUSTOMER') && !input.customerId) {
        throw new AppError('invalid_data', 'Contractor and customer users need a customerId', [
          { path: 'customerId', message: 'Required for this role' },
        ]);
      }
      const user = await db.user.create({
        data: {
          email: input.email.toLowerCase(),
          name: input.name,
          role: input.role,
          passwordHash: await hashPassword(input.password),
          customerId: input.customerId ?? null,
        },
      });
      await audit.record({ actor, action: 'user.created', entityType: 'user', entityId: user.id, after: publicUser(user) });
      return publicUser(user);
    },

    /** Creates an API key acting as `userId`; the key itself is returned once and only its hash is kept. */
    async createApiKey(actor: Principal, input: { name: string; userId?: string; expiresAt?: Date | null }) {
      const userId = input.userId ?? actor.userId;
      if (userId !== actor.userId) {
        const target = await db.user.findUnique({ where: { id: userId } });
        // Staff may issue keys for any user; others only for users of their own customer.
        const allowed = target && (actor.role === 'ADMIN' || (!isStaff(actor) && target.customerId === actor.customerId));
        if (!allowed) throw notFound('User');
      }
      const key = newSecret('nxk_');
      const row = await db.apiKey.create({
        data: { name: input.name, userId, prefix: key.slice(0, 10), keyHash: hashSecret(key), expiresAt: input.expiresAt ?? null },
      });
      await audit.record({ actor, action: 'api-key.created', entityType: 'api-key', entityId: row.id, after: { name: row.name, userId, prefix: row.prefix } });
      return { ...publicKey(row), key };
    },

    async listApiKeys(actor: Principal) {
      const where = actor.role === 'ADMIN' ? {} : isStaff(actor) ? { userId: actor.userId } : { user: { customerId: actor.customerId } };
      const rows = await db.apiKey.findMany({ where, orderBy: { createdAt: 'desc' } });
      return rows.map(publicKey);
    },

    async revokeApiKey(actor: Principal, id: string) {
      const where = actor.role === 'ADMIN' ? { id } : isStaff(actor) ? { id, userId: actor.userId } : { id, user: { customerId: actor.customerId } };
      const row = await db.apiKey.findFirst({ where });
      if (!row) throw notFound('API key');
      const updated = await db.apiKey.update({ where: { id }, data: { revokedAt: row.revokedAt ?? new Date() } });
      await audit.record({ actor, action: 'api-key.revoked', entityType: 'api-key', entityId: id, before: publicKey(row), after: publicKey(updated) });
      return publicKey(updated);
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

function toPrincipal(user: { id: string; role: Role; customerId: string | null }, via: Principal['via']): Principal {
  return { userId: user.id, role: user.role, customerId: user.customerId, via };
}

export function publicUser(u: { id: string; email: string; name: string; role: Role; customerId: string | null; active: boolean; createdAt: Date }) {
  return { id: u.id, email: u.email, name: u.name, role: u.role, customerId: u.customerId, active: u.active, createdAt: u.createdAt };
}

function publicKey(k: { id: string; name: string; prefix: string; userId: string; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null; expiresAt: Date | null }) {
  return { id: k.id, name: k.name, prefix: k.prefix, userId: k.userId, createdAt: k.createdAt, lastUsedAt: k.lastUsedAt, revokedAt: k.revokedAt, expiresAt: k.expiresAt };
}
