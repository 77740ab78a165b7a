import { randomUUID } from 'node:crypto';
import type { Logger } from '../platform/logger.js';
import type { EndpointSemaphore } from './concurrency.js';
import type { AttemptTarget, DeliveryAttempts } from './delivery-attempt.js';
import type { DeliveryQueue } from './delivery-queue.js';

/** How long a first attempt waits for its endpoint's slot before going to the queue. */
const SLOT_WAIT_MS = 1_000;

/**
 * First attempts sent straight from the fan-out, in the worker process that made the
 * deliveries, instead of through a queue job each: at thousands of events a second the queue's
 * per-job bookkeeping cost as much CPU as the HTTP request. The queue still takes every first
 * attempt that cannot go at once (the endpoint stays at its concurrency limit for a second,
 * this process has `limit` requests in flight, or it is stopping), and every retry. A crash
 * mid-attempt leaves the delivery PENDING and due, and the worker's sweeper queues it again.
 */
export function createFirstAttempts(deps: {
  attempts: DeliveryAttempts;
  semaphore: EndpointSemaphore;
  deliveries: DeliveryQueue;
  log: Logger;
  limit: number;
  onProgress?: () => void;
}) {
  const { attempts, semaphore, deliveries, log } = deps;
  const running = new Set<Promise<void>>();
  let stopped = false;

  async function run(t: AttemptTarget): Promise<void> {
    const lease = randomUUID();
    try {
      // A slot freed by this process wakes the waiter at once; a queue job would cost more.
      if (!(await semaphore.acquire(t.endpoint.id, t.endpoint.maxConcurrency, lease, SLOT_WAIT_MS))) {
        await deliveries.add([{ job: t.job }]);
        return;
      }
      await attempts.attempt(t, lease);
      deps.onProgress?.();
    } catch (err) {
      log.warn({ err: (err as Error).message, deliveryId: t.job.deliveryId }, 'first webhook attempt failed; the sweeper queues it again');
    }
  }

  return {
    /** Starts what can start now and queues the rest; resolves once the rest is queued. */
    async dispatch(targets: AttemptTarget[]): Promise<void> {
      const later: AttemptTarget[] = [];
      for (const t of targets) {
        if (stopped || running.size >= deps.limit) {
          later.push(t);
          continue;
        }
        const p = run(t).finally(() => running.delete(p));
        running.add(p);
      }
      await deliveries.add(later.map((t) => ({ job: t.job })));
    },
    /** Stops taking new attempts and waits for those in flight. */
    async stop(): Promise<void> {
      stopped = true;
      await Promise.allSettled([...running]);
    },
  };
}

export type FirstAttempts = ReturnType<typeof createFirstAttempts>;
