// The one e-mail sender of the platform (billing's invoices and reminders, the pager's pages):
// SMTP through nodemailer when SMTP_URL is set, otherwise the same RFC 822 message built by
// nodemailer's stream transport and written as an .eml file under the mail directory, so a demo
// without a mail server still shows (and lets staff download) exactly what would have gone out.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';

export interface MailAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface MailMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  attachments?: MailAttachment[];
}

export interface MailSent {
  transport: 'smtp' | 'file';
  messageId: string;
  /** The .eml file's name in the mail directory (file transport only). */
  file: string | null;
}

export interface Mailer {
  readonly mode: 'smtp' | 'file';
  readonly dir: string;
  send(m: MailMessage): Promise<MailSent>;
  /** The RFC 822 message nodemailer would send (for downloads of messages that went out over SMTP). */
  build(m: MailMessage): Promise<Buffer>;
  /** The stored .eml of a message written by the file transport; null when there is none. */
  readEml(file: string): Promise<Buffer | null>;
  close(): void;
}

const FILE_NAME = /^[0-9]{8}T[0-9]{6}-[0-9a-f-]{36}\.eml$/;

export function createMailer(cfg: { smtpUrl?: string | undefined; dir: string }): Mailer {
  // Pooled: a billing run mails thousands of invoices; one connection per message would
  // spend more on TCP and EHLO than on the message.
  const smtp = cfg.smtpUrl ? nodemailer.createTransport(`${cfg.smtpUrl}${cfg.smtpUrl.includes('?') ? '&' : '?'}pool=true`) : null;
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const toMail = (m: MailMessage) => ({
    from: m.from,
    to: m.to,
    subject: m.subject,
    text: m.text,
    attachments: (m.attachments ?? []).map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
  });
  return {
    mode: smtp ? 'smtp' : 'file',
    dir: cfg.dir,
    async send(m) {
      if (smtp) {
        const info = await smtp.sendMail(toMail(m));
        return { transport: 'smtp', messageId: info.messageId, file: null };
      }
      const info = await builder.sendMail(toMail(m));
      const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
      const file = `${stamp}-${randomUUID()}.eml`;
      await mkdir(cfg.dir, { recursive: true });
      await writeFile(path.join(cfg.dir, file), info.message as Buffer);
      return { transport: 'file', messageId: info.messageId, file };
    },
    async build(m) {
      return (await builder.sendMail(toMail(m))).message as Buffer;
    },
    async readEml(file) {
      // Only names this mailer made: a stored name never reaches outside the directory.
      if (!FILE_NAME.test(file)) return null;
      return readFile(path.join(cfg.dir, file)).catch(() => null);
    },
    close() {
      smtp?.close();
    },
  };
}
