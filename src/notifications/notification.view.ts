/** API shape of a notification; the message itself is shown, the incident webhook's routing key never stored. */
export function notificationView(n: {
  id: string;
  ticketId: string;
  pageId: string | null;
  channel: string;
  purpose: string;
  recipient: string;
  subject: string | null;
  body: string;
  status: string;
  error: string | null;
  attempts: number;
  sentAt: Date | null;
  acknowledgedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}) {
  return {
    id: n.id,
    ticketId: n.ticketId,
    pageId: n.pageId,
    channel: n.channel,
    purpose: n.purpose,
    recipient: n.recipient,
    subject: n.subject,
    body: n.body,
    status: n.status,
    error: n.error,
    attempts: n.attempts,
    sentAt: n.sentAt,
    acknowledgedAt: n.acknowledgedAt,
    createdAt: n.createdAt,
    updatedAt: n.updatedAt,
  };
}
export type NotificationView = ReturnType<typeof notificationView>;
