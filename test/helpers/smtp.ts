import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  at: number;
}

/**
 * A real SMTP server in-process on a free port that keeps every message. `failNext(n)` makes it
 * refuse the next n messages with a temporary error (451), as a mail server under trouble does.
 */
export async function startSmtpServer() {
  const received: ReceivedMail[] = [];
  let failing = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failing > 0) {
          failing--;
          done(Object.assign(new Error('451 4.3.0 Mailbox temporarily unavailable'), { responseCode: 451 }));
          return;
        }
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
        done();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    failNext(n: number) {
      failing = n;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Header value of a raw RFC 822 message (folded lines joined). */
export function headerOf(raw: string, name: string): string | null {
  const head = raw.slice(0, raw.search(/\r?\n\r?\n/)).replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head);
  return m?.[1]?.trim() ?? null;
}

/** The attachments of a raw multipart message, decoded from base64. */
export function attachmentsOf(raw: string): { contentType: string; filename: string | null; content: Buffer }[] {
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(raw)?.[1];
  if (!boundary) return [];
  const out: { contentType: string; filename: string | null; content: Buffer }[] = [];
  for (const part of raw.split(`--${boundary}`)) {
    const split = part.search(/\r?\n\r?\n/);
    if (split < 0) continue;
    const head = part.slice(0, split).replace(/\r?\n[ \t]+/g, ' ');
    if (!/content-disposition:\s*attachment/i.test(head)) continue;
    const contentType = /content-type:\s*([^;\r\n]+)/i.exec(head)?.[1]?.trim() ?? '';
    const filename = /filename="?([^";\r\n]+)"?/i.exec(head)?.[1] ?? null;
    out.push({ contentType, filename, content: Buffer.from(part.slice(split).replace(/\s+/g, ''), 'base64') });
  }
  return out;
}
