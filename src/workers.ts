import type { Services } from './services.js';

interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Starts every BullMQ worker and background loop of the worker role. Each domain adds its
 * own starter here; all are closed on shutdown so jobs in progress finish or return to the queue.
 */
export async function startWorkers(services: Services): Promise<Stoppable> {
  const started: Stoppable[] = [];
  void services;
  return {
    async stop() {
      await Promise.all(started.map((s) => s.stop()));
    },
  };
}
