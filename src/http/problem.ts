import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type ErrorCode, fromDatabaseError } from '../platform/errors.js';
import { isConnectionError } from '../platform/pg-checkout.js';

/** What a client is told to wait while the database is away (restarts and failovers take seconds). */
const DATABASE_AWAY_RETRY_SEC = 5;

const STATUS: Record<ErrorCode, number> = {
  not_found: 404,
  invalid_data: 400,
  conflict: 409,
  unprocessable: 422,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  unavailable: 503,
};

const TITLE: Record<number, string> = {
  400: 'Invalid request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: { path: string; message: string }[];
}

/** RFC 9457 problem details for every error; stacks stay in the log. */
export function problemHandler(err: FastifyError | AppError | Error, req: FastifyRequest, reply: FastifyReply): void {
  let status = 500;
  let code = 'internal';
  let detail = 'An unexpected error occurred; quote the request id when reporting it.';
  let errors: Problem['errors'];

  const fromDb = fromDatabaseError(err);
  if (fromDb) {
    req.log.warn({ err }, "database refused the request's input");
    err = fromDb;
  }
  if (err instanceof AppError) {
    status = STATUS[err.code];
    code = err.code;
    detail = err.message;
    if (err.fieldErrors.length) errors = err.fieldErrors;
    if (err.retryAfterSec) void reply.header('retry-after', String(err.retryAfterSec));
  } else if (hasZodFastifySchemaValidationErrors(err)) {
    status = 400;
    code = 'invalid_data';
    detail = 'The request did not pass validation';
    const where = (err as FastifyError).validationContext ?? 'body';
    errors = err.validation.map((v) => ({
      path: [where, ...String(v.instancePath).split('/').filter(Boolean)].join('.'),
      message: v.message ?? 'invalid',
    }));
  } else if (isConnectionError(err)) {
    status = 503;
    code = 'unavailable';
    detail = 'The database is unreachable for the moment; retry after the time in Retry-After.';
    void reply.header('retry-after', String(DATABASE_AWAY_RETRY_SEC));
  } else if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode < 500) {
    status = err.statusCode;
    code = (err as FastifyError).code?.toLowerCase() ?? 'bad_request';
    detail = err.message;
  }

  if (status === 503 && !(err instanceof AppError)) req.log.warn({ err: err.message }, 'request refused: database unreachable');
  else if (status >= 500) req.log.error({ err }, 'request failed');
  const problem: Problem = {
    type: `https://docs.nexsphere.example/problems/${code.replace(/_/g, '-')}`,
    title: TITLE[status] ?? 'Error',
    status,
    detail,
    instance: req.url,
    requestId: String(req.id),
    ...(errors ? { errors } : {}),
  };
  void reply.status(status).type('application/problem+json').send(problem);
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): void {
  problemHandler(new AppError('not_found', `No route ${req.method} ${req.url.split('?')[0]}`), req, reply);
}
