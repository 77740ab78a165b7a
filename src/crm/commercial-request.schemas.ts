import { z } from 'zod';
import { CUSTOMER_TIERS } from './crm.schemas.js';

/** The terms only sales or finance set: others ask for them through a request. */
export const COMMERCIAL_TERMS = ['tier', 'paymentTermsDays', 'commissionRateBp'] as const;

export const commercialRequestInput = z
  .object({
    tier: z.enum(CUSTOMER_TIERS).optional(),
    paymentTermsDays: z.number().int().min(0).max(365).optional(),
    reason: z.string().trim().min(1).max(2_000),
  })
  .strict();
export type CommercialRequestInput = z.infer<typeof commercialRequestInput>;

export const commercialDecisionInput = z.object({ note: z.string().trim().min(1).max(2_000).optional() }).strict();

export const commercialRequestFilter = z.object({
  status: z.enum(['PENDING', 'APPROVED', 'REFUSED', 'WITHDRAWN']).optional(),
  customerId: z.string().uuid().optional(),
});
export type CommercialRequestFilter = z.infer<typeof commercialRequestFilter>;
