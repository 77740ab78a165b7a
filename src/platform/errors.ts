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
export const invalid = (message: string, fieldErrors: FieldError[] = []): AppError => new AppError('invalid_data', message, fieldErrors);
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

interface DbErrorShape {
  code?: string;
  meta?: {
    target?: string[] | string;
    field_name?: string;
    driverAdapterError?: { cause?: { originalCode?: string; code?: string; constraint?: { fields?: string[]; index?: string } } };
  };
}

/** The column a constraint names: `fields`, or `User_email_key` / `Contact_customerId_fkey` -> email / customerId. */
function constraintField(meta: DbErrorShape['meta']): string | undefined {
  const c = meta?.driverAdapterError?.cause?.constraint;
  if (c?.fields?.length) return c.fields.join(',');
  if (Array.isArray(meta?.target) && meta.target.length) return meta.target.join(',');
  const name = c?.index ?? meta?.field_name ?? (typeof meta?.target === 'string' ? meta.target : undefined);
  return name ? (/^[A-Za-z]+_(.+?)_(?:key|fkey|idx|pkey)$/.exec(name)?.[1]?.replace(/_/g, ',') ?? name) : undefined;
}

/**
 * A database refusal that is the client's fault, as the AppError it should have been; null for
 * anything else. A safety net for the one error handler: services should refuse such input
 * first, with a better message, but a request they missed still gets a 4xx naming the field
 * instead of a 500. Unique violation -> 409, missing referenced record -> 400, record gone
 * -> 404, value the column cannot hold (bad uuid, NUL byte, date out of range) -> 400.
 */
export function fromDatabaseError(err: unknown): AppError | null {
  if (!err || typeof err !== 'object') return null;
  const e = err as DbErrorShape;
  if (typeof e.code !== 'string' || !/^P\d{4}$/.test(e.code)) return null;
  const field = constraintField(e.meta);
  const fieldErrors = (message: string) => (field ? [{ path: field, message }] : []);
  if (e.code === 'P2002')
    return new AppError('conflict', `A record with this ${field ?? 'value'} exists already`, fieldErrors('Already taken'));
  if (e.code === 'P2003')
    return new AppError('invalid_data', `No such ${field ?? 'referenced record'}`, fieldErrors('Names no existing record'));
  if (e.code === 'P2025') return new AppError('not_found', 'Not found');
  const sqlState = e.meta?.driverAdapterError?.cause?.originalCode ?? e.meta?.driverAdapterError?.cause?.code ?? '';
  // SQLSTATE class 22 is "data exception": the value, not the server, is wrong.
  if (e.code === 'P2007' || e.code === 'P2023' || sqlState.startsWith('22')) {
    return new AppError('invalid_data', 'A value is not valid for its field');
  }
  return null;
}
