// One error type for the whole domain; adapters map `code` to HTTP status, CONNACK code or
// BullMQ UnrecoverableError in exactly one place each.
export type ErrorCode =
  | 'not_found'
  | 'invalid_data'
  | 'conflict'
  | 'unprocessable'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'unavailable';

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  /** For rate_limited: seconds until a retry can succeed (HTTP Retry-After). */
  retryAfterSec?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string): AppError => new AppError('not_found', `${what} not found`);
export const invalid = (message: string, fieldErrors: FieldError[] = []): AppError =>
  new AppError('invalid_data', message, fieldErrors);
export const conflict = (message: string): AppError => new AppError('conflict', message);
export const rateLimited = (message: string, retryAfterSec: number): AppError =>
  Object.assign(new AppError('rate_limited', message), { retryAfterSec: Math.max(1, Math.ceil(retryAfterSec)) });

/**
 * A unique index refused the write: P2002 from Prisma's query API, SQLSTATE 23505 from raw SQL
 * (through Prisma's driver adapter, or from pg directly). The one test for it in the platform.
 */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; meta?: { code?: string }; cause?: { code?: string }; message?: string } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.code === 'P2002' || e.code === '23505') return true;
  return e.meta?.code === '23505' || e.cause?.code === '23505' || /\b23505\b|unique constraint/i.test(e.message ?? '');
}
