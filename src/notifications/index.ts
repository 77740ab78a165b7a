// Notifications: on-call rotations per ticket group, the pager that calls people for
// safety-critical tickets and SLA breaches (e-mail, SMS, the incident webhook; escalation when
// unacknowledged), and customers' ticket e-mails. Every message is a Notification row on the
// ticket's timeline with its delivery state.
import { z } from 'zod';
import type { AuditService } from '../audit/index.js';
import type { EventEnvelope, EventService } from '../events/index.js';
import type { Db } from '../platform/database.js';
import type { Logger } from '../platform/logger.js';
import type { MailOutbox } from '../platform/mail-outbox.js';
import type { Queues } from '../platform/queues.js';
import type { TicketService } from '../service-desk/index.js';
import { createChannels } from './channels.js';
import { createCustomerUpdates } from './customer-updates.js';
import { createDispatcher } from './dispatcher.js';
import { createIncidentWebhook } from './incident-webhook.js';
import { notificationView } from './notification.view.js';
import { createOnCallService } from './on-call.service.js';
import { createPager } from './pager.js';

export { type IncidentEvent, incidentDedupKey } from './incident-webhook.js';
export * from './on-call.schemas.js';
export type { OnCallService } from './on-call.service.js';
export type { Pager } from './pager.js';

const ticketRef = z.object({
  id: z.string().uuid(),
  safety: z.boolean().optional(),
  changes: z
    .object({ status: z.object({ to: z.string() }).optional() })
    .passthrough()
    .optional(),
});
const DONE = ['RESOLVED', 'CLOSED', 'MERGED'];

export function createNotifications(deps: {
  db: Db;
  queues: Queues;
  audit: AuditService;
  events: Pick<EventService, 'onEvent'>;
  tickets: TicketService;
  log: Logger;
  /** Page and ticket e-mails go through the platform's one mailer and its log. */
  mail: Pick<MailOutbox, 'sendNow'>;
  config: {
    PAGE_FROM: string;
    TICKET_MAIL_FROM: string;
    SMS_GATEWAY_URL?: string | undefined;
    SMS_GATEWAY_TOKEN?: string | undefined;
    PAGE_ACK_MINUTES: number;
    PUBLIC_URL: string;
    INCIDENT_WEBHOOK_URL: string;
    INCIDENT_WEBHOOK_ROUTING_KEY?: string | undefined;
    WEBHOOK_TIMEOUT_MS: number;
    WEBHOOK_ALLOW_PRIVATE_TARGETS: boolean;
  };
}) {
  const { db, config } = deps;
  const log = deps.log.child({ component: 'pager' });
  const onCall = createOnCallService({ db, audit: deps.audit });
  const channels = createChannels({
    mail: deps.mail,
    from: config.PAGE_FROM,
    smsUrl: config.SMS_GATEWAY_URL,
    smsToken: config.SMS_GATEWAY_TOKEN,
  });
  const incident = createIncidentWebhook({
    url: config.INCIDENT_WEBHOOK_URL,
    routingKey: config.INCIDENT_WEBHOOK_ROUTING_KEY,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
  });
  const dispatcher = createDispatcher({
    db,
    queues: deps.queues,
    tickets: deps.tickets,
    channels,
    incident,
    log: deps.log.child({ component: 'notifications' }),
    customerFrom: config.TICKET_MAIL_FROM,
  });
  const pager = createPager({
    db,
    queues: deps.queues,
    tickets: deps.tickets,
    onCall,
    dispatcher,
    incident,
    log,
    ackMs: Math.round(config.PAGE_ACK_MINUTES * 60_000),
    publicUrl: config.PUBLIC_URL,
  });
  const customerUpdates = createCustomerUpdates({ db, dispatcher, publicUrl: config.PUBLIC_URL });

  async function onEvent(e: EventEnvelope): Promise<void> {
    if (e.type !== 'ticket.created' && e.type !== 'ticket.updated' && e.type !== 'ticket.sla_breached') return;
    const t = ticketRef.safeParse(e.payload);
    if (!t.success) return;
    if (e.type === 'ticket.created' && t.data.safety) await pager.page(t.data.id, 'SAFETY');
    if (e.type === 'ticket.sla_breached') await pager.page(t.data.id, 'SLA_BREACH');
    const to = t.data.changes?.status?.to;
    if (e.type === 'ticket.updated' && to && DONE.includes(to)) await pager.ticketDone(t.data.id, e.id);
    await customerUpdates.onEvent(e);
  }

  return {
    onCall,
    pager,
    /** The notifications about a ticket, oldest first, with their delivery state (the caller checked the ticket's scope). */
    async forTicket(ticketId: string) {
      const rows = await db.notification.findMany({
        where: { ticketId },
        orderBy: [{ createdAt: 'asc' }, { channel: 'asc' }, { id: 'asc' }],
      });
      return { items: rows.map(notificationView) };
    },
    /** Queues again notifications whose send job was lost (the scheduler runs it every minute). */
    requeueStale: () => dispatcher.requeueStale(),
    /** Worker role: listen for tickets (before the event consumer starts) and run the send and escalation jobs. */
    start(): { stop(): Promise<void> } {
      deps.events.onEvent('notifications', onEvent);
      const workers = [pager.startWorker(), dispatcher.startWorker()];
      return {
        async stop() {
          await Promise.all(workers.map((w) => w.stop()));
          await incident.close();
        },
      };
    },
  };
}

export type Notifications = ReturnType<typeof createNotifications>;
