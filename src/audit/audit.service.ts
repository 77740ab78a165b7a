import type { Db } from '../platform/database.js';
import type { Principal } from '../auth/principal.js';
import { toJson } from '../platform/json.js';

export interface AuditEntry {
  actor: Principal | null;
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

    async list(filter: { entityType?: string; entityId?: string; limit: number; cursor?: bigint }) {
      const rows = await db.auditLog.findMany({
        where: { entityType: filter.entityType, entityId: filter.entityId, ...(filter.cursor ? { id: { lt: filter.cursor } } : {}) },
        orderBy: { id: 'desc' },
        take: filter.limit + 1,
      });
      return rows;
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
