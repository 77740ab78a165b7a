// The IdempotencyRecord table: claims, stored responses and their expiry. The HTTP plugin
// decides when to claim and replay; this module is the only one that writes the rows.
import type { Db } from './database.js';
import { isUniqueViolation } from './errors.js';
import { jsonReplacer } from './json.js';
import type { SecretBox } from './secret-box.js';

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

/**
 * Stored responses can carry secrets (a provisioned terminal's MQTT secret), so the body is kept
 * sealed in `box` (AES-GCM, see secret-box.ts): the row holds `{ sealed }`, never the plaintext.
 */
export function createIdempotencyStore(db: Db, box: SecretBox) {
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
      // Wrapped, because a 204 has no body and JSON.stringify(undefined) is no JSON text.
      const sealed = box.encrypt(JSON.stringify({ body }, jsonReplacer));
      await db.idempotencyRecord.update({ where: { userId_key: claim }, data: { statusCode, response: { sealed } } });
    },

    /** The stored response body of a completed record, opened. */
    responseBody(record: IdempotencyRecord): unknown {
      const stored = record.response as { sealed?: string; body?: unknown };
      // Rows written before responses were sealed still replay until they expire (a day at most).
      if (typeof stored.sealed !== 'string') return stored.body;
      return (JSON.parse(box.decrypt(stored.sealed)) as { body?: unknown }).body;
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
