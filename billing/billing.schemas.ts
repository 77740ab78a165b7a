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

export const paymentInput = z
  .object({
    /** Bank or gateway reference; recording it twice is a no-op. */
    reference: z.string().trim().min(1).max(100),
    /** The payer; optional when invoices are named (it is theirs). */
    customerId: z.string().uuid().optional(),
    /** One invoice to settle first (what is left over is credit, applied oldest first). */
    invoiceId: z.string().uuid().optional(),
    /** Several invoices and how much goes to each; the rest is credit. */
    allocations: z
      .array(z.object({ invoiceId: z.string().uuid(), amountMinor: minor }))
      .min(1)
      .max(100)
      .optional(),
    amountMinor: minor,
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'An ISO 4217 code such as CNY')
      .optional(),
    method: z.string().trim().min(1).max(40).default('BANK_TRANSFER'),
    receivedAt: dateInput.optional(),
  })
  .superRefine((p, c) => {
    if (p.invoiceId && p.allocations)
      c.addIssue({ code: 'custom', path: ['allocations'], message: 'Give invoiceId or allocations, not both' });
    if (!p.invoiceId && !p.allocations && !p.customerId)
      c.addIssue({ code: 'custom', path: ['customerId'], message: 'Name the customer, an invoice or allocations' });
    const ids = (p.allocations ?? []).map((a) => a.invoiceId);
    if (new Set(ids).size !== ids.length) c.addIssue({ code: 'custom', path: ['allocations'], message: 'An invoice appears twice' });
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

/** Credit paid back to the customer by finance. */
export const creditRefundInput = z.object({
  amountMinor: minor,
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'An ISO 4217 code such as CNY')
    .default('CNY'),
  reason: z.string().trim().min(1).max(500),
  /** The reference of the transfer back; recording it twice is a no-op. */
  reference: z.string().trim().min(1).max(100),
});
export type CreditRefundInput = z.infer<typeof creditRefundInput>;

export const statementQuery = z.object({
  from: dateInput.optional(),
  to: dateInput.optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'An ISO 4217 code such as CNY')
    .default('CNY'),
});
export type StatementQuery = z.infer<typeof statementQuery>;

/** A bank statement: CSV text with a header row date,amount,payer,reference[,currency]. */
export const bankStatementBody = z.object({
  csv: z
    .string()
    .min(1)
    .max(2 * 1024 * 1024),
  fileName: z.string().trim().max(200).optional(),
});

export const bankLineFilter = z.object({
  status: z.enum(['MATCHED', 'SUGGESTED', 'UNMATCHED', 'ASSIGNED', 'DISMISSED']).optional(),
  statementId: z.string().uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});

/** Where a queued line goes: an invoice (any rest is credit) or a customer's credit. */
export const bankLineAssignInput = z
  .object({ invoiceId: z.string().uuid().optional(), customerId: z.string().uuid().optional() })
  .refine((t) => Boolean(t.invoiceId) !== Boolean(t.customerId), { path: ['invoiceId'], message: 'Give invoiceId or customerId' });

export const bankLineDismissInput = z.object({ reason: z.string().trim().min(1).max(500) });
