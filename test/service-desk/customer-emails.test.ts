// Customers' contacts who opt in get e-mails about their tickets (a real SMTP server in-process):
// opened, status changes, the operator's public replies, resolved; never internal notes, never
// another customer's tickets. The opt-in is set by the customer itself or by staff, within scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { eventually, makeCustomers } from '../helpers/health-fixtures.js';
import { type Mailbox, startMailbox } from '../helpers/mailbox.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

let mailbox: Mailbox;
let sys: TestSystem;
type Login = Awaited<ReturnType<typeof loginAs>>;
let a: Awaited<ReturnType<typeof makeCustomers>>;
let b: Awaited<ReturnType<typeof makeCustomers>>;
let customerA: Login;
let customerB: Login;
let contractorB: Login;
let desk: Login;
const contacts: Record<string, string> = {};

beforeAll(async () => {
  mailbox = await startMailbox();
  sys = await startTestSystem('all', {
    SMTP_URL: mailbox.url,
    TICKET_MAIL_FROM: 'support@operator.test',
    PUBLIC_URL: 'https://ops.example.test',
  });
  const s = sys.services;
  a = await makeCustomers(s, 'Mail A');
  b = await makeCustomers(s, 'Mail B');
  const contact = (customerId: string, name: string, email: string | null) =>
    s.db.contact.create({ data: { customerId, name, email } }).then((c) => (contacts[name] = c.id));
  await contact(a.endUser.id, 'a1', 'facilities@a.test');
  await contact(a.endUser.id, 'a2', 'accounts@a.test');
  await contact(a.endUser.id, 'a3', null);
  await contact(b.endUser.id, 'b1', 'ops@b.test');
  customerA = await loginAs(s, sys.app!, 'CUSTOMER', a.endUser.id);
  customerB = await loginAs(s, sys.app!, 'CUSTOMER', b.endUser.id);
  contractorB = await loginAs(s, sys.app!, 'CONTRACTOR', b.contractor.id);
  desk = await loginAs(s, sys.app!, 'SERVICE');
});
afterAll(async () => {
  await sys?.stop();
  await mailbox?.close();
});

const optIn = (as: Login | null, customerId: string, contact: string, payload: unknown) =>
  sys.app!.inject({
    method: 'PUT',
    url: `/api/v1/customers/${customerId}/contacts/${contact}/ticket-emails`,
    ...(as ? { headers: as.headers } : {}),
    payload: payload as object,
  });
const call = (as: Login, method: 'GET' | 'POST', url: string, payload?: object) =>
  sys.app!.inject({ method, url: `/api/v1${url}`, headers: as.headers, ...(payload ? { payload } : {}) });
const nextMail = (to: string, n: number) => eventually(async () => mailbox.to(to)[n], 20_000);

describe('ticket e-mails to customers who opt in', { timeout: 120_000 }, () => {
  it('lets the customer and staff opt a contact in, and nobody outside the customer', async () => {
    const on = await optIn(customerA, a.endUser.id, contacts.a1!, { enabled: true });
    expect(on.statusCode).toBe(200);
    expect(on.json()).toMatchObject({ id: contacts.a1, ticketEmails: true });
    expect((await optIn(desk, b.endUser.id, contacts.b1!, { enabled: true })).statusCode).toBe(200);

    // Wrong tenant: another customer, another contractor, or a contact of another customer under one's own id.
    expect((await optIn(customerB, a.endUser.id, contacts.a2!, { enabled: true })).statusCode).toBe(404);
    expect((await optIn(contractorB, a.endUser.id, contacts.a2!, { enabled: true })).statusCode).toBe(404);
    expect((await optIn(customerA, a.endUser.id, contacts.b1!, { enabled: false })).statusCode).toBe(404);
    // No token.
    expect((await optIn(null, a.endUser.id, contacts.a2!, { enabled: true })).statusCode).toBe(401);
    // Hostile or wrong input: 400 naming the field, never 500.
    for (const payload of [{ enabled: 'yes' }, { enabled: true, email: 'attacker@evil.test' }, {}, [true]]) {
      const r = await optIn(customerA, a.endUser.id, contacts.a2!, payload);
      expect(r.statusCode).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
    }
    const noAddress = await optIn(customerA, a.endUser.id, contacts.a3!, { enabled: true });
    expect(noAddress.statusCode).toBe(400);
    expect(JSON.stringify(noAddress.json())).toContain('enabled');
    expect((await optIn(customerA, a.endUser.id, "1' OR '1'='1", { enabled: true })).statusCode).toBe(400);
    // a2 stayed off.
    expect((await sys.services.db.contact.findUniqueOrThrow({ where: { id: contacts.a2! } })).ticketEmails).toBe(false);
  });

  it("mails opened, public replies, status changes and resolution, never internal notes nor the customer's own comments", async () => {
    const opened = await call(customerA, 'POST', '/tickets', { subject: 'Lift 3 stops between floors', description: 'Since Monday' });
    expect(opened.statusCode).toBe(201);
    const t = opened.json() as { id: string; number: number };
    const first = await nextMail('facilities@a.test', 0);
    expect(first.from).toBe('support@operator.test');
    expect(first.subject).toBe(`[Nexsphere] Ticket #${t.number}: Lift 3 stops between floors opened`);
    expect(first.text).toContain(`https://ops.example.test/tickets/${t.id}`);

    expect((await call(desk, 'POST', `/tickets/${t.id}/comments`, { body: 'SECRET: customer is on the dunning list' })).statusCode).toBe(
      201,
    );
    expect((await call(customerA, 'POST', `/tickets/${t.id}/comments`, { body: 'It happened again at 9' })).statusCode).toBe(201);
    expect(
      (await call(desk, 'POST', `/tickets/${t.id}/comments`, { body: 'An engineer is on the way.', visibility: 'CUSTOMER' })).statusCode,
    ).toBe(201);
    const reply = await nextMail('facilities@a.test', 1);
    expect(reply.subject).toBe(`[Nexsphere] Ticket #${t.number}: Lift 3 stops between floors: new reply`);
    expect(reply.text).toContain('An engineer is on the way.');

    expect((await call(desk, 'POST', `/tickets/${t.id}/triage`, {})).statusCode).toBe(200);
    const triaged = await nextMail('facilities@a.test', 2);
    expect(triaged.subject).toContain('is triaged');
    expect(triaged.text).toContain('changed from new to triaged');

    expect((await call(desk, 'POST', `/tickets/${t.id}/resolve`, { note: 'Door sensor replaced.' })).statusCode).toBe(200);
    const resolved = await nextMail('facilities@a.test', 3);
    expect(resolved.subject).toContain('resolved');
    expect(resolved.text).toContain('Resolution: Door sensor replaced.');

    // Opted out: nothing more.
    expect((await optIn(customerA, a.endUser.id, contacts.a1!, { enabled: false })).statusCode).toBe(200);
    expect((await call(desk, 'POST', `/tickets/${t.id}/comments`, { body: 'Closing soon.', visibility: 'CUSTOMER' })).statusCode).toBe(201);
    await new Promise((r) => setTimeout(r, 2_000));

    expect(mailbox.to('facilities@a.test')).toHaveLength(4);
    expect(mailbox.to('accounts@a.test')).toHaveLength(0);
    expect(mailbox.to('ops@b.test')).toHaveLength(0);
    expect(mailbox.mails.some((m) => m.raw.includes('SECRET') || m.text.includes('It happened again'))).toBe(false);

    // Each e-mail and its delivery state is on the ticket for staff, not for the customer.
    const list = await call(desk, 'GET', `/tickets/${t.id}/notifications`);
    expect(list.statusCode).toBe(200);
    expect(
      list
        .json()
        .items.map((n: { channel: string; purpose: string; recipient: string; status: string }) => [n.purpose, n.recipient, n.status]),
    ).toEqual(Array(4).fill(['CUSTOMER_UPDATE', 'facilities@a.test', 'SENT']));
    expect((await call(customerA, 'GET', `/tickets/${t.id}/notifications`)).statusCode).toBe(403);
    const mine = (await call(customerA, 'GET', `/tickets/${t.id}`)).json();
    expect(mine.events.some((e: { kind: string }) => e.kind === 'NOTIFICATION')).toBe(false);
    const staffView = (await call(desk, 'GET', `/tickets/${t.id}`)).json();
    expect(staffView.events.filter((e: { kind: string }) => e.kind === 'NOTIFICATION').length).toBe(8);
  });

  it('keeps ticket notifications from other tenants and from callers without a token', async () => {
    const t = (await call(customerA, 'POST', '/tickets', { subject: 'Another one' })).json() as { id: string };
    const other = await loginAs(sys.services, sys.app!, 'SERVICE');
    expect((await call(other, 'GET', `/tickets/${t.id}/notifications`)).statusCode).toBe(200);
    expect((await call(customerB, 'GET', `/tickets/${t.id}/notifications`)).statusCode).toBe(403);
    expect((await call(contractorB, 'GET', `/tickets/${t.id}/notifications`)).statusCode).toBe(403);
    expect((await sys.app!.inject({ method: 'GET', url: `/api/v1/tickets/${t.id}/notifications` })).statusCode).toBe(401);
    expect((await call(desk, 'GET', '/tickets/not-a-uuid/notifications')).statusCode).toBe(400);
    expect((await call(desk, 'GET', '/tickets/00000000-0000-4000-8000-000000000000/notifications')).statusCode).toBe(404);
  });
});
