// Topic rules of protocol.md section 2: a terminal publishes only under its own serial and
// subscribes only to its own downlink topic; no wildcards anywhere.

export const UPLINK_KINDS = ['telemetry', 'heartbeat', 'event', 'fault', 'ack'] as const;
export type UplinkKindName = (typeof UPLINK_KINDS)[number];

export type PublishTarget = { kind: UplinkKindName } | { kind: 'status' };

/** The uplink kind a terminal may publish on this topic, or null when it is denied. */
export function publishTarget(serial: string, topic: string): PublishTarget | null {
  const parts = topic.split('/');
  if (parts[0] !== 'nx' || parts[1] !== serial) return null;
  if (parts.length === 3 && parts[2] === 'status') return { kind: 'status' };
  if (parts.length === 4 && parts[2] === 'up' && (UPLINK_KINDS as readonly string[]).includes(parts[3]!)) {
    return { kind: parts[3] as UplinkKindName };
  }
  return null;
}

export const downlinkTopic = (serial: string): string => `nx/${serial}/down`;

export function maySubscribe(serial: string, topicFilter: string): boolean {
  return topicFilter === downlinkTopic(serial);
}
