// A background loop with work that does not advance is named: /readyz turns degraded, the
// metric and the log say which loop, and staff see it in the overview (customers do not).

import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '../../src/app/system.js';
import { loginAs } from '../helpers/api.js';
import { startPeerSystem, startTestSystem, type TestSystem } from '../helpers/system.js';
import { createContract } from '../helpers/terminals.js';
import { waitFor } from '../helpers/webhook-receiver.js';

let sys: TestSystem;
const lines: string[] = [];
beforeAll(async () => {
  // The API alone: no worker process relays the outbox, so events wait and the relay is stalled.
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  sys = await startTestSystem('api', { LOOP_STALL_SEC: '1', LOG_LEVEL: 'info' }, sink);
});
afterAll(async () => {
  await sys?.stop();
});

describe('stalled background loops', () => {
  it('names the stalled outbox relay in /readyz, the metrics, the log and the overview, and clears once a worker relays', async () => {
    const app = sys.app!;
    expect((await app.inject({ url: '/readyz' })).json()).toMatchObject({ stalled: [] });
    await sys.services.events.emitNow([{ type: 'test.waiting', customerId: null, deviceId: null, payload: {} }]);

    const ready = await waitFor(
      async () => {
        const r = (await app.inject({ url: '/readyz' })).json() as { status: string; stalled: string[] };
        return r.stalled.includes('outbox-relay') ? r : null;
      },
      'readyz naming the outbox relay',
      10_000,
    );
    expect(ready.status).toBe('degraded');
    await waitFor(() => lines.some((l) => l.includes('background loop outbox-relay is stalled')), 'the log line', 10_000);
    const metrics = await (await fetch(sys.metricsUrl!)).text();
    expect(metrics).toMatch(/nx_background_loop_stalled\{loop="outbox-relay"\} 1/);

    const staff = await loginAs(sys.services, app, 'OPS');
    const overview = (await app.inject({ url: '/api/v1/overview', headers: staff.headers })).json() as {
      stalledLoops: { loop: string; pendingAgeSec: number }[];
    };
    expect(overview.stalledLoops.map((l) => l.loop)).toContain('outbox-relay');
    const { customer } = await createContract(sys.services);
    const enduser = await loginAs(sys.services, app, 'CUSTOMER', customer.id);
    const theirs = (await app.inject({ url: '/api/v1/overview', headers: enduser.headers })).json() as { stalledLoops: unknown[] };
    expect(theirs.stalledLoops).toEqual([]);

    // A worker process starts relaying: the stall clears.
    let worker: System | null = null;
    try {
      worker = await startPeerSystem(sys, 'worker', { LOOP_STALL_SEC: '1' });
      await waitFor(
        async () => ((await app.inject({ url: '/readyz' })).json() as { status: string }).status === 'ready',
        'readyz ready again',
        15_000,
      );
    } finally {
      await worker?.stop();
    }
  });
});
