import type { Redis } from 'ioredis';
import type { Logger } from '../platform/logger.js';

/**
 * Tells every process that a customer's endpoints changed (created, edited, disabled, rotated,
 * failing or recovered), so the fan-out's cached copy in the worker processes is dropped at
 * once rather than when it expires: a new endpoint gets the very next event, a disabled one
 * none.
 */
export function createEndpointChanges({ redis, prefix, log }: { redis: Redis; prefix: string; log: Logger }) {
  const channel = `${prefix}:webhooks:endpoints-changed`;
  return {
    publish(customerId: string): void {
      void redis
        .publish(channel, customerId)
        .catch((err: Error) => log.warn({ err: err.message }, 'webhook endpoint change publish failed'));
    },
    /** Calls `listener` with the customer id of every change, from any process, until stopped. */
    async subscribe(listener: (customerId: string) => void): Promise<{ stop(): void }> {
      const subscriber = redis.duplicate();
      subscriber.on('error', (err) => log.warn({ err: err.message }, 'webhook endpoint change subscriber error'));
      subscriber.on('message', (_ch: string, customerId: string) => listener(customerId));
      await subscriber.subscribe(channel);
      return { stop: () => subscriber.disconnect() };
    },
  };
}
