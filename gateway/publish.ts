// One PUBLISH from a terminal, as aedes handles one (lib/handlers/publish.js): a straight list of
// small steps: ACL, dedup of a packet still in flight, payload limit, rate limit, decode, submit. A step that
// refuses answers the packet itself (v5 PUBACK reason) and the handler stops there.
import type { IPublishPacket } from 'mqtt-packet';
import { type PublishTarget, publishTarget } from './acl.js';
import { decodeUplink, type UplinkKind } from './codecs/index.js';
import type { Ingest, Uplink } from './ingest.js';
import { BucketMap } from './limits.js';
import { type MqttConnection, V5 } from './mqtt-server.js';
import type { GatewaySession } from './session.js';

export interface PublishDeps {
  ingest: Ingest;
  deny(conn: MqttConnection, kind: 'publish', reason: string, topic: string, detail?: Record<string, number>): void;
  kick(conn: MqttConnection, why: string, v5Reason: number): void;
}

export function createPublishHandler({ ingest, deny, kick }: PublishDeps) {
  const uplinkBuckets = new BucketMap();

  /** A refused QoS 1 packet is still acknowledged, with the reason in v5, so the terminal does not resend it. */
  function refuse(conn: MqttConnection, p: IPublishPacket, reason: string, v5Reason: number, detail?: Record<string, number>): void {
    deny(conn, 'publish', reason, p.topic, detail);
    if (p.qos === 1 && p.messageId) conn.puback(p.messageId, v5Reason);
  }

  /** ACL: only the terminal's own uplink and status topics; the target names the uplink kind. */
  function authorize(conn: MqttConnection, s: GatewaySession, p: IPublishPacket): PublishTarget | null {
    const target = publishTarget(s.cred.serial, p.topic);
    if (!target) refuse(conn, p, 'acl', V5.notAuthorized);
    return target;
  }

  /** A retransmission of a packet still being committed: the original's PUBACK answers both. */
  function inFlight(s: GatewaySession, p: IPublishPacket): boolean {
    return p.qos === 1 && p.messageId !== undefined && s.inflight.has(p.messageId);
  }

  /**
   * The model's payload limit (short data): a larger payload is neither stored nor billed.
   * MQTT 5 allows no 0x95 in a PUBACK, so the refusal reads 0x97 (quota exceeded), see protocol.md.
   */
  function withinPayloadLimit(conn: MqttConnection, s: GatewaySession, p: IPublishPacket): boolean {
    const size = p.payload.length;
    if (size <= s.cred.maxPayloadBytes) return true;
    refuse(conn, p, 'payload_too_large', V5.quotaExceeded, { size, limit: s.cred.maxPayloadBytes });
    return false;
  }

  /** The terminal's token bucket (its model's burst and per-minute rate). */
  function withinRate(conn: MqttConnection, s: GatewaySession, p: IPublishPacket): boolean {
    const limit = s.cred;
    if (uplinkBuckets.take(limit.deviceId, limit.rateLimitBurst, limit.rateLimitPerMinute / 60)) return true;
    refuse(conn, p, 'rate_limited', V5.quotaExceeded);
    return false;
  }

  /** The uplink to store, decoded with the model's codec (or carrying why it could not be). */
  function decode(s: GatewaySession, p: IPublishPacket, target: PublishTarget): Uplink {
    const payload = Buffer.isBuffer(p.payload) ? p.payload : Buffer.from(p.payload);
    const u: Uplink = {
      cred: s.cred,
      topic: p.topic,
      kind: target.kind,
      qos: p.qos,
      payload,
      decoded: null,
      decodeError: null,
      deviceTime: null,
      receivedAt: new Date(),
      packetId: p.qos === 1 && p.messageId !== undefined ? p.messageId : null,
      dup: p.dup === true,
    };
    decodeInto(u, s.cred.category);
    return u;
  }

  /** Durable ingest; PUBACK only once committed. Not stored, not acknowledged: the connection drops so the terminal resends. */
  function submit(conn: MqttConnection, s: GatewaySession, p: IPublishPacket, u: Uplink): void {
    const messageId = p.qos === 1 ? p.messageId : undefined;
    if (messageId !== undefined) s.inflight.add(messageId);
    ingest.submit(u).then(
      () => {
        if (messageId === undefined) return;
        s.inflight.delete(messageId);
        conn.puback(messageId);
      },
      () => {
        if (messageId !== undefined) s.inflight.delete(messageId);
        kick(conn, 'ingest unavailable', V5.implementationError);
      },
    );
  }

  return function publish(conn: MqttConnection, p: IPublishPacket): void {
    const s = conn.session as GatewaySession;
    const target = authorize(conn, s, p);
    if (!target || inFlight(s, p) || !withinPayloadLimit(conn, s, p) || !withinRate(conn, s, p)) return;
    submit(conn, s, p, decode(s, p, target));
  };
}

/** Decodes with the model's codec; undecodable payloads keep the error instead. */
function decodeInto(u: Uplink, category: GatewaySession['cred']['category']): void {
  if (u.kind === 'status') {
    u.decoded = { type: 'status', value: u.payload.toString('utf8').replaceAll('\0', '').slice(0, 64) };
    return;
  }
  const r = decodeUplink(u.payload, u.kind as UplinkKind, category);
  if (r.ok) {
    u.decoded = withoutNul(r.frame) as Record<string, unknown>;
    u.deviceTime = r.deviceTime;
  } else {
    u.decodeError = r.error.replaceAll('\0', '');
  }
}

/** Postgres text and jsonb cannot hold U+0000, which a terminal's JSON or fault detail may carry. */
function withoutNul(v: unknown): unknown {
  if (typeof v === 'string') return v.includes('\0') ? v.replaceAll('\0', '') : v;
  if (Array.isArray(v)) return v.map(withoutNul);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [withoutNul(k) as string, withoutNul(x)]));
  return v;
}
