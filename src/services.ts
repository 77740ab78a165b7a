import type { Redis } from 'ioredis';
import type { Queues } from './platform/queues.js';
import type { Config } from './config.js';
import type { Db } from './platform/database.js';
import type { Logger } from './platform/logger.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import { createAuditService } from './audit/audit.service.js';
import { createAuthService } from './auth/auth.service.js';
import { createCustomerService } from './crm/index.js';

export interface Infra {
  config: Config;
  db: Db;
  redis: Redis;
  queues: Queues;
  log: Logger;
  metrics?: Metrics;
}

/** Wires every domain service once; adapters (HTTP, MQTT, workers) receive this container. */
export function createServices(infra: Infra) {
  const { config, db, redis, queues, log } = infra;
  const metrics = infra.metrics ?? createMetrics();
  const audit = createAuditService({ db });
  const auth = createAuthService({ db, audit, sessionTtlHours: config.SESSION_TTL_HOURS });
  const customers = createCustomerService({ db, audit });
  return { config, db, redis, queues, log, metrics, audit, auth, customers };
}

export type Services = ReturnType<typeof createServices>;
