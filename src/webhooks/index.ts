import { Redis, type RedisOptions } from 'ioredis';
import pg from 'pg';
import type { AuditService } from '../audit/index.js';
import type { Config } from '../config.js';
import type { EventService } from '../events/index.js';
import type { Db } from '../platform/database.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import type { Queues } from '../platform/queues.js';
import { createSecretBox } from '../platform/secret-box.js';
import { createEndpointSemaphore } from './concurrency.js';
import { createDeliveryService } from './delivery.service.js';
import { createDeliveryAttempts } from './delivery-attempt.js';
import { createDeliveryQueue } from './delivery-queue.js';
import { startDeliveryWorker } from './delivery-worker.js';
import { createEndpointService } from './endpoint.service.js';
import { createEndpointChanges } from './endpoint-changes.js';
import { createEndpointHealth } from './endpoint-health.js';
import { endpointLags, startLagMonitor } from './endpoint-lag.js';
import { createEndpointLanes } from './endpoint-lanes.js';
import { createFanOut } from './fan-out.js';
import { createWebhookSender } from './http-sender.js';

export { isPrivateAddress } from './address-policy.js';
// The SSRF-guarded HTTP client, also used for the operator's outgoing incident webhook (src/notifications).
export { createWebhookSender, type SendResult, type WebhookSender } from './http-sender.js';
export { signWebhook } from './signing.js';
export * from './webhooks.schemas.js';

export interface WebhookDeps {
  config: Config;
  db: Db;
  redis: Redis;
  queues: Queues;
  log: Logger;
  audit: AuditService;
  events: EventService;
  metrics?: Metrics;
  databaseUrl: string;
}

/**
 * Webhooks to customers' systems: endpoint management, the delivery log, and (worker role)
 * the fan-out of events into deliveries and the signed HTTP delivery worker.
 */
export function createWebhookService(deps: WebhookDeps) {
  const { config, db, queues, audit, events } = deps;
  const log = deps.log.child({ component: 'webhooks' });
  if (!config.SECRET_KEY && config.NODE_ENV === 'production') {
    log.warn('SECRET_KEY is not set: webhook secrets are encrypted with the public demo key; set SECRET_KEY');
  }
  const box = createSecretBox(config.SECRET_KEY, 'webhook-secrets/v1');
  const allowPrivate = config.WEBHOOK_ALLOW_PRIVATE_TARGETS;
  const deliveryQueue = createDeliveryQueue(queues);
  // The hot path (fan-out inserts, delivery reads and writes) uses plain pg; see fan-out.ts.
  const sql = new pg.Pool({ connectionString: deps.databaseUrl, max: 4, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
  // Idle connections closed by the server (restart, database dropped in tests) just reconnect on next use.
  sql.on('error', (err: Error & { code?: string }) =>
    err.code === '57P01'
      ? log.debug({ err: err.message }, 'webhooks pg connection closed by server')
      : log.warn({ err: err.message }, 'webhooks pg pool error'),
  );
  const fanOut = createFanOut({ db, sql, deliveries: deliveryQueue });
  const endpointChanges = createEndpointChanges({ redis: deps.redis, prefix: config.REDIS_PREFIX, log });
  const changed = (customerId: string) => {
    fanOut.invalidate(customerId);
    endpointChanges.publish(customerId);
  };
  const endpoints = createEndpointService({
    db,
    audit,
    box,
    allowPrivate,
    onChange: changed,
    lagOf: async (ids) => new Map((await endpointLags(sql, ids)).map((l) => [l.endpointId, l.lagSec])),
  });
  deps.metrics?.setWebhookLagSource(() => endpointLags(sql));
  const deliveries = createDeliveryService({ db, audit, endpoints, deliveries: deliveryQueue });
  const health = createEndpointHealth({ db, audit, events, log, onChange: changed });

  // Registered now, called by the events consumer wherever it runs (worker role).
  events.onEvent('webhooks', fanOut.fanOut);

  return {
    endpoints,
    deliveries,
    /** How long the most overdue pending delivery has been due, or null when none is (the workers' backlog). */
    async oldestDueAgeMs(): Promise<number | null> {
      const { rows } = await sql.query<{ ms: number | null }>(
        `SELECT (EXTRACT(EPOCH FROM (now() AT TIME ZONE 'UTC') - min("nextAttemptAt")) * 1000)::float8 AS ms
           FROM (SELECT "nextAttemptAt" FROM "WebhookDelivery" WHERE status = 'PENDING' AND "nextAttemptAt" < (now() AT TIME ZONE 'UTC')
                  ORDER BY "createdAt" LIMIT 1000) due`,
      );
      return rows[0]?.ms ?? null;
    },
    /** Worker role: first attempts straight from the fan-out, and the delivery queue's worker; `onProgress` after each attempt. */
    async startWorker(onProgress: () => void = () => {}) {
      const changes = await endpointChanges.subscribe(fanOut.invalidate);
      // Its own connection with auto-pipelining: concurrent slot requests share one write.
      const semRedis = new Redis({ ...(queues.connection as RedisOptions), enableAutoPipelining: true });
      semRedis.on('error', (err) => log.warn({ err: err.message }, 'webhook semaphore redis error'));
      const semaphore = createEndpointSemaphore(semRedis, queues.prefix, config.WEBHOOK_TIMEOUT_MS + 5_000);
      const sender = createWebhookSender({ timeoutMs: config.WEBHOOK_TIMEOUT_MS, allowPrivate });
      const attempts = createDeliveryAttempts({
        sql,
        endpoints,
        health,
        deliveries: deliveryQueue,
        sender,
        retryScale: config.WEBHOOK_RETRY_SCALE,
      });
      const first = createEndpointLanes({
        attempts,
        slots: semaphore,
        deliveries: deliveryQueue,
        log,
        limit: config.WEBHOOK_WORKER_CONCURRENCY,
        maxQueued: config.WEBHOOK_LANE_MAX_QUEUED,
        onProgress,
      });
      fanOut.useFirstAttempts(first);
      const worker = startDeliveryWorker({
        db,
        sql,
        queues,
        log,
        deliveries: deliveryQueue,
        attempts,
        semaphore,
        concurrency: config.WEBHOOK_WORKER_CONCURRENCY,
        onProgress,
      });
      const lag = startLagMonitor({
        sql,
        redis: deps.redis,
        prefix: config.REDIS_PREFIX,
        events,
        log,
        thresholdSec: config.WEBHOOK_LAG_ALERT_SEC,
      });
      return {
        async stop() {
          lag.stop();
          fanOut.useFirstAttempts(null);
          await Promise.all([first.stop(), worker.stop()]);
          await sender.close();
          semRedis.disconnect();
          changes.stop();
        },
      };
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
