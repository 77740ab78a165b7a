import { z } from 'zod';

/** Zod pieces shared by several modules' schemas. */

/** A calendar date ("2026-01-01") or an ISO timestamp with offset; stored as a UTC instant. */
export const dateInput = z.union([z.iso.date(), z.iso.datetime({ offset: true })]).transform((s) => new Date(s));

/** Query-string booleans ("true"/"false"). */
export const queryBool = z.enum(['true', 'false']).transform((v) => v === 'true');

/**
 * A PATCH body from a create schema: every field optional and, unlike `.partial()`, no
 * defaults, so a field the client left out is left unchanged instead of reset.
 */
export function patchOf<T extends z.ZodRawShape>(schema: z.ZodObject<T>) {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    const inner = field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType);
    shape[key] = inner.optional();
  }
  return z.object(shape) as unknown as z.ZodObject<{ [K in keyof T]: z.ZodOptional<T[K] extends z.ZodDefault<infer I> ? I : T[K]> }>;
}
