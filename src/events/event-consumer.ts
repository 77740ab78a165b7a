import { Worker } from 'bullmq';
import type { Logger } from '../platform/logger.js';
import { QUEUE, type Queues } from '../platform/queues.js';
import type { EventBatch, EventEnvelope, EventHandler } from './events.types.js';

/** Jobs queued before events were relayed in slices carry one envelope each. */
const eventsOf = (data: EventBatch | EventEnvelope): EventEnvelope[] => ('events' in data ? data.events : [data]);

/**
 * Handlers registered by other domains; one BullMQ worker calls all of them for every event of
 * a job, the job's events concurrently (so handlers' own batching sees them together). A failing
 * handler fails the job, which BullMQ retries with all its events, so every handler must be
 * idempotent.
 */
export function createEventConsumer({ queues, log }: { queues: Queues; log: Logger }) {
  const handlers: { name: string; fn: EventHandler }[] = [];

  return {
    onEvent(name: string, fn: EventHandler): void {
      handlers.push({ name, fn });
    },

    start(concurrency = 64): { stop(): Promise<void> } {
      const worker = new Worker<EventBatch | EventEnvelope>(
        QUEUE.events,
        async (job) => {
          const calls = eventsOf(job.data).flatMap((event) =>
            handlers.map((h) => ({ handler: h.name, event, result: Promise.resolve().then(() => h.fn(event)) })),
          );
          const results = await Promise.allSettled(calls.map((c) => c.result));
          const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ ...calls[i]!, err: r.reason as unknown }] : []));
          if (failed.length) {
            for (const f of failed.slice(0, 5)) log.warn({ err: f.err, handler: f.handler, eventId: f.event.id }, 'event handler failed');
            throw new Error(`event handlers failed: ${[...new Set(failed.map((f) => f.handler))].join(', ')} (${failed.length} calls)`);
          }
        },
        { connection: queues.connection, prefix: queues.prefix, concurrency, autorun: true },
      );
      worker.on('error', (err) => log.warn({ err: err.message }, 'events worker error'));
      return { stop: () => worker.close() };
    },
  };
}
