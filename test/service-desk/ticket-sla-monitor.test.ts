import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE } from '../../src/platform/queues.js';
import { SLA_MONITOR_JOB } from '../../src/service-desk/index.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem('worker');
});
afterAll(async () => {
  await sys?.stop();
});

describe('SLA monitor on the shared scheduler', () => {
  it('is registered as a one-minute repeatable job of the worker role and marks overdue tickets', async () => {
    const { scheduler, queues, db, tickets } = sys.services;
    const scheduled = await queues.get(QUEUE.scheduler).getJobScheduler(SLA_MONITOR_JOB);
    expect(scheduled?.every).toBe(60_000);

    const { ticket } = await tickets.createAuto({ kind: 'GENERAL', subject: 'Overdue' });
    await db.ticket.update({ where: { id: ticket.id }, data: { firstResponseDueAt: new Date(Date.now() - 60_000) } });
    // The scheduled run may get there first (it fires right after start-up): either way it is marked once.
    const first = (await scheduler.runNow(SLA_MONITOR_JOB)) as { firstResponse: number };
    expect(first.firstResponse).toBeLessThanOrEqual(1);
    expect(await scheduler.runNow(SLA_MONITOR_JOB)).toEqual({ firstResponse: 0, resolution: 0 });
    const row = await db.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row.firstResponseBreached).toBe(true);
    expect(await db.outboxEvent.count({ where: { type: 'ticket.sla_breached' } })).toBe(1);
  });
});
