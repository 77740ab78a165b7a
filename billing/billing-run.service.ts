// Billing runs: one row per attempt to bill a period, fanned out as one job per contract.
// Starting a run for a period that already has a run in progress returns that run, and a new
// run over a billed period issues nothing new (the invoice unique index), so it is safe to
// press the button twice or retry.
import type { Redis } from 'ioredis';
import type { AuditService } from '../src/audit/index.js';
import type { SystemCtx as Ctx } from '../src/auth/index.js';
import { createBatcher } from '../src/platform/batcher.js';
import type { Db } from '../src/platform/database.js';
import { invalid, notFound } from '../src/platform/errors.js';
import type { Logger } from '../src/platform/logger.js';
import { billingRunView } from './billing-run.view.js';
import type { InvoiceIssuer, IssueOutcome } from './invoice-issuer.js';
import { isPeriod, periodBounds } from './period.js';

interface ContractJob {
  runId: string;
  period: string;
  contractId: string;
}

// Concurrent contract jobs share drafting transactions of up to MAX_BATCH contracts, at most
// MAX_IN_FLIGHT at once (one per core here: the marking statement is CPU-bound in Postgres).
// With BILLING_CONCURRENCY 128 both batches run full; on the 20k-contract bench (billing/README.md)
// concurrency 32 and 64 (smaller batches) took 28-29 s, 128 and 256 took 20-21 s.
const MAX_BATCH = 64;
const MAX_IN_FLIGHT = 2;
const REFRESH_EVERY = 500;

export interface BillingFlow {
  enqueue(runId: string, period: string, contractIds: string[]): Promise<void>;
  reportProgress(runId: string, processed: number, total: number): Promise<void>;
}

export function createBillingRunService(deps: {
  db: Db;
  redis: Redis;
  prefix: string;
  audit: AuditService;
  issuer: InvoiceIssuer;
  flow: BillingFlow;
  timeZone: string;
  log: Logger;
}) {
  const { db, redis, audit, issuer, flow, timeZone } = deps;
  // Live counters of a running run live in Redis: an UPDATE of the run row per contract would
  // serialise every contract job on that row's lock; the row is refreshed every 500 contracts.
  const counterKey = (runId: string) => `${deps.prefix}:billing-run:${runId}`;
  const log = deps.log.child({ component: 'billing-run' });

  /** Contracts that may owe something for the period. */
  async function contractsFor(period: string): Promise<string[]> {
    const b = periodBounds(period, timeZone);
    const rows = await db.contract.findMany({
      where: {
        startDate: { lt: b.end },
        OR: [{ status: { in: ['ACTIVE', 'SUSPENDED'] } }, { status: 'TERMINATED', endDate: { gte: b.start } }],
      },
      select: { id: true },
      orderBy: { id: 'asc' },
    });
    return rows.map((r) => r.id);
  }

  /** Adds a batch's contracts to the run's counters; refreshes the run row each time the count crosses a multiple of 500. */
  async function countProcessed(runId: string, data: { processed: number; created?: number; failed?: number }) {
    if (data.processed === 0) return;
    const key = counterKey(runId);
    const m = redis.multi().hincrby(key, 'processed', data.processed);
    if (data.created) m.hincrby(key, 'created', data.created);
    if (data.failed) m.hincrby(key, 'failed', data.failed);
    m.expire(key, 7 * 86_400);
    const res = await m.exec();
    const processed = Number(res?.[0]?.[1] ?? 0);
    if (Math.floor(processed / REFRESH_EVERY) > Math.floor((processed - data.processed) / REFRESH_EVERY)) {
      const c = await counters(runId);
      // GREATEST: two refreshes may commit out of order; the row never goes backwards.
      const rows = await db.$queryRaw<{ totalContracts: number }[]>`
        UPDATE "BillingRun" SET "processedContracts" = GREATEST("processedContracts", ${c.processed}),
          "invoicesCreated" = GREATEST("invoicesCreated", ${c.created}), "failedContracts" = GREATEST("failedContracts", ${c.failed})
        WHERE "id" = ${runId}::uuid AND "status" = 'RUNNING' RETURNING "totalContracts"`;
      if (rows[0]) await progress(runId, processed, rows[0].totalContracts);
    }
  }

  /**
   * Drafts one run's contracts in one transaction and counts them in one Redis round trip.
   * Counted after the drafting commit, so the hot run row is not locked inside it. A retry of a
   * contract this run already invoiced is not counted again, nor is a contract whose drafting
   * failed (its job retries; `contractFailed` counts it once it fails for good); `finish`
   * settles the totals.
   */
  async function draftBatch(runId: string, period: string, contractIds: string[]): Promise<PromiseSettledResult<IssueOutcome>[]> {
    const results = await issuer.draftMany(period, runId, contractIds);
    let processed = 0;
    let created = 0;
    for (const r of results) {
      if (r.status !== 'fulfilled' || (r.value.kind === 'exists' && r.value.billingRunId === runId)) continue;
      processed++;
      if (r.value.kind === 'created') created++;
    }
    await countProcessed(runId, { processed, created });
    return results;
  }

  // Concurrent contract jobs of this process share drafting transactions; each job still
  // succeeds or fails on its own contract's result.
  const draft = createBatcher<ContractJob, PromiseSettledResult<IssueOutcome>>(
    async (jobs) => {
      const groups = new Map<string, { runId: string; period: string; at: number[] }>();
      jobs.forEach((j, i) => {
        const k = `${j.runId}/${j.period}`;
        const g = groups.get(k) ?? { runId: j.runId, period: j.period, at: [] };
        g.at.push(i);
        groups.set(k, g);
      });
      const out: PromiseSettledResult<IssueOutcome>[] = new Array(jobs.length);
      await Promise.all(
        [...groups.values()].map(async (g) => {
          const results = await draftBatch(
            g.runId,
            g.period,
            g.at.map((i) => jobs[i]!.contractId),
          );
          for (const [k, i] of g.at.entries()) out[i] = results[k]!;
        }),
      );
      return out;
    },
    { maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT },
  );

  async function counters(runId: string) {
    const h = await redis.hgetall(counterKey(runId));
    return { processed: Number(h.processed ?? 0), created: Number(h.created ?? 0), failed: Number(h.failed ?? 0) };
  }

  async function progress(runId: string, processed: number, total: number) {
    log.info({ runId, processed, total }, 'billing run progress');
    await flow.reportProgress(runId, processed, total).catch(() => {});
  }

  return {
    async start(ctx: Ctx, period: string, now = new Date()) {
      if (!isPeriod(period)) throw invalid('period must be YYYY-MM', [{ path: 'period', message: 'Expected YYYY-MM' }]);
      const b = periodBounds(period, timeZone);
      if (b.end > now)
        throw invalid(`Period ${period} has not ended yet; use the invoice preview for the current period`, [
          { path: 'period', message: 'Not closed' },
        ]);
      const contractIds = await contractsFor(period);
      const started = await db.$transaction(async (tx) => {
        // Two starts of one period at once (double click, two schedulers) make one run.
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`billing-run:${period}`}))`;
        const active = await tx.billingRun.findFirst({
          where: { period, status: { in: ['PENDING', 'RUNNING'] } },
          orderBy: { createdAt: 'desc' },
        });
        if (active) return { row: active, created: false };
        const row = await tx.billingRun.create({
          data: {
            period,
            status: 'RUNNING',
            startedAt: new Date(),
            totalContracts: contractIds.length,
            createdById: ctx.actor?.userId ?? null,
          },
        });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'billing_run.started',
            entityType: 'billing_run',
            entityId: row.id,
            after: row,
          },
          tx,
        );
        return { row, created: true };
      });
      if (!started.created) return { run: billingRunView(started.row), created: false };
      const run = started.row;
      log.info({ runId: run.id, period, contracts: contractIds.length }, 'billing run started');
      try {
        await flow.enqueue(run.id, period, contractIds);
      } catch (err) {
        await db.billingRun.update({
          where: { id: run.id },
          data: { status: 'FAILED', error: `enqueue failed: ${(err as Error).message}`, finishedAt: new Date() },
        });
        throw err;
      }
      return { run: billingRunView((await db.billingRun.findUnique({ where: { id: run.id } }))!), created: true };
    },

    async get(id: string) {
      const run = await db.billingRun.findUnique({ where: { id } });
      if (!run) throw notFound('Billing run');
      if (run.status !== 'RUNNING') return billingRunView(run);
      const c = await counters(id);
      return billingRunView({
        ...run,
        processedContracts: Math.max(run.processedContracts, c.processed),
        invoicesCreated: Math.max(run.invoicesCreated, c.created),
        failedContracts: Math.max(run.failedContracts, c.failed),
      });
    },

    async list(filter: { period?: string; limit: number }) {
      const rows = await db.billingRun.findMany({
        where: { period: filter.period },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: filter.limit,
      });
      return rows.map(billingRunView);
    },

    /** One contract of a run; idempotent, so BullMQ may retry it freely. */
    async processContract(runId: string, period: string, contractId: string): Promise<IssueOutcome> {
      const result = await draft({ runId, period, contractId });
      if (result.status === 'rejected') throw result.reason;
      return result.value;
    },

    async contractFailed(runId: string, contractId: string, error: string) {
      log.error({ runId, contractId, error }, 'contract could not be billed');
      await countProcessed(runId, { processed: 1, failed: 1 });
    },

    /** Finishing failed for good (e.g. the database was away): the run ends FAILED; drafts stay for a rerun. */
    async runFailed(runId: string, error: string) {
      log.error({ runId, error }, 'billing run failed');
      await db.billingRun.update({
        where: { id: runId },
        data: { status: 'FAILED', error: `finishing failed: ${error}`, finishedAt: new Date() },
      });
    },

    /** The flow's parent: runs once every contract job has finished or failed for good. */
    async finish(runId: string) {
      const run = await db.billingRun.findUnique({ where: { id: runId } });
      if (!run) return;
      // Issue the period's drafts: legal numbers, dates and events, in one transaction.
      const issued = await issuer.finalize(run.period);
      const created = await db.invoice.count({ where: { billingRunId: runId } });
      const c = await counters(runId);
      const failed = c.failed > 0;
      const done = await db.billingRun.update({
        where: { id: runId },
        data: {
          status: failed ? 'FAILED' : 'COMPLETED',
          invoicesCreated: created,
          // The parent runs only when every child has finished or failed for good.
          processedContracts: run.totalContracts,
          failedContracts: c.failed,
          finishedAt: new Date(),
          error: failed ? `${c.failed} contract(s) could not be billed; rerun the period to retry them` : null,
        },
      });
      await redis.del(counterKey(runId));
      log.info(
        {
          runId,
          period: run.period,
          invoices: created,
          issued,
          failed: c.failed,
          ms: done.finishedAt!.getTime() - (run.startedAt ?? run.createdAt).getTime(),
        },
        'billing run finished',
      );
      return done;
    },
  };
}

export type BillingRunService = ReturnType<typeof createBillingRunService>;
