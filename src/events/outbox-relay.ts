import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from '../platform/logger.js';
import { withPgClient } from '../platform/pg-checkout.js';
import { type EventBatch, type EventEnvelope, eventIdOf } from './events.types.js';
import { OUTBOX_CHANNEL } from './outbox.js';

export interface RelayOptions {
  databaseUrl: string;
  queue: Queue;
  log: Logger;
  batchSize?: number;
  /** Fallback poll when no NOTIFY arrives (a missed notification, a lost LISTEN connection). */
  pollMs?: number;
  /** Relayed rows older than this are deleted; the queue and the consumers hold them from then on. */
  retainHours?: number;
  /** Called after every pass that completed, with or without rows (see LoopMonitor). */
  onProgress?: () => void;
}

interface OutboxRow {
  id: string;
  type: string;
  customerId: string | null;
  deviceId: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
}

const ADD_TIMEOUT_MS = 5_000;
/**
 * After Redis comes back empty (restarted without persistence, failed over to a blank replica),
 * rows relayed this recently are relayed again: their jobs may have been lost before the
 * consumers ran them. Consumers are idempotent (deliveries are unique per endpoint and event).
 */
const REPLAY_WINDOW_MIN = 15;
const MARKER_CHECK_MS = 2_000;
/**
 * Events per queue job. One BullMQ job per event cost about as much CPU as the webhook delivery
 * itself; a job per slice of a claimed batch keeps the queue's bookkeeping off the per-event
 * path while slices still spread over the consumer's concurrency.
 */
const EVENTS_PER_JOB = 50;
// Completed jobs are kept a while so a late duplicate add (same jobId) is still ignored.
const JOB_OPTS = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 3_600, count: 20_000 },
  removeOnFail: { age: 7 * 86_400 },
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ioredis and BullMQ queue commands while Redis is down or paused; this gives up instead. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Moves committed outbox rows to the events queue in id order, up to EVENTS_PER_JOB events per
 * job. Rows are claimed with FOR UPDATE SKIP LOCKED, so several relays in several processes
 * never relay a row twice; the job id `evts-<first id>-<last id>` makes a re-add of the same
 * slice after a crash between add and mark a no-op (a re-claim that slices differently queues
 * some events twice, which idempotent handlers absorb). When Redis is down the transaction
 * rolls back and the rows simply wait.
 */
export function startOutboxRelay(opts: RelayOptions): { stop(): Promise<void> } {
  const { databaseUrl, queue, log } = opts;
  const batchSize = opts.batchSize ?? 500;
  const pollMs = opts.pollMs ?? 1_000;
  const retainMs = (opts.retainHours ?? 72) * 3_600_000;
  // One connection; a checkout that cannot get it in time is an error the loop retries, never a wait forever.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, connectionTimeoutMillis: 10_000 });
  // Idle connections closed by the server (restart, database dropped in tests) reconnect on next use.
  pool.on('error', (err: Error & { code?: string }) =>
    err.code === '57P01'
      ? log.debug({ err: err.message }, 'outbox relay connection closed by server')
      : log.warn({ err: err.message }, 'outbox relay pool error'),
  );

  let stopped = false;
  let nudged = false;
  let wake: (() => void) | null = null;
  const nudge = () => {
    nudged = true;
    wake?.();
  };

  // LISTEN on its own connection, reconnecting with backoff; the poll covers the gaps.
  let listener: pg.Client | null = null;
  async function listen(attempt = 0): Promise<void> {
    if (stopped) return;
    const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
    client.on('notification', nudge);
    client.on('error', (err) => {
      log.warn({ err: err.message }, 'outbox LISTEN connection lost');
      void client.end().catch(() => {});
      if (listener === client) listener = null;
      if (!stopped) setTimeout(() => void listen(1), 1_000);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      listener = client;
      nudge(); // rows may have arrived while we were not listening
    } catch (err) {
      void client.end().catch(() => {});
      if (!stopped) setTimeout(() => void listen(attempt + 1), Math.min(10_000, 250 * 2 ** attempt));
      log.warn({ err: (err as Error).message }, 'outbox LISTEN failed; retrying');
    }
  }

  // Claim rows only while the queue's Redis connection is up: a relay cut off from Redis must
  // not hold rows locked (and away from healthy relays) while its adds time out.
  async function queueReady(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const redis = await Promise.race([
      queue.getBackend().client,
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), 1_000);
      }),
    ]).finally(() => clearTimeout(timer));
    return redis?.status === 'ready';
  }

  /**
   * Keeps a marker key in Redis. Finding it gone after it was seen means Redis lost its data, and
   * with it the event jobs not yet consumed: the recently relayed rows are made claimable again.
   */
  const markerKey = `${queue.opts.prefix ?? 'bull'}:outbox:redis-marker`;
  let markerSeen = false;
  let lastMarkerCheck = 0;
  async function checkRedisKeptData(): Promise<void> {
    if (Date.now() - lastMarkerCheck < MARKER_CHECK_MS) return;
    // The queue's backend is ioredis; its declared type is the backend-neutral subset.
    const redis = (await queue.getBackend().client) as unknown as Redis;
    const created = await within(redis.set(markerKey, new Date().toISOString(), 'NX'), ADD_TIMEOUT_MS, 'Redis');
    lastMarkerCheck = Date.now();
    if (created === 'OK' && markerSeen) {
      const res = await pool.query(
        `UPDATE "OutboxEvent" SET "relayedAt" = NULL WHERE "relayedAt" > (now() AT TIME ZONE 'UTC') - make_interval(mins => $1)`,
        [REPLAY_WINDOW_MIN],
      );
      log.warn(
        { replayed: res.rowCount, windowMin: REPLAY_WINDOW_MIN },
        'Redis came back without its data: recently relayed events are relayed again',
      );
    }
    markerSeen = true;
  }

  async function relayBatch(): Promise<number> {
    if (!(await queueReady())) throw new Error('events queue (Redis) not connected');
    await checkRedisKeptData();
    try {
      return await withPgClient(pool, (client) => claimAndQueue(client));
    } catch (err) {
      // The rows are claimable again: nudge the other relays rather than leave them to their poll.
      // Only now, with the connection back in the pool: the pool has just one.
      await pool.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`).catch(() => {});
      throw err;
    }
  }

  async function claimAndQueue(client: pg.PoolClient): Promise<number> {
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<OutboxRow>(
        `SELECT id::text AS id, type, "customerId", "deviceId", payload, ("createdAt" AT TIME ZONE 'UTC') AS "createdAt"
           FROM "OutboxEvent" WHERE "relayedAt" IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      const envelopes = rows.map(
        (r): EventEnvelope => ({
          id: eventIdOf(r.id),
          type: r.type,
          customerId: r.customerId,
          deviceId: r.deviceId,
          payload: r.payload,
          occurredAt: r.createdAt.toISOString(),
        }),
      );
      const jobs: { name: string; data: EventBatch; opts: typeof JOB_OPTS & { jobId: string } }[] = [];
      for (let i = 0; i < rows.length; i += EVENTS_PER_JOB) {
        const events = envelopes.slice(i, i + EVENTS_PER_JOB);
        jobs.push({
          name: 'events',
          data: { events },
          opts: { jobId: `evts-${rows[i]!.id}-${rows[i + events.length - 1]!.id}`, ...JOB_OPTS },
        });
      }
      // ioredis queues commands while Redis is down; give up instead so the rows stay claimable.
      await within(queue.addBulk(jobs), ADD_TIMEOUT_MS, 'events queue');
      await client.query(`UPDATE "OutboxEvent" SET "relayedAt" = (now() AT TIME ZONE 'UTC') WHERE id = ANY($1::bigint[])`, [
        rows.map((r) => r.id),
      ]);
      await client.query('COMMIT');
      return rows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  let lastPrune = 0;
  async function pruneIfDue(): Promise<void> {
    if (Date.now() - lastPrune < 600_000) return;
    lastPrune = Date.now();
    const cutoff = new Date(Date.now() - retainMs);
    const res = await pool.query(
      `DELETE FROM "OutboxEvent" WHERE id IN (SELECT id FROM "OutboxEvent" WHERE "relayedAt" < ($1::timestamptz AT TIME ZONE 'UTC') LIMIT 50000)`,
      [cutoff.toISOString()],
    );
    if (res.rowCount) log.debug({ deleted: res.rowCount }, 'pruned relayed outbox rows');
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      nudged = false;
      let relayed = 0;
      try {
        relayed = await relayBatch();
        opts.onProgress?.();
        if (failures) log.info({ failures }, 'outbox relay recovered');
        failures = 0;
        await pruneIfDue();
      } catch (err) {
        failures++;
        if (failures === 1 || failures % 20 === 0)
          log.warn({ err: (err as Error).message, failures }, 'outbox relay failed; rows wait and the relay retries');
        // Short enough that the relay resumes within a couple of seconds of Redis or Postgres returning.
        await sleep(Math.min(2_000, 100 * 2 ** failures));
        continue;
      }
      if (relayed === batchSize || nudged) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pollMs);
        function done() {
          clearTimeout(timer);
          wake = null;
          resolve();
        }
        wake = done;
      });
    }
  }

  void listen();
  const running = loop();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await running;
      await listener?.end().catch(() => {});
      await pool.end().catch(() => {});
    },
  };
}
