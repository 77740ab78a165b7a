// Outgoing mail: every message is a row (OutgoingMail) and a BullMQ job on QUEUE.mail. The row
// is the record staff see (status, attempts, last error); the job sends it, and BullMQ retries a
// failed send with exponential backoff (MAIL_RETRY_BASE_MS, doubling, MAIL_MAX_ATTEMPTS in all).
// Rows are unique by `dedupKey` (e.g. `invoice.issued:<id>`), so a trigger seen twice (an event
// handed to its handlers again) mails once. Attachments are references that the owning domain
// renders when the message is sent (an invoice PDF is not stored twice).
import { type Job, Worker } from 'bullmq';
import { z } from 'zod';
import type { Role } from '../../prisma/generated/enums.js';
import type { OutgoingMailAnswer } from '../api-types/index.js';
import type { Db, Prisma } from './database.js';
import { conflict, notFound } from './errors.js';
import type { Logger } from './logger.js';
import type { MailAttachment, Mailer } from './mailer.js';
import { page, pageArgs } from './pagination.js';
import { QUEUE, type Queues } from './queues.js';

export const mailStatus = z.enum(['QUEUED', 'SENT', 'FAILED', 'NO_RECIPIENT']);
export const mailFilter = z.object({
  status: mailStatus.optional(),
  kind: z
    .string()
    .max(50)
    .regex(/^[a-z0-9_.-]+$/, 'A mail kind such as invoice or reminder')
    .optional(),
  customerId: z.string().uuid().optional(),
});
export type MailFilter = z.infer<typeof mailFilter>;

export interface AttachmentRef {
  /** Which registered source renders it, e.g. `invoice-pdf`. */
  kind: string;
  id: string;
  filename: string;
}

export interface OutgoingMailInput {
  dedupKey: string;
  kind: string;
  customerId?: string | null;
  from: string;
  /** Null: nobody to send to; the row records that (NO_RECIPIENT) and nothing is queued. */
  to: string | null;
  subject: string;
  text: string;
  attachments?: AttachmentRef[];
}

export type AttachmentSource = (id: string, filename: string) => Promise<Omit<MailAttachment, 'filename'>>;

type Row = Prisma.OutgoingMailGetPayload<object>;

/** Who asked (the audit log's shape; the ground cannot import src/audit, the container hands it in). */
export interface MailActor {
  actor: { userId: string; role: Role };
  requestId?: string;
}
interface AuditLike {
  record(entry: {
    actor: MailActor['actor'];
    action: string;
    entityType: string;
    entityId: string;
    before?: unknown;
    requestId?: string;
  }): Promise<void>;
}

export function mailView(r: Row): OutgoingMailAnswer {
  return {
    id: r.id,
    kind: r.kind,
    customerId: r.customerId,
    from: r.fromAddress,
    to: r.toAddress,
    subject: r.subject,
    attachments: (r.attachments as unknown as AttachmentRef[]).map((a) => a.filename),
    status: r.status,
    attempts: r.attempts,
    lastError: r.lastError,
    transport: r.transport,
    messageId: r.messageId,
    sentAt: r.sentAt,
    createdAt: r.createdAt,
  };
}
export type MailView = OutgoingMailAnswer;

const SEND = 'mail.send';

export function createMailOutbox(d: {
  db: Db;
  queues: Queues;
  mailer: Mailer;
  log: Logger;
  audit: AuditLike;
  maxAttempts: number;
  retryBaseMs: number;
}) {
  const { db, mailer } = d;
  const log = d.log.child({ component: 'mail' });
  const sources = new Map<string, AttachmentSource>();
  const queue = () => d.queues.get(QUEUE.mail);
  const jobOpts = (jobId: string) => ({
    jobId,
    attempts: d.maxAttempts,
    backoff: { type: 'exponential' as const, delay: d.retryBaseMs },
    removeOnComplete: 1000,
    removeOnFail: 1000,
  });

  async function messageOf(row: Row) {
    const refs = row.attachments as unknown as AttachmentRef[];
    const attachments: MailAttachment[] = [];
    for (const a of refs) {
      const source = sources.get(a.kind);
      if (!source) throw new Error(`no attachment source ${a.kind} in this process`);
      attachments.push({ filename: a.filename, ...(await source(a.id, a.filename)) });
    }
    return { from: row.fromAddress, to: row.toAddress ?? '', subject: row.subject, text: row.body, attachments };
  }

  /** One attempt: sends the row's message and records the outcome; throws when it failed. */
  async function attempt(id: string, finalAttempt: boolean): Promise<'sent' | 'skipped'> {
    const row = await db.outgoingMail.findUnique({ where: { id } });
    if (row?.status !== 'QUEUED' || !row.toAddress) return 'skipped';
    try {
      const sent = await mailer.send(await messageOf(row));
      await db.outgoingMail.update({
        where: { id },
        data: {
          status: 'SENT',
          attempts: { increment: 1 },
          lastError: null,
          transport: sent.transport,
          messageId: sent.messageId,
          file: sent.file,
          sentAt: new Date(),
        },
      });
      return 'sent';
    } catch (err) {
      const message = (err as Error).message.slice(0, 1000);
      await db.outgoingMail.update({
        where: { id },
        data: { attempts: { increment: 1 }, lastError: message, ...(finalAttempt ? { status: 'FAILED' } : {}) },
      });
      throw err;
    }
  }

  return {
    mode: mailer.mode,

    /** A domain says how to render the attachments it refers to (call before the worker starts). */
    attachmentSource(kind: string, source: AttachmentSource): void {
      sources.set(kind, source);
    },

    /** Records the messages (once per dedupKey) and queues their sends; returns how many were new. */
    async enqueue(mails: OutgoingMailInput[]): Promise<number> {
      if (mails.length === 0) return 0;
      const created = await db.outgoingMail.createManyAndReturn({
        data: mails.map((m) => ({
          dedupKey: m.dedupKey,
          kind: m.kind,
          customerId: m.customerId ?? null,
          fromAddress: m.from,
          toAddress: m.to,
          subject: m.subject,
          body: m.text,
          attachments: (m.attachments ?? []) as unknown as Prisma.InputJsonValue,
          status: m.to ? 'QUEUED' : 'NO_RECIPIENT',
        })),
        skipDuplicates: true,
        select: { id: true, status: true },
      });
      const jobs = created.filter((r) => r.status === 'QUEUED').map((r) => ({ name: SEND, data: { id: r.id }, opts: jobOpts(r.id) }));
      if (jobs.length) await queue().addBulk(jobs);
      return created.length;
    },

    /**
     * Sends at once, for callers with their own retry schedule (the pager): the attempt is
     * recorded on the row of `dedupKey` like a queued one, so the log shows pages too.
     */
    async sendNow(m: OutgoingMailInput & { to: string }): Promise<'sent'> {
      const row = await db.outgoingMail.upsert({
        where: { dedupKey: m.dedupKey },
        create: {
          dedupKey: m.dedupKey,
          kind: m.kind,
          customerId: m.customerId ?? null,
          fromAddress: m.from,
          toAddress: m.to,
          subject: m.subject,
          body: m.text,
        },
        update: { status: 'QUEUED' },
      });
      await attempt(row.id, true);
      return 'sent';
    },

    async list(filter: MailFilter, q: { limit: number; cursor?: string | undefined }) {
      const { cursorWhere, orderBy, take } = pageArgs(q);
      const rows = await db.outgoingMail.findMany({ where: { AND: [filter, cursorWhere] }, orderBy, take });
      return page(rows, q.limit, mailView);
    },

    async get(id: string): Promise<MailView> {
      const row = await db.outgoingMail.findUnique({ where: { id } });
      if (!row) throw notFound('Mail');
      return mailView(row);
    },

    /** The message as an RFC 822 file: the one written to disk, else built again from the row. */
    async eml(id: string): Promise<Buffer> {
      const row = await db.outgoingMail.findUnique({ where: { id } });
      if (!row) throw notFound('Mail');
      const stored = row.file ? await mailer.readEml(row.file) : null;
      if (stored) return stored;
      if (!row.toAddress) throw notFound('Message file');
      return mailer.build(await messageOf(row));
    },

    /** Sends a FAILED message again (a fresh round of attempts); audited. */
    async retry(who: MailActor, id: string): Promise<MailView> {
      const res = await db.outgoingMail.updateMany({ where: { id, status: 'FAILED' }, data: { status: 'QUEUED' } });
      if (res.count > 0) {
        await d.audit.record({
          actor: who.actor,
          action: 'mail.retried',
          entityType: 'outgoing-mail',
          entityId: id,
          requestId: who.requestId,
        });
      } else {
        const row = await db.outgoingMail.findUnique({ where: { id }, select: { status: true } });
        if (!row) throw notFound('Mail');
        throw conflict(`Only a FAILED message can be sent again (this one is ${row.status})`);
      }
      // One job id per message, so the stale sweep can never queue a second copy: the failed job goes first.
      await queue().remove(id);
      await queue().add(SEND, { id }, jobOpts(id));
      const row = await db.outgoingMail.findUniqueOrThrow({ where: { id } });
      return mailView(row);
    },

    /**
     * Queues again messages never attempted long after they were recorded (a crash between the
     * insert and the enqueue, Redis lost its data). Messages in their retry backoff have attempts.
     */
    async requeueStale(olderThanMs = 120_000): Promise<number> {
      const rows = await db.outgoingMail.findMany({
        where: { status: 'QUEUED', attempts: 0, createdAt: { lt: new Date(Date.now() - olderThanMs) }, toAddress: { not: null } },
        select: { id: true },
        take: 1000,
      });
      // A job that still exists under the same id (waiting, delayed for its next attempt) makes the add a no-op.
      if (rows.length) await queue().addBulk(rows.map((r) => ({ name: SEND, data: { id: r.id }, opts: jobOpts(r.id) })));
      return rows.length;
    },

    /** Worker role: sends queued messages. */
    startWorker(concurrency = 4): { stop(): Promise<void> } {
      const worker = new Worker(
        QUEUE.mail,
        async (job: Job<{ id: string }>) => attempt(job.data.id, job.attemptsMade + 1 >= (job.opts.attempts ?? 1)),
        { connection: d.queues.connection, prefix: d.queues.prefix, concurrency },
      );
      worker.on('failed', (j, err) => log.warn({ mailId: j?.data.id, attempts: j?.attemptsMade, err: err.message }, 'mail send failed'));
      worker.on('error', (err) => log.warn({ err: err.message }, 'mail worker error'));
      return {
        stop: async () => {
          await worker.close();
          mailer.close();
        },
      };
    },
  };
}

export type MailOutbox = ReturnType<typeof createMailOutbox>;
