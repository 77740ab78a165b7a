import type pg from 'pg';
import type { Db } from '../platform/database.js';
import type { EventEnvelope } from '../events/index.js';
import { createBatcher } from '../platform/batcher.js';
import { jsonReplacer } from '../platform/json.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { matchesFilter } from './webhooks.schemas.js';

interface NewDelivery {
  endpointId: string;
  eventId: string;
  eventType: string;
  payload: unknown;
}

/**
 * Endpoints per customer are cached this long. Changes made in this process invalidate at
 * once (invalidate()); changes made by another process are seen within this time.
 */
const ENDPOINT_CACHE_MS = 2_000;

/**
 * Events consumer: one delivery per matching enabled endpoint of the event's customer (and
 * only that customer). The unique (endpointId, eventId) makes a re-run of the same event a
 * no-op. Concurrent events are written with one INSERT and queued with one addBulk, through
 * plain pg (a Prisma raw query costs several times the CPU on this hot path).
 */
export function createFanOut({ db, sql, deliveries }: { db: Db; sql: pg.Pool; deliveries: DeliveryQueue }) {
  const cache = new Map<string, { until: number; endpoints: { id: string; eventTypes: string[] }[] }>();

  async function endpointsOf(customerId: string) {
    const hit = cache.get(customerId);
    if (hit && hit.until > Date.now()) return hit.endpoints;
    const endpoints = await db.webhookEndpoint.findMany({ where: { customerId, enabled: true }, select: { id: true, eventTypes: true } });
    cache.set(customerId, { until: Date.now() + ENDPOINT_CACHE_MS, endpoints });
    return endpoints;
  }

  const insert = createBatcher<NewDelivery, string | null>(async (rows) => {
    const { rows: created } = await sql.query<{ id: string; endpointId: string; eventId: string }>(
      `INSERT INTO "WebhookDelivery" (id, "endpointId", "eventId", "eventType", payload, "nextAttemptAt", "createdAt", "updatedAt")
       SELECT gen_random_uuid(), u."endpointId", u."eventId", u."eventType", u.payload, n.t, n.t, n.t
         FROM jsonb_to_recordset($1::jsonb) AS u("endpointId" uuid, "eventId" text, "eventType" text, payload jsonb),
              (SELECT now() AT TIME ZONE 'UTC' AS t) AS n
       ON CONFLICT ("endpointId", "eventId") DO NOTHING
       RETURNING id::text AS id, "endpointId"::text AS "endpointId", "eventId"`,
      [JSON.stringify(rows, jsonReplacer)],
    );
    // Rows created by an earlier run whose enqueue failed are picked up by the sweeper.
    await deliveries.add(created.map((d) => ({ job: { deliveryId: d.id, attemptNo: 0, step: 0, manual: false } })));
    const byKey = new Map(created.map((c) => [`${c.endpointId}|${c.eventId}`, c.id]));
    return rows.map((r) => byKey.get(`${r.endpointId}|${r.eventId}`) ?? null);
  });

  async function fanOut(e: EventEnvelope): Promise<void> {
    if (!e.customerId) return;
    const targets = (await endpointsOf(e.customerId)).filter((ep) => matchesFilter(ep.eventTypes, e.type));
    if (targets.length === 0) return;
    // The body receivers get (Standard Webhooks shape); stored so retries and replays resend it.
    const payload = { type: e.type, timestamp: e.occurredAt, data: { ...(e.deviceId ? { deviceId: e.deviceId } : {}), ...e.payload } };
    await Promise.all(targets.map((t) => insert({ endpointId: t.id, eventId: e.id, eventType: e.type, payload })));
  }

  return {
    fanOut,
    invalidate(customerId: string): void {
      cache.delete(customerId);
    },
  };
}
