import { z } from 'zod';

export const ON_CALL_GROUPS = ['SERVICE_DESK', 'REPAIR', 'SYSTEM'] as const;
export type OnCallGroup = (typeof ON_CALL_GROUPS)[number];

/** The whole rotation of one group; it replaces the group's shifts from now on. */
export const rotationInput = z.object({
  shifts: z
    .array(
      z
        .object({
          userId: z.string().uuid(),
          phone: z
            .string()
            .regex(/^\+?[0-9 -]{5,20}$/, 'A phone number, e.g. +8613800000000')
            .nullable()
            .optional(),
          from: z.coerce.date(),
          to: z.coerce.date(),
          lead: z.boolean().default(false),
        })
        .refine((s) => s.to > s.from, { message: 'to must be after from', path: ['to'] }),
    )
    .max(200),
});
export type RotationInput = z.infer<typeof rotationInput>;
