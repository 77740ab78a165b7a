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
