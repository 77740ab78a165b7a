import { startBillingWorkers, USAGE_ALERT_JOB } from '../../billing/index.js';
import { MESSAGE_STORE_JOB } from '../../devices/index.js';
import { createLostGatewaySweeper, createPresence, GATEWAY_SWEEP_JOB } from '../../gateway/index.js';
import { purgeIdempotencyRecords } from '../platform/idempotency-store.js';
import { LOOP } from '../platform/loop-monitor.js';
import { startLivePublisher } from '../reports/index.js';
import { SLA_MONITOR_JOB } from '../service-desk/index.js';
import type { Services } from './container.js';

interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Starts every BullMQ worker and background loop of the worker role. Each domain adds its
 * own starter here; all are closed on shutdown so jobs in progress finish or return to the queue.
 */
export async function startWorkers(services: Services): Promise<Stoppable> {
  const started: Stoppable[] = [];
  const { loops } = services;
  const progress = (loop: string) => () => loops.progress(loop);
  // Health watchdog: subscribes to device.uplink/device.fault (before the consumer starts) and runs its loop.
  started.push(services.health.start(progress(LOOP.watchdog)));
  // Alarm rules: evaluates device.uplink events against the rules in memory.
  started.push(services.alarms.start());
  // Notifications: pages for safety-critical tickets and SLA breaches, the incident webhook,
  // customers' ticket e-mails; each message a job, retried.
  started.push(services.notifications.start());
  // Invoices, reminders and usage alerts to customers' billing contacts, and the mail senders.
  services.events.onEvent('billing-mail', (e) => services.billing.customerMail.onEvent(e));
  started.push(services.mail.startWorker());
  // Consumers first, so handlers are listening before the relay starts moving events.
  // The console's live feed (published to Redis for every API process).
  started.push(
    startLivePublisher({
      events: services.events,
      redis: services.redis,
      prefix: services.config.REDIS_PREFIX,
      log: services.log.child({ component: 'live' }),
    }),
  );
  started.push(services.events.startConsumer());
  started.push(await services.webhooks.startWorker(progress(LOOP.webhookDeliveries)));
  started.push(services.events.startRelay({ onProgress: progress(LOOP.outboxRelay) }));
  const { config } = services;
  started.push(
    startBillingWorkers({
      queues: services.queues,
      log: services.log,
      scheduler: services.scheduler,
      billingRuns: services.billing.billingRuns,
      dunning: services.billing.dunning,
      commissions: services.billing.commissions,
      timeZone: config.OPERATOR_TIMEZONE,
      graceHours: config.BILLING_GRACE_HOURS,
      concurrency: config.BILLING_CONCURRENCY,
      onProgress: progress(LOOP.billing),
    }),
  );
  // Contracts passing 80% / 100% of their monthly allowance (evaluated from the usage counters, off the ingest path).
  services.scheduler.register({
    name: USAGE_ALERT_JOB,
    everyMs: config.USAGE_ALERT_EVERY_SEC * 1_000,
    handler: async () => ({ alerts: (await services.billing.usageAlerts.check()).length }),
  });
  // Messages left queued without a job (a crash between insert and enqueue, Redis lost its data).
  services.scheduler.register({ name: 'mail.requeue', everyMs: 60_000, handler: () => services.mail.requeueStale() });
  // Stored Idempotency-Key responses expire after a day; drop them hourly.
  services.scheduler.register({ name: 'idempotency.purge', everyMs: 3600_000, handler: () => purgeIdempotencyRecords(services.db) });
  // Message partitions created months ahead; partitions past retention archived and dropped.
  services.scheduler.register({ name: MESSAGE_STORE_JOB, everyMs: 6 * 3600_000, handler: () => services.messageStore.upkeep() });
  // Terminals of a gateway that died without saying so (kill -9, host lost) go offline.
  const sweepLog = services.log.child({ component: 'gateway-sweep' });
  const lostGateways = createLostGatewaySweeper({
    sessions: services.devicePresence,
    redis: services.redis,
    prefix: config.REDIS_PREFIX,
    presence: createPresence({ store: services.devicePresence, log: sweepLog }, 'worker'),
    log: sweepLog,
  });
  services.scheduler.register({
    name: GATEWAY_SWEEP_JOB,
    everyMs: 15_000,
    // `now` only from tests and tools that run the job by hand.
    handler: async (data) => ({ closed: await lostGateways.sweep(typeof data.now === 'number' ? data.now : Date.now()) }),
  });
  // Service desk SLA clocks: mark breaches and notify once a minute.
  services.scheduler.register({
    name: SLA_MONITOR_JOB,
    everyMs: 60_000,
    handler: async () => {
      const marked = await services.slaMonitor.sweep();
      loops.progress(LOOP.slaMonitor);
      return marked;
    },
  });
  // Notifications whose send job Redis lost are queued again.
  services.scheduler.register({
    name: 'notifications.requeue',
    everyMs: 60_000,
    handler: async () => ({ requeued: await services.notifications.requeueStale() }),
  });
  // Last: every domain has registered its repeatable jobs by now.
  started.push(await services.scheduler.start());
  return {
    async stop() {
      await Promise.all(started.map((s) => s.stop()));
    },
  };
}
