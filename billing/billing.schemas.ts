import { z } from 'zod';
import { dateInput } from '../src/platform/schemas.js';

export const periodInput = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'Expected YYYY-MM');

export const billingRunInput = z.object({ period: periodInput });
export const billingRunFilter = z.object({ period: periodInput.optional(), limit: z.coerce.number().int().min(1).max(200).default(50) });

export const invoiceFilter = z.object({
  status: z.enum(['DRAFT', 'ISSUED', 'PAID', 'VOID']).optional(),
  customerId: z.string().uuid().optional(),
  contractId: z.string().uuid().optional(),
  period: periodInput.optional(),
  overdue: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});

const minor = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const paymentInput = z.object({
  /** Bank or gateway reference; recording it twice is a no-op. */
  reference: z.string().trim().min(1).max(100),
  invoiceId: z.string().uuid(),
  amountMinor: minor,
  currency: z.string().length(3).optional(),
  method: z.string().trim().min(1).max(40).default('BANK_TRANSFER'),
  receivedAt: dateInput.optional(),
});
export type PaymentInput = z.infer<typeof paymentInput>;

export const paymentFilter = z.object({
  invoiceId: z.string().uuid().optional(),
  customerId: z.string().uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const creditNoteInput = z.object({ amountMinor: minor, reason: z.string().trim().min(1).max(500) });
export type CreditNoteInput = z.infer<typeof creditNoteInput>;

export const agingQuery = z.object({
  asOf: dateInput.optional(),
  currency: z
    .string()
    .trim()
    .regex(/^[A-Z]{3}$/, 'An ISO 4217 code such as CNY')
    .optional(),
});

export const commissionQuery = z.object({ period: periodInput, contractorId: z.string().uuid().optional() });
export const commissionStatementInput = z.object({ period: periodInput, contractorId: z.string().uuid().optional() });

/** A one-off charge (positive) or credit (negative) by finance, on the contract's next invoice. */
export const oneOffChargeInput = z.object({
  kind: z.enum(['ACTIVATION', 'INSTALLATION', 'MANUAL']).default('MANUAL'),
  description: z.string().trim().min(1).max(200),
  quantity: z.number().int().min(1).max(100_000).default(1),
  /** Per unit, in minor units; negative for a credit, never zero. */
  unitPriceMinor: z
    .number()
    .int()
    .min(-Number.MAX_SAFE_INTEGER)
    .max(Number.MAX_SAFE_INTEGER)
    .refine((n) => n !== 0, 'Must not be zero'),
  reason: z.string().trim().min(1).max(500),
});
export type OneOffChargeInput = z.infer<typeof oneOffChargeInput>;
