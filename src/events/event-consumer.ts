import { Worker } from 'bullmq';
import { QUEUE, type Queues } from '../platform/queues.js';
import type { Logger } from '../platform/logger.js';
import type { EventEnvelope, EventHandler } from './events.types.js';

/**
 * Handlers registered by other domains; one BullMQ worker calls all of them for each event.
 * A failing handler fails the job, which BullMQ retries, so every handler must be idempotent.
 */
export function createEventConsumer({ queues, log }: { queues: Queues; log: Logger }) {
  const handlers: { name: string; fn: EventHandler }[] = [];

  return {
    onEvent(name: string, fn: EventHandler): void {
      handlers.push({ name, fn });
    },

    start(concurrency = 256): { stop(): Promise<void> } {
      const worker = new Worker<EventEnvelope>(
        QUEUE.events,
        async (job) => {
          const results = await Promise.allSettled(handlers.map((h) => h.fn(job.data)));
          const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ handler: handlers[i]!.name, err: r.reason as unknown }] : []));
          if (failed.length) {
            for (const f of failed) log.warn({ err: f.err, handler: f.handler, eventId: job.data.id }, 'event handler failed');
            throw new Error(`event handlers failed: ${failed.map((f) => f.handler).join(', ')}`);
          }
        },
        { connection: queues.connection, prefix: queues.prefix, concurrency, autorun: true },
      );
      worker.on('error', (err) => log.warn({ err: err.message }, 'events worker error'));
      return { stop: () => worker.close() };
    },
  };
}
