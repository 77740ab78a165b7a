// Time ranges and page cursors of message reads, checked before any query runs: a reversed or
// oversized range is the caller's 400 naming the field, never a scan of a terminal's history.
import { invalid } from '../src/platform/errors.js';

export interface Range {
  from: Date;
  to: Date;
}

function days(ms: number): string {
  return `${Math.round(ms / 86_400_000)} days`;
}

function checkOrder(from: Date | undefined, to: Date | undefined): void {
  if (from && to && from.getTime() >= to.getTime())
    throw invalid('Invalid range', [{ path: 'from', message: 'Must be before `to` (`from` is inclusive, `to` exclusive)' }]);
}

/** A listing's range: either end may stay open (pages bound the work); both given, at most `maxSpanMs` apart. */
export function openRange(q: { from?: Date | undefined; to?: Date | undefined }, maxSpanMs: number): Partial<Range> {
  checkOrder(q.from, q.to);
  if (q.from && q.to && q.to.getTime() - q.from.getTime() > maxSpanMs)
    throw invalid('Range too long', [{ path: 'to', message: `At most ${days(maxSpanMs)} after \`from\`; page or split the range` }]);
  return { ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}) };
}

/** A closed range for aggregates and exports: `to` defaults to now, `from` to `defaultSpanMs` before `to`. */
export function closedRange(
  q: { from?: Date | undefined; to?: Date | undefined },
  spans: { defaultSpanMs: number; maxSpanMs: number },
  now = new Date(),
): Range {
  const to =
    q.to ?? (q.from && q.from.getTime() + spans.defaultSpanMs < now.getTime() ? new Date(q.from.getTime() + spans.defaultSpanMs) : now);
  const from = q.from ?? new Date(to.getTime() - spans.defaultSpanMs);
  checkOrder(from, to);
  if (to.getTime() - from.getTime() > spans.maxSpanMs)
    throw invalid('Range too long', [{ path: 'to', message: `At most ${days(spans.maxSpanMs)} after \`from\` for this request` }]);
  return { from, to };
}

/** Position after the last row of a page: (receivedAt, id), which stays unique when ids repeat across partitions. */
export interface MessageCursor {
  receivedAt: Date;
  id: bigint;
}

const MAX_BIGINT = 9_223_372_036_854_775_807n;

export function encodeMessageCursor(c: MessageCursor): string {
  return Buffer.from(JSON.stringify([c.receivedAt.toISOString(), c.id.toString()])).toString('base64url');
}

/** Anything but a cursor this API wrote (tampered, truncated, another list's) is the client's 400. */
export function decodeMessageCursor(cursor: string): MessageCursor {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    // falls through to the 400 below
  }
  if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') {
    const at = new Date(parsed[0]);
    const id = /^\d{1,19}$/.test(parsed[1]) ? BigInt(parsed[1]) : -1n;
    const year = at.getUTCFullYear();
    if (id >= 0n && id <= MAX_BIGINT && year >= 1900 && year <= 9999) return { receivedAt: at, id };
  }
  throw invalid('Invalid cursor', [{ path: 'cursor', message: 'Not a cursor returned by this API' }]);
}
