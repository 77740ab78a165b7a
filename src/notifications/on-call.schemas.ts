import { z } from 'zod';

export const ON_CALL_GROUPS = ['SERVICE_DESK', 'REPAIR', 'SYSTEM'] as const;
export type OnCallGroup = (typeof ON_CALL_GROUPS)[number];

const phone = z
  .string()
  .regex(/^\+?[0-9 -]{5,20}$/, 'A phone number, e.g. +8613800000000')
  .nullable()
  .optional();

/** The whole rotation of one group; it replaces the group's shifts from now on (overrides stay). */
export const rotationInput = z.object({
  shifts: z
    .array(
      z
        .object({
          userId: z.string().uuid(),
          phone,
          from: z.coerce.date(),
          to: z.coerce.date(),
          lead: z.boolean().default(false),
        })
        .refine((s) => s.to > s.from, { message: 'to must be after from', path: ['to'] }),
    )
    .max(200),
});
export type RotationInput = z.infer<typeof rotationInput>;

/** Someone covers the group for a while: paged first, in place of `replacesUserId` when given. */
export const overrideInput = z
  .object({
    userId: z.string().uuid(),
    phone,
    from: z.coerce.date(),
    to: z.coerce.date(),
    replacesUserId: z.string().uuid().nullable().optional(),
  })
  .strict()
  .refine((s) => s.to > s.from, { message: 'to must be after from', path: ['to'] })
  .refine((s) => s.to.getTime() - s.from.getTime() <= 31 * 86_400_000, { message: 'An override lasts at most 31 days', path: ['to'] })
  .refine((s) => s.replacesUserId !== s.userId, { message: 'A person cannot stand in for themselves', path: ['replacesUserId'] });
export type OverrideInput = z.infer<typeof overrideInput>;

export const pageFilter = z.object({
  /** true: only pages waiting for acknowledgement. */
  open: z.enum(['true', 'false']).optional(),
  /** true: only pages of the caller. */
  mine: z.enum(['true', 'false']).optional(),
});
