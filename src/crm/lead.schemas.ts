import { z } from 'zod';
import { patchOf } from '../platform/schemas.js';

export const LEAD_STAGES = ['NEW', 'QUALIFIED', 'PROPOSAL', 'WON', 'LOST'] as const;
export type LeadStage = (typeof LEAD_STAGES)[number];

export const leadInput = z.object({
  companyName: z.string().trim().min(1).max(200),
  contactName: z.string().trim().min(1).max(200).nullable().optional(),
  email: z.string().email().max(200).nullable().optional(),
  phone: z.string().trim().min(1).max(50).nullable().optional(),
  source: z.string().trim().min(1).max(100).nullable().optional(),
  estimatedValueMinor: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  expectedTerminals: z.number().int().min(0).max(1_000_000).default(0),
  ownerId: z.string().uuid().nullable().optional(),
  notes: z.string().max(5000).nullable().optional(),
});
export type LeadInput = z.infer<typeof leadInput>;

export const leadPatch = patchOf(leadInput).extend({
  stage: z.enum(LEAD_STAGES).optional(),
  lostReason: z.string().trim().min(1).max(500).optional(),
});
export type LeadPatch = z.infer<typeof leadPatch>;

export const leadConversion = z.object({
  contractorId: z.string().uuid().nullable().optional(),
  segment: z.string().trim().min(1).max(100).nullable().optional(),
  tier: z.enum(['STANDARD', 'SILVER', 'GOLD', 'PLATINUM']).default('STANDARD'),
});
export type LeadConversion = z.infer<typeof leadConversion>;

export const INTERACTION_KINDS = ['CALL', 'VISIT', 'EMAIL', 'MEETING', 'NOTE'] as const;
export const interactionInput = z
  .object({
    kind: z.enum(INTERACTION_KINDS),
    customerId: z.string().uuid().optional(),
    leadId: z.string().uuid().optional(),
    subject: z.string().trim().min(1).max(300),
    body: z.string().max(20_000).nullable().optional(),
    occurredAt: z.coerce.date().optional(),
  })
  .refine((v) => Boolean(v.customerId) !== Boolean(v.leadId), {
    message: 'Give exactly one of customerId and leadId',
    path: ['customerId'],
  });
export type InteractionInput = z.infer<typeof interactionInput>;
