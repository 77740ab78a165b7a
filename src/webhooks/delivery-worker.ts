import { randomUUID } from 'node:crypto';
import { DelayedError, Worker, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type pg from 'pg';
import type { Db } from '../platform/database.js';
import type { Logger } from '../platform/logger.js';
import { QUEUE, type Queues } from '../platform/queues.js';
import { createBatcher } from '../platform/batcher.js';
import { createEndpointSemaphore } from './concurrency.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { EndpointHealth } from './endpoint-health.js';
import type { EndpointService, SendingEndpoint } from './endpoint.service.js';
import type { SendResult, WebhookSender } from './http-sender.js';
import { webhookHeaders } from './signing.js';
import { RETRY_SCHEDULE_SEC, type DeliveryJob } from './webhooks.schemas.js';

export interface DeliveryWorkerDeps {
  db: Db;
  /** Plain pg for the per-delivery reads and writes (batched). */
  sql: pg.Pool;
  queues: Queues;
  log: Logger;
  endpoints: EndpointService;
  health: EndpointHealth;
  deliveries: DeliveryQueue;
  sender: WebhookSender;
  retryScale: number;
  timeoutMs: number;
  concurrency: number;
}

const MAX_RETRY_AFTER_SEC = 86_400;

interface LoadedRow extends Omit<SendingEndpoint, 'id'> {
  id: string;
  endpointId: string;
  status: string;
  attemptCount: number;
  eventId: string;
  /** The stored webhook body, as JSON text. */
  body: string;
}

interface Outcome {
  attempt: { deliveryId: string; attemptNo: number; statusCode: number | null; latencyMs: number; error: string | null; responseSnippet: string | null };
  delivery: { id: string; status: 'SUCCEEDED' | 'PENDING' | 'FAILED'; code: number | null; err: string | null; succeeded: string | null; next: string | null };
}
const SWEEP_EVERY_MS = 30_000;
// How long a job holds its worker slot waiting for an endpoint slot before stepping aside.
const SLOT_WAIT_MS = 2_000;
const SWEEP_GRACE_MS = 60_000;

/** Delay before the next scheduled attempt, or null when the schedule is exhausted. */
export function nextDelayMs(job: DeliveryJob, result: SendResult, scale: number): number | null {
  const next = job.step + 1;
  if (job.manual || next >= RETRY_SCHEDULE_SEC.length) return null;
  let delay = RETRY_SCHEDULE_SEC[next]! * 1000 * scale;
  // 429: wait at least as long as the receiver asked.
  if (result.statusCode === 429 && result.retryAfterSec !== null) delay = Math.max(delay, Math.min(result.retryAfterSec, MAX_RETRY_AFTER_SEC) * 1000);
  return delay;
}

/**
 * One BullMQ job = one HTTP attempt of one delivery. The job is stale (skipped) unless the
 * delivery is still pending with the same number of attempts, so re-queued duplicates never
 * send twice; the next attempt is a new delayed job.
 */
export function startDeliveryWorker(deps: DeliveryWorkerDeps): { stop(): Promise<void> } {
  const { db, sql, queues, log, endpoints, health, deliveries, sender } = deps;
  // Its own connection with auto-pipelining: concurrent slot requests share one write.
  const semRedis = new Redis({ ...(queues.connection as RedisOptions), enableAutoPipelining: true });
  semRedis.on('error', (err) => log.warn({ err: err.message }, 'webhook semaphore redis error'));
  const semaphore = createEndpointSemaphore(semRedis, queues.prefix, deps.timeoutMs + 5_000);

  // Concurrent jobs share one SELECT and one write transaction (see createBatcher).
  const load = createBatcher(async (ids: string[]) => {
    // Timestamps are UTC in timestamp columns: AT TIME ZONE makes pg parse them as such.
    const { rows } = await sql.query<LoadedRow>(
      `SELECT d.id::text AS id, d.status::text AS status, d."attemptCount", d."eventId", d.payload::text AS body,
              e.id::text AS "endpointId", e."customerId"::text AS "customerId", e.url, e.enabled, e."maxConcurrency",
              e."secretEncrypted", e."previousSecretEncrypted",
              e."previousSecretExpiresAt" AT TIME ZONE 'UTC' AS "previousSecretExpiresAt", e."failingSince" AT TIME ZONE 'UTC' AS "failingSince"
         FROM "WebhookDelivery" d JOIN "WebhookEndpoint" e ON e.id = d."endpointId"
        WHERE d.id = ANY($1::uuid[])`,
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  });
  // One statement: the attempt rows and the delivery updates commit together.
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

  async function process(job: Job<DeliveryJob>, token?: string): Promise<string> {
    const data = job.data;
    const d = await load(data.deliveryId);
    if (!d || d.status !== 'PENDING' || d.attemptCount !== data.attemptNo) return 'stale';
    const ep: SendingEndpoint = { ...d, id: d.endpointId };
    if (!ep.enabled) {
      await db.webhookDelivery.updateMany({
        where: { id: d.id, status: 'PENDING', attemptCount: data.attemptNo },
        data: { status: 'FAILED', lastError: 'endpoint disabled', nextAttemptAt: null },
      });
      return 'endpoint disabled';
    }
    const lease = randomUUID();
    if (!(await semaphore.acquire(ep.id, ep.maxConcurrency, lease, SLOT_WAIT_MS))) {
      // Endpoint still at its limit: make room for other endpoints' jobs and come back later.
      await job.moveToDelayed(Date.now() + 100 + Math.floor(Math.random() * 400), token);
      throw new DelayedError();
    }
    let result: SendResult;
    try {
      const body = d.body;
      result = await sender.send(ep.url, webhookHeaders(endpoints.signingSecrets(ep), d.eventId, body), body);
    } finally {
      await semaphore.release(ep.id, lease).catch(() => {});
    }

    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const delay = ok || result.statusCode === 410 ? null : nextDelayMs(data, result, deps.retryScale);
    const now = new Date();
    await record({
      attempt: {
        deliveryId: d.id,
        attemptNo: data.attemptNo + 1,
        statusCode: result.statusCode,
        latencyMs: result.latencyMs,
        error: result.error,
        responseSnippet: result.snippet,
      },
      delivery: {
        id: d.id,
        status: ok ? 'SUCCEEDED' : delay !== null ? 'PENDING' : 'FAILED',
        code: result.statusCode,
        err: ok ? null : (result.error ?? `HTTP ${result.statusCode}`),
        succeeded: ok ? now.toISOString() : null,
        next: delay !== null ? new Date(now.getTime() + delay).toISOString() : null,
      },
    });
    if (delay !== null) {
      await deliveries.add([{ job: { ...data, attemptNo: data.attemptNo + 1, step: data.step + 1 }, delayMs: delay }]);
    }
    if (ok) await health.succeeded(ep);
    else await health.failed(ep, result.statusCode, now);
    return ok ? 'delivered' : `failed: ${result.error ?? result.statusCode}`;
  }

  const worker = new Worker<DeliveryJob, string>(QUEUE.webhooks, process, {
    connection: queues.connection,
    prefix: queues.prefix,
    concurrency: deps.concurrency,
  });
  worker.on('error', (err) => log.warn({ err: err.message }, 'webhook worker error'));
  worker.on('failed', (job, err) => log.warn({ err: err.message, deliveryId: job?.data.deliveryId }, 'webhook job failed'));

  // Safety net: a delivery whose job was lost (Redis flushed, crash between commit and enqueue)
  // is queued again once it is overdue.
  async function sweep(): Promise<void> {
    const overdue = await db.webhookDelivery.findMany({
      where: { status: 'PENDING', nextAttemptAt: { lt: new Date(Date.now() - SWEEP_GRACE_MS) } },
      select: { id: true, attemptCount: true },
      take: 1_000,
    });
    await deliveries.add(
      overdue.map((o) => ({
        job: { deliveryId: o.id, attemptNo: o.attemptCount, step: Math.min(o.attemptCount, RETRY_SCHEDULE_SEC.length - 1), manual: false },
      })),
    );
  }
  const sweeper = setInterval(() => void sweep().catch((err: Error) => log.warn({ err: err.message }, 'webhook sweep failed')), SWEEP_EVERY_MS);
  sweeper.unref();

  return {
    async stop() {
      clearInterval(sweeper);
      await worker.close();
      await sender.close();
      semRedis.disconnect();
    },
  };
}
