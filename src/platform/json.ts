import { Prisma } from '../../prisma/generated/client.js';

/**
 * Plain JSON for Json columns and API output: bigint becomes a number when exact, else a
 * string; Dates become ISO strings; undefined becomes Prisma's DbNull.
 */
export function toJson(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  if (value === undefined || value === null) return Prisma.DbNull;
  return JSON.parse(JSON.stringify(value, jsonReplacer)) as Prisma.InputJsonValue;
}

export function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v;
}
