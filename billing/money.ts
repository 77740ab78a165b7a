// Money of billing records: bigint minor units in storage, JSON numbers in answers and events
// (exact below 2^53 minor units, i.e. any real invoice).
import type { Invoice } from '../prisma/generated/client.js';

export const n = (v: bigint): number => {
  const x = Number(v);
  if (!Number.isSafeInteger(x)) throw new Error(`amount ${v} exceeds the exact JSON range`);
  return x;
};

export function balanceOf(inv: Pick<Invoice, 'totalMinor' | 'paidMinor' | 'creditedMinor'>): bigint {
  return inv.totalMinor - inv.paidMinor - inv.creditedMinor;
}

/** The smaller of two amounts (Math.min takes no bigint). */
export const minOf = (a: bigint, b: bigint): bigint => (a < b ? a : b);
