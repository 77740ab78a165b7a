import type pg from 'pg';
import type { EventEnvelope } from '../events/index.js';
import { createBatcher } from '../platform/batcher.js';
import type { Db } from '../platform/database.js';
import { jsonReplacer } from '../platform/json.js';
import type { AttemptTarget } from './delivery-attempt.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { SendingEndpoint } from './endpoint.service.js';
import type { EndpointLanes } from './endpoint-lanes.js';
import { matchesFilter } from './webhooks.schemas.js';

interface NewDelivery {
  endpoint: SendingEndpoint;
  eventId: string;
  eventType: string;
  payload: unknown;
  /** ms since epoch */
  occurredAt: number;
}

type CachedEndpoint = SendingEndpoint & { eventTypes: string[] };

/**
 * Endpoints per customer are cached this long. Changes invalidate at once (invalidate(), called
 * for changes in any process through endpoint-changes.ts); the expiry covers a lost message.
 */
const ENDPOINT_CACHE_MS = 5_000;

/**
 * Events consumer: one delivery per matching enabled endpoint of the event's customer (and
 * only that customer). The unique (endpointId, eventId) makes a re-run of the same event a
 * no-op. Concurrent events are written with one INSERT through plain pg (a Prisma raw query
 * costs several times the CPU on this hot path); new deliveries then go to the first-attempt
 * sender when this process runs one, else to the delivery queue.
 */
export function createFanOut({ db, sql, deliveries }: { db: Db; sql: pg.Pool; deliveries: DeliveryQueue }) {
  const cache = new Map<string, { until: number; endpoints: CachedEndpoint[] }>();
  // Bumped by invalidate(): a lookup that started before a change must not cache what it read.
  const generation = new Map<string, number>();
  let firstAttempts: EndpointLanes | null = null;

  async function endpointsOf(customerId: string): Promise<CachedEndpoint[]> {
    const hit = cache.get(customerId);
    if (hit && hit.until > Date.now()) return hit.endpoints;
    const gen = generation.get(customerId) ?? 0;
    const endpoints = await db.webhookEndpoint.findMany({
      where: { customerId, enabled: true },
      select: {
        id: true,
        customerId: true,
        eventTypes: true,
        url: true,
        enabled: true,
        maxConcurrency: true,
        batching: true,
        maxBatch: true,
        maxWaitMs: true,
        secretEncrypted: true,
        previousSecretEncrypted: true,
        previousSecretExpiresAt: true,
        failingSince: true,
      },
    });
    if ((generation.get(customerId) ?? 0) === gen) cache.set(customerId, { until: Date.now() + ENDPOINT_CACHE_MS, endpoints });
    return endpoints;
  }

  const insert = createBatcher<NewDelivery, string | null>(async (items) => {
    const rows = items.map((i) => ({ endpointId: i.endpoint.id, eventId: i.eventId, eventType: i.eventType, payload: i.payload }));
    // RETURNING the stored body: every attempt, first or retry, sends these exact bytes.
    const { rows: created } = await sql.query<{ id: string; endpointId: string; eventId: string; body: string }>(
      `INSERT INTO "WebhookDelivery" (id, "endpointId", "eventId", "eventType", payload, "nextAttemptAt", "createdAt", "updatedAt")
       SELECT gen_random_uuid(), u."endpointId", u."eventId", u."eventType", u.payload, n.t, n.t, n.t
         FROM jsonb_to_recordset($1::jsonb) AS u("endpointId" uuid, "eventId" text, "eventType" text, payload jsonb),
              (SELECT now() AT TIME ZONE 'UTC' AS t) AS n
       ON CONFLICT ("endpointId", "eventId") DO NOTHING
       RETURNING id::text AS id, "endpointId"::text AS "endpointId", "eventId", payload::text AS body`,
      [JSON.stringify(rows, jsonReplacer)],
    );
    const itemOf = new Map(items.map((i) => [`${i.endpoint.id}|${i.eventId}`, i]));
    const targets: AttemptTarget[] = created.map((c) => {
      const item = itemOf.get(`${c.endpointId}|${c.eventId}`)!;
      return {
        job: { deliveryId: c.id, attemptNo: 0, step: 0, manual: false },
        eventId: c.eventId,
        body: c.body,
        endpoint: item.endpoint,
        occurredAt: item.occurredAt,
      };
    });
    // Rows created by an earlier run whose hand-over failed are picked up by the sweeper.
    if (firstAttempts) await firstAttempts.dispatch(targets);
    else await deliveries.add(targets.map((t) => ({ job: t.job })));
    const byKey = new Map(created.map((c) => [`${c.endpointId}|${c.eventId}`, c.id]));
    return items.map((r) => byKey.get(`${r.endpoint.id}|${r.eventId}`) ?? null);
  });

  async function fanOut(e: EventEnvelope): Promise<void> {
    if (!e.customerId) return;
    const targets = (await endpointsOf(e.customerId)).filter((ep) => matchesFilter(ep.eventTypes, e.type));
    if (targets.length === 0) return;
    // The body receivers get (Standard Webhooks shape); stored so retries and replays resend it.
    const payload = { type: e.type, timestamp: e.occurredAt, data: { ...(e.deviceId ? { deviceId: e.deviceId } : {}), ...e.payload } };
    const occurredAt = Date.parse(e.occurredAt);
    await Promise.all(targets.map((endpoint) => insert({ endpoint, eventId: e.id, eventType: e.type, payload, occurredAt })));
  }

  return {
    fanOut,
    invalidate(customerId: string): void {
      cache.delete(customerId);
      generation.set(customerId, (generation.get(customerId) ?? 0) + 1);
      if (generation.size > 100_000) generation.clear();
    },
    /** The worker role's first-attempt sender; null hands every new delivery to the queue. */
    useFirstAttempts(sender: EndpointLanes | null): void {
      firstAttempts = sender;
    },
  };
}
