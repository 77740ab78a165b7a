import type { Db } from '../platform/database.js';
import { toJson } from '../platform/json.js';
import type { DomainEvent } from './events.types.js';

/** Postgres channel the relay LISTENs on; NOTIFY is delivered only if the transaction commits. */
export const OUTBOX_CHANNEL = 'nx_outbox';

/** A Prisma transaction client or the root client. */
export type OutboxWriter = Pick<Db, 'outboxEvent' | '$executeRawUnsafe'>;

/**
 * Writes events in the caller's transaction, so an event exists if and only if the change
 * committed; the NOTIFY in the same transaction wakes the relay right after the commit.
 */
export async function writeOutbox(tx: OutboxWriter, events: DomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.outboxEvent.createMany({
    data: events.map((e) => ({
      type: e.type,
      customerId: e.customerId,
      deviceId: e.deviceId,
      payload: toJson(e.payload) as object,
    })),
  });
  await tx.$executeRawUnsafe(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
}
