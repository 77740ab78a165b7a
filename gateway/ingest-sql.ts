// SQL of the ingest batch, composed from the fragments of the tables' owners: messages and
// device last-seen (devices), outbox events (src/events), usage counters (billing). The gateway
// writes no table of its own; kept apart so ingest.ts reads as the batching logic alone.

import { uplinkUsageUpsert } from '../billing/index.js';
import { insertMessagesCtes, STORED_MESSAGES, touchDevicesSql, UPLINK_EVENTS, UPLINK_EVENTS_ORDER } from '../devices/index.js';
import { OUTBOX_NOTIFY, outboxInsertCte } from '../src/events/index.js';

/**
 * Messages and their device.uplink / device.fault outbox rows in ONE statement (the events are
 * built from the rows actually inserted, so a duplicate gets none); `tail` ends the statement.
 */
function storeMessages(messages: string, devices: string, tail: string): string {
  return `WITH ${insertMessagesCtes(messages, devices)}, ${outboxInsertCte('ev', UPLINK_EVENTS, UPLINK_EVENTS_ORDER)}
  ${tail}`;
}

/** The careful path's insert, $1 and $2 from packMessages. Usage and NOTIFY follow apart. */
export const INSERT_SQL = storeMessages('$1::json', '$2::json', 'SELECT 1');

/** The careful path's last-seen, $1 from packLastSeen. */
export const TOUCH_SQL = touchDevicesSql('$1::json');

/**
 * The common batch as ONE simple query: BEGIN; messages + outbox events + usage counters (one
 * statement, returning one row); last-seen; COMMIT. Data goes inline as dollar-quoted literals
 * (a simple query has no parameters), under a tag none of it contains.
 */
export function fastBatchSql(data: { messages: string; devices: string; lastSeen: string | null }, timeZone: string): string {
  const parts = [data.messages, data.devices, data.lastSeen ?? '', timeZone].join('');
  let tag = 'nx';
  while (parts.includes(`$${tag}$`)) tag = `nx${Math.random().toString(36).slice(2, 8)}`;
  const lit = (text: string) => `$${tag}$${text}$${tag}$`;
  const store = storeMessages(
    `${lit(data.messages)}::json`,
    `${lit(data.devices)}::json`,
    `, usage AS (
    ${uplinkUsageUpsert(STORED_MESSAGES, lit(timeZone))}
  )
  SELECT ${OUTBOX_NOTIFY}`,
  );
  return ['BEGIN', store, ...(data.lastSeen ? [touchDevicesSql(`${lit(data.lastSeen)}::json`)] : []), 'COMMIT'].join(';\n');
}
