import type { Db } from '../platform/database.js';
import { jsonReplacer } from '../platform/json.js';
import type { DomainEvent } from './events.types.js';

/** Postgres channel the relay LISTENs on; NOTIFY is delivered only if the transaction commits. */
export const OUTBOX_CHANNEL = 'nx_outbox';

/**
 * SQL expression waking the relay after the commit. Postgres folds identical notifications of
 * one transaction into one, so a statement may evaluate it once per row it wrote.
 */
export const OUTBOX_NOTIFY = `pg_notify('${OUTBOX_CHANNEL}', '')`;

/**
 * A data-modifying CTE `name AS (INSERT INTO "OutboxEvent" ...)` for composing a hot-path
 * statement: `rows` is a query yielding type, "customerId", "deviceId" and payload (jsonb);
 * rows get their ids, hence the relay's delivery order, in `orderBy` order. createdAt is the
 * column default. The statement that carries it must also evaluate OUTBOX_NOTIFY.
 */
export function outboxInsertCte(name: string, rows: string, orderBy: string): string {
  return `${name} AS (
    INSERT INTO "OutboxEvent" ("type","customerId","deviceId","payload")
    SELECT type, "customerId", "deviceId", payload FROM (
      ${rows}
    ) e ORDER BY ${orderBy}
  )`;
}

/** A Prisma transaction client or the root client. */
export type OutboxWriter = Pick<Db, '$executeRawUnsafe'>;

/**
 * Writes events in the caller's transaction, so an event exists if and only if the change
 * committed; the NOTIFY in the same statement wakes the relay right after the commit. One raw
 * statement rather than createMany + NOTIFY: this sits on the ingest hot path.
 */
export async function writeOutbox(tx: OutboxWriter, events: DomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.$executeRawUnsafe(
    `WITH ins AS (
       INSERT INTO "OutboxEvent" (type, "customerId", "deviceId", payload, "createdAt")
       SELECT e.type, e."customerId", e."deviceId", e.payload, now() AT TIME ZONE 'UTC'
         FROM jsonb_to_recordset($1::jsonb) AS e(type text, "customerId" uuid, "deviceId" uuid, payload jsonb)
       RETURNING 1
     )
     SELECT pg_notify('${OUTBOX_CHANNEL}', '') FROM (SELECT count(*) FROM ins) AS c`,
    JSON.stringify(
      events.map((e) => ({ type: e.type, customerId: e.customerId, deviceId: e.deviceId, payload: e.payload ?? {} })),
      jsonReplacer,
    ),
  );
}
