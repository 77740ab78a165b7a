import type { Redis } from 'ioredis';
import type { AuditService } from '../audit/index.js';
import type { Db } from '../platform/database.js';
import { AppError, invalid, notFound } from '../platform/errors.js';
import { API_KEY_MAX_LIFETIME_MS, API_KEY_SCOPES } from './api-key-scopes.js';
import { createLoginThrottle } from './login-throttle.js';
import { assertStrongPassword } from './password-policy.js';
import { isStaff, type Principal, type Role } from './principal.js';
import { hashPassword, hashSecret, newSecret, verifyPassword } from './secrets.js';
import { assertRoleFitsCustomer } from './user-policy.js';

export interface AuthDeps {
  db: Db;
  audit: AuditService;
  sessionTtlHours: number;
  /** Failed-login counters live here, so every API process sees the same. */
  redis: Redis;
  prefix: string;
}

// Clock skew between a client and us should not make "exactly one year" invalid.
const EXPIRY_SLACK_MS = 5 * 60_000;

// A fixed hash to compare against when the e-mail is unknown, so timing does not reveal which e-mails exist.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export function createAuthService({ db, audit, sessionTtlHours, redis, prefix }: AuthDeps) {
  const throttle = createLoginThrottle(redis, prefix);
  return {
    /** `ip` is the client's address: failures are throttled per account and per address (429 with Retry-After). */
    async login(email: string, password: string, ip: string): Promise<{ token: string; expiresAt: Date; principal: Principal }> {
      await throttle.check(email, ip);
      const user = await db.user.findUnique({ where: { email: email.toLowerCase() } });
      const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
      if (!user || !ok || !user.active) {
        await throttle.failed(email, ip);
        throw new AppError('unauthorized', 'Wrong e-mail or password');
      }
      await throttle.succeeded(email);
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
        if (!key || key.revokedAt || key.expiresAt < new Date() || !key.user.active) return null;
        // Last-used is informative only: at most one write a minute per key, whatever the traffic.
        if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > 60_000) {
          const minuteAgo = new Date(Date.now() - 60_000);
          await db.apiKey.updateMany({
            where: { id: key.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: minuteAgo } }] },
            data: { lastUsedAt: new Date() },
          });
        }
        return { ...toPrincipal(key.user, 'api-key'), scopes: key.scopes };
      }
      const session = await db.session.findUnique({ where: { tokenHash }, include: { user: true } });
      if (!session || session.expiresAt < new Date() || !session.user.active) return null;
      return toPrincipal(session.user, 'session');
    },

    async createUser(
      actor: Principal | null,
      input: { email: string; name: string; role: Role; password: string; customerId?: string | null },
    ) {
      await assertRoleFitsCustomer(db, input.role, input.customerId ?? null);
      assertStrongPassword(input.password, input.email);
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

    /**
     * Creates an API key acting as its creator, limited to `scopes` and expiring at `expiresAt`
     * (a year from now by default, never later). A key may mint keys only with `api-keys:write`,
     * and never with scopes it lacks. The key itself is returned once; only its hash is kept.
     */
    async createApiKey(actor: Principal, input: { name: string; scopes: string[]; userId?: string; expiresAt?: Date | null }) {
      if (input.userId !== undefined && input.userId !== actor.userId) {
        throw invalid('An API key acts as the user who creates it', [
          { path: 'userId', message: 'Must be your own user id (or left out)' },
        ]);
      }
      const scopes = [...new Set(input.scopes)];
      const unknown = scopes.filter((sc) => !API_KEY_SCOPES.includes(sc));
      if (!scopes.length || unknown.length) {
        throw invalid('Unknown or missing scopes', [{ path: 'scopes', message: `Choose from ${API_KEY_SCOPES.join(', ')}` }]);
      }
      if (actor.scopes) {
        if (!actor.scopes.includes('api-keys:write'))
          throw new AppError('forbidden', 'This API key may not create API keys (needs api-keys:write)');
        const beyond = scopes.filter((sc) => !actor.scopes!.includes(sc));
        if (beyond.length)
          throw invalid('A key cannot grant scopes it does not hold', [{ path: 'scopes', message: `Not held: ${beyond.join(', ')}` }]);
      }
      const now = Date.now();
      const expiresAt = input.expiresAt ?? new Date(now + API_KEY_MAX_LIFETIME_MS);
      if (expiresAt.getTime() <= now || expiresAt.getTime() > now + API_KEY_MAX_LIFETIME_MS + EXPIRY_SLACK_MS) {
        throw invalid('expiresAt must be in the future and at most one year away', [
          { path: 'expiresAt', message: 'Between now and one year from now' },
        ]);
      }
      const key = newSecret('nxk_');
      const row = await db.apiKey.create({
        data: { name: input.name, userId: actor.userId, prefix: key.slice(0, 10), keyHash: hashSecret(key), expiresAt, scopes },
      });
      await audit.record({ actor, action: 'api-key.created', entityType: 'api-key', entityId: row.id, after: publicKey(row) });
      return { ...publicKey(row), key };
    },

    async listApiKeys(actor: Principal) {
      const where = actor.role === 'ADMIN' ? {} : isStaff(actor) ? { userId: actor.userId } : { user: { customerId: actor.customerId } };
      const rows = await db.apiKey.findMany({ where, orderBy: { createdAt: 'desc' } });
      return rows.map(publicKey);
    },

    async revokeApiKey(actor: Principal, id: string) {
      const where =
        actor.role === 'ADMIN' ? { id } : isStaff(actor) ? { id, userId: actor.userId } : { id, user: { customerId: actor.customerId } };
      const row = await db.apiKey.findFirst({ where });
      if (!row) throw notFound('API key');
      const updated = await db.apiKey.update({ where: { id }, data: { revokedAt: row.revokedAt ?? new Date() } });
      await audit.record({
        actor,
        action: 'api-key.revoked',
        entityType: 'api-key',
        entityId: id,
        before: publicKey(row),
        after: publicKey(updated),
      });
      return publicKey(updated);
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

function toPrincipal(user: { id: string; role: Role; customerId: string | null }, via: Principal['via']): Principal {
  return { userId: user.id, role: user.role, customerId: user.customerId, via };
}

export function publicUser(u: {
  id: string;
  email: string;
  name: string;
  role: Role;
  customerId: string | null;
  active: boolean;
  createdAt: Date;
}) {
  return { id: u.id, email: u.email, name: u.name, role: u.role, customerId: u.customerId, active: u.active, createdAt: u.createdAt };
}

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  userId: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  expiresAt: Date;
}

function publicKey(k: ApiKeyRow) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    userId: k.userId,
    scopes: k.scopes,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
    expiresAt: k.expiresAt,
    revokedAt: k.revokedAt,
  };
}
