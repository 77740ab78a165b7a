// BullMQ adapters of billing: the run flow (one parent per run on QUEUE.billing, one child per
// contract on QUEUE.billingContracts), its workers, and the monthly and daily schedules.
import { FlowProducer, Job, Worker } from 'bullmq';
import { z } from 'zod';
import type { Logger } from '../src/platform/logger.js';
import { QUEUE, type Queues } from '../src/platform/queues.js';
import type { Scheduler } from '../src/platform/scheduler.js';
import type { BillingFlow, BillingRunService } from './billing-run.service.js';
import type { CommissionService } from './commission.service.js';
import type { DunningService } from './dunning.service.js';
import { periodOf, shiftPeriod } from './period.js';

const runJob = z.object({ runId: z.string().uuid(), period: z.string() });
const contractJob = runJob.extend({ contractId: z.string().uuid() });
const parentJobId = (runId: string) => `run-${runId}`;

export function createBillingFlow(queues: Queues): BillingFlow & { close(): Promise<void> } {
  let producer: FlowProducer | null = null;
  return {
    async enqueue(runId, period, contractIds) {
      if (!producer) {
        producer = new FlowProducer({ connection: queues.connection, prefix: queues.prefix });
        producer.on('error', (err) => queues.log?.warn({ err: err.message }, 'billing flow connection error'));
      }
      await producer.add({
        name: 'billing-run',
        queueName: QUEUE.billing,
        data: { runId, period },
        opts: {
          jobId: parentJobId(runId),
          attempts: 3,
          backoff: { type: 'exponential', delay: 5_000 },
          removeOnComplete: { age: 7 * 86_400 },
          removeOnFail: { age: 30 * 86_400 },
        },
        children: contractIds.map((contractId) => ({
          name: 'bill-contract',
          queueName: QUEUE.billingContracts,
          data: { runId, period, contractId },
          opts: {
            jobId: `${runId}-${contractId}`,
            attempts: 3,
            backoff: { type: 'exponential', delay: 2_000 },
            // A contract that keeps failing is counted as failed; the run still finishes.
            ignoreDependencyOnFailure: true,
            removeOnComplete: true,
            removeOnFail: { age: 30 * 86_400 },
          },
        })),
      });
    },
    async reportProgress(runId, processed, total) {
      const job = await Job.fromId(queues.get(QUEUE.billing), parentJobId(runId));
      await job?.updateProgress({ processed, total, percent: total ? Math.floor((processed * 100) / total) : 100 });
    },
    async close() {
      await producer?.close();
    },
  };
}

export interface BillingWorkerDeps {
  queues: Queues;
  log: Logger;
  scheduler: Scheduler;
  billingRuns: BillingRunService;
  dunning: DunningService;
  commissions: CommissionService;
  timeZone: string;
  graceHours: number;
  concurrency: number;
  /** Called whenever a billing job completes. */
  onProgress?: () => void;
}

/** Cron for the monthly run: the grace time after local midnight on the 1st. */
export function monthlyPattern(graceHours: number): string {
  const day = Math.min(28, 1 + Math.floor(graceHours / 24));
  return `0 ${graceHours % 24} ${day} * *`;
}

export function startBillingWorkers(d: BillingWorkerDeps): { stop(): Promise<void> } {
  const log = d.log.child({ component: 'billing-jobs' });
  const connection = d.queues.connection;
  const prefix = d.queues.prefix;

  const contracts = new Worker(
    QUEUE.billingContracts,
    async (job) => {
      const { runId, period, contractId } = contractJob.parse(job.data);
      const outcome = await d.billingRuns.processContract(runId, period, contractId);
      return { outcome: outcome.kind };
    },
    { connection, prefix, concurrency: d.concurrency },
  );
  contracts.on('failed', (job, err) => {
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    const { runId, contractId } = contractJob.parse(job.data);
    void d.billingRuns
      .contractFailed(runId, contractId, err.message)
      .catch((e: Error) => log.error({ err: e.message }, 'could not record failure'));
  });
  contracts.on('error', (err) => log.warn({ err: err.message }, 'billing contract worker error'));
  contracts.on('completed', () => d.onProgress?.());

  const runs = new Worker(
    QUEUE.billing,
    async (job) => {
      const { runId } = runJob.parse(job.data);
      const run = await d.billingRuns.finish(runId);
      return { status: run?.status, invoicesCreated: run?.invoicesCreated };
    },
    { connection, prefix, concurrency: 2 },
  );
  runs.on('error', (err) => log.warn({ err: err.message }, 'billing run worker error'));
  runs.on('completed', () => d.onProgress?.());
  runs.on('failed', (job, err) => {
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    const { runId } = runJob.parse(job.data);
    void d.billingRuns.runFailed(runId, err.message).catch((e: Error) => log.error({ err: e.message }, 'could not record run failure'));
  });

  d.scheduler.register({
    name: 'billing.monthly',
    pattern: monthlyPattern(d.graceHours),
    tz: d.timeZone,
    handler: async () => {
      // Runs in the grace time after the month ended: bill the month before this one.
      const period = shiftPeriod(periodOf(new Date(), d.timeZone), -1);
      const { run, created } = await d.billingRuns.start({ actor: null }, period);
      // Collections of that month are complete too: freeze the contractors' statements.
      const statements = await d.commissions.generate({ actor: null }, period);
      return { runId: run.id, created, commissionStatements: statements.items.length };
    },
  });
  d.scheduler.register({
    name: 'billing.dunning',
    pattern: '0 6 * * *',
    tz: d.timeZone,
    handler: async () => d.dunning.run(new Date()),
  });

  return {
    async stop() {
      await Promise.all([contracts.close(), runs.close()]);
    },
  };
}
