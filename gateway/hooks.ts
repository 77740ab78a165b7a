// The terminal edge: authentication, ACL, limits, decoding and durable ingest of uplinks,
// downlink dispatch and presence, as hooks on the MQTT server. Straight steps per packet.
import type { Redis } from 'ioredis';
import type { IConnectPacket, IPublishPacket, ISubscribePacket } from 'mqtt-packet';
import type { Services } from '../src/app/container.js';
import { standingOf, verdictFor, type CredentialChange } from '../devices/index.js';
import { decodeUplink, type UplinkKind } from './codecs/index.js';
import { publishTarget, maySubscribe } from './acl.js';
import { BucketMap } from './limits.js';
import { V5, type MqttConnection, type RefusalReason, type ServerHooks } from './mqtt-server.js';
import type { Ingest, Uplink } from './ingest.js';
import type { Presence } from './presence.js';
import type { GatewaySession } from './session.js';
import { createDownlinks } from './downlink.js';

const REFUSAL: Record<string, RefusalReason> = { bad_credentials: 'bad_credentials', not_authorized: 'not_authorized', banned: 'banned' };
// DISCONNECT has no 'banned' reason code in MQTT 5, so a suspension reads 'administrative action'.
const V5_FOR_STANDING: Record<string, number> = { bad_credentials: V5.notAuthorized, not_authorized: V5.notAuthorized, banned: V5.administrativeAction };

export function createGatewayHooks(deps: { services: Services; ingest: Ingest; presence: Presence; gatewayId: string; control: Redis }) {
  const { services, ingest, presence, gatewayId, control } = deps;
  const { config, deviceCredentials, metrics, log, redis } = services;
  const downlinks = createDownlinks(services);
  const local = new Map<string, MqttConnection>();
  const connectBuckets = new BucketMap();
  const uplinkBuckets = new BucketMap();
  const subKey = (serial: string) => `${config.REDIS_PREFIX}:gateway:subscribed:${serial}`;
  const takeoverChannel = `${config.REDIS_PREFIX}:gateway:takeover`;
  const sessionOf = (conn: MqttConnection) => conn.session as GatewaySession;
  const pendingPresence = new Set<Promise<void>>();

  function deny(conn: MqttConnection, kind: 'publish' | 'subscribe', reason: string, topic: string): void {
    metrics.mqttDenied.labels(kind, reason).inc();
    log.warn({ serial: conn.clientId, topic, reason, kind }, `mqtt ${kind} denied`);
  }

  function kick(conn: MqttConnection, why: string, v5Reason: number): void {
    log.info({ serial: conn.clientId, why }, 'dropping terminal session');
    conn.destroy(why, v5Reason);
  }

  const hooks: ServerHooks = {
    async connect(conn: MqttConnection, p: IConnectPacket) {
      const refuse = (reason: RefusalReason) => {
        metrics.mqttConnects.labels(reason).inc();
        log.info({ clientId: p.clientId, remoteAddress: conn.remoteAddress, reason }, 'terminal connection refused');
        return { ok: false as const, reason };
      };
      if (!connectBuckets.take(conn.remoteAddress, config.MQTT_CONNECT_BURST, config.MQTT_CONNECT_PER_SECOND)) return refuse('rate_limited');
      if (!p.username) return refuse('bad_credentials');
      if (p.clientId !== p.username) return refuse('identifier_rejected');
      const cred = await deviceCredentials.get(p.username);
      const verdict = verdictFor(cred, p.password ? p.password.toString('utf8') : null);
      if (verdict !== 'ok' || !cred) return refuse(REFUSAL[verdict] ?? 'not_authorized');
      await ingest.prime(cred.deviceId);

      const previous = local.get(cred.serial);
      if (previous && previous !== conn) kick(previous, 'session taken over', V5.sessionTakenOver);
      void control.publish(takeoverChannel, JSON.stringify({ serial: cred.serial, gatewayId })).catch(() => {});
      const persistent = p.clean === false;
      let subscribed = false;
      if (persistent) subscribed = (await redis.exists(subKey(cred.serial))) === 1;
      else await redis.del(subKey(cred.serial));
      const session: GatewaySession = {
        cred,
        secretHash: cred.secretHash,
        sessionRowId: Promise.resolve(null),
        persistent,
        subscribed,
        inflight: new Set(),
        outgoing: new Map(),
        sentCommands: new Set(),
      };
      conn.session = session;
      local.set(cred.serial, conn);
      metrics.mqttConnects.labels('ok').inc();
      return { ok: true as const, sessionPresent: subscribed };
    },

    ready(conn) {
      const s = sessionOf(conn);
      s.sessionRowId = presence.connected(s.cred, conn.remoteAddress, conn.version).catch((err: Error) => {
        log.warn({ err: err.message, serial: s.cred.serial }, 'recording the session failed');
        return null;
      });
      void downlinks.flush(conn, s);
    },

    publish(conn, p: IPublishPacket) {
      const s = sessionOf(conn);
      const target = publishTarget(s.cred.serial, p.topic);
      const ackDenied = (reason: number) => {
        if (p.qos === 1 && p.messageId) conn.puback(p.messageId, reason);
      };
      if (!target) {
        deny(conn, 'publish', 'acl', p.topic);
        return ackDenied(V5.notAuthorized);
      }
      if (p.qos === 1 && p.messageId !== undefined && s.inflight.has(p.messageId)) {
        // A retransmission of a packet still being committed: the original's PUBACK answers both.
        return;
      }
      const limit = s.cred;
      if (!uplinkBuckets.take(s.cred.deviceId, limit.rateLimitBurst, limit.rateLimitPerMinute / 60)) {
        deny(conn, 'publish', 'rate_limited', p.topic);
        return ackDenied(V5.quotaExceeded);
      }
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
        dedupKey: p.qos === 1 && p.messageId !== undefined ? `${s.cred.serial}:${p.messageId}` : null,
        dup: p.dup === true,
      };
      decodeInto(u, s.cred.category);
      if (p.qos === 1 && p.messageId !== undefined) s.inflight.add(p.messageId);
      ingest.submit(u).then(
        () => {
          if (p.qos === 1 && p.messageId !== undefined) {
            s.inflight.delete(p.messageId);
            conn.puback(p.messageId);
          }
        },
        () => {
          // Not stored, so not acknowledged: dropping the connection makes the terminal resend.
          if (p.messageId !== undefined) s.inflight.delete(p.messageId);
          kick(conn, 'ingest unavailable', V5.implementationError);
        },
      );
    },

    async subscribe(conn, p: ISubscribePacket) {
      const s = sessionOf(conn);
      const granted = p.subscriptions.map((sub) => {
        if (maySubscribe(s.cred.serial, sub.topic)) return Math.min(sub.qos, 1);
        deny(conn, 'subscribe', 'acl', sub.topic);
        return conn.version === 5 ? V5.notAuthorized : 0x80;
      });
      if (granted.some((g) => g < 0x80)) {
        s.subscribed = true;
        if (s.persistent) await redis.set(subKey(s.cred.serial), '1', 'EX', 30 * 86400);
        setImmediate(() => void downlinks.flush(conn, s));
      }
      return granted;
    },

    unsubscribe(conn, topics) {
      const s = sessionOf(conn);
      if (topics.some((t) => maySubscribe(s.cred.serial, t))) {
        s.subscribed = false;
        void redis.del(subKey(s.cred.serial)).catch(() => {});
      }
    },

    puback(conn, messageId) {
      downlinks.puback(sessionOf(conn), messageId);
    },

    closed(conn, reason) {
      const s = conn.session as GatewaySession | null;
      if (!s) return;
      if (local.get(s.cred.serial) === conn) local.delete(s.cred.serial);
      const done = s.sessionRowId.then(async (id) => {
        if (id !== null) await presence.disconnected(id, s.cred.deviceId, reason, s.cred);
      });
      pendingPresence.add(done);
      void done.finally(() => pendingPresence.delete(done));
    },
  };

  /** Re-checks connected terminals named by a change and drops those no longer allowed. */
  async function recheck(change: CredentialChange): Promise<void> {
    const serials = new Set(change.serials ?? []);
    const contracts = new Set(change.contractIds ?? []);
    for (const [serial, conn] of local) {
      const s = sessionOf(conn);
      if (!serials.has(serial) && !(s.cred.contractId && contracts.has(s.cred.contractId))) continue;
      const cred = await deviceCredentials.get(serial, true);
      const standing = standingOf(cred, s.secretHash);
      if (standing !== 'ok') kick(conn, `credentials changed: ${standing}`, V5_FOR_STANDING[standing] ?? V5.notAuthorized);
      else if (cred) s.cred = cred;
    }
  }

  /**
   * Suspensions written without an invalidation (e.g. by a billing job's SQL) still drop the
   * terminal: one cheap query over the connected terminals' devices and contracts.
   */
  async function sweep(): Promise<void> {
    if (local.size === 0) return;
    const deviceIds = [...local.values()].map((c) => sessionOf(c).cred.deviceId);
    const rows = await services.db.device.findMany({
      where: { id: { in: deviceIds }, OR: [{ status: { notIn: ['PROVISIONED', 'ACTIVE'] } }, { contract: { status: { in: ['SUSPENDED', 'TERMINATED'] } } }] },
      select: { serial: true },
    });
    if (rows.length) await recheck({ serials: rows.map((r) => r.serial) });
  }

  return {
    hooks,
    local,
    /** Presence writes still running, awaited at shutdown. */
    settle: () => Promise.allSettled([...pendingPresence]),
    recheck,
    sweep,
    downlinks,
    onTakeover(msg: string): void {
      const { serial, gatewayId: other } = JSON.parse(msg) as { serial: string; gatewayId: string };
      const conn = local.get(serial);
      if (other !== gatewayId && conn) kick(conn, 'session taken over by another gateway', V5.sessionTakenOver);
    },
    onDownlinkNotice(msg: string): void {
      const { serial, commandId } = JSON.parse(msg) as { serial: string; commandId: number };
      const conn = local.get(serial);
      if (conn) void downlinks.sendOne(conn, sessionOf(conn), commandId).catch((err: Error) => log.warn({ err: err.message, serial, commandId }, 'downlink send failed'));
    },
    takeoverChannel,
  };
}

/** Decodes with the model's codec; oversize or undecodable payloads keep the error instead. */
function decodeInto(u: Uplink, category: GatewaySession['cred']['category']): void {
  if (u.payload.length > u.cred.maxPayloadBytes) {
    u.decodeError = `payload of ${u.payload.length} bytes exceeds the model limit of ${u.cred.maxPayloadBytes} bytes`;
    return;
  }
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
