import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonReplacer } from '../../src/platform/json.js';
import { createWebhookSender } from '../../src/webhooks/http-sender.js';
import { assertPublicTarget } from '../../src/webhooks/ssrf-guard.js';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { type Receiver, startReceiver, waitFor } from '../helpers/webhook-receiver.js';

// Retry delays x 0.0001: 0, 0.5 ms, 30 ms, 180 ms, 0.7 s, 1.8 s, 3.6 s, 3.6 s.
let sys: TestSystem;
let staff: { headers: { authorization: string } };
let custA: string;
let custB: string;
let userA: { headers: { authorization: string } };
const receivers: Receiver[] = [];

beforeAll(async () => {
  sys = await startTestSystem('all', { WEBHOOK_RETRY_SCALE: '0.0001' });
  const app = sys.app!;
  const sales = await loginAs(sys.services, app, 'SALES');
  const mk = async (name: string) =>
    (
      (
        await app.inject({ method: 'POST', url: '/api/v1/customers', headers: sales.headers, payload: { kind: 'END_USER', name } })
      ).json() as { id: string }
    ).id;
  custA = await mk('Fleet A');
  custB = await mk('Fleet B');
  staff = await loginAs(sys.services, app, 'OPS');
  userA = await loginAs(sys.services, app, 'CUSTOMER', custA);
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await sys?.stop();
});

async function receiver(...args: Parameters<typeof startReceiver>) {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

interface Created {
  id: string;
  secret: string;
  enabled: boolean;
}

async function createEndpoint(headers: { authorization: string }, payload: Record<string, unknown>): Promise<Created> {
  const res = await sys.app!.inject({ method: 'POST', url: '/api/v1/webhook-endpoints', headers, payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Created;
}

const emit = (customerId: string, type: string, payload: Record<string, unknown>) =>
  sys.services.events.emitNow([{ type, customerId, deviceId: null, payload }]);

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, headers = staff.headers) =>
  sys.app!.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

describe('webhooks', () => {
  it("signs each customer's events for its own endpoints only, and shows the secret once", async () => {
    const ra = await receiver();
    const rb = await receiver();
    const rFault = await receiver();
    const epA = await createEndpoint(userA.headers, { url: ra.url, description: 'A systems' });
    const epB = await createEndpoint(staff.headers, { url: rb.url, customerId: custB });
    await createEndpoint(userA.headers, { url: rFault.url, eventTypes: ['device.fault'] });
    expect(epA.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const doc = (await sys.app!.inject({ url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/webhook-endpoints/{id}/recover', '/api/v1/webhook-deliveries/{id}/replay']),
    );

    const shown = (await api('GET', `/webhook-endpoints/${epA.id}`, undefined, userA.headers)).json() as Record<string, unknown>;
    expect(shown.url).toBe(ra.url);
    expect(JSON.stringify(shown)).not.toContain('whsec_');
    expect((await api('GET', `/webhook-endpoints/${epB.id}`, undefined, userA.headers)).statusCode).toBe(404);
    const list = (await api('GET', '/webhook-endpoints', undefined, userA.headers)).json() as { items: { customerId: string }[] };
    expect(list.items.every((e) => e.customerId === custA)).toBe(true);

    await emit(custA, 'device.uplink', { serial: 'A-1', seq: 1, decoded: { speedKmh: 42 } });
    await emit(custB, 'device.uplink', { serial: 'B-1', seq: 1 });
    await waitFor(() => ra.received.length >= 1 && rb.received.length >= 1, 'both deliveries');
    await new Promise((r) => setTimeout(r, 300));

    expect(ra.received).toHaveLength(1);
    const got = ra.received[0]!;
    const verified = new Webhook(epA.secret).verify(got.body, got.headers) as { type: string; data: Record<string, unknown> };
    expect(verified.type).toBe('device.uplink');
    expect(verified.data).toMatchObject({ serial: 'A-1', seq: 1, decoded: { speedKmh: 42 } });
    expect(got.headers['webhook-id']).toMatch(/^evt_\d+$/);
    expect(() => new Webhook(epB.secret).verify(got.body, got.headers)).toThrow();
    expect(rb.received.map((r) => (JSON.parse(r.body) as { data: { serial: string } }).data.serial)).toEqual(['B-1']);
    // The filtered endpoint wants faults only.
    expect(rFault.received).toHaveLength(0);

    const deliveries = (await api('GET', `/webhook-endpoints/${epA.id}/deliveries?status=SUCCEEDED`, undefined, userA.headers)).json() as {
      items: { id: string; attemptCount: number }[];
    };
    expect(deliveries.items).toHaveLength(1);
    const detail = (await api('GET', `/webhook-deliveries/${deliveries.items[0]!.id}`, undefined, userA.headers)).json() as {
      attempts: { statusCode: number; latencyMs: number; responseSnippet: string }[];
    };
    expect(detail.attempts).toHaveLength(1);
    expect(detail.attempts[0]).toMatchObject({ statusCode: 200, responseSnippet: 'answered 200' });
  });

  it('retries while the receiver is down and delivers exactly once per event when it is back', async () => {
    let down = true;
    const r = await receiver(() => ({ status: down ? 503 : 200 }));
    const ep = await createEndpoint(staff.headers, { url: r.url, customerId: custB, eventTypes: ['device.*'] });
    await emit(custB, 'device.fault', { serial: 'B-2', code: 'E42' });
    await emit(custB, 'device.silent', { serial: 'B-3' });
    await waitFor(() => r.received.length >= 4, 'two failed rounds');
    down = false;
    await waitFor(() => r.received.filter((x) => x.status === 200).length >= 2, 'both delivered');
    await new Promise((res) => setTimeout(res, 1_000));
    const ok = r.received.filter((x) => x.status === 200).map((x) => x.headers['webhook-id']);
    expect(ok).toHaveLength(2);
    expect(new Set(ok).size).toBe(2);
    // Every attempt of one event carried the same webhook-id.
    for (const id of ok) expect(r.received.filter((x) => x.headers['webhook-id'] === id).length).toBeGreaterThanOrEqual(2);
    const rows = await sys.services.db.webhookDelivery.findMany({ where: { endpointId: ep.id } });
    expect(rows.map((d) => d.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const endpoint = await sys.services.db.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.id } });
    expect(endpoint.failingSince).toBeNull();
  });

  it('disables an endpoint that answers 410 and tells the customer', async () => {
    const gone = await receiver(() => ({ status: 410 }));
    const watcher = await receiver();
    const ep = await createEndpoint(userA.headers, { url: gone.url, eventTypes: ['device.uplink'] });
    await createEndpoint(userA.headers, { url: watcher.url, eventTypes: ['webhook.endpoint.disabled'] });
    await emit(custA, 'device.uplink', { serial: 'A-2' });
    await waitFor(() => watcher.received.length === 1, 'disabled event');
    const body = JSON.parse(watcher.received[0]!.body) as { type: string; data: { endpointId: string; reason: string } };
    expect(body).toMatchObject({ type: 'webhook.endpoint.disabled', data: { endpointId: ep.id } });
    const shown = (await api('GET', `/webhook-endpoints/${ep.id}`, undefined, userA.headers)).json() as {
      enabled: boolean;
      disabledReason: string;
    };
    expect(shown.enabled).toBe(false);
    expect(shown.disabledReason).toContain('410');
    await emit(custA, 'device.uplink', { serial: 'A-3' });
    await new Promise((res) => setTimeout(res, 500));
    expect(gone.received).toHaveLength(1);
  });

  it('disables an endpoint that has failed continuously for 5 days', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const ep = await createEndpoint(staff.headers, { url: r.url, customerId: custB, eventTypes: ['contract.suspended'] });
    await sys.services.db.webhookEndpoint.update({
      where: { id: ep.id },
      data: { failingSince: new Date(Date.now() - 5 * 86_400_000 - 60_000) },
    });
    await emit(custB, 'contract.suspended', { contractNo: 'C-1' });
    const disabled = await waitFor(
      async () => await sys.services.db.webhookEndpoint.findFirst({ where: { id: ep.id, enabled: false } }),
      'endpoint disabled',
    );
    expect(disabled.disabledReason).toContain('5 days');
    const event = await sys.services.db.outboxEvent.findFirst({ where: { type: 'webhook.endpoint.disabled', customerId: custB } });
    expect(event?.payload).toMatchObject({ endpointId: ep.id });
  });

  it('honours Retry-After on 429 and keeps each endpoint within its concurrency limit', async () => {
    const limited = await receiver((_req, n) => (n === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    await createEndpoint(staff.headers, { url: limited.url, customerId: custB, eventTypes: ['device.online'] });
    await emit(custB, 'device.online', { serial: 'B-4' });
    await waitFor(() => limited.received.length === 2, 'retry after 429', 10_000);
    expect(limited.received[1]!.at - limited.received[0]!.at).toBeGreaterThanOrEqual(950);

    const slow = await receiver(() => ({ status: 200, delayMs: 60 }));
    await createEndpoint(staff.headers, { url: slow.url, customerId: custB, eventTypes: ['device.offline'], maxConcurrency: 2 });
    await sys.services.events.emitNow(
      Array.from({ length: 12 }, (_, i) => ({ type: 'device.offline', customerId: custB, deviceId: null, payload: { i } })),
    );
    await waitFor(() => slow.received.length === 12, 'all 12 delivered');
    expect(slow.maxInFlight).toBeLessThanOrEqual(2);
  });

  it('replays a delivery with the same webhook-id and recovers failed ones after the schedule runs out', async () => {
    let status = 500;
    const r = await receiver(() => ({ status }));
    const ep = await createEndpoint(userA.headers, { url: r.url, eventTypes: ['invoice.issued'] });
    const since = new Date(Date.now() - 1_000).toISOString();
    await emit(custA, 'invoice.issued', { invoiceNo: 'INV-1' });
    // All 8 scheduled attempts fail (the shrunken schedule takes ~10 s).
    const failed = await waitFor(
      async () => await sys.services.db.webhookDelivery.findFirst({ where: { endpointId: ep.id, status: 'FAILED' } }),
      'delivery to fail',
      25_000,
    );
    expect(failed.attemptCount).toBe(8);
    expect(r.received).toHaveLength(8);

    status = 200;
    const recovered = await api('POST', `/webhook-endpoints/${ep.id}/recover`, { since }, userA.headers);
    expect(recovered.statusCode).toBe(202);
    expect(recovered.json()).toEqual({ recovered: 1 });
    await waitFor(() => r.received.length === 9, 'recovered delivery');
    expect(r.received[8]!.headers['webhook-id']).toBe(failed.eventId);
    await waitFor(
      async () => await sys.services.db.webhookDelivery.findFirst({ where: { id: failed.id, status: 'SUCCEEDED' } }),
      'recovery recorded',
    );

    const replay = await api('POST', `/webhook-deliveries/${failed.id}/replay`, undefined, userA.headers);
    expect(replay.statusCode).toBe(202);
    await waitFor(() => r.received.length === 10, 'replayed delivery');
    expect(r.received[9]!.headers['webhook-id']).toBe(failed.eventId);
    type Detail = { status: string; attempts: { attemptNo: number; statusCode: number }[] };
    const detail = await waitFor(async () => {
      const d = (await api('GET', `/webhook-deliveries/${failed.id}`, undefined, userA.headers)).json() as Detail;
      return d.status === 'SUCCEEDED' && d.attempts.length === 10 ? d : null;
    }, 'replay recorded');
    expect(detail.attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 500, 500, 500, 500, 500, 200, 200]);
  }, 40_000);

  it('batches events for an endpoint that asks for it: one signed array per POST, retried and replayed as a batch', async () => {
    let status = 503;
    const r = await receiver(() => ({ status }));
    const ep = await createEndpoint(userA.headers, {
      url: r.url,
      eventTypes: ['device.status'],
      batching: true,
      maxBatch: 5,
      maxWaitMs: 200,
    });
    await sys.services.events.emitNow(
      Array.from({ length: 12 }, (_, i) => ({
        type: 'device.status',
        customerId: custA,
        deviceId: null,
        payload: { serial: `A-${i % 3}`, seq: i },
      })),
    );
    // The first round fails (503); each batch is retried as the same batch.
    await waitFor(() => new Set(r.received.map((x) => x.headers['webhook-id'])).size >= 3, 'every batch tried once');
    status = 200;
    type Element = { id: string; type: string; timestamp: string; data: { serial: string; seq: number } };
    const ok = () => r.received.filter((x) => x.status === 200);
    await waitFor(() => ok().reduce((n, x) => n + (JSON.parse(x.body) as Element[]).length, 0) >= 12, 'all 12 events delivered');
    const batches = ok().map((x) => new Webhook(ep.secret).verify(x.body, x.headers) as Element[]);
    const events = batches.flat();
    expect(batches.every((b) => Array.isArray(b) && b.length >= 1 && b.length <= 5)).toBe(true);
    expect(new Set(events.map((e) => e.id)).size).toBe(12);
    expect(events.every((e) => /^evt_\d+$/.test(e.id) && e.type === 'device.status')).toBe(true);
    expect(events.map((e) => e.data.seq).sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    // A retried batch kept its webhook-id: every successful id had failed before.
    const failedIds = new Set(r.received.filter((x) => x.status === 503).map((x) => x.headers['webhook-id']));
    for (const x of ok()) expect(failedIds.has(x.headers['webhook-id']!)).toBe(true);
    expect(ok()[0]!.headers['webhook-id']).toMatch(/^batch_[0-9a-f-]{36}$/);

    // The delivery log shows each event's delivery, its batch, and one attempt per POST it went in.
    const batchId = ok()[0]!.headers['webhook-id']!;
    const inBatch = await waitFor(async () => {
      const res = (
        await api('GET', `/webhook-endpoints/${ep.id}/deliveries?batchId=${batchId}&status=SUCCEEDED`, undefined, userA.headers)
      ).json() as {
        items: { id: string; batchId: string }[];
      };
      return res.items.length === (JSON.parse(ok()[0]!.body) as Element[]).length ? res.items : null;
    }, 'batch in the delivery log');
    const detail = (await api('GET', `/webhook-deliveries/${inBatch[0]!.id}`, undefined, userA.headers)).json() as {
      batchId: string;
      attempts: { statusCode: number; batchId: string }[];
    };
    expect(detail.batchId).toBe(batchId);
    expect(detail.attempts.map((a) => a.batchId).every((b) => b === batchId)).toBe(true);
    expect(detail.attempts.map((a) => a.statusCode)).toEqual([...detail.attempts.slice(1).map(() => 503), 200]);

    // Replay the whole batch: one POST, same webhook-id, same events.
    const before = r.received.length;
    const path = `/webhook-endpoints/${ep.id}/batches/${batchId}/replay`;
    expect((await api('POST', path, undefined, userA.headers)).statusCode).toBe(202);
    await waitFor(() => r.received.length === before + 1, 'replayed batch');
    const replayed = r.received[before]!;
    expect(replayed.headers['webhook-id']).toBe(batchId);
    expect((new Webhook(ep.secret).verify(replayed.body, replayed.headers) as Element[]).map((e) => e.id)).toEqual(
      (JSON.parse(ok()[0]!.body) as Element[]).map((e) => e.id),
    );
    // One event of it alone: still an array (of one), under a batch id of its own.
    expect((await api('POST', `/webhook-deliveries/${inBatch[0]!.id}/replay`, undefined, userA.headers)).statusCode).toBe(202);
    await waitFor(() => r.received.length === before + 2, 'replayed event');
    const single = JSON.parse(r.received[before + 1]!.body) as Element[];
    expect(single).toHaveLength(1);
    expect(r.received[before + 1]!.headers['webhook-id']).not.toBe(batchId);

    // Scope, role and input on the batch replay route.
    const userB = await loginAs(sys.services, sys.app!, 'CUSTOMER', custB);
    expect((await api('POST', path, undefined, userB.headers)).statusCode).toBe(404);
    const finance = await loginAs(sys.services, sys.app!, 'FINANCE');
    expect((await api('POST', path, undefined, finance.headers)).statusCode).toBe(403);
    expect((await sys.app!.inject({ method: 'POST', url: `/api/v1${path}` })).statusCode).toBe(401);
    const hostile = await api('POST', `/webhook-endpoints/${ep.id}/batches/batch_'%3B--/replay`, undefined, userA.headers);
    expect(hostile.statusCode).toBe(400);
    expect(
      (await api('POST', `/webhook-endpoints/${ep.id}/batches/batch_00000000-0000-0000-0000-000000000000/replay`, undefined, userA.headers))
        .statusCode,
    ).toBe(404);
  });

  it('signs with both the new and the previous secret for a day after rotation', async () => {
    const r = await receiver();
    const ep = await createEndpoint(userA.headers, { url: r.url, eventTypes: ['ticket.created'] });
    const rotated = await api('POST', `/webhook-endpoints/${ep.id}/rotate-secret`, undefined, userA.headers);
    expect(rotated.statusCode).toBe(200);
    const { secret, previousSecretExpiresAt } = rotated.json() as { secret: string; previousSecretExpiresAt: string };
    expect(secret).not.toBe(ep.secret);
    expect(new Date(previousSecretExpiresAt).getTime() - Date.now()).toBeGreaterThan(23 * 3_600_000);
    await emit(custA, 'ticket.created', { ticketNo: 'T-1' });
    await waitFor(() => r.received.length === 1, 'delivery');
    const got = r.received[0]!;
    expect(got.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    new Webhook(secret).verify(got.body, got.headers);
    new Webhook(ep.secret).verify(got.body, got.headers);
    const audit = await sys.services.db.auditLog.findMany({ where: { entityId: ep.id } });
    expect(audit.map((a) => a.action)).toContain('webhook_endpoint.secret_rotated');
    expect(JSON.stringify(audit, jsonReplacer)).not.toContain('whsec_');
  });

  it('refuses private, loopback and link-local targets unless allowed', async () => {
    for (const url of [
      'http://127.0.0.1:8080/x',
      'http://localhost/x',
      'http://169.254.169.254/latest',
      'http://[::1]/x',
      'https://10.1.2.3/x',
      'http://[::ffff:192.168.1.1]/x',
    ]) {
      await expect(assertPublicTarget(url, false), url).rejects.toThrow(/private|resolve/);
    }
    await expect(assertPublicTarget('http://8.8.8.8/x', false)).resolves.toBeUndefined();
    // At send time too, whatever the URL resolved to when it was saved.
    const sender = createWebhookSender({ timeoutMs: 2_000, allowPrivate: false });
    const r = await receiver();
    const viaName = await sender.send(r.url.replace('127.0.0.1', 'localhost'), {}, '{}');
    expect(viaName.error).toMatch(/refused/);
    expect((await sender.send(r.url, {}, '{}')).error).toMatch(/refused/);
    expect(r.received).toHaveLength(0);
    await sender.close();

    const strict = await startTestSystem('api', { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' });
    try {
      const ops = await loginAs(strict.services, strict.app!, 'OPS');
      const sales = await loginAs(strict.services, strict.app!, 'SALES');
      const c = (
        await strict.app!.inject({
          method: 'POST',
          url: '/api/v1/customers',
          headers: sales.headers,
          payload: { kind: 'END_USER', name: 'C' },
        })
      ).json() as { id: string };
      const res = await strict.app!.inject({
        method: 'POST',
        url: '/api/v1/webhook-endpoints',
        headers: ops.headers,
        payload: { customerId: c.id, url: 'http://127.0.0.1:9/hook' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([{ path: 'url', message: expect.stringContaining('not allowed') }]);
    } finally {
      await strict.stop();
    }
  });
});
