import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '../../src/app/system.js';
import { loginAs } from '../helpers/api.js';
import { startPeerSystem, startTestSystem, type TestSystem } from '../helpers/system.js';
import { type Receiver, startReceiver, waitFor } from '../helpers/webhook-receiver.js';

// The API and the worker in separate processes, as deployed: endpoint changes made through the
// API must reach the worker's fan-out at once, not when its cached copy expires.
let api: TestSystem;
let worker: System;
let receiver: Receiver;
beforeAll(async () => {
  api = await startTestSystem('api');
  worker = await startPeerSystem(api, 'worker');
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await worker?.stop();
  await api?.stop();
});

const seqs = () => receiver.received.map((r) => (JSON.parse(r.body) as { data: { seq: number } }).data.seq);

describe('webhooks across processes', () => {
  it('sends the first event after an endpoint is created, and none after it is disabled', async () => {
    const app = api.app!;
    const { db, events } = api.services;
    const customerId = (await db.customer.create({ data: { kind: 'END_USER', name: 'Split fleet' } })).id;
    const emit = (seq: number) => events.emitNow([{ type: 'device.uplink', customerId, deviceId: null, payload: { serial: 'S-1', seq } }]);
    const handled = async (seq: number) => {
      await waitFor(
        async () => (await db.outboxEvent.count({ where: { payload: { path: ['seq'], equals: seq }, relayedAt: { not: null } } })) === 1,
        `event ${seq} relayed`,
      );
      await new Promise((r) => setTimeout(r, 300));
    };

    // The worker's fan-out now knows this customer as one without endpoints.
    await emit(1);
    await handled(1);

    const user = await loginAs(api.services, app, 'CUSTOMER', customerId);
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/webhook-endpoints',
      headers: user.headers,
      payload: { url: receiver.url },
    });
    expect(created.statusCode, created.body).toBe(201);
    await emit(2);
    await waitFor(() => receiver.received.length >= 1, 'event 2 delivered');
    expect(seqs()).toEqual([2]);

    const id = (created.json() as { id: string }).id;
    const disabled = await app.inject({
      method: 'PATCH',
      url: `/api/v1/webhook-endpoints/${id}`,
      headers: user.headers,
      payload: { enabled: false },
    });
    expect(disabled.statusCode, disabled.body).toBe(200);
    await emit(3);
    await handled(3);
    expect(seqs()).toEqual([2]);
    expect(await db.webhookDelivery.count({ where: { endpointId: id } })).toBe(1);
  });
});
