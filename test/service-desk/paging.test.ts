// Paging: an entrapment on a Saturday pages the REPAIR on-call engineer by e-mail (a real SMTP
// server) and SMS (a real HTTP receiver standing in for the SMS gateway) within seconds, and
// escalates when nobody acknowledges within PAGE_ACK_MINUTES (3 s here): to the next person,
// then the group lead. Each message and its delivery state is on the ticket's timeline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { eventually, makeCustomers, makeDevices, makeFastModel } from '../helpers/health-fixtures.js';
import { type Mailbox, startMailbox } from '../helpers/mailbox.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';

let mailbox: Mailbox;
let sms: Receiver;
let sys: TestSystem;

beforeAll(async () => {
  mailbox = await startMailbox();
  sms = await startReceiver(() => ({ status: 202 }));
  sys = await startTestSystem('all', {
    SMTP_URL: mailbox.url,
    SMS_GATEWAY_URL: sms.url,
    SMS_GATEWAY_TOKEN: 'sms-token',
    PAGE_ACK_MINUTES: '0.05',
    PUBLIC_URL: 'https://ops.example.test',
  });
});
afterAll(async () => {
  await sys?.stop();
  await mailbox?.close();
  await sms?.close();
});

const pageLink = (text: string) => /\/api\/v1\/pages\/([0-9a-f-]{36})\/acknowledge/.exec(text)?.[1];
const texts = () =>
  sms.received.map((r) => ({ ...(JSON.parse(r.body) as { to: string; text: string }), auth: r.headers.authorization, at: r.at }));
const textTo = (phone: string) => eventually(async () => texts().find((t) => t.to === phone), 20_000);
const mailTo = (email: string) => eventually(async () => mailbox.to(email)[0], 20_000);
/** When each page of the ticket was opened, in order (escalation is measured on these, not on delivery times). */
const pageTimes = async (deviceId: string) => {
  const ticket = await sys.services.db.ticket.findFirstOrThrow({ where: { deviceId } });
  const pages = await sys.services.db.page.findMany({ where: { ticketId: ticket.id }, orderBy: { level: 'asc' } });
  return pages.map((p) => p.createdAt.getTime());
};
// 2026-11-28 is a Saturday: 04:37 in Shanghai.
const SATURDAY_0437 = '2026-11-28T04:37:00+08:00';

async function setUp(tag: string) {
  const s = sys.services;
  const ops = await loginAs(s, sys.app!, 'OPS');
  const [first, second, lead] = [
    await loginAs(s, sys.app!, 'REPAIR'),
    await loginAs(s, sys.app!, 'REPAIR'),
    await loginAs(s, sys.app!, 'REPAIR'),
  ];
  const emailOf = async (id: string) => (await s.db.user.findUniqueOrThrow({ where: { id } })).email;
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const phones = { first: `+86138${tag}01`, second: `+86138${tag}02`, lead: `+86138${tag}03` };
  const rotation = await sys.app!.inject({
    method: 'PUT',
    url: '/api/v1/on-call/REPAIR',
    headers: ops.headers,
    payload: {
      shifts: [
        { userId: lead.userId, phone: phones.lead, from, to, lead: true },
        { userId: first.userId, phone: phones.first, from, to },
        { userId: second.userId, phone: phones.second, from, to },
      ],
    },
  });
  expect(rotation.statusCode).toBe(200);
  const owner = await makeCustomers(s, `Paging ${tag}`);
  await s.db.customer.update({ where: { id: owner.endUser.id }, data: { tier: 'SILVER' } });
  const model = await makeFastModel(s, [
    { code: 0x0102, description: 'Car stopped between floors (possible entrapment)', severity: 3, group: 'REPAIR', safety: true },
  ]);
  const [d] = await makeDevices(s, model.id, owner, 1);
  const raised = Date.now();
  await s.events.emitNow([
    {
      type: 'device.fault',
      customerId: owner.endUser.id,
      deviceId: d!.id,
      payload: { serial: d!.serial, faultCode: 0x0102, severity: 3, detail: '', receivedAt: SATURDAY_0437 },
    },
  ]);
  return {
    ops,
    first,
    second,
    lead,
    phones,
    raised,
    device: d!,
    emails: { first: await emailOf(first.userId), second: await emailOf(second.userId), lead: await emailOf(lead.userId) },
  };
}

// Generous limits: the whole platform and two receivers share a small machine with other suites.
describe('paging the on-call engineer', { timeout: 120_000 }, () => {
  it('pages by e-mail and SMS within seconds of a Saturday entrapment, escalates when nobody answers, stops once acknowledged', async () => {
    const s = sys.services;
    const bed = await setUp('1000');
    expect(
      (await sys.app!.inject({ method: 'PUT', url: '/api/v1/on-call/REPAIR', headers: bed.first.headers, payload: { shifts: [] } }))
        .statusCode,
    ).toBe(403);

    const firstMail = await mailTo(bed.emails.first);
    expect(firstMail.subject).toContain('SAFETY-CRITICAL');
    const firstSms = await textTo(bed.phones.first);
    expect(firstSms.auth).toBe('Bearer sms-token');
    expect(firstSms.text).toContain('SAFETY-CRITICAL');
    expect(Math.max(firstMail.at, firstSms.at) - bed.raised).toBeLessThan(10_000);
    const firstPage = pageLink(firstSms.text)!;
    expect(firstSms.text).toContain(`https://ops.example.test/api/v1/pages/${firstPage}/acknowledge`);

    // The ticket counts from Saturday 04:37 on a 24x7 clock: its first response is due that Saturday, not Monday.
    const ticket = await s.db.ticket.findFirstOrThrow({ where: { deviceId: bed.device.id } });
    const view = (await sys.app!.inject({ method: 'GET', url: `/api/v1/tickets/${ticket.id}`, headers: bed.ops.headers })).json();
    expect(view.sla.businessHours).toBe('24x7');
    expect(new Date(view.sla.firstResponseDueAt).getTime() - new Date(SATURDAY_0437).getTime()).toBeLessThanOrEqual(60 * 60_000);

    // Nobody answers: after 3 s the second engineer is paged.
    const secondSms = await textTo(bed.phones.second);
    const [p0, p1] = await pageTimes(bed.device.id);
    expect(p1! - p0!).toBeGreaterThanOrEqual(2_900);
    expect((await mailTo(bed.emails.second)).subject).toContain('SAFETY-CRITICAL');
    const secondPage = pageLink(secondSms.text)!;
    // Only the paged person may acknowledge; the second engineer does, in time.
    expect(
      (await sys.app!.inject({ method: 'POST', url: `/api/v1/pages/${secondPage}/acknowledge`, headers: bed.first.headers })).statusCode,
    ).toBe(404);
    const ack = await sys.app!.inject({ method: 'POST', url: `/api/v1/pages/${secondPage}/acknowledge`, headers: bed.second.headers });
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({ status: 'ACKNOWLEDGED' });

    // The lead is never paged.
    await new Promise((r) => setTimeout(r, 4_500));
    expect(texts().filter((t) => t.to === bed.phones.lead)).toHaveLength(0);

    const timeline = await s.db.ticketEvent.findMany({ where: { ticketId: ticket.id, kind: 'PAGE' }, orderBy: { id: 'asc' } });
    expect(timeline.map((e) => (e.data as { status: string }).status)).toEqual(['PAGED', 'ESCALATED', 'PAGED', 'ACKNOWLEDGED']);
    // Every message with its delivery state, in the API and on the timeline.
    const sent = (
      await sys.app!.inject({ method: 'GET', url: `/api/v1/tickets/${ticket.id}/notifications`, headers: bed.ops.headers })
    ).json();
    expect(sent.items.map((n: { channel: string; recipient: string; status: string }) => [n.channel, n.recipient, n.status])).toEqual([
      ['EMAIL', bed.emails.first, 'SENT'],
      ['SMS', bed.phones.first, 'SENT'],
      ['EMAIL', bed.emails.second, 'ACKNOWLEDGED'],
      ['SMS', bed.phones.second, 'ACKNOWLEDGED'],
    ]);
    const lines = (view.events as { kind: string }[]).length;
    const after = (await sys.app!.inject({ method: 'GET', url: `/api/v1/tickets/${ticket.id}`, headers: bed.ops.headers })).json();
    expect(after.events.length).toBeGreaterThan(lines);
    const notes = after.events.filter((e: { kind: string }) => e.kind === 'NOTIFICATION');
    expect(notes.map((e: { body: string }) => e.body)).toContain(`SMS page to ${bed.phones.second} sent.`);
    expect(notes.map((e: { data: { status: string } }) => e.data.status).sort()).toEqual(
      ['QUEUED', 'QUEUED', 'QUEUED', 'QUEUED', 'SENT', 'SENT', 'SENT', 'SENT'].sort(),
    );
  });

  it('escalates to the next engineer and then to the group lead when nobody acknowledges at all', async () => {
    const bed = await setUp('2000');
    const first = await textTo(bed.phones.first);
    const second = await textTo(bed.phones.second);
    const lead = await textTo(bed.phones.lead);
    expect([first, second, lead].every((t) => t.text.includes('SAFETY-CRITICAL'))).toBe(true);
    const [p0, p1, p2] = await pageTimes(bed.device.id);
    expect(p1! - p0!).toBeGreaterThanOrEqual(2_900);
    expect(p2! - p1!).toBeGreaterThanOrEqual(2_900);
    expect((await mailTo(bed.emails.lead)).subject).toContain('SAFETY-CRITICAL');
    const ticket = await sys.services.db.ticket.findFirstOrThrow({ where: { deviceId: bed.device.id } });
    // After the lead nobody is left: the timeline says so.
    const states = await eventually(async () => {
      const rows = await sys.services.db.ticketEvent.findMany({ where: { ticketId: ticket.id, kind: 'PAGE' }, orderBy: { id: 'asc' } });
      const s = rows.map((e) => (e.data as { status: string }).status);
      return s.includes('NO_ONE_ON_CALL') && s;
    }, 20_000);
    expect(states).toEqual(['PAGED', 'ESCALATED', 'PAGED', 'ESCALATED', 'PAGED', 'ESCALATED', 'NO_ONE_ON_CALL']);
  });
});
