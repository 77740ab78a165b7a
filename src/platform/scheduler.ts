import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import { QUEUE, type Queues } from './queues.js';

/**
 * Repeatable housekeeping jobs share one BullMQ queue (QUEUE.scheduler). A BullMQ worker takes
 * any job of its queue, so one worker per process dispatches by job name to the handler its
 * domain registered; domains must not start their own worker on this queue.
 */
export interface ScheduledJob {
  /** Job and job-scheduler id, e.g. `billing.monthly`. */
  name: string;
  /** Cron pattern (with `tz`) or a fixed interval in ms. */
  pattern?: string;
  tz?: string;
  everyMs?: number;
  handler: (data: Record<string, unknown>) => Promise<unknown>;
}

export function createScheduler({ queues, log }: { queues: Queues; log: Logger }) {
  const jobs = new Map<string, ScheduledJob>();
  return {
    /** Call before `start`, from a domain's worker starter. */
    register(job: ScheduledJob): void {
      jobs.set(job.name, job);
    },

    /** Runs a registered job now, outside the schedule (tests, CLI). */
    async runNow(name: string, data: Record<string, unknown> = {}): Promise<unknown> {
      const job = jobs.get(name);
      if (!job) throw new Error(`no scheduled job ${name}`);
      return job.handler(data);
    },

    async start(): Promise<{ stop(): Promise<void> }> {
      const queue = queues.get(QUEUE.scheduler);
      const upsertAll = async () => {
        for (const job of jobs.values()) {
          const repeat = job.pattern ? { pattern: job.pattern, ...(job.tz ? { tz: job.tz } : {}) } : { every: job.everyMs ?? 60_000 };
          await queue.upsertJobScheduler(job.name, repeat, { name: job.name, opts: { removeOnComplete: 100, removeOnFail: 100 } });
        }
      };
      await upsertAll();
      // A Redis that restarted without its data has forgotten the schedules: declare them again on
      // every reconnect (upserting an existing schedule changes nothing).
      const client = (await queue.getBackend().client) as unknown as Redis;
      const redeclare = () =>
        void upsertAll().catch((err: Error) => log.warn({ err: err.message }, 'could not declare the scheduled jobs again'));
      client.on('ready', redeclare);
      const worker = new Worker(
        QUEUE.scheduler,
        async (j) => {
          const job = jobs.get(j.name);
          if (!job) {
            log.warn({ job: j.name }, 'no handler for scheduled job in this process');
            return;
          }
          return job.handler((j.data ?? {}) as Record<string, unknown>);
        },
        { connection: queues.connection, prefix: queues.prefix, concurrency: 1 },
      );
      worker.on('failed', (j, err) => log.warn({ job: j?.name, err: err.message }, 'scheduled job failed'));
      worker.on('error', (err) => log.warn({ err: err.message }, 'scheduler worker error'));
      return {
        stop: async () => {
          client.off('ready', redeclare);
          await worker.close();
        },
      };
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
