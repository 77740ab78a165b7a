import { z } from 'zod';

// A serial is also the MQTT client id and username, and a topic level: no wildcards, no slashes.
export const serialSchema = z.string().regex(/^[A-Z0-9][A-Z0-9-]{2,31}$/, 'Upper-case letters, digits and dashes, 3-32 characters');

export const stockInput = z.object({
  serial: serialSchema,
  /** Device model code, e.g. NXE-200. */
  model: z.string().min(1).max(64),
  firmware: z.string().max(64).optional(),
});
export type StockInput = z.infer<typeof stockInput>;

export const provisionInput = z.object({
  contractId: z.string().uuid(),
  label: z.string().max(200).optional(),
  address: z.string().max(500).optional(),
  latitude: z.number().min(-90).max(90).optional(),
  longitude: z.number().min(-180).max(180).optional(),
});
export type ProvisionInput = z.infer<typeof provisionInput>;

export const deviceStatuses = ['IN_STOCK', 'PROVISIONED', 'ACTIVE', 'SUSPENDED', 'RETIRED', 'LOST'] as const;
export const statusChangeInput = z.object({
  status: z.enum(['ACTIVE', 'SUSPENDED', 'RETIRED', 'LOST']),
  reason: z.string().max(500).optional(),
});
export type StatusChangeInput = z.infer<typeof statusChangeInput>;

export const deviceFilter = z.object({
  status: z.enum(deviceStatuses).optional(),
  customerId: z.string().uuid().optional(),
  contractId: z.string().uuid().optional(),
  model: z.string().max(64).optional(),
  online: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});
export type DeviceFilter = z.infer<typeof deviceFilter>;

// The route validates the envelope; the service checks the spec against the codec's schema
// (a strict discriminated union that cannot be extended with ttlSeconds).
export const commandInput = z.object({
  opcode: z.enum(['REPORT_NOW', 'SET_INTERVAL', 'IMMOBILIZE', 'SWITCH_LAMP', 'DIM']),
  args: z.record(z.string(), z.unknown()).optional(),
  ttlSeconds: z
    .number()
    .int()
    .min(5)
    .max(7 * 86400)
    .optional(),
});
export type CommandInput = z.infer<typeof commandInput>;

export const commandFilter = z.object({
  status: z.enum(['QUEUED', 'SENT', 'DELIVERED', 'ACKNOWLEDGED', 'REJECTED', 'FAILED', 'EXPIRED']).optional(),
});

/** Terminal settings staff or its contractor may change; null clears an override. */
export const deviceSettingsPatch = z
  .object({
    // The interval the terminal was set to by hand (e.g. at installation), when it never acknowledged a SET_INTERVAL.
    expectedIntervalSec: z
      .number()
      .int()
      .min(1)
      .max(7 * 86400)
      .nullable()
      .optional(),
  })
  .strict();
export type DeviceSettingsPatch = z.infer<typeof deviceSettingsPatch>;
