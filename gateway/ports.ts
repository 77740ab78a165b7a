// What the gateway needs from the rest of the platform, and nothing more: the roof
// (src/app/system.ts) builds these from its container, so the edge never sees the container.
import type { Redis } from 'ioredis';
import type { CommandService, CredentialStore, PresenceStore } from '../devices/index.js';
import type { Logger } from '../src/platform/logger.js';
import type { Metrics } from '../src/platform/metrics.js';

/** Terminal credentials: cached lookup, invalidations, and who may no longer connect. */
export type CredentialPort = Pick<CredentialStore, 'get' | 'subscribe' | 'barredAmong'>;

/** Downlink commands as the gateway moves them: pending reads and the transitions it observes. */
export type CommandPort = Pick<CommandService, 'pendingFor' | 'pendingById' | 'markSent' | 'markDelivered' | 'applyAck' | 'expireDue'>;

/** Session rows and the online flag of terminals. */
export type PresencePort = PresenceStore;

export type GatewayMetrics = Pick<Metrics, 'mqttConnects' | 'mqttDenied' | 'ingestBatch' | 'uplinks'>;

export interface IngestSettings {
  batchMax: number;
  batchWaitMs: number;
  /** Transactions in flight at once. */
  writers: number;
  /** The operator's time zone: usage is counted per day there. */
  timeZone: string;
}

export interface GatewaySettings {
  /** Prefix of every Redis key and channel. */
  redisPrefix: string;
  /** Connection attempts per remote address: bucket size and refill per second. */
  connectBurst: number;
  connectPerSecond: number;
  ingest: IngestSettings;
}

export interface GatewayPorts {
  credentials: CredentialPort;
  commands: CommandPort;
  presence: PresencePort;
  metrics: GatewayMetrics;
  log: Logger;
  /** Shared client (auto-pipelined); the gateway duplicates it for its subscriptions. */
  redis: Redis;
  settings: GatewaySettings;
}
