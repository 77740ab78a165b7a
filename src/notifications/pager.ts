// The pager: a safety-critical ticket (and any SLA breach) pages the on-call person of the
// ticket's group at once by e-mail and SMS. A page not acknowledged within PAGE_ACK_MINUTES
// escalates to the next person on the rotation, then to the group lead. Sends and escalation
// checks are BullMQ jobs (worker role), retried on failure; every page and its delivery state
// is written to the ticket's timeline.
import { type Job, Worker } from 'bullmq';
import type { Db } from '../platform/database.js';
import { notFound } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { QUEUE, type Queues } from '../platform/queues.js';
import type { TicketService } from '../service-desk/index.js';
import type { Channels } from './channels.js';
import type { OnCallService } from './on-call.service.js';

export interface PagerDeps {
  db: Db;
  queues: Queues;
  tickets: Pick<TicketService, 'addPageEvent'>;
  onCall: OnCallService;
  channels: Channels;
  log: Logger;
  ackMs: number;
  publicUrl: string;
}

/** ALARM: an alarm rule that asks to notify raised its alarm (devices/health). */
export type PageReason = 'SAFETY' | 'SLA_BREACH' | 'ALARM';
type Reason = PageReason;
type Delivery = Record<string, string>;

const SEND = 'page.send';
const ESCALATE = 'page.escalate';

export function createPager({ db, queues, tickets, onCall, channels, log, ackMs, publicUrl }: PagerDeps) {
  const queue = () => queues.get(QUEUE.pages);

  /** Opens the page of `level` (0 = first on the rotation) and queues its send and its escalation check. */
  async function pageLevel(ticketId: string, reason: Reason, level: number, at = new Date()): Promise<string | null> {
    const ticket = await db.ticket.findUnique({ where: { id: ticketId }, select: { id: true, number: true, group: true } });
    if (!ticket) return null;
    const people = await onCall.rotationAt(ticket.group, at);
    const person = people[level];
    if (!person) {
      await tickets.addPageEvent(ticket.id, `Nobody left to page in the ${ticket.group} rotation (level ${level}).`, {
        reason,
        level,
        status: 'NO_ONE_ON_CALL',
      });
      log.warn({ ticketId, group: ticket.group, level }, 'nobody on call to page');
      return null;
    }
    const page = await db.page.create({ data: { ticketId, userId: person.userId, reason, level, ackDueAt: new Date(Date.now() + ackMs) } });
    await tickets.addPageEvent(ticket.id, `Paging ${person.name}${person.lead ? ' (group lead)' : ''}, level ${level}, reason ${reason}.`, {
      pageId: page.id,
      userId: person.userId,
      level,
      reason,
      status: 'PAGED',
    });
    await queue().add(
      SEND,
      { pageId: page.id },
      { jobId: `send-${page.id}`, attempts: 6, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: 100, removeOnFail: 500 },
    );
    await queue().add(
      ESCALATE,
      { pageId: page.id },
      {
        jobId: `esc-${page.id}`,
        delay: ackMs,
        attempts: 5,
        backoff: { type: 'exponential', delay: 1_000 },
        removeOnComplete: 100,
        removeOnFail: 500,
      },
    );
    return page.id;
  }

  async function send(pageId: string): Promise<Delivery> {
    const page = await db.page.findUnique({ where: { id: pageId } });
    if (page?.status !== 'PENDING') return {};
    const [ticket, user, shift] = await Promise.all([
      db.ticket.findUniqueOrThrow({ where: { id: page.ticketId }, include: { device: { select: { serial: true } } } }),
      db.user.findUniqueOrThrow({ where: { id: page.userId }, select: { email: true, name: true } }),
      db.onCallShift.findFirst({
        where: { userId: page.userId, endsAt: { gt: page.createdAt } },
        orderBy: { startsAt: 'asc' },
        select: { phone: true },
      }),
    ]);
    const link = `${publicUrl.replace(/\/$/, '')}/api/v1/pages/${page.id}/acknowledge`;
    const what = page.reason === 'SAFETY' ? 'SAFETY-CRITICAL' : page.reason === 'ALARM' ? 'ALARM' : 'SLA breach';
    const message = {
      subject: `[${what}] Ticket #${ticket.number}: ${ticket.subject}`,
      text:
        `${what}: ticket #${ticket.number} ${ticket.subject}${ticket.device ? ` (terminal ${ticket.device.serial})` : ''}. ` +
        `Acknowledge within ${Math.round(ackMs / 1000)} s: POST ${link}`,
    };
    const delivery: Delivery = { ...(page.delivery as Delivery) };
    const failures: string[] = [];
    // A retry sends only what has not gone out yet.
    for (const [channel, run] of [
      ['email', () => channels.email(user.email, message)],
      ['sms', () => channels.sms(shift?.phone ?? null, message)],
    ] as const) {
      if (delivery[channel] === 'sent') continue;
      try {
        delivery[channel] = await run();
      } catch (err) {
        delivery[channel] = `failed: ${(err as Error).message}`;
        failures.push(channel);
      }
    }
    await db.page.update({ where: { id: page.id }, data: { delivery } });
    await tickets.addPageEvent(
      ticket.id,
      `Page to ${user.name}: ${Object.entries(delivery)
        .map(([c, s]) => `${c} ${s}`)
        .join(', ')}.`,
      { pageId: page.id, delivery, status: failures.length ? 'DELIVERY_FAILED' : 'DELIVERED' },
    );
    if (failures.length) throw new Error(`page ${page.id}: ${failures.join(', ')} failed`);
    return delivery;
  }

  async function escalate(pageId: string): Promise<boolean> {
    const n = await db.page.updateMany({ where: { id: pageId, status: 'PENDING' }, data: { status: 'ESCALATED' } });
    if (n.count === 0) return false;
    const page = await db.page.findUniqueOrThrow({ where: { id: pageId } });
    await tickets.addPageEvent(page.ticketId, `Page not acknowledged in time; escalating.`, {
      pageId,
      level: page.level,
      status: 'ESCALATED',
    });
    await pageLevel(page.ticketId, page.reason as Reason, page.level + 1);
    return true;
  }

  return {
    /** Pages the first person on call for the ticket's group, once per ticket and reason. */
    async page(ticketId: string, reason: Reason): Promise<string | null> {
      if (await db.page.findFirst({ where: { ticketId, reason, level: 0 }, select: { id: true } })) return null;
      return pageLevel(ticketId, reason, 0);
    },

    /** The paged person acknowledges; anyone else gets 404 (a page is nobody else's business). */
    async acknowledge(userId: string, pageId: string) {
      const page = await db.page.findFirst({ where: { id: pageId, userId } });
      if (!page) throw notFound('Page');
      if (page.status === 'PENDING') {
        await db.page.updateMany({
          where: { id: pageId, status: 'PENDING' },
          data: { status: 'ACKNOWLEDGED', acknowledgedAt: new Date() },
        });
        await tickets.addPageEvent(page.ticketId, 'Page acknowledged.', { pageId, userId, status: 'ACKNOWLEDGED' });
      }
      const now = await db.page.findUniqueOrThrow({ where: { id: pageId } });
      return { id: now.id, ticketId: now.ticketId, status: now.status, acknowledgedAt: now.acknowledgedAt };
    },

    /** Worker role: runs the send and escalation jobs. */
    startWorker(): { stop(): Promise<void> } {
      const worker = new Worker(
        QUEUE.pages,
        async (job: Job<{ pageId: string }>) => (job.name === SEND ? send(job.data.pageId) : escalate(job.data.pageId)),
        { connection: queues.connection, prefix: queues.prefix, concurrency: 4 },
      );
      worker.on('failed', (j, err) =>
        log.warn({ job: j?.name, pageId: j?.data.pageId, attempts: j?.attemptsMade, err: err.message }, 'page job failed'),
      );
      worker.on('error', (err) => log.warn({ err: err.message }, 'pager worker error'));
      return { stop: () => worker.close() };
    },
  };
}

export type Pager = ReturnType<typeof createPager>;
