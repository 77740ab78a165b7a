import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { EventService } from '../events/index.js';
import type { Logger } from '../platform/logger.js';
import { ENDPOINT_LAGGING_EVENT } from './webhooks.schemas.js';

const CHECK_EVERY_MS = 5_000;

export interface EndpointLag {
  endpointId: string;
  customerId: string;
  url: string;
  /** Age in seconds of the oldest event not yet delivered to the endpoint (pending delivery). */
  lagSec: number;
}

/** Each endpoint's lag: the age of its oldest pending delivery (first attempts and retries alike). */
export async function endpointLags(sql: pg.Pool, endpointIds?: string[]): Promise<EndpointLag[]> {
  const { rows } = await sql.query<EndpointLag>(
    `SELECT d."endpointId"::text AS "endpointId", e."customerId"::text AS "customerId", e.url,
            EXTRACT(EPOCH FROM (now() AT TIME ZONE 'UTC') - min(d."createdAt"))::float8 AS "lagSec"
       FROM "WebhookDelivery" d JOIN "WebhookEndpoint" e ON e.id = d."endpointId"
      WHERE d.status = 'PENDING' AND e.enabled AND ($1::uuid[] IS NULL OR d."endpointId" = ANY($1::uuid[]))
      GROUP BY 1, 2, 3`,
    [endpointIds ?? null],
  );
  return rows;
}

/**
 * Worker role: every few seconds, an `endpoint.lagging` event to the customer of each endpoint
 * whose lag passed `thresholdSec`. One event per episode across worker processes (a Redis key,
 * dropped once the endpoint has caught up). The metric is read at scrape time (index.ts).
 */
export function startLagMonitor(deps: {
  sql: pg.Pool;
  redis: Redis;
  prefix: string;
  events: EventService;
  log: Logger;
  thresholdSec: number;
}): { stop(): void } {
  const { sql, redis, events, log } = deps;
  const flag = (endpointId: string) => `${deps.prefix}:webhooks:lagging:${endpointId}`;
  let lagging = new Set<string>();
  async function check(): Promise<void> {
    const lags = await endpointLags(sql);
    const now = new Set<string>();
    for (const l of lags.filter((x) => x.lagSec >= deps.thresholdSec)) {
      now.add(l.endpointId);
      if ((await redis.set(flag(l.endpointId), '1', 'NX')) !== 'OK') continue;
      await events.emitNow([
        {
          type: ENDPOINT_LAGGING_EVENT,
          customerId: l.customerId,
          deviceId: null,
          payload: { endpointId: l.endpointId, url: l.url, lagSeconds: Math.round(l.lagSec), thresholdSeconds: deps.thresholdSec },
        },
      ]);
      log.warn({ endpointId: l.endpointId, lagSec: Math.round(l.lagSec) }, 'webhook endpoint lagging');
    }
    // Caught up (or disabled): the next episode tells the customer again.
    const recovered = [...lagging].filter((id) => !now.has(id));
    if (recovered.length) await redis.del(...recovered.map(flag));
    lagging = now;
  }
  const timer = setInterval(
    () => void check().catch((err: Error) => log.warn({ err: err.message }, 'webhook lag check failed')),
    CHECK_EVERY_MS,
  );
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
