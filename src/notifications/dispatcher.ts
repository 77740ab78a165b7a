// Every notification goes through here: a row per message and recipient (idempotent by
// dedupKey, so an event handled twice sends once), a BullMQ job that sends it and retries with
// backoff, and a line on the ticket's timeline for each change of its delivery state.
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Db, Prisma } from '../platform/database.js';
import type { Logger } from '../platform/logger.js';
import { QUEUE, type Queues } from '../platform/queues.js';
import type { TicketService } from '../service-desk/index.js';
import type { Channels } from './channels.js';
import type { IncidentEvent, IncidentWebhook } from './incident-webhook.js';

export type Channel = 'EMAIL' | 'SMS' | 'INCIDENT_WEBHOOK';
export type Purpose = 'PAGE' | 'INCIDENT_TRIGGER' | 'INCIDENT_ACKNOWLEDGE' | 'INCIDENT_RESOLVE' | 'CUSTOMER_UPDATE';

export interface NewNotification {
  ticketId: string;
  pageId?: string | null;
  channel: Channel;
  purpose: Purpose;
  recipient: string;
  subject?: string | null;
  body: string;
  dedupKey: string;
  /** Known at once not to be sendable (e.g. no duty phone): recorded as SKIPPED with this reason. */
  skipped?: string;
}

export interface DispatcherDeps {
  db: Db;
  queues: Queues;
  tickets: Pick<TicketService, 'addNotificationEvent'>;
  channels: Channels;
  incident: IncidentWebhook;
  log: Logger;
  /** Sender of customers' update e-mails (pages use the channel's own sender). */
  customerFrom: string;
  /** First retry delay; doubles with each attempt. */
  retryMs?: number;
}

const SEND = 'notification.send';
export const NOTIFY_ATTEMPTS = 8;

const CHANNEL: Record<Channel, string> = { EMAIL: 'E-mail', SMS: 'SMS', INCIDENT_WEBHOOK: 'Incident webhook' };
const PURPOSE: Record<Purpose, string> = {
  PAGE: 'page',
  INCIDENT_TRIGGER: 'trigger',
  INCIDENT_ACKNOWLEDGE: 'acknowledge',
  INCIDENT_RESOLVE: 'resolve',
  CUSTOMER_UPDATE: 'ticket update',
};

type Row = Prisma.NotificationGetPayload<object>;
type Outcome = { status: 'SENT' } | { status: 'SKIPPED'; error: string } | { status: 'FAILED'; error: string; retry: boolean };

export function createDispatcher({ db, queues, tickets, channels, incident, log, customerFrom, retryMs = 1_000 }: DispatcherDeps) {
  const queue = () => queues.get(QUEUE.notifications);
  const label = (n: Pick<Row, 'channel' | 'purpose' | 'recipient'>) =>
    `${CHANNEL[n.channel as Channel]} ${PURPOSE[n.purpose as Purpose] ?? n.purpose} to ${n.recipient || '(no phone)'}`;

  async function timeline(n: Row, status: string, text: string, extra: Record<string, unknown> = {}) {
    await tickets.addNotificationEvent(n.ticketId, text, {
      notificationId: n.id,
      ...(n.pageId ? { pageId: n.pageId } : {}),
      channel: n.channel,
      purpose: n.purpose,
      recipient: n.recipient,
      status,
      ...extra,
    });
  }

  const schedule = (ids: string[]) =>
    queue().addBulk(
      ids.map((id) => ({
        name: SEND,
        data: { id },
        opts: {
          jobId: `n-${id}`,
          attempts: NOTIFY_ATTEMPTS,
          backoff: { type: 'exponential', delay: retryMs },
          removeOnComplete: 1000,
          removeOnFail: 1000,
        },
      })),
    );

  async function deliver(n: Row): Promise<Outcome> {
    try {
      if (n.channel === 'INCIDENT_WEBHOOK') {
        const r = await incident.send(JSON.parse(n.body) as IncidentEvent);
        return r.ok ? { status: 'SENT' } : { status: 'FAILED', error: r.error, retry: r.retry };
      }
      // A subject is one header line whatever the ticket's subject holds.
      const message = {
        subject: (n.subject ?? '').replace(/\s+/g, ' ').trim(),
        text: n.body,
        ...(n.purpose === 'CUSTOMER_UPDATE' ? { from: customerFrom, kind: 'ticket-update' } : {}),
      };
      const r =
        n.channel === 'EMAIL'
          ? await channels.email(n.recipient, message, `notification:${n.id}`)
          : await channels.sms(n.recipient || null, message);
      if (r === 'sent') return { status: 'SENT' };
      return { status: 'SKIPPED', error: r === 'no phone' ? 'no duty phone' : `${CHANNEL[n.channel as Channel]} not configured` };
    } catch (err) {
      return { status: 'FAILED', error: (err as Error).message.slice(0, 500), retry: true };
    }
  }

  /** One send attempt; throws to have BullMQ retry it. */
  async function send(job: Job<{ id: string }>, token?: string): Promise<string> {
    const n = await db.notification.findUnique({ where: { id: job.data.id } });
    if (n?.status !== 'QUEUED') return 'done already';
    if (n.channel === 'INCIDENT_WEBHOOK') {
      // The receiver must see trigger, acknowledge and resolve of a ticket in that order.
      const earlier = await db.notification.findFirst({
        where: { ticketId: n.ticketId, channel: 'INCIDENT_WEBHOOK', status: 'QUEUED', createdAt: { lt: n.createdAt } },
        select: { id: true },
      });
      if (earlier) {
        await job.moveToDelayed(Date.now() + retryMs, token);
        throw new DelayedError();
      }
    }
    const outcome = await deliver(n);
    const attempts = n.attempts + 1;
    if (outcome.status === 'SENT') {
      const row = await db.notification.update({
        where: { id: n.id },
        data: { status: 'SENT', sentAt: new Date(), error: null, attempts },
      });
      await timeline(row, 'SENT', `${label(row)} sent.`, { attempt: attempts });
      return 'sent';
    }
    if (outcome.status === 'SKIPPED' || !outcome.retry || attempts >= NOTIFY_ATTEMPTS) {
      const status = outcome.status === 'SKIPPED' ? 'SKIPPED' : 'FAILED';
      const row = await db.notification.update({ where: { id: n.id }, data: { status, error: outcome.error, attempts } });
      await timeline(
        row,
        status,
        status === 'SKIPPED'
          ? `${label(row)} not sent: ${outcome.error}.`
          : `${label(row)} failed${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${outcome.error}.`,
        { error: outcome.error, attempt: attempts },
      );
      return status.toLowerCase();
    }
    const row = await db.notification.update({ where: { id: n.id }, data: { error: outcome.error, attempts } });
    await timeline(row, 'RETRYING', `${label(row)} failed (attempt ${attempts} of ${NOTIFY_ATTEMPTS}), retrying: ${outcome.error}.`, {
      error: outcome.error,
      attempt: attempts,
    });
    throw new Error(`notification ${n.id}: ${outcome.error}`);
  }

  return {
    /** Records the notifications (once per dedupKey) and queues the sending of those still waiting. */
    async enqueue(items: NewNotification[]): Promise<void> {
      if (items.length === 0) return;
      const created = await db.notification.createManyAndReturn({
        data: items.map(({ skipped, ...n }) => ({
          ...n,
          pageId: n.pageId ?? null,
          subject: n.subject ?? null,
          ...(skipped ? { status: 'SKIPPED' as const, error: skipped } : {}),
        })),
        skipDuplicates: true,
      });
      for (const n of created) {
        if (n.status === 'SKIPPED') await timeline(n, 'SKIPPED', `${label(n)} not sent: ${n.error}.`, { error: n.error });
        else await timeline(n, 'QUEUED', `${label(n)} queued.`);
      }
      // Also those created by an earlier try whose jobs may not have been queued (the job id keeps it single).
      const waiting = await db.notification.findMany({
        where: { dedupKey: { in: items.map((i) => i.dedupKey) }, status: 'QUEUED' },
        select: { id: true },
      });
      await schedule(waiting.map((w) => w.id));
    },

    /** The paged person answered: the page's sent messages count as acknowledged. */
    async markAcknowledged(pageId: string, at: Date): Promise<void> {
      await db.notification.updateMany({
        where: { pageId, purpose: 'PAGE', status: 'SENT' },
        data: { status: 'ACKNOWLEDGED', acknowledgedAt: at },
      });
    },

    /** Queues again notifications left waiting without a job (Redis lost its queues); run every minute. */
    async requeueStale(olderThanMs = 120_000): Promise<number> {
      const stale = await db.notification.findMany({
        where: { status: 'QUEUED', updatedAt: { lt: new Date(Date.now() - olderThanMs) } },
        select: { id: true },
        take: 500,
      });
      const present = await Promise.all(stale.map((s) => queue().getJob(`n-${s.id}`)));
      const missing = stale.filter((_, i) => !present[i]).map((s) => s.id);
      if (missing.length) {
        log.warn({ count: missing.length }, 'notifications without a send job queued again');
        await schedule(missing);
      }
      return missing.length;
    },

    /** Worker role: sends the queued notifications. */
    startWorker(): { stop(): Promise<void> } {
      const worker = new Worker(QUEUE.notifications, (job: Job<{ id: string }>, token?: string) => send(job, token), {
        connection: queues.connection,
        prefix: queues.prefix,
        concurrency: 8,
      });
      worker.on('failed', (j, err) => {
        if (!(err instanceof DelayedError))
          log.warn({ notificationId: j?.data.id, attempts: j?.attemptsMade, err: err.message }, 'notification send failed');
      });
      worker.on('error', (err) => log.warn({ err: err.message }, 'notification worker error'));
      return { stop: () => worker.close() };
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
