import { z } from 'zod';
import { EVENT_TYPES } from '../events/index.js';
import { patchOf } from '../platform/schemas.js';

const eventType = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?$/, 'An event type such as device.uplink or device.*');

export const endpointUrl = z
  .string()
  .trim()
  .max(2000)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'Only http and https URLs');

export const endpointInput = z.object({
  /** Staff name the customer; customer users may omit it (their own customer). */
  customerId: z.string().uuid().optional(),
  url: endpointUrl,
  description: z.string().trim().max(500).nullable().optional(),
  /** Empty or absent: every event type. `device.*` matches every device event. */
  eventTypes: z
    .array(eventType)
    .max(100)
    .default([])
    .describe(`Event types to receive (empty: all); \`family.*\` matches a family. Types: ${EVENT_TYPES.join(', ')}`),
  enabled: z.boolean().default(true),
  maxConcurrency: z.number().int().min(1).max(100).default(4),
});
export type EndpointInput = z.infer<typeof endpointInput>;

// patchOf, not .partial(): .partial() keeps the defaults, so any PATCH re-enabled the endpoint and reset its filter.
export const endpointPatch = patchOf(endpointInput.omit({ customerId: true }));
export type EndpointPatch = z.infer<typeof endpointPatch>;

export const endpointFilter = z.object({ customerId: z.string().uuid().optional() });

export const deliveryStatus = z.enum(['PENDING', 'SUCCEEDED', 'FAILED']);
export const deliveryFilter = z.object({ status: deliveryStatus.optional(), eventType: z.string().max(100).optional() });

export const recoverInput = z.object({ since: z.coerce.date() });

/** Job payload of QUEUE.webhooks: one attempt of one delivery. */
export const deliveryJob = z.object({
  deliveryId: z.string().uuid(),
  /** Attempts already made; the job is stale unless the delivery still shows this many. */
  attemptNo: z.number().int().min(0),
  /** Position in the retry schedule of this attempt. */
  step: z.number().int().min(0),
  /** Replays and recoveries are single attempts outside the schedule. */
  manual: z.boolean().default(false),
});
export type DeliveryJob = z.infer<typeof deliveryJob>;

/** Base retry schedule in seconds: attempt n waits RETRY_SCHEDULE_SEC[n] after attempt n-1. */
export const RETRY_SCHEDULE_SEC = [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 36_000] as const;
/** An endpoint that has failed continuously this long is disabled. */
export const DISABLE_AFTER_MS = 5 * 86_400_000;
export const ENDPOINT_DISABLED_EVENT = 'webhook.endpoint.disabled';

export function matchesFilter(eventTypes: string[], type: string): boolean {
  if (eventTypes.length === 0) return true;
  return eventTypes.some((t) => t === type || (t.endsWith('.*') && type.startsWith(t.slice(0, -1))));
}
