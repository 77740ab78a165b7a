import type { Role } from '../../prisma/generated/enums.js';
import type { Db } from '../platform/database.js';
import { invalid } from '../platform/errors.js';
import { toJson } from '../platform/json.js';

/** Who made the change: the audit log sits below auth, so it names only what it stores. */
export interface AuditActor {
  userId: string;
  role: Role;
}

export interface AuditEntry {
  actor: AuditActor | null;
  action: string;
  entityType: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
  requestId?: string;
}

/** A transaction client or the root client: audit rows go in the same transaction as the change. */
type Writer = Pick<Db, 'auditLog'>;

export function createAuditService({ db }: { db: Db }) {
  return {
    async record(entry: AuditEntry, tx: Writer = db): Promise<void> {
      await tx.auditLog.create({
        data: {
          actorId: entry.actor?.userId ?? null,
          actorRole: entry.actor?.role ?? null,
          action: entry.action,
          entityType: entry.entityType,
          entityId: entry.entityId,
          before: toJson(entry.before),
          after: toJson(entry.after),
          requestId: entry.requestId ?? null,
        },
      });
    },

    /** Newest first; the cursor is the last id seen, so pages never repeat a row. */
    async list(filter: { entityType?: string; entityId?: string; actorId?: string }, q: { limit: number; cursor?: string }) {
      let before: bigint | undefined;
      if (q.cursor) {
        const raw = Buffer.from(q.cursor, 'base64url').toString();
        if (!/^[1-9][0-9]{0,18}$/.test(raw))
          throw invalid('Invalid cursor', [{ path: 'cursor', message: 'Not a cursor returned by this API' }]);
        before = BigInt(raw);
      }
      const rows = await db.auditLog.findMany({
        where: {
          entityType: filter.entityType,
          entityId: filter.entityId,
          actorId: filter.actorId,
          ...(before ? { id: { lt: before } } : {}),
        },
        orderBy: { id: 'desc' },
        take: q.limit + 1,
      });
      const more = rows.length > q.limit;
      const items = more ? rows.slice(0, q.limit) : rows;
      const last = items[items.length - 1];
      return {
        items: items.map((r) => ({ ...r, id: Number(r.id) })),
        nextCursor: more && last ? Buffer.from(last.id.toString()).toString('base64url') : null,
      };
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
