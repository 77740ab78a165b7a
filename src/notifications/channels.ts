// The two ways a page reaches a person: e-mail through the platform's one mailer (SMTP, or an
// .eml file when no SMTP server is configured; each page is a row of the outgoing mail log) and
// SMS through the operator's HTTP SMS gateway (POST JSON {to, text} with a bearer token). SMS
// without configuration reports itself as not configured instead of failing the page.
import type { MailOutbox } from '../platform/mail-outbox.js';

export interface PageMessage {
  subject: string;
  text: string;
  /** Sender of this message when not the pager's (customers' ticket e-mails). */
  from?: string;
  /** The mail log's kind: `page` unless said otherwise (`ticket-update`). */
  kind?: string;
}

export interface Channels {
  /** `key` names the message (one mail log row per notification, whatever the retries). */
  email(to: string, m: PageMessage, key: string): Promise<'sent'>;
  sms(to: string | null, m: PageMessage): Promise<'sent' | 'not configured' | 'no phone'>;
}

export function createChannels(cfg: {
  mail: Pick<MailOutbox, 'sendNow'>;
  from: string;
  smsUrl?: string | undefined;
  smsToken?: string | undefined;
}): Channels {
  return {
    email(to, m, key) {
      return cfg.mail.sendNow({ dedupKey: key, kind: m.kind ?? 'page', from: m.from ?? cfg.from, to, subject: m.subject, text: m.text });
    },
    async sms(to, m) {
      if (!cfg.smsUrl) return 'not configured';
      if (!to) return 'no phone';
      const res = await fetch(cfg.smsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(cfg.smsToken ? { authorization: `Bearer ${cfg.smsToken}` } : {}) },
        body: JSON.stringify({ to, text: m.text }),
        signal: AbortSignal.timeout(10_000),
      });
      // Drained so the connection is released; the gateway's answer body carries nothing we use.
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`SMS gateway answered ${res.status}`);
      return 'sent';
    },
  };
}
