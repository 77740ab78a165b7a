import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { createContract, createCustomer, createOracleTariff, createTerminal } from '../helpers/billing.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

// The customer account and bank statement routes as the wrong role, the wrong tenant, without
// a token and with hostile statement files.
let sys: TestSystem;
type Headers = { authorization: string };
const who: Record<string, Headers> = {};
const ids: Record<string, string> = {};

beforeAll(async () => {
  sys = await startTestSystem('api');
  const s = sys.services;
  const app = sys.app!;
  const plan = await createOracleTariff(s);
  const contractor = await createCustomer(s, { name: 'Installer', kind: 'CONTRACTOR' });
  const mine = await createCustomer(s, { name: 'Mine Ltd', contractorId: contractor.id });
  const theirs = await createCustomer(s, { name: 'Theirs Ltd' });
  for (const c of [mine, theirs]) {
    const contract = await createContract(s, { customerId: c.id, tariffPlanId: plan.id });
    await createTerminal(s, contract, 'NXV-S', new Date('2026-08-10T02:00:00Z'));
    await s.billing.issuer.issue(contract.id, '2026-09', null);
  }
  Object.assign(ids, { mine: mine.id, theirs: theirs.id });
  for (const role of ['FINANCE', 'SALES', 'OPS'] as const) who[role] = (await loginAs(s, app, role)).headers;
  who.CUSTOMER = (await loginAs(s, app, 'CUSTOMER', mine.id)).headers;
  who.CONTRACTOR = (await loginAs(s, app, 'CONTRACTOR', contractor.id)).headers;
});
afterAll(async () => {
  await sys?.stop();
});

const call = (method: 'GET' | 'POST', url: string, headers: Headers | Record<string, string> = {}, payload?: unknown) =>
  sys.app!.inject({ method, url: `/api/v1${url}`, headers, ...(payload === undefined ? {} : { payload: payload as string }) });
const csvHeaders = () => ({ ...who.FINANCE!, 'content-type': 'text/csv' });
const upload = (csv: string) => call('POST', '/billing/bank-statements', csvHeaders(), csv);
const problem = (res: { json: () => unknown }) => JSON.stringify(res.json());

describe('customer balance and statement', () => {
  it('answers 401 without a token, 403 to roles outside billing, 404 outside the tenant', async () => {
    for (const path of ['balance', 'statement', 'statement.csv']) {
      expect((await call('GET', `/customers/${ids.mine}/${path}`)).statusCode).toBe(401);
      expect((await call('GET', `/customers/${ids.mine}/${path}`, who.OPS)).statusCode).toBe(403);
      expect((await call('GET', `/customers/${ids.mine}/${path}`, who.CUSTOMER)).statusCode).toBe(200);
      expect((await call('GET', `/customers/${ids.mine}/${path}`, who.CONTRACTOR)).statusCode).toBe(200);
      expect((await call('GET', `/customers/${ids.theirs}/${path}`, who.CUSTOMER)).statusCode).toBe(404);
      expect((await call('GET', `/customers/${ids.theirs}/${path}`, who.CONTRACTOR)).statusCode).toBe(404);
      expect((await call('GET', `/customers/${ids.theirs}/${path}`, who.FINANCE)).statusCode).toBe(200);
    }
    const bad = await call('GET', `/customers/${ids.mine}/statement?currency=yen&from=yesterday`, who.FINANCE);
    expect(bad.statusCode).toBe(400);
    expect(problem(bad)).toContain('currency');
  });

  it('lets only finance refund credit, and never more than the credit', async () => {
    const body = { amountMinor: 100, reason: 'Closing', reference: 'SEC-REF-1' };
    expect((await call('POST', `/customers/${ids.mine}/credit-refunds`, {}, body)).statusCode).toBe(401);
    for (const role of ['SALES', 'CONTRACTOR', 'CUSTOMER', 'OPS']) {
      expect((await call('POST', `/customers/${ids.mine}/credit-refunds`, who[role], body)).statusCode).toBe(403);
    }
    const none = await call('POST', `/customers/${ids.mine}/credit-refunds`, who.FINANCE, body);
    expect(none.statusCode).toBe(400); // no credit at all
    expect(problem(none)).toContain('amountMinor');
    expect((await call('POST', `/customers/${ids.mine}/credit-refunds`, who.FINANCE, { ...body, amountMinor: -5 })).statusCode).toBe(400);
    expect((await call('POST', `/customers/00000000-0000-4000-8000-000000000000/credit-refunds`, who.FINANCE, body)).statusCode).toBe(404);
  });

  it('refuses payments to another customer through its invoice ids mixed with one own', async () => {
    const inv = await sys.services.db.invoice.findMany({ select: { id: true, customerId: true } });
    const a = inv.find((i) => i.customerId === ids.mine)!;
    const b = inv.find((i) => i.customerId === ids.theirs)!;
    const res = await call('POST', '/payments', who.FINANCE, {
      reference: 'SEC-MIX',
      customerId: ids.mine,
      amountMinor: 200,
      allocations: [
        { invoiceId: a.id, amountMinor: 100 },
        { invoiceId: b.id, amountMinor: 100 },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(problem(res)).toContain('allocations');
    expect((await call('POST', '/payments', who.SALES, { reference: 'SEC-S', customerId: ids.mine, amountMinor: 1 })).statusCode).toBe(403);
  });
});

describe('bank statements', () => {
  const ok = 'date,amount,payer,reference\n2026-12-01,10.00,Somebody,Hello\n';

  it('are finance-only: 401 without a token, 403 for sales, contractors and customers', async () => {
    expect((await call('POST', '/billing/bank-statements', { 'content-type': 'text/csv' }, ok)).statusCode).toBe(401);
    for (const role of ['SALES', 'CONTRACTOR', 'CUSTOMER', 'OPS']) {
      expect((await call('POST', '/billing/bank-statements', { ...who[role]!, 'content-type': 'text/csv' }, ok)).statusCode).toBe(403);
      expect((await call('GET', '/billing/bank-statement-lines', who[role])).statusCode).toBe(403);
      expect((await call('GET', '/billing/bank-statements', who[role])).statusCode).toBe(403);
    }
    const res = await upload(ok);
    expect(res.statusCode).toBe(201);
    const line = (res.json() as { items: { id: string }[] }).items[0]!;
    for (const role of ['SALES', 'CONTRACTOR']) {
      expect((await call('POST', `/billing/bank-statement-lines/${line.id}/assign`, who[role], { customerId: ids.mine })).statusCode).toBe(
        403,
      );
      expect((await call('POST', `/billing/bank-statement-lines/${line.id}/dismiss`, who[role], { reason: 'x' })).statusCode).toBe(403);
    }
    // Neither target, or both, is a 400 naming the field; an unknown line 404.
    expect((await call('POST', `/billing/bank-statement-lines/${line.id}/assign`, who.FINANCE, {})).statusCode).toBe(400);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await call('POST', `/billing/bank-statement-lines/${unknown}/assign`, who.FINANCE, { customerId: ids.mine })).statusCode).toBe(
      404,
    );
    expect((await call('POST', `/billing/bank-statement-lines/${line.id}/assign`, who.FINANCE, { customerId: unknown })).statusCode).toBe(
      404,
    );
  });

  it('accept a multipart form upload', async () => {
    const boundary = '----nexsphere-test';
    const body = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="file"; filename="december.csv"',
      'Content-Type: text/csv',
      '',
      'date,amount,payer,reference\n2026-12-05,20.00,Form Payer,Upload',
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const res = await call(
      'POST',
      '/billing/bank-statements',
      { ...who.FINANCE!, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
    );
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ newLines: 1, UNMATCHED: 1 });
    const empty = await call(
      'POST',
      '/billing/bank-statements',
      { ...who.FINANCE!, 'content-type': `multipart/form-data; boundary=${boundary}` },
      `--${boundary}--\r\n`,
    );
    expect(empty.statusCode).toBe(400);
    expect(problem(empty)).toContain('file');
  });

  it('refuse hostile files with a 4xx naming the line and field, importing nothing', async () => {
    const before = await sys.services.db.bankStatementLine.count();
    const cases: [string, string][] = [
      ['date,amount,payer,reference\n2026-12-01,10.00,"=HYPERLINK(""http://x"")",ref\n', 'line 2.payer'],
      ['date,amount,payer,reference\n2026-12-01,10.00,Payer,@SUM(A1)\n', 'line 2.reference'],
      ['date,amount,payer,reference\n2026-12-01,10.00,Payer,ok\n2026-12-01,"12,50",Payer,ok\n', 'line 3.amount'],
      ['date,amount,payer,reference\n2026-12-01,1e5,Payer,ok\n', 'line 2.amount'],
      ['date,amount,payer,reference\n2026-12-01,10.001,Payer,ok\n', 'line 2.amount'],
      ['date,amount,payer,reference\n2026-12-01,99999999999999999999,Payer,ok\n', 'line 2.amount'],
      ['date,amount,payer,reference\n2026-12-01,0.00,Payer,ok\n', 'line 2.amount'],
      ['date,amount,payer,reference\n2026-13-45,10.00,Payer,ok\n', 'line 2.date'],
      ['date,amount,payer,reference\n2026-12-01,10.00,Pay\u0007er,ok\n', 'line 2.payer'],
      [`date,amount,payer,reference\n2026-12-01,10.00,${'x'.repeat(300)},ok\n`, 'line 2.payer'],
      ['date,amount,payer\n2026-12-01,10.00,Payer\n', 'line 1'],
      ['date,amount,payer,reference\n2026-12-01,10.00,"unterminated,ok\n', 'line'],
    ];
    for (const [csv, field] of cases) {
      const res = await upload(csv);
      expect(res.statusCode, csv).toBe(400);
      expect(problem(res), csv).toContain(field);
    }
    // NUL characters are refused before the parser sees them.
    expect((await upload('date,amount,payer,reference\n2026-12-01,10.00,Pay\u0000er,ok\n')).statusCode).toBe(400);
    // Too many lines, and too many bytes.
    const many = `date,amount,payer,reference\n${Array.from({ length: 5001 }, (_, i) => `2026-12-01,1.00,P${i},R`).join('\n')}`;
    const tooMany = await upload(many);
    expect(tooMany.statusCode).toBe(400);
    expect(problem(tooMany)).toContain('at most 5000 lines');
    const huge = `date,amount,payer,reference\n${'2026-12-01,1.00,Payer,Reference\n'.repeat(80_000)}`;
    expect((await upload(huge)).statusCode).toBe(413);
    expect(await sys.services.db.bankStatementLine.count()).toBe(before);
  });
});
