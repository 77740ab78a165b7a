// The terminal edge: authentication, ACL, limits, decoding and durable ingest of uplinks,
// downlink dispatch and presence, as hooks on the MQTT server. Straight steps per packet; a
// PUBLISH goes through publish.ts's steps.
import type { Redis } from 'ioredis';
import type { IConnectPacket, ISubscribePacket } from 'mqtt-packet';
import { type CredentialChange, standingOf, verdictFor } from '../devices/index.js';
import { maySubscribe } from './acl.js';
import { createDownlinks } from './downlink.js';
import type { Ingest } from './ingest.js';
import { BucketMap } from './limits.js';
import { MAX_PACKET_BYTES, type MqttConnection, type RefusalReason, type ServerHooks, V5 } from './mqtt-server.js';
import type { GatewayPorts } from './ports.js';
import type { Presence } from './presence.js';
import { createPublishHandler } from './publish.js';
import type { GatewaySession } from './session.js';

/** Serials are short; a longer client id is refused before any lookup. */
const MAX_CLIENT_ID = 64;

/** A client id or username as it may appear in a log line: short and without control characters. */
function printable(s: string | undefined): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = (s ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return clean.length > 32 ? `${clean.slice(0, 32)}...` : clean;
}

const REFUSAL: Record<string, RefusalReason> = { bad_credentials: 'bad_credentials', not_authorized: 'not_authorized', banned: 'banned' };
// DISCONNECT has no 'banned' reason code in MQTT 5, so a suspension reads 'administrative action'.
const V5_FOR_STANDING: Record<string, number> = {
  bad_credentials: V5.notAuthorized,
  not_authorized: V5.notAuthorized,
  banned: V5.administrativeAction,
};

export function createGatewayHooks(deps: { ports: GatewayPorts; ingest: Ingest; presence: Presence; gatewayId: string; control: Redis }) {
  const { ports, ingest, presence, gatewayId, control } = deps;
  const { settings, credentials, metrics, log, redis } = ports;
  const downlinks = createDownlinks({ commands: ports.commands, log });
  const local = new Map<string, MqttConnection>();
  const connectBuckets = new BucketMap();
  const subKey = (serial: string) => `${settings.redisPrefix}:gateway:subscribed:${serial}`;
  const takeoverChannel = `${settings.redisPrefix}:gateway:takeover`;
  const sessionOf = (conn: MqttConnection) => conn.session as GatewaySession;
  const pendingPresence = new Set<Promise<void>>();

  function deny(
    conn: MqttConnection,
    kind: 'publish' | 'subscribe',
    reason: string,
    topic: string,
    detail: Record<string, number> = {},
  ): void {
    metrics.mqttDenied.labels(kind, reason).inc();
    log.warn({ serial: conn.clientId, topic, reason, kind, ...detail }, `mqtt ${kind} denied`);
  }

  function kick(conn: MqttConnection, why: string, v5Reason: number): void {
    log.info({ serial: conn.clientId, why }, 'dropping terminal session');
    conn.destroy(why, v5Reason);
  }

  const publish = createPublishHandler({ ingest, deny, kick });

  const hooks: ServerHooks = {
    async connect(conn: MqttConnection, p: IConnectPacket) {
      const refuse = (reason: RefusalReason) => {
        metrics.mqttConnects.labels(reason).inc();
        log.info({ clientId: printable(p.clientId), remoteAddress: conn.remoteAddress, reason }, 'terminal connection refused');
        return { ok: false as const, reason };
      };
      if (!connectBuckets.take(conn.remoteAddress, settings.connectBurst, settings.connectPerSecond)) return refuse('rate_limited');
      if (p.clientId.length > MAX_CLIENT_ID) return refuse('identifier_rejected');
      if (!p.username) return refuse('bad_credentials');
      if (p.clientId !== p.username) return refuse('identifier_rejected');
      const cred = await credentials.get(p.username);
      const verdict = verdictFor(cred, p.password ? p.password.toString('utf8') : null);
      if (verdict !== 'ok' || !cred) return refuse(REFUSAL[verdict] ?? 'not_authorized');
      await ingest.prime(cred.deviceId);
      // The socket may have gone while we looked the terminal up: it must not take over a live session.
      if (conn.closed) return { ok: false as const, reason: 'not_authorized' as RefusalReason };

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
      if (conn.closed) return { ok: false as const, reason: 'not_authorized' as RefusalReason };
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

    publish,

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

    tooLarge(conn, bytes) {
      metrics.mqttDenied.labels('packet', 'packet_too_large').inc();
      const who = conn.session
        ? { serial: sessionOf(conn).cred.serial }
        : { clientId: printable(conn.clientId), remoteAddress: conn.remoteAddress };
      log.warn({ ...who, size: bytes, limit: MAX_PACKET_BYTES }, 'mqtt packet too large, connection closed');
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
      const cred = await credentials.get(serial, true);
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
    const serials = await credentials.barredAmong(deviceIds);
    if (serials.length) await recheck({ serials });
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
      if (conn)
        void downlinks
          .sendOne(conn, sessionOf(conn), commandId)
          .catch((err: Error) => log.warn({ err: err.message, serial, commandId }, 'downlink send failed'));
    },
    takeoverChannel,
  };
}
