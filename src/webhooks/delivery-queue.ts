import { QUEUE, type Queues } from '../platform/queues.js';
import type { DeliveryJob } from './webhooks.schemas.js';

/**
 * Producer side of QUEUE.webhooks. The job id names the delivery and the attempt, so adding
 * the same attempt twice (a retried event job, the sweeper) queues it once.
 */
export function createDeliveryQueue(queues: Queues) {
  const queue = () => queues.get(QUEUE.webhooks);
  const jobId = (j: Pick<DeliveryJob, 'deliveryId' | 'attemptNo' | 'batchId'>) => `${j.batchId ?? j.deliveryId}.${j.attemptNo}`;
  return {
    jobId,
    async add(jobs: { job: DeliveryJob; delayMs?: number }[]): Promise<void> {
      if (jobs.length === 0) return;
      await queue().addBulk(
        jobs.map(({ job, delayMs }) => ({
          name: 'deliver',
          data: job,
          opts: {
            jobId: jobId(job),
            ...(delayMs && delayMs > 0 ? { delay: Math.round(delayMs) } : {}),
            // Retries here cover our own failures (database down); HTTP failures follow the schedule.
            attempts: 5,
            backoff: { type: 'exponential', delay: 2_000 },
            // Dedup by job id matters only while an attempt waits or runs; once it has run the
            // delivery's attemptCount has moved on. Removing finished jobs lets a skipped attempt
            // (endpoint disabled, then recovered) be queued again under the same id.
            removeOnComplete: true,
            removeOnFail: true,
          },
        })),
      );
    },
    /** Runs a waiting retry now (replay of a pending delivery); false if there was none. */
    async promote(j: Pick<DeliveryJob, 'deliveryId' | 'attemptNo'>): Promise<boolean> {
      const job = await queue().getJob(jobId(j));
      if (!job || !(await job.isDelayed())) return false;
      await job.promote();
      return true;
    },
  };
}

export type DeliveryQueue = ReturnType<typeof createDeliveryQueue>;
