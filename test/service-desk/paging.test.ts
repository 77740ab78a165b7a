// Paging: an entrapment on a Saturday pages the REPAIR on-call engineer by e-mail (a real SMTP
// server) and SMS (a real HTTP receiver standing in for the SMS gateway), and escalates when
// nobody acknowledges within PAGE_ACK_MINUTES (3 s here).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { eventually, makeCustomers, makeDevices, makeFastModel } from '../helpers/health-fixtures.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

const mails: { to: string; raw: string; at: number }[] = [];
const texts: { to: string; text: string; auth: string | undefined; at: number }[] = [];
let smtp: SMTPServer;
let sms: Server;
let sys: TestSystem;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, done) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString()));
      stream.on('end', () => {
        for (const r of session.envelope.rcptTo) mails.push({ to: r.address, raw, at: Date.now() });
        done();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  sms = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const j = JSON.parse(body) as { to: string; text: string };
      texts.push({ ...j, auth: req.headers.authorization, at: Date.now() });
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"queued":true}');
    });
  });
  await new Promise<void>((r) => sms.listen(0, '127.0.0.1', r));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  const smsPort = (sms.address() as AddressInfo).port;
  sys = await startTestSystem('all', {
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    SMS_GATEWAY_URL: `http://127.0.0.1:${smsPort}/send`,
    SMS_GATEWAY_TOKEN: 'sms-token',
    PAGE_ACK_MINUTES: '0.05',
    PUBLIC_URL: 'https://ops.example.test',
  });
});
afterAll(async () => {
  await sys?.stop();
  await new Promise<void>((r) => smtp?.close(() => r()));
  await new Promise<void>((r) => sms?.close(() => r()));
});

const pageLink = (text: string) => /\/api\/v1\/pages\/([0-9a-f-]{36})\/acknowledge/.exec(text)?.[1];

describe('paging the on-call engineer', () => {
  it('pages by e-mail and SMS within seconds of a Saturday entrapment, escalates when nobody answers, stops once acknowledged', async () => {
    const s = sys.services;
    const ops = await loginAs(s, sys.app!, 'OPS');
    const first = await loginAs(s, sys.app!, 'REPAIR');
    const second = await loginAs(s, sys.app!, 'REPAIR');
    const lead = await loginAs(s, sys.app!, 'REPAIR');
    const emailOf = async (id: string) => (await s.db.user.findUniqueOrThrow({ where: { id } })).email;
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const rotation = await sys.app!.inject({
      method: 'PUT',
      url: '/api/v1/on-call/REPAIR',
      headers: ops.headers,
      payload: {
        shifts: [
          { userId: lead.userId, phone: '+8613800000003', from, to, lead: true },
          { userId: first.userId, phone: '+8613800000001', from, to },
          { userId: second.userId, phone: '+8613800000002', from, to },
        ],
      },
    });
    expect(rotation.statusCode).toBe(200);
    expect(
      (await sys.app!.inject({ method: 'PUT', url: '/api/v1/on-call/REPAIR', headers: first.headers, payload: { shifts: [] } })).statusCode,
    ).toBe(403);

    const owner = await makeCustomers(s, 'Paging');
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
        payload: { serial: d!.serial, faultCode: 0x0102, severity: 3, detail: '', receivedAt: '2026-11-28T04:37:00+08:00' },
      },
    ]);

    const [firstEmail, secondEmail] = [await emailOf(first.userId), await emailOf(second.userId)];
    const firstMail = await eventually(async () => mails.find((m) => m.to === firstEmail), 15_000);
    expect(firstMail.raw).toContain('SAFETY-CRITICAL');
    const firstSms = await eventually(async () => texts.find((t) => t.to === '+8613800000001'), 15_000);
    expect(firstSms.auth).toBe('Bearer sms-token');
    expect(firstSms.text).toContain('SAFETY-CRITICAL');
    expect(Math.max(firstMail.at, firstSms.at) - raised).toBeLessThan(10_000);
    const firstPage = pageLink(firstSms.text)!;
    expect(firstSms.text).toContain(`https://ops.example.test/api/v1/pages/${firstPage}/acknowledge`);

    // Nobody answers: after 3 s the second engineer is paged.
    const secondSms = await eventually(async () => texts.find((t) => t.to === '+8613800000002'), 20_000);
    expect(secondSms.at - firstSms.at).toBeGreaterThanOrEqual(2_500);
    expect((await eventually(async () => mails.find((m) => m.to === secondEmail), 15_000)).raw).toContain('SAFETY-CRITICAL');
    const secondPage = pageLink(secondSms.text)!;
    // Only the paged person may acknowledge; the second engineer does, in time.
    expect(
      (await sys.app!.inject({ method: 'POST', url: `/api/v1/pages/${secondPage}/acknowledge`, headers: first.headers })).statusCode,
    ).toBe(404);
    const ack = await sys.app!.inject({ method: 'POST', url: `/api/v1/pages/${secondPage}/acknowledge`, headers: second.headers });
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({ status: 'ACKNOWLEDGED' });

    // The lead is never paged.
    await new Promise((r) => setTimeout(r, 4_500));
    expect(texts.filter((t) => t.to === '+8613800000003')).toHaveLength(0);

    const ticket = await s.db.ticket.findFirstOrThrow({ where: { deviceId: d!.id } });
    const timeline = await s.db.ticketEvent.findMany({ where: { ticketId: ticket.id, kind: 'PAGE' }, orderBy: { id: 'asc' } });
    const states = timeline.map((e) => (e.data as { status: string }).status);
    expect(states).toEqual(['PAGED', 'DELIVERED', 'ESCALATED', 'PAGED', 'DELIVERED', 'ACKNOWLEDGED']);
  });
});
