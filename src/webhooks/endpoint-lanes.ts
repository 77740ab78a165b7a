import { randomUUID } from 'node:crypto';
import type { Logger } from '../platform/logger.js';
import type { EndpointSemaphore } from './concurrency.js';
import { type AttemptTarget, type DeliveryAttempts, newBatchId } from './delivery-attempt.js';
import type { DeliveryQueue } from './delivery-queue.js';

/** Slot leases are extended this often (they last WEBHOOK_TIMEOUT_MS + 5 s). */
const RENEW_EVERY_MS = 5_000;
/** Slots a lane holds beyond its work are given back this often, for other processes. */
const TRIM_EVERY_MS = 1_000;
/** A lane that could not get a slot asks Redis again after this, doubling up to the max. */
const RETRY_MS = 25;
const MAX_RETRY_MS = 400;
/** An idle lane with no slots is forgotten after this. */
const FORGET_AFTER_MS = 60_000;

interface Lane {
  endpointId: string;
  max: number;
  queue: AttemptTarget[];
  head: number;
  inFlight: number;
  /** Slot leases held in Redis (each one request in flight or about to be). */
  held: string[];
  nextSlot: number;
  acquiring: boolean;
  retryTimer: NodeJS.Timeout | null;
  retryMs: number;
  idleSince: number;
  /** Batching endpoints: events per POST, how long the first waits for more, and the wait's timer. */
  batching: boolean;
  maxBatch: number;
  maxWaitMs: number;
  /** When the oldest queued delivery entered the lane (batching: when its batch is due). */
  waitingSince: number;
  flushTimer: NodeJS.Timeout | null;
}

const queued = (l: Lane) => l.queue.length - l.head;

/**
 * First attempts, sent straight from the fan-out through one lane per endpoint in this process:
 * an in-memory queue and up to `maxConcurrency` requests in flight. The endpoint's limit holds
 * across processes through the same Redis leases the delivery queue's worker takes per job, but
 * a lane takes and renews them in bulk (one Redis call for many requests) instead of two calls
 * per request, which was the largest share of Redis work per event.
 *
 * Back-pressure: each endpoint waits in its own lane, so a slow or hanging endpoint fills only
 * its own queue and slots. The process's `limit` on requests in flight is shared fairly: a lane
 * below its share (limit / busy lanes) may always start a request. A lane holding more than
 * `maxQueued` deliveries sends further ones to the delivery queue (where they wait in Redis, not
 * in this process's memory). A crash leaves the queued deliveries PENDING and due: the sweeper
 * queues them again.
 */
export function createEndpointLanes(deps: {
  attempts: DeliveryAttempts;
  slots: EndpointSemaphore;
  deliveries: DeliveryQueue;
  log: Logger;
  /** Requests in flight in this process, all lanes together. */
  limit: number;
  /** Deliveries a lane keeps in memory before handing more to the delivery queue. */
  maxQueued: number;
  onProgress?: () => void;
}) {
  const { attempts, slots, deliveries, log } = deps;
  const token = randomUUID();
  const lanes = new Map<string, Lane>();
  /** Lanes with work, for the fair share of `limit`. */
  let busy = 0;
  let inFlight = 0;
  let stopped = false;
  const running = new Set<Promise<void>>();
  /** Lanes held back by the process limit, woken as requests finish. */
  const blocked = new Set<Lane>();
  let slotErrors = 0;

  function laneOf(t: AttemptTarget): Lane {
    let lane = lanes.get(t.endpoint.id);
    if (!lane) {
      lane = {
        endpointId: t.endpoint.id,
        max: t.endpoint.maxConcurrency,
        queue: [],
        head: 0,
        inFlight: 0,
        held: [],
        nextSlot: 0,
        acquiring: false,
        retryTimer: null,
        retryMs: RETRY_MS,
        idleSince: Date.now(),
        batching: false,
        maxBatch: 100,
        maxWaitMs: 50,
        waitingSince: 0,
        flushTimer: null,
      };
      lanes.set(t.endpoint.id, lane);
    }
    lane.max = t.endpoint.maxConcurrency;
    lane.batching = t.endpoint.batching;
    lane.maxBatch = t.endpoint.maxBatch;
    lane.maxWaitMs = t.endpoint.maxWaitMs;
    return lane;
  }

  const work = (l: Lane) => l.inFlight + queued(l);
  /** Requests this lane's work needs: one per delivery, or one per batch. */
  const requests = (l: Lane) => Math.min(l.max, l.inFlight + (l.batching ? Math.ceil(queued(l) / l.maxBatch) : queued(l)));

  function take(lane: Lane, n: number): AttemptTarget[] {
    const out = lane.queue.slice(lane.head, lane.head + n);
    lane.head += out.length;
    if (lane.head > 1024 && lane.head * 2 > lane.queue.length) {
      lane.queue = lane.queue.slice(lane.head);
      lane.head = 0;
    }
    lane.waitingSince = Date.now();
    return out;
  }

  function pump(lane: Lane): void {
    while (queued(lane) > 0 && lane.inFlight < lane.held.length) {
      if (inFlight >= deps.limit && lane.inFlight >= Math.max(1, Math.floor(deps.limit / Math.max(1, busy)))) {
        blocked.add(lane);
        break;
      }
      if (lane.batching) {
        // A batch goes when full or when its first event has waited maxWaitMs.
        const wait = lane.waitingSince + lane.maxWaitMs - Date.now();
        if (queued(lane) < lane.maxBatch && wait > 0) {
          lane.flushTimer ??= setTimeout(() => {
            lane.flushTimer = null;
            pump(lane);
          }, wait);
          break;
        }
        startBatch(lane, take(lane, lane.maxBatch));
      } else start(lane, take(lane, 1)[0]!);
    }
    const need = requests(lane) - lane.held.length;
    if (need > 0 && !lane.acquiring && !lane.retryTimer && !stopped) void acquire(lane, need);
  }

  async function acquire(lane: Lane, want: number): Promise<void> {
    lane.acquiring = true;
    let granted: string[] = [];
    try {
      granted = await slots.acquireMany(lane.endpointId, lane.max, token, lane.nextSlot, want);
      lane.nextSlot += want;
      slotErrors = 0;
    } catch (err) {
      if (slotErrors++ % 100 === 0) log.warn({ err: (err as Error).message }, 'webhook endpoint slots unavailable; lanes wait');
    } finally {
      lane.acquiring = false;
    }
    lane.held.push(...granted);
    if (granted.length < want) {
      // The endpoint is at its limit (other processes, retries): ask again shortly.
      lane.retryTimer = setTimeout(() => {
        lane.retryTimer = null;
        pump(lane);
      }, lane.retryMs);
      lane.retryMs = Math.min(lane.retryMs * 2, MAX_RETRY_MS);
    } else lane.retryMs = RETRY_MS;
    pump(lane);
  }

  function start(lane: Lane, t: AttemptTarget): void {
    run(lane, t.job.deliveryId, (free) => attempts.attempt(t, free));
  }

  function startBatch(lane: Lane, ts: AttemptTarget[]): void {
    run(lane, ts[0]!.job.deliveryId, (free) => attempts.attemptBatch(ts, newBatchId(), free));
  }

  function run(lane: Lane, deliveryId: string, send: (free: () => void) => Promise<string>): void {
    lane.inFlight++;
    inFlight++;
    let freed = false;
    const free = () => {
      if (freed) return;
      freed = true;
      lane.inFlight--;
      inFlight--;
      if (work(lane) === 0) {
        busy--;
        lane.idleSince = Date.now();
      }
      pump(lane);
      if (inFlight < deps.limit && blocked.size) {
        for (const b of blocked) {
          blocked.delete(b);
          pump(b);
          if (inFlight >= deps.limit) break;
        }
      }
    };
    const p = send(free)
      .then(() => deps.onProgress?.())
      .catch((err: Error) => log.warn({ err: err.message, deliveryId }, 'first webhook attempt failed; the sweeper queues it again'))
      .finally(() => {
        free();
        running.delete(p);
      });
    running.add(p);
  }

  // Gives back slots beyond each lane's work, extends the rest, forgets idle lanes.
  let lastRenew = Date.now();
  const ticker = setInterval(() => {
    const renewing = Date.now() - lastRenew >= RENEW_EVERY_MS;
    if (renewing) lastRenew = Date.now();
    for (const lane of lanes.values()) {
      const surplus = lane.held.length - requests(lane);
      if (surplus > 0) {
        const freed = lane.held.splice(lane.held.length - surplus, surplus);
        void slots.releaseMany(lane.endpointId, freed).catch(() => {});
      }
      if (renewing && lane.held.length) {
        void slots
          .renew(lane.endpointId, lane.held)
          .then((lost) => {
            if (lost.length) lane.held = lane.held.filter((s) => !lost.includes(s));
          })
          .catch(() => {});
      }
      if (work(lane) === 0 && lane.held.length === 0 && !lane.retryTimer && Date.now() - lane.idleSince > FORGET_AFTER_MS) {
        lanes.delete(lane.endpointId);
      }
    }
  }, TRIM_EVERY_MS);
  ticker.unref();

  return {
    /** Queues each delivery in its endpoint's lane; a full lane (or a stopping process) hands it to the delivery queue. */
    async dispatch(targets: AttemptTarget[]): Promise<void> {
      const later: AttemptTarget[] = [];
      const touched = new Set<Lane>();
      for (const t of targets) {
        const lane = laneOf(t);
        if (stopped || queued(lane) >= deps.maxQueued) {
          later.push(t);
          continue;
        }
        if (work(lane) === 0) busy++;
        if (queued(lane) === 0) lane.waitingSince = Date.now();
        lane.queue.push(t);
        touched.add(lane);
      }
      for (const lane of touched) pump(lane);
      await deliveries.add(later.map((t) => ({ job: t.job })));
    },
    /** Per endpoint with work here: deliveries waiting or in flight, and the age of the oldest event waiting. */
    backlog(now = Date.now()): { endpointId: string; queued: number; inFlight: number; oldestAgeMs: number | null }[] {
      return [...lanes.values()]
        .filter((l) => work(l) > 0)
        .map((l) => {
          const first = l.queue[l.head];
          return {
            endpointId: l.endpointId,
            queued: queued(l),
            inFlight: l.inFlight,
            oldestAgeMs: first?.occurredAt !== undefined ? now - first.occurredAt : null,
          };
        });
    },
    /** Stops taking deliveries, hands the queued ones to the delivery queue, waits for those in flight. */
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(ticker);
      const left: AttemptTarget[] = [];
      for (const lane of lanes.values()) {
        if (lane.retryTimer) clearTimeout(lane.retryTimer);
        if (lane.flushTimer) clearTimeout(lane.flushTimer);
        for (let i = lane.head; i < lane.queue.length; i++) left.push(lane.queue[i]!);
        lane.queue = [];
        lane.head = 0;
      }
      await deliveries
        .add(left.map((t) => ({ job: t.job })))
        .catch((err: Error) =>
          log.warn({ err: err.message, deliveries: left.length }, 'queued first attempts not handed over; the sweeper queues them'),
        );
      await Promise.allSettled([...running]);
      await Promise.allSettled([...lanes.values()].map((l) => slots.releaseMany(l.endpointId, l.held.splice(0))));
    },
  };
}

export type EndpointLanes = ReturnType<typeof createEndpointLanes>;
