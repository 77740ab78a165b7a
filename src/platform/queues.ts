import { type ConnectionOptions, Queue } from 'bullmq';
import type { Logger } from './logger.js';

/** Every BullMQ queue name in one place. */
export const QUEUE = {
  /** Domain events relayed from the outbox; fanned out to webhooks, tickets and the live feed. */
  events: 'events',
  /** One job per webhook delivery attempt. */
  webhooks: 'webhook-deliveries',
  /** Billing runs: a flow with one parent per period and one child per contract. */
  billing: 'billing',
  /** Per-contract billing children. */
  billingContracts: 'billing-contracts',
  /** Repeatable housekeeping: dunning, command expiry, SLA checks. */
  scheduler: 'scheduler',
  /** Pages of the on-call engineer: one send job per page, one delayed escalation check. */
  pages: 'pages',
  /** Outgoing e-mail: one send job per message, retried with backoff (src/platform/mail-outbox.ts). */
  mail: 'mail',
  /** Notifications (page e-mails and SMS, incident webhook events, customers' ticket e-mails): one send job each, retried. */
  notifications: 'notifications',
} as const;
export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

export function bullConnection(redisUrl: string): ConnectionOptions {
  const u = new URL(redisUrl);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    maxRetriesPerRequest: null,
  };
}

/** Lazily created producers, shared by everything in one process. */
export function createQueues(redisUrl: string, prefix: string, log?: Logger) {
  const connection = bullConnection(redisUrl);
  const open = new Map<string, Queue>();
  return {
    connection,
    prefix,
    log,
    get(name: QueueName): Queue {
      let q = open.get(name);
      if (!q) {
        q = new Queue(name, { connection, prefix });
        // Connection errors (Redis restarting) are logged here; the producers' calls fail or wait on their own.
        q.on('error', (err) => log?.warn({ err: err.message, queue: name }, 'queue connection error'));
        open.set(name, q);
      }
      return q;
    },
    async close(): Promise<void> {
      await Promise.all([...open.values()].map((q) => q.close()));
      open.clear();
    },
  };
}

export type Queues = ReturnType<typeof createQueues>;
