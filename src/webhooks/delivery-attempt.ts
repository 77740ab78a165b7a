import type pg from 'pg';
import { createBatcher } from '../platform/batcher.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { EndpointService, SendingEndpoint } from './endpoint.service.js';
import type { EndpointHealth } from './endpoint-health.js';
import type { SendResult, WebhookSender } from './http-sender.js';
import { webhookHeaders } from './signing.js';
import { type DeliveryJob, RETRY_SCHEDULE_SEC } from './webhooks.schemas.js';

const MAX_RETRY_AFTER_SEC = 86_400;

/** One attempt to make: the delivery, the stored body (sent byte for byte on every attempt) and its endpoint. */
export interface AttemptTarget {
  job: DeliveryJob;
  eventId: string;
  /** The stored webhook body, as JSON text. */
  body: string;
  endpoint: SendingEndpoint;
  /** When the event occurred (ms since epoch), for the endpoint's lag; unknown for retries. */
  occurredAt?: number;
}

interface Outcome {
  attempt: {
    deliveryId: string;
    attemptNo: number;
    statusCode: number | null;
    latencyMs: number;
    error: string | null;
    responseSnippet: string | null;
  };
  delivery: {
    id: string;
    status: 'SUCCEEDED' | 'PENDING' | 'FAILED';
    code: number | null;
    err: string | null;
    succeeded: string | null;
    next: string | null;
  };
}

/** Delay before the next scheduled attempt, or null when the schedule is exhausted. */
export function nextDelayMs(job: DeliveryJob, result: SendResult, scale: number): number | null {
  const next = job.step + 1;
  if (job.manual || next >= RETRY_SCHEDULE_SEC.length) return null;
  let delay = RETRY_SCHEDULE_SEC[next]! * 1000 * scale;
  // 429: wait at least as long as the receiver asked.
  if (result.statusCode === 429 && result.retryAfterSec !== null)
    delay = Math.max(delay, Math.min(result.retryAfterSec, MAX_RETRY_AFTER_SEC) * 1000);
  return delay;
}

/**
 * The HTTP attempt itself and what follows it: the attempt row and the delivery's new state
 * (one statement, shared by concurrent attempts), the next attempt queued as a delayed job, and
 * the endpoint's failure clock. Used by the delivery queue's worker and by first attempts sent
 * straight from the fan-out.
 */
export function createDeliveryAttempts(deps: {
  sql: pg.Pool;
  endpoints: EndpointService;
  health: EndpointHealth;
  deliveries: DeliveryQueue;
  sender: WebhookSender;
  retryScale: number;
}) {
  const { sql, endpoints, health, deliveries, sender } = deps;

  const record = createBatcher(async (outcomes: Outcome[]) => {
    await sql.query(
      `WITH attempts AS (
         INSERT INTO "WebhookAttempt" ("deliveryId", "attemptNo", "statusCode", "latencyMs", error, "responseSnippet", "createdAt")
         SELECT a."deliveryId", a."attemptNo", a."statusCode", a."latencyMs", a.error, a."responseSnippet", now() AT TIME ZONE 'UTC'
           FROM jsonb_to_recordset($1::jsonb) AS a("deliveryId" uuid, "attemptNo" int, "statusCode" int, "latencyMs" int, error text, "responseSnippet" text)
       )
       UPDATE "WebhookDelivery" d
          SET status = u.status::"DeliveryStatus", "attemptCount" = d."attemptCount" + 1, "lastStatusCode" = u.code,
              "lastError" = u.err, "succeededAt" = u.succeeded, "nextAttemptAt" = u.next, "updatedAt" = now() AT TIME ZONE 'UTC'
         FROM jsonb_to_recordset($2::jsonb) AS u(id uuid, status text, code int, err text, succeeded timestamp, next timestamp)
        WHERE d.id = u.id`,
      [JSON.stringify(outcomes.map((o) => o.attempt)), JSON.stringify(outcomes.map((o) => o.delivery))],
    );
    return outcomes.map(() => true);
  });

  return {
    /**
     * Sends with the endpoint's slot already held and records the result; `sent` runs once the
     * response is in (or the request failed), to free the slot before the bookkeeping.
     */
    async attempt(t: AttemptTarget, sent: () => unknown): Promise<string> {
      const { job, endpoint: ep } = t;
      let result: SendResult;
      try {
        result = await sender.send(ep.url, webhookHeaders(endpoints.signingSecrets(ep), t.eventId, t.body), t.body);
      } finally {
        await Promise.resolve()
          .then(sent)
          .catch(() => {});
      }

      const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
      const delay = ok || result.statusCode === 410 ? null : nextDelayMs(job, result, deps.retryScale);
      const now = new Date();
      await record({
        attempt: {
          deliveryId: job.deliveryId,
          attemptNo: job.attemptNo + 1,
          statusCode: result.statusCode,
          latencyMs: result.latencyMs,
          error: result.error,
          responseSnippet: result.snippet,
        },
        delivery: {
          id: job.deliveryId,
          status: ok ? 'SUCCEEDED' : delay !== null ? 'PENDING' : 'FAILED',
          code: result.statusCode,
          err: ok ? null : (result.error ?? `HTTP ${result.statusCode}`),
          succeeded: ok ? now.toISOString() : null,
          next: delay !== null ? new Date(now.getTime() + delay).toISOString() : null,
        },
      });
      if (delay !== null) {
        await deliveries.add([{ job: { ...job, attemptNo: job.attemptNo + 1, step: job.step + 1 }, delayMs: delay }]);
      }
      if (ok) await health.succeeded(ep);
      else await health.failed(ep, result.statusCode, now);
      return ok ? 'delivered' : `failed: ${result.error ?? result.statusCode}`;
    },
  };
}

export type DeliveryAttempts = ReturnType<typeof createDeliveryAttempts>;
