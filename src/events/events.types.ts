/**
 * The event types customers' webhook endpoints can receive (their `eventTypes` filter names
 * these, or `family.*`); src/webhooks/README.md describes each payload. Operator-internal events
 * (customerId null, e.g. ticket.sla_breached) are not listed: they never reach webhooks.
 */
export const EVENT_TYPES = [
  'device.uplink',
  'device.fault',
  'device.online',
  'device.offline',
  'device.silent',
  'device.recovered',
  'downlink.status',
  'ticket.created',
  'ticket.updated',
  'contract.suspended',
  'contract.reactivated',
  'contract.usage_threshold',
  'invoice.issued',
  'invoice.paid',
  'invoice.overdue',
  'invoice.credited',
  'payment.received',
  'webhook.endpoint.disabled',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** A change in some domain that other domains (webhooks, tickets, live feed) may react to. */
export interface DomainEvent {
  /** Dotted name, e.g. `device.uplink`, `invoice.issued`. */
  type: string;
  /** The customer whose record this is; null for operator-internal events (never sent to webhooks). */
  customerId: string | null;
  deviceId: string | null;
  payload: Record<string, unknown>;
}

/** What consumers receive: the event plus its stable id and the time it was recorded. */
export interface EventEnvelope extends DomainEvent {
  /** `evt_<outbox id>`: stable, unique, increasing; used as the webhook-id. */
  id: string;
  /** ISO time the event was committed to the outbox. */
  occurredAt: string;
}

export type EventHandler = (event: EventEnvelope) => Promise<void>;

export const eventIdOf = (outboxId: bigint | number | string): string => `evt_${outboxId}`;

/** One job on the events queue: a slice of relayed events, in outbox order. */
export interface EventBatch {
  events: EventEnvelope[];
}
