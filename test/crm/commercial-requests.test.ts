import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

type Login = Awaited<ReturnType<typeof loginAs>>;
let sys: TestSystem;
let sales: Login;
let finance: Login;
let ops: Login;
let contractor: Login;
let otherContractor: Login;
let endUserId: string;
let otherEndUserId: string;

const call = (method: 'GET' | 'POST' | 'PATCH', url: string, who: Login | null, payload?: object) =>
  sys.app!.inject({ method, url: `/api/v1${url}`, headers: who?.headers ?? {}, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  sys = await startTestSystem('api');
  sales = await loginAs(sys.services, sys.app!, 'SALES');
  finance = await loginAs(sys.services, sys.app!, 'FINANCE');
  ops = await loginAs(sys.services, sys.app!, 'OPS');
  const mk = async (payload: object) => ((await call('POST', '/customers', sales, payload)).json() as { id: string }).id;
  const c1 = await mk({ kind: 'CONTRACTOR', name: 'Pudong Install Co', commissionRateBp: 800 });
  const c2 = await mk({ kind: 'CONTRACTOR', name: 'Minhang Field Services', commissionRateBp: 800 });
  contractor = await loginAs(sys.services, sys.app!, 'CONTRACTOR', c1);
  otherContractor = await loginAs(sys.services, sys.app!, 'CONTRACTOR', c2);
  endUserId = (
    (await call('POST', '/customers', contractor, { kind: 'END_USER', name: 'Lujiazui Towers', tier: 'PLATINUM' })).json() as {
      id: string;
    }
  ).id;
  otherEndUserId = (
    (await call('POST', '/customers', otherContractor, { kind: 'END_USER', name: 'Minhang Depot' })).json() as { id: string }
  ).id;
});
afterAll(async () => {
  await sys?.stop();
});

describe('commercial terms change only with approval', () => {
  it('gives a customer a contractor creates the house terms, whatever the contractor asked for', async () => {
    const created = (await call('GET', `/customers/${endUserId}`, contractor)).json() as { tier: string; paymentTermsDays: number };
    expect(created).toMatchObject({ tier: 'STANDARD', paymentTermsDays: 30 });
  });

  it('refuses a contractor or operations raising tier or payment terms directly, naming the fields, and changes nothing', async () => {
    const res = await call('PATCH', `/customers/${endUserId}`, contractor, { tier: 'PLATINUM', paymentTermsDays: 365, phone: '+86 21 1' });
    expect(res.statusCode).toBe(403);
    expect((res.json() as { errors: { path: string }[] }).errors.map((e) => e.path).sort()).toEqual(['body.paymentTermsDays', 'body.tier']);
    expect((await call('PATCH', `/customers/${endUserId}`, ops, { tier: 'GOLD' })).statusCode).toBe(403);
    const after = (await call('GET', `/customers/${endUserId}`, sales)).json() as {
      tier: string;
      paymentTermsDays: number;
      phone: string | null;
    };
    expect(after).toMatchObject({ tier: 'STANDARD', paymentTermsDays: 30, phone: null });
    // Other fields still change, and restating the current terms is not a change.
    expect((await call('PATCH', `/customers/${endUserId}`, contractor, { phone: '+86 21 5555 0101', tier: 'STANDARD' })).statusCode).toBe(
      200,
    );
  });

  it('applies a request once sales approves it, and shows the request and the decision on the timeline', async () => {
    const asked = await call('POST', `/customers/${endUserId}/commercial-requests`, contractor, {
      tier: 'GOLD',
      paymentTermsDays: 60,
      reason: 'Signed for 200 elevators, needs a 4-hour response',
    });
    expect(asked.statusCode).toBe(201);
    const request = asked.json() as { id: string; status: string };
    expect(request.status).toBe('PENDING');
    expect(((await call('GET', `/customers/${endUserId}`, sales)).json() as { tier: string }).tier).toBe('STANDARD');

    // The contractor cannot approve its own request; a second decision after the first is a conflict.
    expect((await call('POST', `/commercial-requests/${request.id}/approve`, contractor, {})).statusCode).toBe(403);
    const approved = await call('POST', `/commercial-requests/${request.id}/approve`, sales, { note: 'Volume justifies GOLD' });
    expect(approved.statusCode).toBe(200);
    const again = await call('POST', `/commercial-requests/${request.id}/refuse`, finance);
    expect(again.statusCode, again.body).toBe(409);
    expect((await call('GET', `/customers/${endUserId}`, contractor)).json()).toMatchObject({ tier: 'GOLD', paymentTermsDays: 60 });

    const timeline = (await call('GET', `/customers/${endUserId}/timeline?limit=50`, sales)).json() as {
      items: { kind: string; title: string }[];
    };
    const kinds = timeline.items.map((i) => i.kind);
    expect(kinds).toContain('commercial_request.created');
    expect(kinds).toContain('commercial_request.approved');
    expect(timeline.items.find((i) => i.kind === 'commercial_request.approved')!.title).toContain('tier STANDARD → tier GOLD');
  });

  it('leaves the customer as it was when finance refuses', async () => {
    const request = (
      await call('POST', `/customers/${endUserId}/commercial-requests`, contractor, { paymentTermsDays: 365, reason: 'Customer asks' })
    ).json() as { id: string };
    const refused = await call('POST', `/commercial-requests/${request.id}/refuse`, finance, { note: 'A year to pay is not offered' });
    expect(refused.json()).toMatchObject({ status: 'REFUSED', decisionNote: 'A year to pay is not offered' });
    expect(((await call('GET', `/customers/${endUserId}`, sales)).json() as { paymentTermsDays: number }).paymentTermsDays).toBe(60);
  });

  it('keeps requests within the contractor’s own end users', async () => {
    expect(
      (await call('POST', `/customers/${otherEndUserId}/commercial-requests`, contractor, { tier: 'GOLD', reason: 'x' })).statusCode,
    ).toBe(404);
    const mine = (
      await call('POST', `/customers/${otherEndUserId}/commercial-requests`, otherContractor, { tier: 'SILVER', reason: 'y' })
    ).json() as {
      id: string;
    };
    expect((await call('GET', `/commercial-requests/${mine.id}`, contractor)).statusCode).toBe(404);
    expect((await call('POST', `/commercial-requests/${mine.id}/withdraw`, contractor)).statusCode).toBe(404);
    const listed = (await call('GET', '/commercial-requests?status=PENDING', contractor)).json() as { items: { customerId: string }[] };
    expect(listed.items.every((r) => r.customerId === endUserId)).toBe(true);
    const all = (await call('GET', '/commercial-requests?status=PENDING', sales)).json() as { items: { id: string }[] };
    expect(all.items.map((r) => r.id)).toContain(mine.id);
    expect((await call('POST', `/commercial-requests/${mine.id}/withdraw`, otherContractor)).json()).toMatchObject({ status: 'WITHDRAWN' });
  });

  it('answers a contractor creating a contractor 403 naming the field, not 404', async () => {
    const res = await call('POST', '/customers', contractor, { kind: 'CONTRACTOR', name: 'Shadow Partner' });
    expect(res.statusCode).toBe(403);
    expect((res.json() as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['body.kind']);
  });

  it('answers the wrong role 403, no token 401 and hostile input 400 naming the field', async () => {
    const customer = await loginAs(sys.services, sys.app!, 'CUSTOMER', endUserId);
    expect((await call('POST', `/customers/${endUserId}/commercial-requests`, customer, { tier: 'GOLD', reason: 'x' })).statusCode).toBe(
      403,
    );
    expect((await call('GET', '/commercial-requests', customer)).statusCode).toBe(403);
    expect((await call('GET', '/commercial-requests', null)).statusCode).toBe(401);
    const pending = (
      await call('POST', `/customers/${endUserId}/commercial-requests`, contractor, { tier: 'PLATINUM', reason: 'z' })
    ).json() as {
      id: string;
    };
    expect((await call('POST', `/commercial-requests/${pending.id}/approve`, ops)).statusCode).toBe(403);
    const bad = await call('POST', `/customers/${endUserId}/commercial-requests`, contractor, {
      tier: 'DIAMOND',
      paymentTermsDays: -5,
      reason: '',
      discountBp: 9000,
    });
    expect(bad.statusCode).toBe(400);
    const paths = (bad.json() as { errors: { path: string }[] }).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.tier', 'body.paymentTermsDays', 'body.reason']));
    const nothing = await call('POST', `/customers/${endUserId}/commercial-requests`, contractor, { tier: 'GOLD', reason: 'same' });
    expect(nothing.statusCode).toBe(400);
    expect((await call('GET', '/commercial-requests/not-a-uuid', sales)).statusCode).toBe(400);
  });
});
