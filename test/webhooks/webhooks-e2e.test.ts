import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeUplink } from '../../gateway/codecs/index.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { adminCtx, connectTerminal, createContract, ensureModel, provisionTerminal } from '../helpers/terminals.js';
import { type Receiver, startReceiver, waitFor } from '../helpers/webhook-receiver.js';

// The whole path in one process: terminal -> MQTT gateway -> ingest transaction (outbox rows)
// -> relay -> events consumer -> webhook fan-out -> signed POST to the customer's receiver.
let sys: TestSystem;
const receivers: Receiver[] = [];
beforeAll(async () => {
  sys = await startTestSystem('all');
  await ensureModel(sys.services, 'NXE-200', { maxPayloadBytes: 64, rateLimitBurst: 1000, rateLimitPerMinute: 60000 });
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await sys?.stop();
});

describe('terminal to webhook', () => {
  it("delivers a terminal's uplink, signed, to its own customer only", async () => {
    const ctx = await adminCtx(sys.services);
    const a = await createContract(sys.services);
    const b = await createContract(sys.services);
    const ra = await startReceiver();
    const rb = await startReceiver();
    receivers.push(ra, rb);
    const epA = await sys.services.webhooks.endpoints.create(ctx, {
      customerId: a.customer.id,
      url: ra.url,
      eventTypes: ['device.uplink'],
      enabled: true,
      maxConcurrency: 4,
    });
    await sys.services.webhooks.endpoints.create(ctx, {
      customerId: b.customer.id,
      url: rb.url,
      eventTypes: [],
      enabled: true,
      maxConcurrency: 4,
    });

    const t = await provisionTerminal(sys.services, a.contract.id, 'NXE-200', 'Lift A');
    const c = await connectTerminal(sys.mqttPort!, t.serial, t.secret);
    const deviceTime = new Date('2026-11-25T08:00:00Z');
    await c.publishAsync(
      `nx/${t.serial}/up/telemetry`,
      encodeUplink({ type: 'elevator-telemetry', floor: 3, motion: 'up', door: 'closed', loadPercent: 40, tripCounter: 7 }, deviceTime),
      { qos: 1 },
    );
    await c.endAsync();

    await waitFor(() => ra.received.length >= 1, 'uplink webhook');
    const got = ra.received[0]!;
    const body = new Webhook(epA.secret).verify(got.body, got.headers) as { type: string; data: Record<string, unknown> };
    expect(body.type).toBe('device.uplink');
    expect(body.data).toMatchObject({
      serial: t.serial,
      label: 'Lift A',
      model: 'NXE-200',
      seq: 1,
      decoded: { type: 'elevator-telemetry', floor: 3, motion: 'up' },
      deviceTime: deviceTime.toISOString(),
    });
    expect(typeof body.data.payloadHex).toBe('string');
    await new Promise((r) => setTimeout(r, 300));
    // Customer B has a catch-all endpoint and still gets nothing of A's terminal.
    expect(rb.received.filter((r) => r.body.includes(t.serial))).toHaveLength(0);
  });
});
