import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { type GatewayPorts, startGateway } from '../../gateway/index.js';
import type { Config } from '../config.js';
import { type App, buildApp } from '../http/app.js';
import { createDb } from '../platform/database.js';
import { assertPortFree } from '../platform/embedded-postgres.js';
import { startInfrastructure } from '../platform/infrastructure.js';
import type { Logger } from '../platform/logger.js';
import { startMetricsServer } from '../platform/metrics-server.js';
import { createQueues } from '../platform/queues.js';
import { loadCertificate, type TlsCertificate } from '../platform/tls-certificate.js';
import { createServices, type Services } from './container.js';
import { startWorkers } from './workers.js';

export const ROLES = ['all', 'gateway', 'api', 'worker'] as const;
export type ProcessRole = (typeof ROLES)[number];

export interface System {
  services: Services;
  app: App | null;
  /** e.g. http://127.0.0.1:3000 when the API runs in this process. */
  httpUrl: string | null;
  /** Human-readable lines naming what listens where (MQTT port, ...). */
  endpoints: string[];
  /** Where Prometheus scrapes this process (roles all and api), e.g. http://127.0.0.1:9464/metrics. */
  metricsUrl: string | null;
  /** The MQTT gateway's bound port when this process runs it (roles all and gateway) and plain MQTT is on. */
  mqttPort: number | null;
  /** The MQTT over TLS port when this process runs the gateway with a certificate. */
  mqttTlsPort: number | null;
  stop(): Promise<void>;
}

/** Starts the parts of the platform this process's role runs; tests use it with port 0. */
export async function startSystem(config: Config, role: ProcessRole, log: Logger): Promise<System> {
  const runsApi = role === 'all' || role === 'api';
  // Fail before starting anything when a listening port is taken, naming the variable to change.
  if (runsApi) await assertPortFree(config.HTTP_PORT, 'HTTP_PORT', config.HTTP_HOST);
  if (runsApi) await assertPortFree(config.METRICS_PORT, 'METRICS_PORT', config.METRICS_HOST);
  const runsGateway = role === 'all' || role === 'gateway';
  let certificate: TlsCertificate | null = null;
  if (runsGateway) {
    if (!config.MQTT_PLAIN && !config.MQTT_TLS_CERT) {
      throw new Error('MQTT_PLAIN=false needs MQTT_TLS_CERT and MQTT_TLS_KEY: terminals could not connect at all');
    }
    if (config.MQTT_PLAIN) await assertPortFree(config.MQTT_PORT, 'MQTT_PORT', config.MQTT_HOST);
    if (config.MQTT_TLS_CERT && config.MQTT_TLS_KEY) {
      certificate = await loadCertificate(config.MQTT_TLS_CERT, config.MQTT_TLS_KEY);
      await assertPortFree(config.MQTT_TLS_PORT, 'MQTT_TLS_PORT', config.MQTT_HOST);
    }
  }

  const infra = await startInfrastructure(config, log);
  const db = createDb(infra.databaseUrl);
  // Auto-pipelining: the per-uplink calls of ingest, presence and the watchdog issued in one tick
  // share one write instead of a syscall each (subscriptions are never pipelined by ioredis).
  const redis = new Redis(infra.redisUrl, { maxRetriesPerRequest: null, keyPrefix: undefined, enableAutoPipelining: true });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  const gatewayId = config.GATEWAY_ID ?? `${hostname()}-${process.pid}`;
  const queues = createQueues(infra.redisUrl, config.REDIS_PREFIX, log);
  const services = createServices({ config, db, redis, queues, log: log.child({ gatewayId }), databaseUrl: infra.databaseUrl });
  const stops: (() => Promise<void>)[] = [async () => queues.close()];
  stops.push(services.loops.start().stop);
  // Billing's FlowProducer (used by API and workers) holds its own Redis connection.
  stops.push(() => services.billing.close());
  stops.push(() => services.messageExport.close());

  if (role === 'all' || role === 'worker') {
    const workers = await startWorkers(services);
    stops.push(workers.stop);
  }

  const endpoints: string[] = [];
  let mqttPort: number | null = null;
  let mqttTlsPort: number | null = null;
  if (runsGateway) {
    const gateway = await startGateway(gatewayPorts(services), {
      host: config.MQTT_HOST,
      port: config.MQTT_PLAIN ? config.MQTT_PORT : null,
      tls: certificate ? { port: config.MQTT_TLS_PORT, cert: certificate.cert, key: certificate.key } : undefined,
      databaseUrl: infra.databaseUrl,
      gatewayId,
      proxyProtocol:
        config.MQTT_PROXY_PROTOCOL === 'off' ? undefined : { versions: config.MQTT_PROXY_PROTOCOL, trusted: config.MQTT_PROXY_TRUSTED },
    });
    mqttPort = gateway.port;
    mqttTlsPort = gateway.tlsPort;
    if (mqttPort !== null) endpoints.push(`MQTT gateway: mqtt://${urlHost(config.MQTT_HOST)}:${mqttPort}`);
    if (mqttTlsPort !== null) {
      endpoints.push(`MQTT gateway over TLS: mqtts://${urlHost(config.MQTT_HOST)}:${mqttTlsPort}`);
      endpoints.push(`  certificate SHA-256 fingerprint (pin it in terminals): ${certificate!.fingerprint256}`);
    }
    stops.push(() => gateway.close());
  }
  let app: App | null = null;
  let httpUrl: string | null = null;
  let metricsUrl: string | null = null;
  if (runsApi) {
    app = await buildApp(services, log);
    await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.HTTP_PORT;
    httpUrl = `http://${urlHost(config.HTTP_HOST)}:${port}`;
    stops.push(() => app!.close());
    const metricsServer = await startMetricsServer(services.metrics.registry, config.METRICS_HOST, config.METRICS_PORT);
    metricsUrl = `http://${urlHost(config.METRICS_HOST)}:${metricsServer.port}/metrics`;
    endpoints.push(`Prometheus metrics: ${metricsUrl}`);
    stops.push(() => metricsServer.close());
  }

  return {
    services,
    app,
    httpUrl,
    metricsUrl,
    endpoints,
    mqttPort,
    mqttTlsPort,
    async stop() {
      for (const stop of stops.reverse()) await stop().catch((err: unknown) => log.warn({ err }, 'stop failed'));
      await db.$disconnect();
      redis.disconnect();
      await infra.stop();
    },
  };
}

/** A host to put in a URL a person or test can open: a wildcard listener answers on loopback. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** The gateway's view of the platform: only what the MQTT edge uses, taken from the container. */
function gatewayPorts(services: Services): GatewayPorts {
  const { config } = services;
  return {
    credentials: services.deviceCredentials,
    commands: services.downlinks,
    presence: services.devicePresence,
    metrics: services.metrics,
    log: services.log,
    redis: services.redis,
    settings: {
      redisPrefix: config.REDIS_PREFIX,
      connectBurst: config.MQTT_CONNECT_BURST,
      connectPerSecond: config.MQTT_CONNECT_PER_SECOND,
      ingest: {
        batchMax: config.INGEST_BATCH_MAX,
        batchWaitMs: config.INGEST_BATCH_WAIT_MS,
        writers: config.INGEST_WRITERS,
        timeZone: config.OPERATOR_TIMEZONE,
      },
    },
  };
}
