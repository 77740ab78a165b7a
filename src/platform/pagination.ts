import { z } from 'zod';
import { invalid } from './errors.js';

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

interface Keyed {
  id: string;
  createdAt: Date;
}

/**
 * Newest first, with id as the tie-breaker, so pages never skip or repeat a row even when
 * many rows share a timestamp. The cursor is opaque to clients.
 */
export function pageArgs(q: { limit: number; cursor?: string | undefined }) {
  let where = {};
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    where = { OR: [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, id: { lt: c.id } }] };
  }
  return {
    cursorWhere: where,
    orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }],
    take: q.limit + 1,
  };
}

export function page<T extends Keyed, U = T>(rows: T[], limit: number, map: (row: T) => U = (r) => r as unknown as U) {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return {
    items: items.map(map),
    nextCursor: more && last ? encodeCursor(last) : null,
  };
}

function encodeCursor(row: Keyed): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Instants PostgreSQL's timestamp type can hold and this API can have written. */
const EARLIEST = Date.UTC(1900, 0, 1);
const LATEST = Date.UTC(9999, 11, 31);

/** Anything but a cursor this API wrote (tampered, truncated, another list's) is the client's 400. */
function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    parsed = null;
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[0] === 'string' &&
    typeof parsed[1] === 'string' &&
    UUID.test(parsed[1])
  ) {
    const createdAt = new Date(parsed[0]);
    const t = createdAt.getTime();
    if (t >= EARLIEST && t <= LATEST) return { createdAt, id: parsed[1] };
  }
  throw invalid('Invalid cursor', [{ path: 'cursor', message: 'Not a cursor returned by this API' }]);
}
