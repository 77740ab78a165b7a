import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../src/events/index.js';
import { startOutboxRelay } from '../../src/events/outbox-relay.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

let sys: TestSystem;
const seen: EventEnvelope[] = [];
beforeAll(async () => {
  sys = await startTestSystem('worker');
  sys.services.events.onEvent('test-recorder', async (e) => {
    seen.push(e);
  });
});
afterAll(async () => {
  await sys?.stop();
});

const waitFor = async (pred: () => boolean, ms = 10_000) => {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('event outbox', () => {
  it('delivers an event only when its transaction commits, quickly and with a stable id', async () => {
    const { db, events } = sys.services;
    await expect(
      db.$transaction(async (tx) => {
        await events.emit(tx, [{ type: 'test.rolledback', customerId: null, deviceId: null, payload: {} }]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');

    const t0 = Date.now();
    await db.$transaction(async (tx) => {
      await events.emit(tx, [
        { type: 'test.committed', customerId: null, deviceId: null, payload: { n: 1, big: 10n } },
        { type: 'test.committed', customerId: null, deviceId: null, payload: { n: 2 } },
      ]);
    });
    await waitFor(() => seen.filter((e) => e.type === 'test.committed').length === 2);
    const got = seen.filter((e) => e.type === 'test.committed');
    // The relay was woken by NOTIFY at commit, not by the 1 s fallback poll (database clock on both sides).
    // Consumers may see the job before the relay's own transaction (which stamps relayedAt) commits.
    let rows = await db.outboxEvent.findMany({ where: { type: 'test.committed' } });
    for (let i = 0; i < 50 && rows.some((r) => !r.relayedAt); i++) {
      await new Promise((r) => setTimeout(r, 20));
      rows = await db.outboxEvent.findMany({ where: { type: 'test.committed' } });
    }
    for (const r of rows) expect(r.relayedAt!.getTime() - r.createdAt.getTime()).toBeLessThan(900);
    expect(got.map((e) => e.payload)).toEqual([{ n: 1, big: 10 }, { n: 2 }]);
    expect(got[0]!.id).toMatch(/^evt_\d+$/);
    expect(new Date(got[0]!.occurredAt).getTime()).toBeGreaterThan(t0 - 60_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.some((e) => e.type === 'test.rolledback')).toBe(false);
  });

  it('hands every event to consumers exactly once with several relays running', async () => {
    const { events } = sys.services;
    const extra = [events.startRelay({ batchSize: 7 }), events.startRelay({ batchSize: 13 })];
    try {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          events.emitNow(
            Array.from({ length: 10 }, (_, j) => ({ type: 'test.many', customerId: null, deviceId: null, payload: { i, j } })),
          ),
        ),
      );
      await waitFor(() => seen.filter((e) => e.type === 'test.many').length >= 300);
      await new Promise((r) => setTimeout(r, 300));
      const ids = seen.filter((e) => e.type === 'test.many').map((e) => e.id);
      expect(ids).toHaveLength(300);
      expect(new Set(ids).size).toBe(300);
      const left = await sys.services.db.outboxEvent.count({ where: { relayedAt: null } });
      expect(left).toBe(0);
    } finally {
      await Promise.all(extra.map((r) => r.stop()));
    }
  });

  it('keeps events in the outbox while the queue is unreachable', async () => {
    const { db, events, log } = sys.services;
    // A relay whose Redis is down claims nothing for good: its transactions roll back.
    const deadQueue = new Queue('events', { connection: { host: '127.0.0.1', port: 1, maxRetriesPerRequest: 1, retryStrategy: () => 50 } });
    deadQueue.on('error', () => {});
    const dead = startOutboxRelay({ databaseUrl: sys.databaseUrl, queue: deadQueue, log, pollMs: 50 });
    try {
      await events.emitNow([{ type: 'test.survives', customerId: null, deviceId: null, payload: {} }]);
      await waitFor(() => seen.some((e) => e.type === 'test.survives'));
      expect(seen.filter((e) => e.type === 'test.survives')).toHaveLength(1);
      // The relay marks rows after queueing them, so the consumer may see an event a moment before.
      const left = async () => db.outboxEvent.count({ where: { relayedAt: null } });
      const until = Date.now() + 5_000;
      while ((await left()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(await left()).toBe(0);
    } finally {
      await dead.stop();
      await deadQueue.close().catch(() => {});
    }
  });
});
