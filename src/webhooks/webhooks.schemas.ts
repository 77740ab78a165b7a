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
  /** Opt-in: several events per POST, as one JSON array signed once (see the README). */
  batching: z.boolean().default(false),
  /** Events per batch at most. */
  maxBatch: z.number().int().min(1).max(1000).default(100),
  /** How long the first event of a batch waits for others. */
  maxWaitMs: z.number().int().min(0).max(10_000).default(50),
});
/** Batching settings may be left out by in-process callers (the defaults apply). */
export type EndpointInput = Omit<z.infer<typeof endpointInput>, 'batching' | 'maxBatch' | 'maxWaitMs'> &
  Partial<Pick<z.infer<typeof endpointInput>, 'batching' | 'maxBatch' | 'maxWaitMs'>>;

// patchOf, not .partial(): .partial() keeps the defaults, so any PATCH re-enabled the endpoint and reset its filter.
export const endpointPatch = patchOf(endpointInput.omit({ customerId: true }));
export type EndpointPatch = z.infer<typeof endpointPatch>;

export const endpointFilter = z.object({ customerId: z.string().uuid().optional() });

export const deliveryStatus = z.enum(['PENDING', 'SUCCEEDED', 'FAILED']);
export const deliveryFilter = z.object({
  status: deliveryStatus.optional(),
  eventType: z.string().max(100).optional(),
  batchId: z.string().max(100).optional(),
});

export const batchParams = z.object({
  id: z.string().uuid(),
  batchId: z.string().regex(/^batch_[0-9a-f-]{36}$/, 'A batch id as shown in the delivery log (batch_<uuid>)'),
});

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
  /**
   * A batch (batching endpoints): the webhook-id of the POST, stable across the batch's retries,
   * and every delivery in it with the attempts it had made (the job's own delivery first).
   */
  batchId: z.string().optional(),
  batch: z.array(z.object({ deliveryId: z.string().uuid(), attemptNo: z.number().int().min(0) })).optional(),
});
export type DeliveryJob = z.infer<typeof deliveryJob>;

/** Base retry schedule in seconds: attempt n waits RETRY_SCHEDULE_SEC[n] after attempt n-1. */
export const RETRY_SCHEDULE_SEC = [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 36_000] as const;
/** An endpoint that has failed continuously this long is disabled. */
export const DISABLE_AFTER_MS = 5 * 86_400_000;
export const ENDPOINT_DISABLED_EVENT = 'webhook.endpoint.disabled';
/** Sent to the customer when an endpoint's oldest undelivered event is older than WEBHOOK_LAG_ALERT_SEC. */
export const ENDPOINT_LAGGING_EVENT = 'endpoint.lagging';

export function matchesFilter(eventTypes: string[], type: string): boolean {
  if (eventTypes.length === 0) return true;
  return eventTypes.some((t) => t === type || (t.endsWith('.*') && type.startsWith(t.slice(0, -1))));
}
