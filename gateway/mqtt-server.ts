// A small MQTT 3.1.1 + 5.0 server on mqtt-packet (the codec aedes itself uses). aedes 1.2
// refuses protocol level 5 and always encodes v4 packets, while protocol.md requires v5
// CONNACK reason codes, and the gateway must hold PUBACK until the uplink is committed; both
// are direct here. It speaks only what terminals need: CONNECT, PUBLISH QoS 0/1 (both ways),
// SUBSCRIBE/UNSUBSCRIBE, PING, DISCONNECT. Policy lives in the hooks.
import net from 'node:net';
import tls from 'node:tls';
import mqtt, { type IConnectPacket, type IPublishPacket, type ISubscribePacket, type Packet } from 'mqtt-packet';
import type { ProxyGate } from './proxy-protocol.js';

/** Why a CONNECT is refused; mapped to a CONNACK code per protocol version in exactly one place. */
export type RefusalReason = 'bad_credentials' | 'identifier_rejected' | 'not_authorized' | 'banned' | 'rate_limited' | 'unavailable';

const CONNACK_V4: Record<RefusalReason, number> = {
  bad_credentials: 4,
  identifier_rejected: 2,
  not_authorized: 5,
  banned: 5,
  rate_limited: 3,
  unavailable: 3,
};
const CONNACK_V5: Record<RefusalReason, number> = {
  bad_credentials: 0x86,
  identifier_rejected: 0x85,
  not_authorized: 0x87,
  banned: 0x8a,
  rate_limited: 0x9f,
  unavailable: 0x88,
};

export const V5 = {
  notAuthorized: 0x87,
  quotaExceeded: 0x97,
  packetTooLarge: 0x95,
  qosNotSupported: 0x9b,
  sessionTakenOver: 0x8e,
  protocolError: 0x82,
  implementationError: 0x83,
  keepAliveTimeout: 0x8d,
  administrativeAction: 0x98,
} as const;

export interface ServerHooks {
  connect(
    conn: MqttConnection,
    packet: IConnectPacket,
  ): Promise<{ ok: true; sessionPresent: boolean } | { ok: false; reason: RefusalReason }>;
  ready(conn: MqttConnection): void;
  publish(conn: MqttConnection, packet: IPublishPacket): void;
  subscribe(conn: MqttConnection, packet: ISubscribePacket): Promise<number[]>;
  unsubscribe(conn: MqttConnection, topics: string[]): void;
  puback(conn: MqttConnection, messageId: number): void;
  closed(conn: MqttConnection, reason: string): void;
  /** A packet announced more than MAX_PACKET_BYTES; the connection is being closed. */
  tooLarge(conn: MqttConnection, bytes: number): void;
}

/** Advertised in the v5 CONNACK (Maximum Packet Size) and enforced for every protocol version. */
export const MAX_PACKET_BYTES = 64 * 1024;
const CONNECT_TIMEOUT_MS = 10_000;
let nextConnId = 1;

export class MqttConnection {
  readonly id = nextConnId++;
  version: 3 | 4 | 5 = 4;
  clientId = '';
  /** Set by the hooks once authenticated. */
  session: unknown = null;
  connected = false;
  closed = false;
  readonly remoteAddress: string;
  private readonly parser = boundedParser(MAX_PACKET_BYTES, (bytes) => {
    this.hooks.tooLarge(this, bytes);
    this.destroy(`packet of ${bytes} bytes exceeds ${MAX_PACKET_BYTES}`, V5.packetTooLarge);
  });
  private keepaliveMs = 0;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private nextMessageId = 1;
  private readonly aliases = new Map<number, string>();
  private graceful = false;
  private corked = false;
  /** Packets that arrived in the same read as CONNECT, replayed once it is accepted. */
  private early: Packet[] | null = null;

  constructor(
    readonly socket: net.Socket,
    private readonly hooks: ServerHooks,
    /** The terminal's address when a PROXY protocol header named it; else the socket's peer. */
    remoteAddress?: string,
  ) {
    this.remoteAddress = remoteAddress ?? socket.remoteAddress ?? 'unknown';
    socket.setNoDelay(true);
    const connectTimer = setTimeout(() => this.destroy('no CONNECT in time'), CONNECT_TIMEOUT_MS);
    this.parser.on('packet', (p: Packet) => {
      clearTimeout(connectTimer);
      this.onPacket(p);
    });
    this.parser.on('error', (err: Error) => this.destroy(`protocol error: ${err.message}`, V5.protocolError));
    socket.on('data', (chunk: Buffer) => {
      // After a refusal the rest of the stream is never parsed (nor buffered).
      if (!this.closed) this.parser.parse(chunk);
    });
    socket.on('error', () => this.destroy('socket error'));
    socket.on('close', () => {
      clearTimeout(connectTimer);
      this.destroy(this.graceful ? 'disconnect' : 'connection lost');
    });
  }

  send(packet: Packet): void {
    let bytes: Buffer;
    try {
      bytes = mqtt.generate(packet, { protocolVersion: this.version });
    } catch (err) {
      // A packet we cannot encode is our bug; the connection cannot continue consistently.
      this.socket.destroy(err as Error);
      return;
    }
    this.write(bytes);
  }

  private write(bytes: Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    // Acks of one committed batch go out in one write per socket, not one syscall each.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(bytes);
  }

  /** v5 carries a reason code; v3.1.1 has none, so a refused QoS 1 publish is acknowledged plainly. */
  puback(messageId: number, reasonCode = 0): void {
    if (this.version === 5 && reasonCode) this.send({ cmd: 'puback', messageId, reasonCode });
    // The plain PUBACK (both versions: v5 omits a success reason) is 4 fixed bytes, one per stored uplink.
    else this.write(Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]));
  }

  /** Publishes to the terminal; returns the packet id so the caller can match the PUBACK. */
  publish(topic: string, payload: Buffer, qos: 0 | 1, dup = false): number {
    const messageId = this.nextMessageId;
    this.nextMessageId = this.nextMessageId >= 0xffff ? 1 : this.nextMessageId + 1;
    this.send({ cmd: 'publish', topic, payload, qos, dup, retain: false, messageId });
    return messageId;
  }

  /** Ends the connection; a v5 client is told why with DISCONNECT when a reason is given. */
  destroy(reason: string, v5Reason?: number): void {
    if (this.closed) return;
    if (this.connected && this.version === 5 && v5Reason !== undefined) this.send({ cmd: 'disconnect', reasonCode: v5Reason });
    this.closed = true;
    if (this.keepaliveTimer) clearTimeout(this.keepaliveTimer);
    this.socket.end();
    this.socket.destroySoon?.();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    if (this.connected) this.hooks.closed(this, reason);
    this.connected = false;
  }

  private touch(): void {
    if (!this.keepaliveMs) return;
    if (this.keepaliveTimer) this.keepaliveTimer.refresh();
    else this.keepaliveTimer = setTimeout(() => this.destroy('keep-alive timeout', V5.keepAliveTimeout), this.keepaliveMs);
  }

  private onPacket(p: Packet): void {
    if (this.closed) return;
    this.touch();
    if (!this.connected) {
      if (this.early && p.cmd !== 'connect') {
        this.early.push(p);
        return;
      }
      if (p.cmd !== 'connect' || this.clientId) {
        this.destroy('first packet was not CONNECT');
        return;
      }
      this.early = [];
      void this.onConnect(p);
      return;
    }
    switch (p.cmd) {
      case 'publish': {
        const alias = p.properties?.topicAlias;
        if (alias) {
          if (p.topic) this.aliases.set(alias, p.topic);
          else p.topic = this.aliases.get(alias) ?? '';
        }
        if (!p.topic) {
          this.destroy('publish without topic', V5.protocolError);
          return;
        }
        if (p.qos === 2) {
          this.destroy('QoS 2 is not supported', V5.qosNotSupported);
          return;
        }
        this.hooks.publish(this, p);
        return;
      }
      case 'puback':
        if (p.messageId) this.hooks.puback(this, p.messageId);
        return;
      case 'subscribe':
        void this.hooks.subscribe(this, p).then(
          (granted) => this.send({ cmd: 'suback', messageId: p.messageId!, granted }),
          () => this.destroy('subscribe failed', V5.implementationError),
        );
        return;
      case 'unsubscribe':
        this.hooks.unsubscribe(this, p.unsubscriptions);
        this.send(
          this.version === 5
            ? { cmd: 'unsuback', messageId: p.messageId!, granted: p.unsubscriptions.map(() => 0) }
            : { cmd: 'unsuback', messageId: p.messageId!, granted: [] },
        );
        return;
      case 'pingreq':
        this.send({ cmd: 'pingresp' });
        return;
      case 'disconnect':
        this.graceful = true;
        this.destroy('disconnect');
        return;
      case 'connect':
        this.destroy('second CONNECT', V5.protocolError);
        return;
      default:
        this.destroy(`unexpected ${p.cmd}`, V5.protocolError);
        return;
    }
  }

  private async onConnect(p: IConnectPacket): Promise<void> {
    this.version = p.protocolVersion === 5 ? 5 : p.protocolVersion === 3 ? 3 : 4;
    this.clientId = p.clientId || '-';
    if (this.version === 3) {
      // MQTT 3.1 is not part of the protocol: "unacceptable protocol version".
      this.socket.write(mqtt.generate({ cmd: 'connack', returnCode: 1, sessionPresent: false }, { protocolVersion: 4 }));
      this.destroy('MQTT 3.1 refused');
      return;
    }
    this.socket.pause();
    let result: Awaited<ReturnType<ServerHooks['connect']>>;
    try {
      result = await this.hooks.connect(this, p);
    } catch {
      result = { ok: false, reason: 'unavailable' };
    }
    if (this.closed) return;
    if (!result.ok) {
      const code = this.version === 5 ? { reasonCode: CONNACK_V5[result.reason] } : { returnCode: CONNACK_V4[result.reason] };
      this.socket.write(mqtt.generate({ cmd: 'connack', sessionPresent: false, ...code }, { protocolVersion: this.version }));
      this.socket.resume();
      this.destroy(`refused: ${result.reason}`);
      return;
    }
    this.connected = true;
    this.keepaliveMs = p.keepalive ? p.keepalive * 1500 : 0;
    this.touch();
    this.send(
      this.version === 5
        ? {
            cmd: 'connack',
            reasonCode: 0,
            sessionPresent: result.sessionPresent,
            properties: {
              maximumQoS: 1,
              retainAvailable: false,
              wildcardSubscriptionAvailable: false,
              sharedSubscriptionAvailable: false,
              maximumPacketSize: MAX_PACKET_BYTES,
            },
          }
        : { cmd: 'connack', returnCode: 0, sessionPresent: result.sessionPresent },
    );
    this.socket.resume();
    this.hooks.ready(this);
    const early = this.early ?? [];
    this.early = null;
    for (const packet of early) this.onPacket(packet);
  }
}

/**
 * mqtt-packet buffers a packet until it is complete and has no size option, so the check sits
 * where its parser has just read the remaining length from the fixed header (`_parseLength`):
 * a packet announcing more than `maxBytes` in all is refused before its body is buffered.
 * Wrapping a private method is checked here, so an upgrade that renames it fails loudly.
 */
function boundedParser(maxBytes: number, onTooLarge: (bytes: number) => void): ReturnType<typeof mqtt.parser> {
  const parser = mqtt.parser();
  type Internals = { _parseLength(): boolean; packet: { length: number } };
  const internals = parser as unknown as Internals;
  const parseLength = internals._parseLength;
  if (typeof parseLength !== 'function')
    throw new Error('mqtt-packet parser has no _parseLength: the packet size limit cannot be enforced');
  internals._parseLength = function (this: Internals): boolean {
    if (!parseLength.call(this)) return false;
    const remaining = this.packet.length;
    const total = 1 + (remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4) + remaining;
    if (total <= maxBytes) return true;
    // Stops the parse loop; the connection is closed and never parses again.
    onTooLarge(total);
    return false;
  };
  return parser;
}

/** With `proxy`, every connection passes the PROXY protocol gate first (gateway/proxy-protocol.ts). */
export function createMqttServer(hooks: ServerHooks, tlsOptions?: tls.TlsOptions, proxy?: ProxyGate): net.Server {
  if (!proxy) {
    const onSocket = (socket: net.Socket) => {
      new MqttConnection(socket, hooks);
    };
    return tlsOptions ? tls.createServer(tlsOptions, onSocket) : net.createServer(onSocket);
  }
  // The header comes before the TLS handshake, so TLS starts by hand once the header is read;
  // handshake failures are still reported as the TLS server's `tlsClientError`.
  const secureContext = tlsOptions ? tls.createSecureContext(tlsOptions) : null;
  const handshakeMs = tlsOptions?.handshakeTimeout ?? 120_000;
  const server = net.createServer((socket) =>
    proxy(socket, (remoteAddress) => {
      if (!secureContext) {
        new MqttConnection(socket, hooks, remoteAddress);
        socket.resume();
        return;
      }
      const secure = new tls.TLSSocket(socket, { isServer: true, secureContext });
      const failed = (err: Error) => {
        clearTimeout(timer);
        server.emit('tlsClientError', err, secure);
        secure.destroy();
      };
      const timer = setTimeout(() => failed(new Error('TLS handshake timeout')), handshakeMs);
      secure.once('error', failed);
      secure.once('secure', () => {
        clearTimeout(timer);
        secure.off('error', failed);
        new MqttConnection(secure, hooks, remoteAddress);
      });
      // Not socket.resume(): the TLS socket now reads the connection (and what the gate put back) itself.
    }),
  );
  return server;
}
