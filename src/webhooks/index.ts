import pg from 'pg';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Db } from '../platform/database.js';
import type { Logger } from '../platform/logger.js';
import type { Queues } from '../platform/queues.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EventService } from '../events/index.js';
import { createDeliveryQueue } from './delivery-queue.js';
import { createDeliveryService } from './delivery.service.js';
import { startDeliveryWorker } from './delivery-worker.js';
import { createEndpointHealth } from './endpoint-health.js';
import { createEndpointService } from './endpoint.service.js';
import { createFanOut } from './fan-out.js';
import { createWebhookSender } from './http-sender.js';
import { createSecretBox } from './secret-box.js';

export * from './webhooks.schemas.js';
export { signWebhook } from './signing.js';
export { isPrivateAddress } from './ssrf-guard.js';

export interface WebhookDeps {
  config: Config;
  db: Db;
  redis: Redis;
  queues: Queues;
  log: Logger;
  audit: AuditService;
  events: EventService;
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
  const box = createSecretBox(config.SECRET_KEY);
  const allowPrivate = config.WEBHOOK_ALLOW_PRIVATE_TARGETS;
  const deliveryQueue = createDeliveryQueue(queues);
  // The hot path (fan-out inserts, delivery reads and writes) uses plain pg; see fan-out.ts.
  const sql = new pg.Pool({ connectionString: deps.databaseUrl, max: 4, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
  // Idle connections closed by the server (restart, database dropped in tests) just reconnect on next use.
  sql.on('error', (err: Error & { code?: string }) =>
    err.code === '57P01' ? log.debug({ err: err.message }, 'webhooks pg connection closed by server') : log.warn({ err: err.message }, 'webhooks pg pool error'));
  const fanOut = createFanOut({ db, sql, deliveries: deliveryQueue });
  const endpoints = createEndpointService({ db, audit, box, allowPrivate, onChange: fanOut.invalidate });
  const deliveries = createDeliveryService({ db, audit, endpoints, deliveries: deliveryQueue });
  const health = createEndpointHealth({ db, audit, events, log, onChange: fanOut.invalidate });

  // Registered now, called by the events consumer wherever it runs (worker role).
  events.onEvent('webhooks', fanOut.fanOut);

  return {
    endpoints,
    deliveries,
    startWorker() {
      return startDeliveryWorker({
        db,
        sql,
        queues,
        log,
        endpoints,
        health,
        deliveries: deliveryQueue,
        sender: createWebhookSender({ timeoutMs: config.WEBHOOK_TIMEOUT_MS, allowPrivate }),
        retryScale: config.WEBHOOK_RETRY_SCALE,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        concurrency: config.WEBHOOK_WORKER_CONCURRENCY,
      });
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
