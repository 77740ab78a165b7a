// Query shapes of a terminal's stored messages: time ranges, kinds, chart buckets, exports.
import { z } from 'zod';
import { dateInput } from '../src/platform/schemas.js';

const DAY_MS = 86_400_000;

/** The uplink kinds of protocol.md 2 (topic `nx/{serial}/up/{kind}`). */
export const messageKind = z.string().regex(/^[a-z]{1,20}$/, 'A topic kind such as telemetry or heartbeat');

/** `from` inclusive, `to` exclusive, both optional: an instant (ISO 8601 with offset) or a date (UTC midnight). */
export const messageRange = z.object({ from: dateInput.optional(), to: dateInput.optional() });

export const messageListFilter = messageRange.extend({
  kind: messageKind.optional(),
  /** Newest first unless asked otherwise; pages follow (receivedAt, id) either way. */
  order: z.enum(['desc', 'asc']).default('desc'),
});
export type MessageListFilter = z.infer<typeof messageListFilter>;

export const MESSAGE_EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export const messageExportQuery = messageRange.extend({
  kind: messageKind.optional(),
  format: z.enum(MESSAGE_EXPORT_FORMATS).default('csv'),
});
export type MessageExportQuery = z.infer<typeof messageExportQuery>;

/**
 * Chart buckets. Minutes and hours are the same in every zone that is a whole number of hours
 * from UTC; days (and hours in half-hour zones) start at the operator's local midnight.
 */
export const TELEMETRY_BUCKETS = {
  '1m': { unit: 'minute', ms: 60_000, defaultSpanMs: DAY_MS, maxSpanMs: 7 * DAY_MS },
  '1h': { unit: 'hour', ms: 3_600_000, defaultSpanMs: 7 * DAY_MS, maxSpanMs: 92 * DAY_MS },
  '1d': { unit: 'day', ms: DAY_MS, defaultSpanMs: 90 * DAY_MS, maxSpanMs: 366 * DAY_MS },
} as const;
export type TelemetryBucket = keyof typeof TELEMETRY_BUCKETS;

export const telemetryQuery = messageRange.extend({
  field: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,39}$/, 'A decoded field name such as speedKmh'),
  bucket: z.enum(Object.keys(TELEMETRY_BUCKETS) as [TelemetryBucket, ...TelemetryBucket[]]).default('1h'),
});
export type TelemetryQuery = z.infer<typeof telemetryQuery>;

/** Longest range one listing or export may span: pages keep a listing cheap, an export is one response. */
export const MAX_LIST_SPAN_MS = 366 * DAY_MS;
export const MAX_EXPORT_SPAN_MS = 31 * DAY_MS;
export const DEFAULT_EXPORT_SPAN_MS = DAY_MS;
