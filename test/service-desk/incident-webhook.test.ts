// The outgoing incident webhook (PagerDuty Events API v2 format) against a real local HTTP
// receiver: a safety page triggers (retried after the receiver's 500), acknowledging the page
// acknowledges, resolving the ticket resolves, all under one dedup_key per ticket; each event is
// on the ticket's timeline. A 400 is final; a private target is refused unless allowed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIncidentWebhook } from '../../src/notifications/incident-webhook.js';
import { loginAs } from '../helpers/api.js';
import { eventually, makeCustomers, makeDevices, makeFastModel } from '../helpers/health-fixtures.js';
import { type Mailbox, startMailbox } from '../helpers/mailbox.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';

const ROUTING_KEY = 'R0123456789abcdef0123456789abcdef';
let receiver: Receiver;
let mailbox: Mailbox;
let sys: TestSystem;

beforeAll(async () => {
  // The first event is answered 500 (PagerDuty's "retry later"); the rest 202 Accepted.
  receiver = await startReceiver((_req, n) => ({ status: n === 0 ? 500 : 202 }));
  mailbox = await startMailbox();
  sys = await startTestSystem('all', {
    SMTP_URL: mailbox.url,
    INCIDENT_WEBHOOK_URL: receiver.url,
    INCIDENT_WEBHOOK_ROUTING_KEY: ROUTING_KEY,
    PAGE_ACK_MINUTES: '10',
    PUBLIC_URL: 'https://ops.example.test',
  });
});
afterAll(async () => {
  await sys?.stop();
  await receiver?.close();
  await mailbox?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: the receiver's bodies are read field by field
const bodies = (): any[] => receiver.received.map((r) => JSON.parse(r.body));

async function safetyTicket(tag: string) {
  const s = sys.services;
  const ops = await loginAs(s, sys.app!, 'OPS');
  const engineer = await loginAs(s, sys.app!, 'REPAIR');
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const put = await sys.app!.inject({
    method: 'PUT',
    url: '/api/v1/on-call/REPAIR',
    headers: ops.headers,
    payload: { shifts: [{ userId: engineer.userId, phone: null, from, to }] },
  });
  expect(put.statusCode).toBe(200);
  const owner = await makeCustomers(s, `Incident ${tag}`);
  const model = await makeFastModel(s, [
    { code: 0x0102, description: 'Car stopped between floors (possible entrapment)', severity: 3, group: 'REPAIR', safety: true },
  ]);
  const [d] = await makeDevices(s, model.id, owner, 1);
  await s.events.emitNow([
    {
      type: 'device.fault',
      customerId: owner.endUser.id,
      deviceId: d!.id,
      payload: { serial: d!.serial, faultCode: 0x0102, severity: 3, detail: '', receivedAt: new Date().toISOString() },
    },
  ]);
  const ticket = await eventually(() => s.db.ticket.findFirst({ where: { deviceId: d!.id } }));
  return { ops, engineer, ticket, serial: d!.serial };
}

// Generous limits: the whole platform shares a small machine with other suites.
describe('incident webhook in the PagerDuty Events v2 format', { timeout: 120_000 }, () => {
  it('triggers on the page (retrying a 500), acknowledges with the page and resolves with the ticket, under one dedup_key', async () => {
    const { ops, engineer, ticket, serial } = await safetyTicket('A');
    const dedup = `nexsphere-ticket-${ticket.id}`;

    // The receiver answered the first trigger 500; the retry is accepted.
    await eventually(async () => receiver.received.filter((r) => r.status === 202).length >= 1, 20_000);
    const [failed, trigger] = bodies();
    expect(failed).toEqual(trigger);
    expect(receiver.received[0]!.headers['content-type']).toBe('application/json');
    expect(trigger).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: dedup,
      payload: {
        summary: `[SAFETY-CRITICAL] Ticket #${ticket.number}: ${ticket.subject} (terminal ${serial})`,
        source: serial,
        severity: 'critical',
        timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        component: 'fault 0x0102',
        group: 'REPAIR',
        class: ticket.kind,
        custom_details: {
          ticket: ticket.number,
          reason: 'SAFETY',
          escalationLevel: 0,
          paged: 'REPAIR',
          ticketOpenedAt: ticket.createdAt.toISOString(),
        },
      },
      client: 'Nexsphere operator platform',
      client_url: 'https://ops.example.test',
      links: [{ href: `https://ops.example.test/tickets/${ticket.id}`, text: `Ticket #${ticket.number} in the operations console` }],
    });

    // The engineer acknowledges the page (the link from the e-mail): the incident is acknowledged.
    const page = await sys.services.db.page.findFirstOrThrow({ where: { ticketId: ticket.id } });
    const ack = await sys.app!.inject({ method: 'POST', url: `/api/v1/pages/${page.id}/acknowledge`, headers: engineer.headers });
    expect(ack.statusCode).toBe(200);
    await eventually(async () => bodies().length >= 3, 20_000);
    expect(bodies()[2]).toEqual({ routing_key: ROUTING_KEY, event_action: 'acknowledge', dedup_key: dedup });

    // Resolving the ticket resolves the incident; closing it afterwards sends nothing more.
    const resolved = await sys.app!.inject({
      method: 'POST',
      url: `/api/v1/tickets/${ticket.id}/resolve`,
      headers: ops.headers,
      payload: { note: 'Released the passengers; brake sensor replaced' },
    });
    expect(resolved.statusCode).toBe(200);
    await eventually(async () => bodies().length >= 4, 20_000);
    expect(bodies()[3]).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: dedup });
    const closed = await sys.app!.inject({ method: 'POST', url: `/api/v1/tickets/${ticket.id}/close`, headers: ops.headers, payload: {} });
    expect(closed.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(bodies()).toHaveLength(4);

    // On the ticket: the three events with their delivery state; the routing key is stored nowhere.
    const list = (await sys.app!.inject({ method: 'GET', url: `/api/v1/tickets/${ticket.id}/notifications`, headers: ops.headers })).json();
    const hooks = list.items.filter((n: { channel: string }) => n.channel === 'INCIDENT_WEBHOOK');
    expect(hooks.map((n: { purpose: string; status: string; attempts: number }) => [n.purpose, n.status, n.attempts])).toEqual([
      ['INCIDENT_TRIGGER', 'SENT', 2],
      ['INCIDENT_ACKNOWLEDGE', 'SENT', 1],
      ['INCIDENT_RESOLVE', 'SENT', 1],
    ]);
    expect(JSON.stringify(list)).not.toContain(ROUTING_KEY);
    const detail = (await sys.app!.inject({ method: 'GET', url: `/api/v1/tickets/${ticket.id}`, headers: ops.headers })).json();
    const lines = detail.events.filter((e: { kind: string }) => e.kind === 'NOTIFICATION').map((e: { body: string }) => e.body);
    const host = new URL(receiver.url).host;
    expect(lines).toEqual(
      expect.arrayContaining([
        `Incident webhook trigger to ${host} queued.`,
        `Incident webhook trigger to ${host} failed (attempt 1 of 8), retrying: HTTP 500: answered 500.`,
        `Incident webhook trigger to ${host} sent.`,
        `Incident webhook acknowledge to ${host} sent.`,
        `Incident webhook resolve to ${host} sent.`,
      ]),
    );
    expect(JSON.stringify(detail)).not.toContain(ROUTING_KEY);
  });

  it('gives up at once on an answer PagerDuty says not to retry (400), and shows why', async () => {
    receiver.setResponder(() => ({ status: 400 }));
    const { ops, ticket } = await safetyTicket('B');
    const failed = await eventually(async () => {
      const list = (
        await sys.app!.inject({ method: 'GET', url: `/api/v1/tickets/${ticket.id}/notifications`, headers: ops.headers })
      ).json();
      return list.items.find((n: { channel: string; status: string }) => n.channel === 'INCIDENT_WEBHOOK' && n.status === 'FAILED');
    }, 20_000);
    expect(failed).toMatchObject({ purpose: 'INCIDENT_TRIGGER', attempts: 1, error: 'HTTP 400: answered 400' });
    expect(bodies().filter((b) => b.dedup_key === `nexsphere-ticket-${ticket.id}`)).toHaveLength(1);
    receiver.setResponder(() => ({ status: 202 }));
  });

  it('refuses a private or loopback target unless private targets are allowed (as webhooks do)', async () => {
    const guarded = createIncidentWebhook({ url: receiver.url, routingKey: ROUTING_KEY, timeoutMs: 2_000, allowPrivate: false });
    const before = receiver.received.length;
    const r = await guarded.send({ event_action: 'resolve', dedup_key: 'nexsphere-ticket-x' });
    await guarded.close();
    expect(r).toMatchObject({ ok: false, retry: false });
    expect(r.ok === false && r.error).toMatch(/^refused/);
    expect(receiver.received.length).toBe(before);
  });
});
