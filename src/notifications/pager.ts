// The pager: a safety-critical ticket (and any SLA breach) pages the on-call person of the
// ticket's group at once by e-mail and SMS, and triggers the incident webhook. A page not
// acknowledged within PAGE_ACK_MINUTES escalates to the next person on the rotation, then to
// the group lead; acknowledging it acknowledges the incident, resolving the ticket resolves the
// incident and stops the escalation. Escalation checks are delayed BullMQ jobs (worker role);
// the messages go through the dispatcher, which retries them and puts each on the ticket's timeline.
import { type Job, Worker } from 'bullmq';
import type { Db } from '../platform/database.js';
import { notFound } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { QUEUE, type Queues } from '../platform/queues.js';
import type { TicketService } from '../service-desk/index.js';
import type { Dispatcher, NewNotification } from './dispatcher.js';
import { followUpEvent, type IncidentWebhook, triggerEvent } from './incident-webhook.js';
import type { OnCallPerson, OnCallService } from './on-call.service.js';

export interface PagerDeps {
  db: Db;
  queues: Queues;
  tickets: Pick<TicketService, 'addPageEvent'>;
  onCall: OnCallService;
  dispatcher: Dispatcher;
  incident: IncidentWebhook;
  log: Logger;
  ackMs: number;
  publicUrl: string;
}

/** ALARM: an alarm rule that asks to notify raised its alarm (devices/health). */
export type PageReason = 'SAFETY' | 'SLA_BREACH' | 'ALARM';
type Reason = PageReason;
type PageRow = { id: string; ticketId: string; reason: string; level: number; createdAt: Date; ackDueAt: Date };

// Jobs on the pages queue; `page.send` only from before messages became notifications.
const LEGACY_SEND = 'page.send';
const ESCALATE = 'page.escalate';
const DONE = ['RESOLVED', 'CLOSED', 'MERGED'];

export function createPager({ db, queues, tickets, onCall, dispatcher, incident, log, ackMs, publicUrl }: PagerDeps) {
  const queue = () => queues.get(QUEUE.pages);
  const base = publicUrl.replace(/\/$/, '');

  /** The e-mail, the SMS and the incident trigger of one page (idempotent: fixed dedup keys). */
  async function dispatch(page: PageRow, person: Pick<OnCallPerson, 'email' | 'name' | 'phone' | 'lead'>) {
    const ticket = await db.ticket.findUniqueOrThrow({ where: { id: page.ticketId }, include: { device: { select: { serial: true } } } });
    const serial = ticket.device?.serial ?? null;
    const what = page.reason === 'SAFETY' ? 'SAFETY-CRITICAL' : page.reason === 'ALARM' ? 'ALARM' : 'SLA breach';
    const subject = `[${what}] Ticket #${ticket.number}: ${ticket.subject}`;
    const text =
      `${what}: ticket #${ticket.number} ${ticket.subject}${serial ? ` (terminal ${serial})` : ''}. ` +
      `Acknowledge within ${Math.round(ackMs / 1000)} s: POST ${base}/api/v1/pages/${page.id}/acknowledge`;
    const common = { ticketId: ticket.id, pageId: page.id, purpose: 'PAGE' as const, subject, body: text };
    const items: NewNotification[] = [
      { ...common, channel: 'EMAIL', recipient: person.email, dedupKey: `page:${page.id}:email` },
      {
        ...common,
        channel: 'SMS',
        recipient: person.phone ?? '',
        dedupKey: `page:${page.id}:sms`,
        ...(person.phone ? {} : { skipped: 'no duty phone on the shift' }),
      },
    ];
    if (incident.configured) {
      const event = triggerEvent({ ticket: { ...ticket, serial }, page, paged: person }, publicUrl);
      items.push({
        ticketId: ticket.id,
        pageId: page.id,
        channel: 'INCIDENT_WEBHOOK',
        purpose: 'INCIDENT_TRIGGER',
        recipient: incident.recipient,
        subject: event.payload?.summary ?? null,
        body: JSON.stringify(event),
        dedupKey: `incident:${page.id}:trigger`,
      });
    }
    await dispatcher.enqueue(items);
    await queue().add(
      ESCALATE,
      { pageId: page.id },
      {
        jobId: `esc-${page.id}`,
        delay: Math.max(0, page.ackDueAt.getTime() - Date.now()),
        attempts: 5,
        backoff: { type: 'exponential', delay: 1_000 },
        removeOnComplete: 100,
        removeOnFail: 500,
      },
    );
  }

  /** The paged person of an existing page, as it was on shift (a retry or a job from before an upgrade). */
  async function personOf(page: { userId: string; createdAt: Date }) {
    const [user, shift] = await Promise.all([
      db.user.findUniqueOrThrow({ where: { id: page.userId }, select: { email: true, name: true } }),
      db.onCallShift.findFirst({
        where: { userId: page.userId, startsAt: { lte: page.createdAt }, endsAt: { gt: page.createdAt } },
        orderBy: { override: 'desc' },
        select: { phone: true, lead: true },
      }),
    ]);
    return { ...user, phone: shift?.phone ?? null, lead: shift?.lead ?? false };
  }

  /** Opens the page of `level` (0 = first on the rotation) and dispatches it. */
  async function pageLevel(ticketId: string, reason: Reason, level: number, at = new Date()): Promise<string | null> {
    const ticket = await db.ticket.findUnique({ where: { id: ticketId }, select: { id: true, group: true } });
    if (!ticket) return null;
    const person = (await onCall.rotationAt(ticket.group, at))[level];
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
    await dispatch(page, person);
    return page.id;
  }

  async function escalate(pageId: string): Promise<boolean> {
    const page = await db.page.findUnique({ where: { id: pageId } });
    if (page?.status !== 'PENDING') return false;
    const ticket = await db.ticket.findUnique({ where: { id: page.ticketId }, select: { status: true } });
    if (!ticket || DONE.includes(ticket.status)) {
      await cancelOpenPages(page.ticketId);
      return false;
    }
    const n = await db.page.updateMany({ where: { id: pageId, status: 'PENDING' }, data: { status: 'ESCALATED' } });
    if (n.count === 0) return false;
    await tickets.addPageEvent(page.ticketId, `Page not acknowledged in time; escalating.`, {
      pageId,
      level: page.level,
      status: 'ESCALATED',
    });
    await pageLevel(page.ticketId, page.reason as Reason, page.level + 1);
    return true;
  }

  async function cancelOpenPages(ticketId: string) {
    const open = await db.page.findMany({ where: { ticketId, status: 'PENDING' }, select: { id: true } });
    for (const p of open) {
      const n = await db.page.updateMany({ where: { id: p.id, status: 'PENDING' }, data: { status: 'CANCELLED' } });
      if (n.count)
        await tickets.addPageEvent(ticketId, 'Ticket resolved before the page was acknowledged; no escalation.', {
          pageId: p.id,
          status: 'CANCELLED',
        });
    }
  }

  /** The incident's follow-up (acknowledge, resolve) if a trigger went out and the incident is not resolved already. */
  async function followUp(ticketId: string, action: 'acknowledge' | 'resolve', dedupKey: string, pageId: string | null) {
    if (!incident.configured) return;
    const last = await db.notification.findFirst({
      where: { ticketId, channel: 'INCIDENT_WEBHOOK' },
      orderBy: { createdAt: 'desc' },
      select: { purpose: true },
    });
    if (!last || last.purpose === 'INCIDENT_RESOLVE') return;
    const purpose = action === 'acknowledge' ? 'INCIDENT_ACKNOWLEDGE' : 'INCIDENT_RESOLVE';
    await dispatcher.enqueue([
      {
        ticketId,
        pageId,
        channel: 'INCIDENT_WEBHOOK',
        purpose,
        recipient: incident.recipient,
        body: JSON.stringify(followUpEvent(ticketId, action)),
        dedupKey,
      },
    ]);
  }

  return {
    /** Pages the first person on call for the ticket's group, once per ticket and reason. */
    async page(ticketId: string, reason: Reason): Promise<string | null> {
      const existing = await db.page.findFirst({ where: { ticketId, reason, level: 0 } });
      if (!existing) return pageLevel(ticketId, reason, 0);
      // Handled before (an event retried): make sure its messages and escalation are queued.
      if (existing.status === 'PENDING') await dispatch(existing, await personOf(existing));
      return null;
    },

    /** The ticket reached RESOLVED, CLOSED or MERGED (`eventId` names the change). */
    async ticketDone(ticketId: string, eventId: string): Promise<void> {
      await cancelOpenPages(ticketId);
      await followUp(ticketId, 'resolve', `incident:${ticketId}:resolve:${eventId}`, null);
    },

    /** The paged person acknowledges; anyone else gets 404 (a page is nobody else's business). */
    async acknowledge(userId: string, pageId: string) {
      const page = await db.page.findFirst({ where: { id: pageId, userId } });
      if (!page) throw notFound('Page');
      if (page.status === 'PENDING') {
        const at = new Date();
        const n = await db.page.updateMany({
          where: { id: pageId, status: 'PENDING' },
          data: { status: 'ACKNOWLEDGED', acknowledgedAt: at },
        });
        if (n.count) {
          await tickets.addPageEvent(page.ticketId, 'Page acknowledged.', { pageId, userId, status: 'ACKNOWLEDGED' });
          await dispatcher.markAcknowledged(pageId, at);
          await followUp(page.ticketId, 'acknowledge', `incident:${pageId}:acknowledge`, pageId);
        }
      }
      const now = await db.page.findUniqueOrThrow({ where: { id: pageId } });
      return { id: now.id, ticketId: now.ticketId, status: now.status, acknowledgedAt: now.acknowledgedAt };
    },

    /** Pages, newest first: the open ones (waiting for acknowledgement) or all, everyone's or the caller's. */
    async list(userId: string, filter: { open?: boolean; mine?: boolean }) {
      const rows = await db.page.findMany({
        where: { ...(filter.open ? { status: 'PENDING' } : {}), ...(filter.mine ? { userId } : {}) },
        orderBy: { createdAt: 'desc' },
        take: 100,
      });
      const ticketOf = new Map(
        (
          await db.ticket.findMany({
            where: { id: { in: [...new Set(rows.map((r) => r.ticketId))] } },
            select: { id: true, number: true, subject: true, group: true, safety: true, status: true },
          })
        ).map((t) => [t.id, t]),
      );
      const users = new Map(
        (await db.user.findMany({ where: { id: { in: [...new Set(rows.map((r) => r.userId))] } }, select: { id: true, name: true } })).map(
          (u) => [u.id, u.name],
        ),
      );
      return {
        items: rows.map((r) => ({
          id: r.id,
          ticketId: r.ticketId,
          ticket: ticketOf.get(r.ticketId) ?? null,
          userId: r.userId,
          userName: users.get(r.userId) ?? null,
          mine: r.userId === userId,
          reason: r.reason,
          level: r.level,
          status: r.status,
          ackDueAt: r.ackDueAt,
          acknowledgedAt: r.acknowledgedAt,
          createdAt: r.createdAt,
        })),
      };
    },

    /** Worker role: runs the escalation checks. */
    startWorker(): { stop(): Promise<void> } {
      const worker = new Worker(
        QUEUE.pages,
        async (job: Job<{ pageId: string }>) => {
          if (job.name !== LEGACY_SEND) return escalate(job.data.pageId);
          const page = await db.page.findUnique({ where: { id: job.data.pageId } });
          if (page?.status === 'PENDING') await dispatch(page, await personOf(page));
          return true;
        },
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
