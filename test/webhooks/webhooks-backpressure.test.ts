import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { type Receiver, startReceiver, waitFor } from '../helpers/webhook-receiver.js';

// One customer endpoint that never answers next to a healthy one: the healthy one keeps getting
// every event at once, the hanging one's lag shows in the API and /metrics, and its customer is
// told with an endpoint.lagging event.
let sys: TestSystem;
const receivers: Receiver[] = [];
beforeAll(async () => {
  sys = await startTestSystem('all', { WEBHOOK_TIMEOUT_MS: '20000', WEBHOOK_LAG_ALERT_SEC: '2' });
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await sys?.stop();
});

describe('webhook back-pressure', () => {
  it('a hanging endpoint delays no other endpoint, and its lag is shown and announced', async () => {
    const { db, events } = sys.services;
    const customerId = (await db.customer.create({ data: { kind: 'END_USER', name: 'Mixed fleet' } })).id;
    const user = await loginAs(sys.services, sys.app!, 'CUSTOMER', customerId);
    const hanging = await startReceiver(() => ({ status: 200, delayMs: 60_000 }));
    const healthy = await startReceiver();
    const watcher = await startReceiver();
    receivers.push(hanging, healthy, watcher);
    const create = async (payload: Record<string, unknown>) => {
      const res = await sys.app!.inject({ method: 'POST', url: '/api/v1/webhook-endpoints', headers: user.headers, payload });
      expect(res.statusCode, res.body).toBe(201);
      return (res.json() as { id: string }).id;
    };
    const hangingId = await create({ url: hanging.url, eventTypes: ['device.uplink'], maxConcurrency: 2 });
    const healthyId = await create({ url: healthy.url, eventTypes: ['device.uplink'], maxConcurrency: 2 });
    await create({ url: watcher.url, eventTypes: ['endpoint.lagging'] });

    await events.emitNow(
      Array.from({ length: 40 }, (_, i) => ({ type: 'device.uplink', customerId, deviceId: null, payload: { serial: 'M-1', seq: i } })),
    );
    // Every event reaches the healthy endpoint while the hanging one holds its two requests open.
    await waitFor(() => healthy.received.length === 40, 'all 40 at the healthy endpoint', 10_000);
    expect(hanging.received).toHaveLength(0);
    expect(hanging.maxInFlight).toBeLessThanOrEqual(2);

    type Shown = { id: string; lagSeconds: number };
    const shown = async (id: string) =>
      (await sys.app!.inject({ url: `/api/v1/webhook-endpoints/${id}`, headers: user.headers })).json() as Shown;
    await waitFor(async () => (await shown(hangingId)).lagSeconds >= 2, 'lag shown', 10_000);
    await waitFor(async () => (await shown(healthyId)).lagSeconds === 0, 'healthy endpoint caught up');
    const list = (await sys.app!.inject({ url: '/api/v1/webhook-endpoints', headers: user.headers })).json() as { items: Shown[] };
    expect(list.items.find((e) => e.id === hangingId)!.lagSeconds).toBeGreaterThanOrEqual(2);

    // The gauge is read at scrape time: scrape until it has caught up with what the API showed.
    const lagLine = async () =>
      (await (await fetch(sys.metricsUrl!)).text())
        .split('\n')
        .find((l) => l.startsWith(`nx_webhook_endpoint_lag_seconds{endpoint="${hangingId}"}`));
    await waitFor(async () => Number((await lagLine())?.split(' ')[1]) >= 2, 'lag in /metrics', 10_000);
    const metrics = await (await fetch(sys.metricsUrl!)).text();
    expect(metrics).not.toContain(`endpoint="${healthyId}"`);

    // The customer hears about it once, on its watcher endpoint.
    await waitFor(() => watcher.received.length >= 1, 'endpoint.lagging event', 15_000);
    const body = JSON.parse(watcher.received[0]!.body) as { type: string; data: { endpointId: string; lagSeconds: number } };
    expect(body.type).toBe('endpoint.lagging');
    expect(body.data.endpointId).toBe(hangingId);
    expect(body.data.lagSeconds).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 6_000));
    expect(watcher.received).toHaveLength(1);
  }, 60_000);
});
