// The two ways a page reaches a person: e-mail over SMTP (nodemailer) and SMS through the
// operator's HTTP SMS gateway (POST JSON {to, text} with a bearer token). A channel without
// configuration reports itself as not configured instead of failing the page.
import nodemailer from 'nodemailer';

export interface PageMessage {
  subject: string;
  text: string;
  /** Sender of this message when not the pager's (customers' ticket e-mails). */
  from?: string;
}

export interface Channels {
  email(to: string, m: PageMessage): Promise<'sent' | 'not configured'>;
  sms(to: string | null, m: PageMessage): Promise<'sent' | 'not configured' | 'no phone'>;
}

export function createChannels(cfg: {
  smtpUrl?: string | undefined;
  from: string;
  smsUrl?: string | undefined;
  smsToken?: string | undefined;
}): Channels {
  const transport = cfg.smtpUrl ? nodemailer.createTransport(cfg.smtpUrl) : null;
  return {
    async email(to, m) {
      if (!transport) return 'not configured';
      await transport.sendMail({ from: m.from ?? cfg.from, to, subject: m.subject, text: m.text });
      return 'sent';
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
