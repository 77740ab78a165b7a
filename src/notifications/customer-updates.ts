// E-mails to a customer's contacts who opted in (Contact.ticketEmails) about their tickets:
// opened, status changes (resolved among them) and the operator's public comments. Internal
// notes never leave: a comment is mailed only when its history row is customer-visible, and
// assignment, group or priority changes (internal) are not mailed at all.
import { z } from 'zod';
import type { EventEnvelope } from '../events/index.js';
import type { Db } from '../platform/database.js';
import type { Dispatcher, NewNotification } from './dispatcher.js';

const payload = z.object({
  id: z.string().uuid(),
  number: z.number().int(),
  subject: z.string(),
  status: z.string(),
  serial: z.string().nullable().optional(),
  changes: z
    .object({
      status: z.object({ from: z.string(), to: z.string() }).optional(),
      comment: z.object({ by: z.string(), eventId: z.number().int().optional() }).optional(),
    })
    .passthrough()
    .optional(),
});

const words = (s: string) => s.replace(/_/g, ' ').toLowerCase();

export function createCustomerUpdates({ db, dispatcher, publicUrl }: { db: Db; dispatcher: Dispatcher; publicUrl: string }) {
  const base = publicUrl.replace(/\/$/, '');

  /** What to tell the customer about this event, or null when it is nothing of theirs to hear. */
  async function messageOf(e: EventEnvelope, t: z.infer<typeof payload>): Promise<{ subject: string; text: string } | null> {
    const title = `Ticket #${t.number}: ${t.subject}`;
    if (e.type === 'ticket.created')
      return { subject: `[Nexsphere] ${title} opened`, text: `We opened ticket #${t.number} for you: ${t.subject}.` };
    const status = t.changes?.status;
    if (status) {
      const ticket = await db.ticket.findUnique({ where: { id: t.id }, select: { resolutionNote: true } });
      const resolved = status.to === 'RESOLVED';
      return {
        subject: `[Nexsphere] ${title} ${resolved ? 'resolved' : `is ${words(status.to)}`}`,
        text: resolved
          ? `Ticket #${t.number} is resolved.${ticket?.resolutionNote ? `\n\nResolution: ${ticket.resolutionNote}` : ''}`
          : `Ticket #${t.number} changed from ${words(status.from)} to ${words(status.to)}.`,
      };
    }
    const comment = t.changes?.comment;
    // The customer's own comments are not mailed back to them.
    if (comment?.by === 'operator' && comment.eventId !== undefined) {
      const row = await db.ticketEvent.findFirst({
        where: { id: BigInt(comment.eventId), ticketId: t.id, kind: 'COMMENT', visibility: 'CUSTOMER' },
        select: { body: true },
      });
      if (!row?.body) return null;
      return { subject: `[Nexsphere] ${title}: new reply`, text: `New reply on ticket #${t.number}:\n\n${row.body}` };
    }
    return null;
  }

  return {
    async onEvent(e: EventEnvelope): Promise<void> {
      if ((e.type !== 'ticket.created' && e.type !== 'ticket.updated') || !e.customerId) return;
      const t = payload.safeParse(e.payload);
      if (!t.success) return;
      const contacts = await db.contact.findMany({
        where: { customerId: e.customerId, ticketEmails: true, email: { not: null } },
        select: { id: true, email: true },
      });
      if (contacts.length === 0) return;
      const m = await messageOf(e, t.data);
      if (!m) return;
      const text = `${m.text}\n\nSee the ticket: ${base}/tickets/${t.data.id}\n\nYou receive these e-mails because you asked for updates on your tickets; turn them off in your contact settings.`;
      await dispatcher.enqueue(
        contacts.map(
          (c): NewNotification => ({
            ticketId: t.data.id,
            channel: 'EMAIL',
            purpose: 'CUSTOMER_UPDATE',
            recipient: c.email!,
            subject: m.subject,
            body: text,
            dedupKey: `customer:${e.id}:${c.id}`,
          }),
        ),
      );
    },
  };
}
