import { z } from 'zod';
import { serialSchema } from './devices.schemas.js';

/** One CSV row of a stock import: serial,model[,firmware]. */
export const stockRow = z.object({
  serial: serialSchema,
  model: z.string().min(1).max(64),
  firmware: z.string().max(64).optional(),
});

/** One CSV row of bulk provisioning: serial,contract[,label,address,latitude,longitude]; contract is a number or an id. */
export const provisionRow = z.object({
  serial: serialSchema,
  contract: z.string().min(1).max(64),
  label: z.string().max(200).optional(),
  address: z.string().max(500).optional(),
  latitude: z.coerce.number().min(-90).max(90).optional(),
  longitude: z.coerce.number().min(-180).max(180).optional(),
});

export const csvBody = z.object({
  /** The CSV text, with a header row naming the columns. */
  csv: z
    .string()
    .min(1)
    .max(5 * 1024 * 1024),
});

export const swapInput = z.object({
  /** The replacement unit, from stock, of the same category. */
  newSerial: serialSchema,
  /** What happens to the unit taken out of service. */
  oldStatus: z.enum(['RETIRED', 'LOST']).default('RETIRED'),
  reason: z.string().max(500).optional(),
});
export type SwapInput = z.infer<typeof swapInput>;
