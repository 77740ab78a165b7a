import { z } from 'zod';

export const DEVICE_CATEGORIES = ['VEHICLE', 'ELEVATOR', 'STREETLIGHT'] as const;
export const FAULT_GROUPS = ['SERVICE_DESK', 'REPAIR', 'SYSTEM', 'FINANCE'] as const;

/** One fault a model can report: the code in its fault frames and who handles it. */
export const faultDefinition = z.object({
  code: z.number().int().min(0).max(0xffff),
  description: z.string().trim().min(1).max(200),
  // 1 = minor, 2 = major, 3 = critical (0 in a fault frame means "cleared", never a definition).
  severity: z.number().int().min(1).max(3),
  group: z.enum(FAULT_GROUPS),
  // Safety-critical (people may be at risk, e.g. an entrapment): CRITICAL, 24x7 SLA, the on-call engineer paged.
  safety: z.boolean().optional(),
});
export type FaultDefinitionInput = z.infer<typeof faultDefinition>;

export const faultTable = z
  .array(faultDefinition)
  .max(512)
  .superRefine((faults, ctx) => {
    const seen = new Set<number>();
    faults.forEach((f, i) => {
      if (seen.has(f.code)) ctx.addIssue({ code: 'custom', path: [i, 'code'], message: `Fault code ${f.code} appears twice` });
      seen.add(f.code);
    });
  });

// Model codes name the category by prefix (protocol.md 3.2): NXV vehicles, NXE elevators, NXL streetlights.
const PREFIX_CATEGORY: Record<string, (typeof DEVICE_CATEGORIES)[number]> = { NXV: 'VEHICLE', NXE: 'ELEVATOR', NXL: 'STREETLIGHT' };

const fields = {
  name: z.string().trim().min(1).max(200),
  category: z.enum(DEVICE_CATEGORIES),
  codec: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,63}$/, 'Lower-case codec name, e.g. nx-vehicle-v1'),
  expectedIntervalSec: z
    .number()
    .int()
    .min(10)
    .max(7 * 86400),
  silenceFactor: z.number().int().min(1).max(100).default(3),
  // Reporting interval with a vehicle's ignition off (protocol.md 4.2); null: no parked mode.
  parkedIntervalSec: z
    .number()
    .int()
    .min(10)
    .max(7 * 86400)
    .nullable()
    .default(null),
  maxPayloadBytes: z.number().int().min(1).max(4096).default(256),
  rateLimitBurst: z.number().int().min(1).max(10_000).default(20),
  rateLimitPerMinute: z.number().int().min(1).max(100_000).default(60),
  faultTable: faultTable.default([]),
};

export const deviceModelInput = z
  .object({
    code: z
      .string()
      .trim()
      .regex(/^[A-Z0-9][A-Z0-9-]{1,31}$/, 'Upper-case letters, digits and dashes'),
    ...fields,
  })
  .superRefine((m, ctx) => {
    const expected = PREFIX_CATEGORY[m.code.split('-')[0] ?? ''];
    if (expected && expected !== m.category)
      ctx.addIssue({ code: 'custom', path: ['category'], message: `Models ${m.code.split('-')[0]}-* are ${expected}` });
  });
export type DeviceModelInput = z.infer<typeof deviceModelInput>;

/** The code and category are fixed once terminals exist; everything else may change. */
export const deviceModelPatch = z.object({
  name: fields.name.optional(),
  codec: fields.codec.optional(),
  expectedIntervalSec: fields.expectedIntervalSec.optional(),
  silenceFactor: z.number().int().min(1).max(100).optional(),
  parkedIntervalSec: z
    .number()
    .int()
    .min(10)
    .max(7 * 86400)
    .nullable()
    .optional(),
  maxPayloadBytes: z.number().int().min(1).max(4096).optional(),
  rateLimitBurst: z.number().int().min(1).max(10_000).optional(),
  rateLimitPerMinute: z.number().int().min(1).max(100_000).optional(),
  faultTable: faultTable.optional(),
});
export type DeviceModelPatch = z.infer<typeof deviceModelPatch>;

export const deviceModelFilter = z.object({
  category: z.enum(DEVICE_CATEGORIES).optional(),
});
