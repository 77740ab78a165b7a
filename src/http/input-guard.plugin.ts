import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { invalid } from '../platform/errors.js';

/** Deeper than any document this API accepts; bounds every later walk over the body. */
export const MAX_JSON_DEPTH = 32;

const PARTS = [
  ['params', (req: FastifyRequest) => req.params],
  ['querystring', (req: FastifyRequest) => req.query],
  ['body', (req: FastifyRequest) => req.body],
] as const;

/**
 * Input no route can store is refused before any schema or service sees it: a NUL character
 * (PostgreSQL text and jsonb cannot hold one, so it failed deep in a query as a 500) in any
 * string or key of the path parameters, query or body, and JSON nested deeper than
 * MAX_JSON_DEPTH (recursive code such as the idempotency fingerprint would overflow the stack).
 * Runs before validation, so the 400 names the field the same way validation errors do.
 */
export const inputGuardPlugin = fp(async (app) => {
  // A list's query names its filters; a misspelt or unsupported one (`?segment=x`) would
  // otherwise be dropped by validation and answer the unfiltered list as if it had applied.
  const queryKeys = new Map<string, ReadonlySet<string>>();
  app.addHook('onRoute', (route) => {
    const keys = schemaKeys(route.schema?.querystring);
    if (!keys) return;
    for (const method of [route.method].flat()) queryKeys.set(`${method} ${route.url}`, keys);
  });
  app.addHook('preValidation', async (req) => {
    for (const [where, read] of PARTS) {
      const problem = findProblem(read(req), where);
      if (problem) throw invalid(problem.message, [problem]);
    }
    const allowed = queryKeys.get(`${req.method} ${req.routeOptions.url}`);
    if (!allowed) return;
    const unknown = Object.keys(req.query ?? {}).filter((key) => !allowed.has(key));
    if (unknown.length) {
      throw invalid(
        `Unknown query parameter: ${unknown.join(', ')}`,
        unknown.map((key) => ({
          path: `querystring.${key}`,
          message: `Not a filter or option of this operation (allowed: ${[...allowed].join(', ') || 'none'})`,
        })),
      );
    }
  });
});

/** The keys of a zod object schema, or null for anything else (no schema, or not an object). */
function schemaKeys(schema: unknown): ReadonlySet<string> | null {
  if (!schema || typeof schema !== 'object' || !('shape' in schema)) return null;
  const shape = (schema as { shape: unknown }).shape;
  return shape && typeof shape === 'object' ? new Set(Object.keys(shape)) : null;
}

function findProblem(root: unknown, where: string): { path: string; message: string } | null {
  // Iterative, so the walk itself has no recursion for a hostile body to exhaust.
  const stack: { value: unknown; path: string[] }[] = [{ value: root, path: [where] }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return { path: path.join('.'), message: 'Must not contain a NUL character' };
      continue;
    }
    if (!isPlain(value)) continue;
    if (path.length > MAX_JSON_DEPTH) return { path: where, message: `Nested more than ${MAX_JSON_DEPTH} levels deep` };
    for (const [key, child] of Object.entries(value)) {
      if (key.includes('\u0000'))
        return { path: [...path, key.replaceAll('\u0000', '\\u0000')].join('.'), message: 'Must not contain a NUL character' };
      stack.push({ value: child, path: [...path, key] });
    }
  }
  return null;
}

/**
 * Parsed JSON and query strings only: arrays and plain objects, including the query parser's
 * objects whose prototype is itself prototype-less; never buffers, dates or streams.
 */
function isPlain(value: unknown): value is object {
  if (!value || typeof value !== 'object') return false;
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || Object.getPrototypeOf(proto) === null;
}
