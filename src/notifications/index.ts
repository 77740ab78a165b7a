// Notifications: on-call rotations per ticket group and the pager that calls people for
// safety-critical tickets and SLA breaches (e-mail and SMS, escalation when unacknowledged).
import { z } from 'zod';
import type { AuditService } from '../audit/index.js';
import type { EventEnvelope, EventService } from '../events/index.js';
import type { Db } from '../platform/database.js';
import type { Logger } from '../platform/logger.js';
import type { MailOutbox } from '../platform/mail-outbox.js';
import type { Queues } from '../platform/queues.js';
import type { TicketService } from '../service-desk/index.js';
import { createChannels } from './channels.js';
import { createOnCallService } from './on-call.service.js';
import { createPager } from './pager.js';

export * from './on-call.schemas.js';
export type { OnCallService } from './on-call.service.js';
export type { Pager } from './pager.js';

const ticketRef = z.object({ id: z.string().uuid(), safety: z.boolean().optional() });

export function createNotifications(deps: {
  db: Db;
  queues: Queues;
  audit: AuditService;
  events: Pick<EventService, 'onEvent'>;
  tickets: TicketService;
  log: Logger;
  mail: Pick<MailOutbox, 'sendNow'>;
  config: {
    PAGE_FROM: string;
    SMS_GATEWAY_URL?: string | undefined;
    SMS_GATEWAY_TOKEN?: string | undefined;
    PAGE_ACK_MINUTES: number;
    PUBLIC_URL: string;
  };
}) {
  const log = deps.log.child({ component: 'pager' });
  const onCall = createOnCallService({ db: deps.db, audit: deps.audit });
  const channels = createChannels({
    mail: deps.mail,
    from: deps.config.PAGE_FROM,
    smsUrl: deps.config.SMS_GATEWAY_URL,
    smsToken: deps.config.SMS_GATEWAY_TOKEN,
  });
  const pager = createPager({
    db: deps.db,
    queues: deps.queues,
    tickets: deps.tickets,
    onCall,
    channels,
    log,
    ackMs: Math.round(deps.config.PAGE_ACK_MINUTES * 60_000),
    publicUrl: deps.config.PUBLIC_URL,
  });

  async function onEvent(e: EventEnvelope): Promise<void> {
    if (e.type !== 'ticket.created' && e.type !== 'ticket.sla_breached') return;
    const t = ticketRef.safeParse(e.payload);
    if (!t.success) return;
    if (e.type === 'ticket.created' && t.data.safety) await pager.page(t.data.id, 'SAFETY');
    if (e.type === 'ticket.sla_breached') await pager.page(t.data.id, 'SLA_BREACH');
  }

  return {
    onCall,
    pager,
    /** Worker role: listen for tickets to page about (before the event consumer starts) and run the send jobs. */
    start(): { stop(): Promise<void> } {
      deps.events.onEvent('pager', onEvent);
      return pager.startWorker();
    },
  };
}

export type Notifications = ReturnType<typeof createNotifications>;
