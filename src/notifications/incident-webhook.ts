// The outgoing incident webhook in the PagerDuty Events API v2 format: a page triggers an alert,
// acknowledging the page acknowledges it, the ticket's resolution resolves it. One dedup_key per
// ticket ties the three together (PagerDuty folds repeated triggers of an open alert into it).
// Requests go through the webhooks' SSRF-guarded client: no private targets unless
// WEBHOOK_ALLOW_PRIVATE_TARGETS, no redirects, a timeout, a capped response body.
import { createWebhookSender } from '../webhooks/index.js';

export type IncidentAction = 'trigger' | 'acknowledge' | 'resolve';
type Severity = 'critical' | 'error' | 'warning' | 'info';

/** The event as stored on the notification: everything but the routing key, which is a secret. */
export interface IncidentEvent {
  event_action: IncidentAction;
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: Severity;
    timestamp: string;
    component?: string;
    group: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
  client?: string;
  client_url?: string;
  links?: { href: string; text: string }[];
}

export interface TriggerFacts {
  ticket: {
    id: string;
    number: number;
    subject: string;
    kind: string;
    group: string;
    priority: string;
    faultCode: number | null;
    serial: string | null;
    createdAt: Date;
  };
  page: { id: string; reason: string; level: number; createdAt: Date };
  paged: { name: string; lead: boolean };
}

export const incidentDedupKey = (ticketId: string) => `nexsphere-ticket-${ticketId}`;

function severityOf(reason: string, priority: string): Severity {
  if (reason === 'SAFETY' || priority === 'CRITICAL') return 'critical';
  return priority === 'HIGH' ? 'error' : 'warning';
}

export function triggerEvent(f: TriggerFacts, publicUrl: string): IncidentEvent {
  const base = publicUrl.replace(/\/$/, '');
  const what = f.page.reason === 'SAFETY' ? 'SAFETY-CRITICAL' : f.page.reason === 'ALARM' ? 'ALARM' : 'SLA breach';
  const summary = `[${what}] Ticket #${f.ticket.number}: ${f.ticket.subject}${f.ticket.serial ? ` (terminal ${f.ticket.serial})` : ''}`;
  return {
    event_action: 'trigger',
    dedup_key: incidentDedupKey(f.ticket.id),
    payload: {
      summary: summary.slice(0, 1024),
      source: f.ticket.serial ?? `ticket-${f.ticket.number}`,
      severity: severityOf(f.page.reason, f.ticket.priority),
      timestamp: f.page.createdAt.toISOString(),
      ...(f.ticket.faultCode !== null ? { component: `fault 0x${f.ticket.faultCode.toString(16).padStart(4, '0')}` } : {}),
      group: f.ticket.group,
      class: f.ticket.kind,
      custom_details: {
        ticket: f.ticket.number,
        reason: f.page.reason,
        escalationLevel: f.page.level,
        paged: `${f.paged.name}${f.paged.lead ? ' (group lead)' : ''}`,
        ticketOpenedAt: f.ticket.createdAt.toISOString(),
      },
    },
    client: 'Nexsphere operator platform',
    client_url: base,
    links: [{ href: `${base}/tickets/${f.ticket.id}`, text: `Ticket #${f.ticket.number} in the operations console` }],
  };
}

export const followUpEvent = (ticketId: string, action: 'acknowledge' | 'resolve'): IncidentEvent => ({
  event_action: action,
  dedup_key: incidentDedupKey(ticketId),
});

export type IncidentSendResult = { ok: true } | { ok: false; error: string; retry: boolean };

export interface IncidentWebhook {
  readonly configured: boolean;
  /** Host of the receiver, as shown on the ticket's timeline. */
  readonly recipient: string;
  send(e: IncidentEvent): Promise<IncidentSendResult>;
  close(): Promise<void>;
}

export function createIncidentWebhook(cfg: {
  url: string;
  routingKey?: string | undefined;
  timeoutMs: number;
  allowPrivate: boolean;
}): IncidentWebhook {
  const sender = cfg.routingKey ? createWebhookSender({ timeoutMs: cfg.timeoutMs, allowPrivate: cfg.allowPrivate }) : null;
  return {
    configured: sender !== null,
    recipient: new URL(cfg.url).host,
    async send(e) {
      if (!sender || !cfg.routingKey) return { ok: false, error: 'incident webhook not configured', retry: false };
      const body = JSON.stringify({ routing_key: cfg.routingKey, ...e });
      const r = await sender.send(cfg.url, { 'content-type': 'application/json', 'user-agent': 'Nexsphere-Incidents/1' }, body);
      if (r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300) return { ok: true };
      // As PagerDuty documents: 429, 5xx and network errors are worth retrying; any other answer (400: bad event) is not.
      const error = r.error ?? `HTTP ${r.statusCode}${r.snippet ? `: ${r.snippet.slice(0, 200)}` : ''}`;
      const retry = r.statusCode === null ? !error.startsWith('refused') : r.statusCode === 429 || r.statusCode >= 500;
      return { ok: false, error, retry };
    },
    close: async () => {
      await sender?.close();
    },
  };
}
