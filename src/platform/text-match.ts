/**
 * A Prisma filter for "contains this text", case-insensitive. Prisma passes `contains` into
 * LIKE as is, so `%` and `_` typed by a person would match anything: they are escaped to mean
 * themselves.
 */
export function containsText(q: string): { contains: string; mode: 'insensitive' } {
  return { contains: q.replace(/[\\%_]/g, (c) => `\\${c}`), mode: 'insensitive' };
}
