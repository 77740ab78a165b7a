import { z } from 'zod';
import { dateInput, queryBool } from '../src/platform/schemas.js';

// Money arrives as JSON numbers that are exact (safe) integers: minor units (fen) for
// amounts, millionths of the currency unit for per-unit prices. No floats, no strings.
// zod 4: .int() already means a safe integer (at most 2^53 - 1).
const amount = z.number().int().min(0);

export const tierInput = z.object({
  fromUnit: amount,
  toUnit: amount.nullable(),
  unitPriceMicros: amount,
});
export type TierInput = z.infer<typeof tierInput>;

/** Graduated tiers must cover [0, infinity) without gaps or overlaps, in order. */
export const tiersInput = z
  .array(tierInput)
  .min(1)
  .max(20)
  .superRefine((tiers, ctx) => {
    tiers.forEach((t, i) => {
      const expectedFrom = i === 0 ? 0 : tiers[i - 1]!.toUnit;
      if (expectedFrom !== null && t.fromUnit !== expectedFrom) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'fromUnit'],
          message: i === 0 ? 'The first tier starts at 0' : `Must equal the previous tier's toUnit (${expectedFrom})`,
        });
      }
      const last = i === tiers.length - 1;
      if (last && t.toUnit !== null) ctx.addIssue({ code: 'custom', path: [i, 'toUnit'], message: 'The last tier is open-ended (null)' });
      if (!last && t.toUnit === null)
        ctx.addIssue({ code: 'custom', path: [i, 'toUnit'], message: 'Only the last tier may be open-ended' });
      if (t.toUnit !== null && t.toUnit <= t.fromUnit)
        ctx.addIssue({ code: 'custom', path: [i, 'toUnit'], message: 'Must be greater than fromUnit' });
    });
  });

const planFields = {
  name: z.string().trim().min(1).max(200),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default('CNY'),
  monthlyRentalMinor: amount,
  activationFeeMinor: amount.default(0),
  includedMessages: z.number().int().min(0).max(100_000_000).default(0),
  segmentBytes: z.number().int().min(1).max(4096).default(64),
  downlinkPriceMicros: amount.default(0),
  taxRateBp: z.number().int().min(0).max(10_000).default(600),
  // Months the terminals' messages are kept; null: the operator's default (MESSAGE_RETENTION_MONTHS).
  messageRetentionMonths: z.number().int().min(1).max(120).nullable().default(null),
  validFrom: dateInput.optional(),
  validTo: dateInput.nullable().optional(),
  tiers: tiersInput,
};

export const tariffPlanInput = z
  .object({
    code: z
      .string()
      .trim()
      .regex(/^[A-Z0-9][A-Z0-9-]{1,39}$/, 'Upper-case letters, digits and dashes'),
    ...planFields,
  })
  .refine((p) => !p.validTo || !p.validFrom || p.validTo > p.validFrom, { message: 'validTo must be after validFrom', path: ['validTo'] });
export type TariffPlanInput = z.infer<typeof tariffPlanInput>;

/** A revision names only what changes; everything else is copied from the revised version. */
export const tariffPlanRevision = z.object({
  name: planFields.name.optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  monthlyRentalMinor: amount.optional(),
  activationFeeMinor: amount.optional(),
  includedMessages: z.number().int().min(0).max(100_000_000).optional(),
  segmentBytes: z.number().int().min(1).max(4096).optional(),
  downlinkPriceMicros: amount.optional(),
  taxRateBp: z.number().int().min(0).max(10_000).optional(),
  messageRetentionMonths: z.number().int().min(1).max(120).nullable().optional(),
  validFrom: dateInput.optional(),
  validTo: dateInput.nullable().optional(),
  tiers: tiersInput.optional(),
});
export type TariffPlanRevision = z.infer<typeof tariffPlanRevision>;

export const tariffPlanFilter = z.object({
  code: z.string().max(40).optional(),
  active: queryBool.optional(),
  allVersions: queryBool.default(false),
});
export type TariffPlanFilter = z.infer<typeof tariffPlanFilter>;
