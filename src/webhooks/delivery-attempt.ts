import { randomUUID } from 'node:crypto';
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
    batchId: string | null;
  };
  delivery: {
    id: string;
    status: 'SUCCEEDED' | 'PENDING' | 'FAILED';
    code: number | null;
    err: string | null;
    succeeded: string | null;
    next: string | null;
    batchId: string | null;
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
         INSERT INTO "WebhookAttempt" ("deliveryId", "attemptNo", "statusCode", "latencyMs", error, "responseSnippet", "batchId", "createdAt")
         SELECT a."deliveryId", a."attemptNo", a."statusCode", a."latencyMs", a.error, a."responseSnippet", a."batchId", now() AT TIME ZONE 'UTC'
           FROM jsonb_to_recordset($1::jsonb) AS a("deliveryId" uuid, "attemptNo" int, "statusCode" int, "latencyMs" int, error text, "responseSnippet" text, "batchId" text)
       )
       UPDATE "WebhookDelivery" d
          SET status = u.status::"DeliveryStatus", "attemptCount" = d."attemptCount" + 1, "lastStatusCode" = u.code,
              "lastError" = u.err, "succeededAt" = u.succeeded, "nextAttemptAt" = u.next, "batchId" = u."batchId",
              "updatedAt" = now() AT TIME ZONE 'UTC'
         FROM jsonb_to_recordset($2::jsonb) AS u(id uuid, status text, code int, err text, succeeded timestamp, next timestamp, "batchId" text)
        WHERE d.id = u.id`,
      [JSON.stringify(outcomes.map((o) => o.attempt)), JSON.stringify(outcomes.map((o) => o.delivery))],
    );
    return outcomes.map(() => true);
  });

  async function attemptMany(targets: AttemptTarget[], batchId: string | null, sent: () => unknown): Promise<string> {
    // A batch lists its events in event order (a terminal's in its own order), whichever way it
    // was assembled, so a retry or replay of the same deliveries sends the same bytes.
    const ts = batchId === null ? targets : [...targets].sort(byEventOrder);
    const first = ts[0]!;
    const ep = first.endpoint;
    // A batch is one JSON array of the stored bodies, each led by its event id; signed once.
    const body = batchId === null ? first.body : batchBody(ts);
    const msgId = batchId ?? first.eventId;
    let result: SendResult;
    try {
      result = await sender.send(ep.url, webhookHeaders(endpoints.signingSecrets(ep), msgId, body), body);
    } finally {
      await Promise.resolve()
        .then(sent)
        .catch(() => {});
    }

    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const delay = ok || result.statusCode === 410 ? null : nextDelayMs(first.job, result, deps.retryScale);
    const now = new Date();
    const status = ok ? 'SUCCEEDED' : delay !== null ? 'PENDING' : 'FAILED';
    const err = ok ? null : (result.error ?? `HTTP ${result.statusCode}`);
    const next = delay !== null ? new Date(now.getTime() + delay).toISOString() : null;
    await Promise.all(
      ts.map((t) =>
        record({
          attempt: {
            deliveryId: t.job.deliveryId,
            attemptNo: t.job.attemptNo + 1,
            statusCode: result.statusCode,
            latencyMs: result.latencyMs,
            error: result.error,
            responseSnippet: result.snippet,
            batchId,
          },
          delivery: {
            id: t.job.deliveryId,
            status,
            code: result.statusCode,
            err,
            succeeded: ok ? now.toISOString() : null,
            next,
            batchId,
          },
        }),
      ),
    );
    if (delay !== null) {
      const step = first.job.step + 1;
      await deliveries.add(
        batchId === null
          ? [{ job: { ...first.job, attemptNo: first.job.attemptNo + 1, step }, delayMs: delay }]
          : [
              {
                job: {
                  deliveryId: first.job.deliveryId,
                  attemptNo: first.job.attemptNo + 1,
                  step,
                  manual: false,
                  batchId,
                  batch: ts.map((t) => ({ deliveryId: t.job.deliveryId, attemptNo: t.job.attemptNo + 1 })),
                },
                delayMs: delay,
              },
            ],
      );
    }
    if (ok) await health.succeeded(ep);
    else await health.failed(ep, result.statusCode, now);
    return ok ? 'delivered' : `failed: ${result.error ?? result.statusCode}`;
  }

  return {
    /**
     * Sends with the endpoint's slot already held and records the result; `sent` runs once the
     * response is in (or the request failed), to free the slot before the bookkeeping. To a
     * batching endpoint even a single delivery goes as a batch (an array of one), so its
     * receiver always gets arrays.
     */
    attempt(t: AttemptTarget, sent: () => unknown): Promise<string> {
      return attemptMany([t], t.endpoint.batching ? newBatchId() : null, sent);
    },
    /**
     * One POST for several deliveries of one endpoint (same schedule step): `batchId` is its
     * webhook-id, kept by the batch's retries; each delivery gets its own attempt row.
     */
    attemptBatch(ts: AttemptTarget[], batchId: string, sent: () => unknown): Promise<string> {
      return attemptMany(ts, batchId, sent);
    },
  };
}

const byEventOrder = (a: AttemptTarget, b: AttemptTarget) =>
  a.eventId.length - b.eventId.length || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);

/** A batch's webhook-id: names one POST and its retries; receivers dedupe on each element's id. */
export const newBatchId = (): string => `batch_${randomUUID()}`;

/** `[{"id":"evt_1","type":...},...]`: each stored body (a JSON object) with its event id first. */
export function batchBody(ts: Pick<AttemptTarget, 'eventId' | 'body'>[]): string {
  let out = '[';
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    out += `${i ? ',' : ''}{"id":${JSON.stringify(t.eventId)}${t.body.length > 2 ? ',' : ''}${t.body.slice(1)}`;
  }
  return `${out}]`;
}

export type DeliveryAttempts = ReturnType<typeof createDeliveryAttempts>;
