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

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, string];
    const createdAt = new Date(at);
    if (typeof id !== 'string' || Number.isNaN(createdAt.getTime())) throw new Error();
    return { createdAt, id };
  } catch {
    throw invalid('Invalid cursor', [{ path: 'cursor', message: 'Not a cursor returned by this API' }]);
  }
}
