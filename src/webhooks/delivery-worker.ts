import { randomUUID } from 'node:crypto';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { createBatcher } from '../platform/batcher.js';
import type { Db } from '../platform/database.js';
import type { Logger } from '../platform/logger.js';
import { QUEUE, type Queues } from '../platform/queues.js';
import type { EndpointSemaphore } from './concurrency.js';
import type { DeliveryAttempts } from './delivery-attempt.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { SendingEndpoint } from './endpoint.service.js';
import { type DeliveryJob, RETRY_SCHEDULE_SEC } from './webhooks.schemas.js';

export interface DeliveryWorkerDeps {
  db: Db;
  /** Plain pg for the per-delivery reads (batched). */
  sql: pg.Pool;
  queues: Queues;
  log: Logger;
  deliveries: DeliveryQueue;
  attempts: DeliveryAttempts;
  semaphore: EndpointSemaphore;
  concurrency: number;
  onProgress?: () => void;
}

interface LoadedRow extends Omit<SendingEndpoint, 'id'> {
  id: string;
  endpointId: string;
  status: string;
  attemptCount: number;
  eventId: string;
  /** The stored webhook body, as JSON text. */
  body: string;
}

const SWEEP_EVERY_MS = 30_000;
// How long a job holds its worker slot waiting for an endpoint slot before stepping aside.
const SLOT_WAIT_MS = 2_000;
const SWEEP_GRACE_MS = 60_000;

/**
 * The delivery queue: retries, replays, recoveries, and first attempts the fan-out could not
 * send straight away. One BullMQ job = one HTTP attempt of one delivery. The job is stale (skipped) unless the
 * delivery is still pending with the same number of attempts, so re-queued duplicates never
 * send twice; the next attempt is a new delayed job.
 */
export function startDeliveryWorker(deps: DeliveryWorkerDeps): { stop(): Promise<void> } {
  const { db, sql, queues, log, deliveries, attempts, semaphore } = deps;

  // Concurrent jobs share one SELECT and one write transaction (see createBatcher).
  const load = createBatcher(async (ids: string[]) => {
    // Timestamps are UTC in timestamp columns: AT TIME ZONE makes pg parse them as such.
    const { rows } = await sql.query<LoadedRow>(
      `SELECT d.id::text AS id, d.status::text AS status, d."attemptCount", d."eventId", d.payload::text AS body,
              e.id::text AS "endpointId", e."customerId"::text AS "customerId", e.url, e.enabled, e."maxConcurrency",
              e.batching, e."maxBatch", e."maxWaitMs", e."secretEncrypted", e."previousSecretEncrypted",
              e."previousSecretExpiresAt" AT TIME ZONE 'UTC' AS "previousSecretExpiresAt", e."failingSince" AT TIME ZONE 'UTC' AS "failingSince"
         FROM "WebhookDelivery" d JOIN "WebhookEndpoint" e ON e.id = d."endpointId"
        WHERE d.id = ANY($1::uuid[])`,
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  });

  async function process(job: Job<DeliveryJob>, token?: string): Promise<string> {
    const data = job.data;
    const members = data.batch ?? [{ deliveryId: data.deliveryId, attemptNo: data.attemptNo }];
    const rows = await Promise.all(members.map((m) => load(m.deliveryId)));
    // Only deliveries still pending with the attempts the job expects; the rest went on without it.
    const live = rows.flatMap((d, i) => (d?.status === 'PENDING' && d.attemptCount === members[i]!.attemptNo ? [d] : []));
    const d = live[0];
    if (!d) return 'stale';
    const ep: SendingEndpoint = { ...d, id: d.endpointId };
    if (!ep.enabled) {
      await db.webhookDelivery.updateMany({
        where: { OR: members.map((m) => ({ id: m.deliveryId, attemptCount: m.attemptNo })), status: 'PENDING' },
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
    const release = () => semaphore.release(ep.id, lease);
    const targets = live.map((row) => ({
      job: { deliveryId: row.id, attemptNo: row.attemptCount, step: data.step, manual: data.manual },
      eventId: row.eventId,
      body: row.body,
      endpoint: ep,
    }));
    if (data.batchId) return attempts.attemptBatch(targets, data.batchId, release);
    return attempts.attempt(targets[0]!, release);
  }

  const worker = new Worker<DeliveryJob, string>(QUEUE.webhooks, process, {
    connection: queues.connection,
    prefix: queues.prefix,
    concurrency: deps.concurrency,
  });
  worker.on('error', (err) => log.warn({ err: err.message }, 'webhook worker error'));
  worker.on('completed', () => deps.onProgress?.());
  worker.on('failed', (job, err) => log.warn({ err: err.message, deliveryId: job?.data.deliveryId }, 'webhook job failed'));

  // Safety net: a delivery whose job was lost (Redis flushed, crash between commit and enqueue)
  // is queued again once it is overdue.
  async function sweep(graceMs = SWEEP_GRACE_MS): Promise<void> {
    const overdue = await db.webhookDelivery.findMany({
      where: { status: 'PENDING', nextAttemptAt: { lt: new Date(Date.now() - graceMs) } },
      select: { id: true, attemptCount: true },
      take: 1_000,
    });
    await deliveries.add(
      overdue.map((o) => ({
        job: { deliveryId: o.id, attemptNo: o.attemptCount, step: Math.min(o.attemptCount, RETRY_SCHEDULE_SEC.length - 1), manual: false },
      })),
    );
  }
  const sweeper = setInterval(
    () => void sweep().catch((err: Error) => log.warn({ err: err.message }, 'webhook sweep failed')),
    SWEEP_EVERY_MS,
  );
  sweeper.unref();
  // After Redis reconnects it may have come back without its data (no persistence, a blank
  // replica): queue every due delivery again at once instead of after the grace. Jobs that
  // survived are not duplicated (same job id); an attempt in flight here may be sent twice,
  // under the same webhook-id, which receivers deduplicate.
  let redisClient: Redis | null = null;
  let afterReconnect: NodeJS.Timeout | undefined;
  const onReady = () => {
    clearTimeout(afterReconnect);
    afterReconnect = setTimeout(
      () => void sweep(0).catch((err: Error) => log.warn({ err: err.message }, 'webhook sweep after reconnect failed')),
      1_000,
    );
    afterReconnect.unref();
  };
  void (queues.get(QUEUE.webhooks).getBackend().client as Promise<unknown> as Promise<Redis>).then((c) => {
    redisClient = c;
    c.on('ready', onReady);
  });

  return {
    async stop() {
      clearInterval(sweeper);
      clearTimeout(afterReconnect);
      redisClient?.off('ready', onReady);
      await worker.close();
    },
  };
}
