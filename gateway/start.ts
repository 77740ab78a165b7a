// Start-up of the MQTT edge: the server, ingest, presence, downlink and control channels.

import type { AddressInfo, Server, Socket } from 'node:net';
import { hostname } from 'node:os';
import { downlinkChannel } from '../devices/index.js';
import { createGatewayHooks } from './hooks.js';
import { createIngest } from './ingest.js';
import { startHeartbeat } from './liveness.js';
import { createMqttServer, type MqttConnection } from './mqtt-server.js';
import type { GatewayPorts } from './ports.js';
import { createPresence } from './presence.js';
import { createProxyGate, type ProxyProtocolSettings } from './proxy-protocol.js';

export interface GatewayOptions {
  host: string;
  /** Plain MQTT; null: none (terminals connect over TLS only). */
  port: number | null;
  /** MQTT over TLS with this PEM certificate and key. */
  tls?: { port: number; cert: Buffer; key: Buffer };
  /** The ingest writes with its own small pg pool (raw SQL batches). */
  databaseUrl: string;
  gatewayId?: string;
  /** Behind a load balancer: read the terminal's address from a PROXY protocol header (both ports). */
  proxyProtocol?: ProxyProtocolSettings;
}

export interface Gateway {
  port: number | null;
  tlsPort: number | null;
  /** Connected terminals on this gateway, for tests and metrics. */
  connections(): number;
  close(): Promise<void>;
}

export async function startGateway(rootPorts: GatewayPorts, opts: GatewayOptions): Promise<Gateway> {
  const { settings, redis } = rootPorts;
  const gatewayId = opts.gatewayId ?? `${hostname()}-${process.pid}`;
  const log = rootPorts.log.child({ component: 'gateway' });
  const ports: GatewayPorts = { ...rootPorts, log };
  const presence = createPresence({ store: ports.presence, log }, gatewayId);
  await presence.closeStale();
  // Alive before the first session opens, so no sweep takes this gateway's sessions for lost ones.
  const heartbeat = await startHeartbeat({ redis, prefix: settings.redisPrefix, gatewayId, log });

  const ingest = createIngest({
    ...settings.ingest,
    databaseUrl: opts.databaseUrl,
    log,
    metrics: ports.metrics,
    onCommitted(items) {
      // Ack frames complete downlink commands; after commit, so a crash never loses the ack row.
      for (const u of items) {
        if (u.decoded?.type !== 'ack') continue;
        const { commandId, result } = u.decoded as { commandId: number; result: 'done' | 'rejected' | 'failed' };
        ports.commands
          .applyAck(u.cred.deviceId, commandId, result)
          .catch((err: Error) => log.warn({ err: err.message, commandId }, 'applying ack failed'));
      }
    },
  });

  const control = redis.duplicate();
  control.on('error', (err) => log.warn({ err: err.message }, 'gateway control connection error'));
  const gw = createGatewayHooks({ ports, ingest, presence, gatewayId, control });

  const subscriber = redis.duplicate();
  subscriber.on('error', (err) => log.warn({ err: err.message }, 'gateway subscriber error'));
  const downChannel = downlinkChannel(settings.redisPrefix);
  subscriber.on('message', (channel: string, msg: string) => {
    try {
      if (channel === downChannel) gw.onDownlinkNotice(msg);
      else if (channel === gw.takeoverChannel) gw.onTakeover(msg);
    } catch (err) {
      log.warn({ err: (err as Error).message, channel }, 'bad gateway control message');
    }
  });
  await subscriber.subscribe(downChannel, gw.takeoverChannel);
  const unsubscribeCredentials = await ports.credentials.subscribe(
    (change) => void gw.recheck(change).catch((err: Error) => log.warn({ err: err.message }, 'credential recheck failed')),
  );
  const stopExpiry = gw.downlinks.startExpiry();
  const sweepTimer = setInterval(() => void gw.sweep().catch((err: Error) => log.warn({ err: err.message }, 'session sweep failed')), 1500);

  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const listen = async (server: Server, port: number): Promise<number> => {
    servers.push(server);
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  };
  const proxy = opts.proxyProtocol ? createProxyGate(opts.proxyProtocol, log) : undefined;
  const port = opts.port === null ? null : await listen(createMqttServer(gw.hooks, undefined, proxy), opts.port);
  let tlsPort: number | null = null;
  if (opts.tls) {
    // A client that never finishes its handshake is not held for node's default two minutes.
    const server = createMqttServer(
      gw.hooks,
      { cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: 10_000, minVersion: 'TLSv1.2' },
      proxy,
    );
    server.on('tlsClientError', (err: Error) => log.debug({ err: err.message }, 'MQTT TLS handshake failed'));
    tlsPort = await listen(server, opts.tls.port);
  }
  log.info({ port, tlsPort, gatewayId, proxyProtocol: opts.proxyProtocol?.versions ?? 'off' }, 'MQTT gateway listening');

  return {
    port,
    tlsPort,
    connections: () => gw.local.size,
    async close() {
      clearInterval(sweepTimer);
      stopExpiry();
      const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
      for (const conn of [...gw.local.values()] as MqttConnection[]) conn.destroy('gateway shutting down', 0x8b);
      for (const s of sockets) s.destroy();
      await Promise.all(closed);
      // Committed uplinks were acknowledged; whatever is still queued is committed before exit.
      await ingest.close();
      await gw.settle();
      await unsubscribeCredentials();
      await heartbeat.stop();
      subscriber.disconnect();
      control.disconnect();
      await new Promise((r) => setTimeout(r, 50));
    },
  };
}
