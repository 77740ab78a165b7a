import { z } from 'zod';

export const orderInput = z.object({
  customerId: z.string().uuid(),
  contractId: z.string().uuid().nullable().optional(),
  kind: z.enum(['RENT', 'BUY']),
  /** Device model code, e.g. NXV-100. */
  model: z.string().min(1).max(64),
  quantity: z.number().int().min(1).max(10_000),
  unitPriceMinor: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  notes: z.string().max(2000).nullable().optional(),
});
export type OrderInput = z.infer<typeof orderInput>;

export const orderFilter = z.object({
  customerId: z.string().uuid().optional(),
  status: z.enum(['NEW', 'CONFIRMED', 'FULFILLED', 'CANCELLED']).optional(),
});

export const fulfilInput = z.object({
  /** The contract the terminals are allocated to; defaults to the order's contract. */
  contractId: z.string().uuid().optional(),
});
