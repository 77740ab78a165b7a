import path from 'node:path';
import type { Redis } from 'ioredis';
import {
  contractStatusHooks,
  createBillingModule,
  createOneOffChargeService,
  createServiceHistory,
  createTariffPlanService,
  meterDownlink,
} from '../../billing/index.js';
import {
  createAlarmModule,
  createDeviceModelService,
  createDevicesModule,
  createHealthModule,
  createMessageStore,
} from '../../devices/index.js';
import { createAuditService } from '../audit/index.js';
import { createAuthService, createUserService } from '../auth/index.js';
import type { Config } from '../config.js';
import {
  createCommercialRequestService,
  createContractService,
  createCustomerService,
  createInteractionService,
  createLeadService,
  createOrderService,
  createTimelineService,
} from '../crm/index.js';
import { createEventService } from '../events/index.js';
import { createNotifications } from '../notifications/index.js';
import type { Db } from '../platform/database.js';
import type { Logger } from '../platform/logger.js';
import { createLoopMonitor, LOOP } from '../platform/loop-monitor.js';
import { createMailOutbox } from '../platform/mail-outbox.js';
import { createMailer } from '../platform/mailer.js';
import { createMetrics, type Metrics } from '../platform/metrics.js';
import type { Queues } from '../platform/queues.js';
import { QUEUE } from '../platform/queues.js';
import { createScheduler } from '../platform/scheduler.js';
import { createKpiService, createOverviewService, createSearchService } from '../reports/index.js';
import {
  businessCalendar,
  createKnowledgeService,
  createSlaMonitor,
  createTicketService,
  createTicketWorkflowService,
} from '../service-desk/index.js';
import { createWebhookService } from '../webhooks/index.js';

export interface Infra {
  config: Config;
  db: Db;
  redis: Redis;
  queues: Queues;
  log: Logger;
  metrics?: Metrics;
  /** The outbox relay LISTENs on its own connection to this database. */
  databaseUrl: string;
}

/** Wires every domain service once; adapters (HTTP, MQTT, workers) receive this container. */
export function createServices(infra: Infra) {
  const { config, db, redis, queues, log } = infra;
  const metrics = infra.metrics ?? createMetrics();
  const audit = createAuditService({ db });
  const auth = createAuthService({ db, audit, sessionTtlHours: config.SESSION_TTL_HOURS, redis, prefix: config.REDIS_PREFIX });
  const customers = createCustomerService({ db, audit });
  const commercialRequests = createCommercialRequestService({ db, audit });
  const leads = createLeadService({ db, audit });
  const interactions = createInteractionService({ db, audit });
  const timeline = createTimelineService({ db });
  const users = createUserService({ db, audit });
  const tariffPlans = createTariffPlanService({ db, audit });
  // Billing's service history: contracts and terminals record each dated change in its own transaction.
  const serviceHistory = createServiceHistory({ timeZone: config.OPERATOR_TIMEZONE });
  // Every status change (a person's, or dunning's through billing) reaches the gateway the same
  // way: an event in the transaction, then a credential invalidation (events and credentials
  // are created below; the hooks only run after start-up).
  const contracts = createContractService({
    db,
    audit,
    tariffPlans,
    timezone: config.OPERATOR_TIMEZONE,
    history: serviceHistory,
    ...contractStatusHooks({ events: () => events, credentials: () => deviceCredentials }),
  });
  const deviceModels = createDeviceModelService({ db, audit });
  const events = createEventService({ db, queues, log, databaseUrl: infra.databaseUrl });
  const webhooks = createWebhookService({ config, db, redis, queues, log, audit, events, metrics, databaseUrl: infra.databaseUrl });
  // Billing owns usage counters: the devices module counts delivered downlinks through its meter.
  const terminals = createDevicesModule({
    db,
    redis,
    audit,
    events,
    log,
    prefix: config.REDIS_PREFIX,
    timeZone: config.OPERATOR_TIMEZONE,
    databaseUrl: infra.databaseUrl,
    meterDownlink,
    history: serviceHistory,
  });
  const {
    devices,
    credentials: deviceCredentials,
    commands: downlinks,
    messages,
    telemetry,
    messageExport,
    inventory,
    presence: devicePresence,
  } = terminals;
  const messageStore = createMessageStore(db, {
    databaseUrl: infra.databaseUrl,
    defaultRetentionMonths: config.MESSAGE_RETENTION_MONTHS,
    ...(config.MESSAGE_ARCHIVE_DIR ? { archiveDir: config.MESSAGE_ARCHIVE_DIR } : {}),
    log: log.child({ component: 'message-store' }),
  });
  const orders = createOrderService({ db, audit, devices, billing: createOneOffChargeService({ db, audit }) });
  const tickets = createTicketService({ db, audit, events, calendar: businessCalendar(config.OPERATOR_TIMEZONE, config.SLA_HOLIDAYS) });
  const knowledge = createKnowledgeService({ db, audit });
  const ticketWorkflow = createTicketWorkflowService({ db, tickets, knowledge });
  const slaMonitor = createSlaMonitor({ db, events, log: log.child({ component: 'sla-monitor' }) });
  const health = createHealthModule({
    db,
    redis,
    prefix: config.REDIS_PREFIX,
    tickets,
    events,
    log,
    recordParked: (deviceId, since) => devices.recordParked(deviceId, since),
    settings: {
      tickMs: config.HEALTH_TICK_MS,
      graceMs: config.HEALTH_SILENCE_GRACE_MS,
      stormShare: config.STORM_SHARE,
      stormMinTerminals: config.STORM_MIN_TERMINALS,
      stormWindowSec: config.STORM_WINDOW_SEC,
    },
  });
  // One mailer for everything that sends e-mail (billing and the pager): SMTP, else .eml files.
  const mail = createMailOutbox({
    db,
    queues,
    log,
    audit,
    mailer: createMailer({ smtpUrl: config.SMTP_URL, dir: config.MAIL_DIR ?? path.join(config.DATA_DIR, 'mail') }),
    maxAttempts: config.MAIL_MAX_ATTEMPTS,
    retryBaseMs: config.MAIL_RETRY_BASE_MS,
  });
  // Pages the on-call engineer for safety-critical tickets and SLA breaches.
  const notifications = createNotifications({ db, queues, audit, events, tickets, log, mail, config });
  // Alarm rules on decoded telemetry (worker role evaluates); a rule that notifies pages through the pager.
  const alarms = createAlarmModule({
    db,
    redis,
    prefix: config.REDIS_PREFIX,
    audit,
    events,
    tickets,
    log,
    timeZone: config.OPERATOR_TIMEZONE,
    page: (ticketId) => notifications.pager.page(ticketId, 'ALARM'),
  });
  // One dispatcher for QUEUE.scheduler: domains register their repeatable jobs on it.
  const scheduler = createScheduler({ queues, log: log.child({ component: 'scheduler' }) });
  const billing = createBillingModule({
    db,
    redis,
    prefix: config.REDIS_PREFIX,
    audit,
    events,
    contracts,
    queues,
    log,
    timeZone: config.OPERATOR_TIMEZONE,
    dunningReminderDays: config.DUNNING_REMINDER_DAYS,
    dunningSuspendDays: config.DUNNING_SUSPEND_DAYS,
    mail,
    mailFrom: config.MAIL_FROM,
  });
  const overview = createOverviewService({ db, redis, prefix: config.REDIS_PREFIX });
  const kpis = createKpiService({ db, timeZone: config.OPERATOR_TIMEZONE });
  const search = createSearchService({ db });
  // Every process knows every loop, so an API process reports the worker processes' stalls too.
  const loops = createLoopMonitor({
    redis,
    prefix: config.REDIS_PREFIX,
    log: log.child({ component: 'loops' }),
    metrics,
    stallAfterMs: config.LOOP_STALL_SEC * 1_000,
  });
  loops.define({ name: LOOP.outboxRelay, pendingAgeMs: () => events.oldestPendingAgeMs() });
  loops.define({ name: LOOP.webhookDeliveries, pendingAgeMs: () => webhooks.oldestDueAgeMs() });
  loops.define({ name: LOOP.watchdog, everyMs: config.HEALTH_TICK_MS });
  loops.define({ name: LOOP.slaMonitor, everyMs: 60_000 });
  loops.define({
    name: LOOP.billing,
    pendingAgeMs: async () => {
      const [oldest] = await queues.get(QUEUE.billingContracts).getJobs(['waiting'], 0, 0, true);
      return oldest ? Date.now() - oldest.timestamp : null;
    },
  });
  return {
    config,
    db,
    redis,
    queues,
    log,
    metrics,
    audit,
    auth,
    users,
    customers,
    commercialRequests,
    leads,
    interactions,
    timeline,
    search,
    orders,
    contracts,
    tariffPlans,
    deviceModels,
    events,
    webhooks,
    devices,
    deviceCredentials,
    downlinks,
    devicePresence,
    messages,
    telemetry,
    messageExport,
    messageStore,
    inventory,
    scheduler,
    billing,
    tickets,
    ticketWorkflow,
    slaMonitor,
    knowledge,
    health,
    alarms,
    overview,
    kpis,
    loops,
    notifications,
    mail,
  };
}

export type Services = ReturnType<typeof createServices>;

// The HTTP adapter is typed against this container without importing it (see src/http/http-services.ts).
declare module '../http/http-services.js' {
  interface HttpServices extends Services {}
}
