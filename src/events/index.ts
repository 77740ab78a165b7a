import type { Db } from '../platform/database.js';
import type { Logger } from '../platform/logger.js';
import { QUEUE, type Queues } from '../platform/queues.js';
import { createEventConsumer } from './event-consumer.js';
import type { DomainEvent, EventHandler } from './events.types.js';
import { type OutboxWriter, writeOutbox } from './outbox.js';
import { startOutboxRelay } from './outbox-relay.js';

export type { DomainEvent, EventEnvelope, EventHandler, EventType } from './events.types.js';
export { EVENT_TYPES, eventIdOf } from './events.types.js';
export { OUTBOX_CHANNEL, OUTBOX_NOTIFY, type OutboxWriter, outboxInsertCte, writeOutbox } from './outbox.js';

export interface EventServiceDeps {
  db: Db;
  queues: Queues;
  log: Logger;
  /** Needed by the relay for its LISTEN connection and row claiming. */
  databaseUrl: string;
}

/**
 * The transactional outbox: domains `emit` inside their own transaction; a relay (worker role)
 * moves committed events to BullMQ; one consumer calls every handler registered with `onEvent`.
 */
export function createEventService({ db, queues, log, databaseUrl }: EventServiceDeps) {
  const consumer = createEventConsumer({ queues, log: log.child({ component: 'events' }) });
  return {
    /** Records events in the caller's transaction (`tx`), or alone when given the root client. */
    emit(tx: OutboxWriter, events: DomainEvent[]): Promise<void> {
      return writeOutbox(tx, events);
    },
    /** Records events in a transaction of their own. */
    emitNow(events: DomainEvent[]): Promise<void> {
      return writeOutbox(db, events);
    },
    onEvent(name: string, handler: EventHandler): void {
      consumer.onEvent(name, handler);
    },
    startRelay(opts: { pollMs?: number; batchSize?: number; onProgress?: () => void } = {}) {
      const relayLog = log.child({ component: 'outbox-relay' });
      return startOutboxRelay({ databaseUrl, queue: queues.get(QUEUE.events), log: relayLog, ...opts });
    },
    /** Age of the oldest event not yet relayed, or null when none waits (the relay's backlog). */
    async oldestPendingAgeMs(): Promise<number | null> {
      const [row] = await db.$queryRaw<{ ms: number | null }[]>`
        SELECT (EXTRACT(EPOCH FROM (now() AT TIME ZONE 'UTC') - min("createdAt")) * 1000)::float8 AS ms FROM "OutboxEvent" WHERE "relayedAt" IS NULL`;
      return row?.ms ?? null;
    },
    startConsumer(concurrency?: number) {
      return consumer.start(concurrency);
    },
  };
}

export type EventService = ReturnType<typeof createEventService>;
