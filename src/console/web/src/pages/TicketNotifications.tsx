// Staff view of every notification about a ticket (pages by e-mail and SMS, the incident
// webhook's trigger/acknowledge/resolve, customers' update e-mails) and where its delivery stands.

import { api } from '../api';
import { Badge, Card, Empty, Loaded, useAsync } from '../components/ui';
import { fmtDateTime } from '../format';

interface NotificationRow {
  id: string;
  channel: string;
  purpose: string;
  recipient: string;
  subject: string | null;
  status: string;
  error: string | null;
  attempts: number;
  sentAt: string | null;
  acknowledgedAt: string | null;
  createdAt: string;
}

const CHANNEL: Record<string, string> = { EMAIL: 'e-mail', SMS: 'SMS', INCIDENT_WEBHOOK: 'incident webhook' };
const PURPOSE: Record<string, string> = {
  PAGE: 'page',
  INCIDENT_TRIGGER: 'trigger',
  INCIDENT_ACKNOWLEDGE: 'acknowledge',
  INCIDENT_RESOLVE: 'resolve',
  CUSTOMER_UPDATE: 'customer update',
};
const TONE: Record<string, string> = { QUEUED: 'muted', SENT: 'info', ACKNOWLEDGED: 'ok', FAILED: 'bad', SKIPPED: 'warn' };

export function TicketNotifications(props: { ticketId: string; version: string }) {
  const state = useAsync(
    () => api<{ items: NotificationRow[] }>(`/tickets/${props.ticketId}/notifications`),
    [props.ticketId, props.version],
    10_000,
  );
  return (
    <Card title="Notifications" testid="ticket-notifications">
      <Loaded state={state} what="notifications">
        {(p) =>
          p.items.length === 0 ? (
            <Empty>Nobody has been notified about this ticket.</Empty>
          ) : (
            <table class="rows">
              <thead>
                <tr>
                  <th>Queued</th>
                  <th>What</th>
                  <th>To</th>
                  <th>State</th>
                  <th>Sent</th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((n) => (
                  <tr data-testid={`notification-${n.id}`}>
                    <td>{fmtDateTime(n.createdAt)}</td>
                    <td>
                      {CHANNEL[n.channel] ?? n.channel} {PURPOSE[n.purpose] ?? n.purpose}
                    </td>
                    <td class="mono small">{n.recipient || '—'}</td>
                    <td>
                      <Badge value={n.status} tone={TONE[n.status]} />
                      {n.attempts > 1 && <span class="muted small"> {n.attempts} attempts</span>}
                      {n.error && n.status !== 'SENT' && n.status !== 'ACKNOWLEDGED' && <div class="bad-text small">{n.error}</div>}
                    </td>
                    <td>{n.acknowledgedAt ? `acknowledged ${fmtDateTime(n.acknowledgedAt)}` : fmtDateTime(n.sentAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </Card>
  );
}
