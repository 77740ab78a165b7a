// The IdempotencyRecord table: claims, stored responses and their expiry. The HTTP plugin
// decides when to claim and replay; this module is the only one that writes the rows.
import type { Db, Prisma } from './database.js';
import { isUniqueViolation } from './errors.js';
import { toJson } from './json.js';

// A stored response is replayed for a day (clients retry within minutes; the key must not live forever).
export const RECORD_TTL_MS = 24 * 3600_000;
// A request that holds a key this long without finishing is presumed dead (crashed process).
const IN_FLIGHT_TIMEOUT_MS = 60_000;
// statusCode of a record whose request is still running.
export const IN_FLIGHT = 0;

export interface IdempotencyClaim {
  userId: string;
  key: string;
}

export interface IdempotencyRequest extends IdempotencyClaim {
  method: string;
  path: string;
  bodyHash: string;
}

export type IdempotencyRecord = NonNullable<Awaited<ReturnType<Db['idempotencyRecord']['findUnique']>>>;

export function createIdempotencyStore(db: Db) {
  return {
    /** The live record for this key, after dropping one that expired or whose request died. */
    async findLive(claim: IdempotencyClaim): Promise<IdempotencyRecord | null> {
      const existing = await db.idempotencyRecord.findUnique({ where: { userId_key: claim } });
      if (!existing) return null;
      const age = Date.now() - existing.createdAt.getTime();
      const stale = existing.statusCode === IN_FLIGHT ? age > IN_FLIGHT_TIMEOUT_MS : age > RECORD_TTL_MS;
      if (!stale) return existing;
      await db.idempotencyRecord.deleteMany({ where: { ...claim, createdAt: existing.createdAt } });
      return null;
    },

    /** Claims the key with an in-flight row; false when another request claimed it first. */
    async claim(req: IdempotencyRequest): Promise<boolean> {
      try {
        await db.idempotencyRecord.create({ data: { ...req, statusCode: IN_FLIGHT, response: {} } });
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    },

    async complete(claim: IdempotencyClaim, statusCode: number, body: unknown): Promise<void> {
      // Wrapped, because the column cannot hold a bare JSON null (a 204 has no body).
      await db.idempotencyRecord.update({ where: { userId_key: claim }, data: { statusCode, response: toJson({ body }) as Prisma.InputJsonValue } });
    },

    async release(claim: IdempotencyClaim): Promise<void> {
      await db.idempotencyRecord.deleteMany({ where: claim });
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;

/** Housekeeping: stored responses are only replayed for RECORD_TTL_MS, so older rows can go. */
export async function purgeIdempotencyRecords(db: Db, now = Date.now()): Promise<number> {
  const { count } = await db.idempotencyRecord.deleteMany({ where: { createdAt: { lt: new Date(now - RECORD_TTL_MS) } } });
  return count;
}
