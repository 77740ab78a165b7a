// Invoices and reminders reach people: an issued invoice (its PDF attached, Chinese names printed)
// and a dunning reminder arrive at a real SMTP server addressed to the customer's billing
// contact; a mail server refusing messages is retried with backoff, visibly, until it recovers;
// a message that exhausted its attempts is sent again from the API.
import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { addUsage, createContract, createCustomer, createOracleTariff, createTerminal, waitFor } from '../helpers/billing.js';
import { attachmentsOf, headerOf, startSmtpServer } from '../helpers/smtp.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

let sys: TestSystem;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let finance: { headers: { authorization: string } };
let sales: { headers: { authorization: string } };
let planId: string;
const DAY = 86_400_000;

beforeAll(async () => {
  smtp = await startSmtpServer();
  sys = await startTestSystem('all', {
    SMTP_URL: smtp.url,
    MAIL_FROM: 'billing@operator.test',
    MAIL_RETRY_BASE_MS: '1000',
    MAIL_MAX_ATTEMPTS: '3',
  });
  finance = await loginAs(sys.services, sys.app!, 'FINANCE');
  sales = await loginAs(sys.services, sys.app!, 'SALES');
  planId = (await createOracleTariff(sys.services)).id;
});
afterAll(async () => {
  await sys?.stop();
  await smtp?.close();
});

interface MailRow {
  id: string;
  kind: string;
  to: string | null;
  subject: string;
  status: string;
  attempts: number;
  lastError: string | null;
  transport: string | null;
  attachments: string[];
}

/** A customer with a primary contact and a separate billing contact, and an issued invoice for 2026-09. */
async function invoicedCustomer(name: string, tag: string) {
  const s = sys.services;
  const customer = await createCustomer(s, { name });
  await s.db.customer.update({
    where: { id: customer.id },
    data: { addressLine: '浦东新区张江路 690 号', city: '上海', postalCode: '201203', email: `office-${tag}@customer.test` },
  });
  for (const c of [
    { name: '王经理', email: `manager-${tag}@customer.test`, isPrimary: true },
    { name: '李会计', email: `ap-${tag}@customer.test`, isBilling: true },
  ]) {
    const res = await sys.app!.inject({
      method: 'POST',
      url: `/api/v1/customers/${customer.id}/contacts`,
      headers: sales.headers,
      payload: c,
    });
    expect(res.statusCode).toBe(201);
  }
  const contract = await createContract(s, { customerId: customer.id, tariffPlanId: planId, startDate: new Date('2026-01-01T00:00:00Z') });
  const t = await createTerminal(s, contract, 'NXV-M', new Date('2026-05-01T00:00:00Z'));
  await addUsage(s, t, '2026-09-02', 10, 64);
  const out = await s.billing.issuer.issue(contract.id, '2026-09', null, new Date());
  if (out.kind !== 'created') throw new Error(`not issued: ${out.kind}`);
  return { customer, contract, invoiceId: out.invoiceId, number: out.number!, to: `ap-${tag}@customer.test` };
}

const mailLog = async (query: string) => {
  const res = await sys.app!.inject({ url: `/api/v1/outgoing-mail${query}`, headers: finance.headers });
  expect(res.statusCode).toBe(200);
  return (res.json() as { items: MailRow[] }).items;
};
const arrivedFor = (to: string) => smtp.received.filter((m) => m.to.includes(to));

describe('invoices and reminders by e-mail', () => {
  it('e-mails an issued invoice to the billing contact with its PDF, Chinese name and address printed', async () => {
    const inv = await invoicedCustomer('上海智慧电梯有限公司', 'a');
    const mail = await waitFor(async () => arrivedFor(inv.to)[0], 20_000);
    expect(mail.from).toBe('billing@operator.test');
    expect(headerOf(mail.raw, 'Subject')).toContain(`Invoice ${inv.number} for 2026-09`);
    // Nobody else got it: not the primary contact, not the customer's own address.
    expect(smtp.received.filter((m) => m.to.some((t) => t.endsWith('-a@customer.test'))).flatMap((m) => m.to)).toEqual([inv.to]);

    const [pdf, ...others] = attachmentsOf(mail.raw);
    expect(others).toEqual([]);
    expect(pdf).toMatchObject({ contentType: 'application/pdf', filename: `${inv.number}.pdf` });
    expect(pdf!.content.subarray(0, 5).toString()).toBe('%PDF-');
    // The CJK font is embedded as a subset: the document stays small.
    expect(pdf!.content.length).toBeLessThan(200_000);
    const text = (await new PDFParse({ data: pdf!.content }).getText()).text;
    expect(text).toContain('上海智慧电梯有限公司');
    expect(text).toContain('浦东新区张江路 690 号');
    expect(text).toContain(inv.number);

    // The log says what went out, to whom, over which transport.
    const [row] = await mailLog(`?kind=invoice&customerId=${inv.customer.id}`);
    expect(row).toMatchObject({ to: inv.to, status: 'SENT', attempts: 1, transport: 'smtp', attachments: [`${inv.number}.pdf`] });
    const eml = await sys.app!.inject({ url: `/api/v1/outgoing-mail/${row!.id}.eml`, headers: finance.headers });
    expect(eml.statusCode).toBe(200);
    expect(eml.headers['content-type']).toContain('message/rfc822');
    expect(attachmentsOf(eml.body)[0]?.contentType).toBe('application/pdf');
  });

  it('e-mails a dunning reminder once per level, with the invoice attached', async () => {
    const s = sys.services;
    const inv = await invoicedCustomer('Reminder Ltd', 'b');
    await waitFor(async () => arrivedFor(inv.to)[0], 20_000);
    const due = (await s.db.invoice.findUniqueOrThrow({ where: { id: inv.invoiceId } })).dueAt!;
    await s.billing.dunning.run(new Date(due.getTime() + 8 * DAY));
    await s.billing.dunning.run(new Date(due.getTime() + 9 * DAY));
    const reminder = await waitFor(
      async () => arrivedFor(inv.to).find((m) => headerOf(m.raw, 'Subject')?.startsWith('Payment reminder')),
      20_000,
    );
    expect(headerOf(reminder.raw, 'Subject')).toBe(`Payment reminder: invoice ${inv.number} is 8 days overdue`);
    expect(reminder.raw).toContain('CNY 31.69');
    expect(attachmentsOf(reminder.raw).map((a) => a.contentType)).toEqual(['application/pdf']);
    // Handing the same events over again (the relay may) mails nothing twice.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(arrivedFor(inv.to)).toHaveLength(2);
    expect((await mailLog(`?customerId=${inv.customer.id}`)).map((m) => m.kind).sort()).toEqual(['invoice', 'reminder']);
  });

  it('retries a refused send with backoff and shows it, until the server recovers', async () => {
    smtp.failNext(2);
    const inv = await invoicedCustomer('Flaky Mail Co', 'c');
    // Between attempts the log shows the failure and that it will be tried again.
    const failing = await waitFor(async () => (await mailLog(`?customerId=${inv.customer.id}`)).find((m) => m.attempts >= 1), 20_000);
    expect(failing.status).toBe('QUEUED');
    expect(failing.lastError).toContain('451');
    const sent = await waitFor(async () => (await mailLog(`?customerId=${inv.customer.id}`)).find((m) => m.status === 'SENT'), 20_000);
    expect(sent.attempts).toBe(3);
    expect(arrivedFor(inv.to)).toHaveLength(1);
  });

  it('marks a message FAILED after its last attempt; finance sends it again', async () => {
    smtp.failNext(3);
    const inv = await invoicedCustomer('Down Mail Co', 'd');
    const failed = await waitFor(async () => (await mailLog(`?status=FAILED&customerId=${inv.customer.id}`))[0], 20_000);
    expect(failed).toMatchObject({ attempts: 3, kind: 'invoice' });
    expect(failed.lastError).toContain('451');
    expect(arrivedFor(inv.to)).toHaveLength(0);

    const retry = await sys.app!.inject({ method: 'POST', url: `/api/v1/outgoing-mail/${failed.id}/retry`, headers: finance.headers });
    expect(retry.statusCode).toBe(200);
    await waitFor(async () => arrivedFor(inv.to)[0], 20_000);
    const after = await sys.app!.inject({ url: `/api/v1/outgoing-mail/${failed.id}`, headers: finance.headers });
    expect(after.json()).toMatchObject({ status: 'SENT', attempts: 4, lastError: null });
    // Only a failed message can be sent again.
    expect(
      (await sys.app!.inject({ method: 'POST', url: `/api/v1/outgoing-mail/${failed.id}/retry`, headers: finance.headers })).statusCode,
    ).toBe(409);
    const audit = await sys.services.db.auditLog.findFirst({ where: { action: 'mail.retried', entityId: failed.id } });
    expect(audit).not.toBeNull();
  });

  it('keeps the log to staff: customers 403, no token 401, bad input 400, unknown 404', async () => {
    const s = sys.services;
    const customer = await createCustomer(s, { name: 'Nosy Ltd' });
    const nosy = await loginAs(s, sys.app!, 'CUSTOMER', customer.id);
    const [any] = await mailLog('?limit=1');
    for (const url of ['/api/v1/outgoing-mail', `/api/v1/outgoing-mail/${any!.id}`, `/api/v1/outgoing-mail/${any!.id}.eml`]) {
      expect((await sys.app!.inject({ url, headers: nosy.headers })).statusCode).toBe(403);
      expect((await sys.app!.inject({ url })).statusCode).toBe(401);
    }
    expect(
      (await sys.app!.inject({ method: 'POST', url: `/api/v1/outgoing-mail/${any!.id}/retry`, headers: nosy.headers })).statusCode,
    ).toBe(403);
    const bad = await sys.app!.inject({ url: '/api/v1/outgoing-mail?status=LOST', headers: finance.headers });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('status');
    expect((await sys.app!.inject({ url: "/api/v1/outgoing-mail?kind=x'%20OR%201=1", headers: finance.headers })).statusCode).toBe(400);
    expect((await sys.app!.inject({ url: '/api/v1/outgoing-mail/not-a-uuid', headers: finance.headers })).statusCode).toBe(400);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await sys.app!.inject({ url: `/api/v1/outgoing-mail/${unknown}.eml`, headers: finance.headers })).statusCode).toBe(404);
    expect(
      (await sys.app!.inject({ method: 'POST', url: `/api/v1/outgoing-mail/${unknown}/retry`, headers: finance.headers })).statusCode,
    ).toBe(404);
  });
});
