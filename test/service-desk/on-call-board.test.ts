// The on-call board and overrides through the API: who is paged now per group, the handovers
// ahead, covers that go first and stand in for someone; open pages with who may acknowledge.
// Planning is for OPS (and ADMIN); the board for on-call staff; portals and strangers are kept out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { makeCustomers } from '../helpers/health-fixtures.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

type Login = Awaited<ReturnType<typeof loginAs>>;
let sys: TestSystem;
let ops: Login;
let ann: Login;
let bob: Login;
let dan: Login;
let lead: Login;
let customer: Login;
let contractor: Login;

beforeAll(async () => {
  sys = await startTestSystem('api');
  const s = sys.services;
  const owner = await makeCustomers(s, 'Board');
  [ops, ann, bob, dan, lead] = [
    await loginAs(s, sys.app!, 'OPS'),
    await loginAs(s, sys.app!, 'REPAIR'),
    await loginAs(s, sys.app!, 'REPAIR'),
    await loginAs(s, sys.app!, 'REPAIR'),
    await loginAs(s, sys.app!, 'REPAIR'),
  ];
  customer = await loginAs(s, sys.app!, 'CUSTOMER', owner.endUser.id);
  contractor = await loginAs(s, sys.app!, 'CONTRACTOR', owner.contractor.id);
});
afterAll(async () => {
  await sys?.stop();
});

const call = (as: Login | null, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  sys.app!.inject({
    method,
    url: `/api/v1${url}`,
    ...(as ? { headers: as.headers } : {}),
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
const at = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
type Person = { userId: string; override: boolean; replacesUserId: string | null };
const ids = (people: Person[]) => people.map((p) => p.userId);

describe('on-call board and overrides', { timeout: 120_000 }, () => {
  let overrideId: string;

  it('shows who is paged now per group, the handovers ahead and the overrides', async () => {
    const put = await call(ops, 'PUT', '/on-call/REPAIR', {
      shifts: [
        { userId: lead.userId, phone: '+8613800000009', from: at(-1), to: at(48), lead: true },
        { userId: ann.userId, phone: '+8613800000001', from: at(-1), to: at(8) },
        { userId: bob.userId, phone: '+8613800000002', from: at(8), to: at(16) },
      ],
    });
    expect(put.statusCode).toBe(200);
    const cover = await call(ops, 'POST', '/on-call/REPAIR/overrides', {
      userId: dan.userId,
      phone: '+8613800000004',
      from: at(-0.5),
      to: at(2),
      replacesUserId: ann.userId,
    });
    expect(cover.statusCode).toBe(201);
    overrideId = cover.json().id;

    // A new rotation keeps the override.
    expect(
      (
        await call(ops, 'PUT', '/on-call/REPAIR', {
          shifts: (put.json().shifts as Record<string, unknown>[]).map(
            ({ id: _i, position: _p, override: _o, replacesUserId: _r, ...s }: Record<string, unknown>) => s,
          ),
        })
      ).statusCode,
    ).toBe(200);

    const board = await call(ann, 'GET', '/on-call');
    expect(board.statusCode).toBe(200);
    const repair = board.json().groups.find((g: { group: string }) => g.group === 'REPAIR');
    expect(board.json().groups.map((g: { group: string }) => g.group)).toEqual(['SERVICE_DESK', 'REPAIR', 'SYSTEM']);
    expect(ids(repair.onCall)).toEqual([dan.userId, lead.userId]);
    expect(repair.onCall[0]).toMatchObject({ override: true, replacesUserId: ann.userId, name: 'REPAIR', replacesName: 'REPAIR' });
    expect(repair.handovers.map((h: { onCall: Person[] }) => ids(h.onCall))).toEqual([
      [ann.userId, lead.userId],
      [bob.userId, lead.userId],
      [lead.userId],
      // After the lead's shift nobody is on call: the board shows that gap too.
      [],
    ]);
    expect(repair.overrides.map((o: { id: string }) => o.id)).toEqual([overrideId]);
    expect(repair.rotation).toHaveLength(3);
  });

  it('pages the cover first, and lists open pages with who may acknowledge them', async () => {
    const s = sys.services;
    const { ticket } = await s.tickets.createAuto({ kind: 'DEVICE_FAULT', subject: 'Possible entrapment', group: 'REPAIR', safety: true });
    const pageId = await s.notifications.pager.page(ticket.id, 'SAFETY');
    expect(pageId).toBeTruthy();
    const forDan = (await call(dan, 'GET', '/pages?open=true&mine=true')).json().items;
    expect(forDan).toHaveLength(1);
    expect(forDan[0]).toMatchObject({
      id: pageId,
      mine: true,
      status: 'PENDING',
      reason: 'SAFETY',
      level: 0,
      ticket: { number: ticket.number },
    });
    const forOps = (await call(ops, 'GET', '/pages?open=true')).json().items;
    expect(forOps.find((p: { id: string }) => p.id === pageId)).toMatchObject({ mine: false, userId: dan.userId });
    expect((await call(ann, 'GET', '/pages?open=true&mine=true')).json().items).toHaveLength(0);
    expect((await call(ann, 'POST', `/pages/${pageId}/acknowledge`)).statusCode).toBe(404);
    expect((await call(customer, 'POST', `/pages/${pageId}/acknowledge`)).statusCode).toBe(403);
    expect((await call(dan, 'POST', `/pages/${pageId}/acknowledge`)).json()).toMatchObject({ status: 'ACKNOWLEDGED' });
    expect((await call(dan, 'GET', '/pages?open=true&mine=true')).json().items).toHaveLength(0);
  });

  it('removes an override; only planners may, and only in its own group', async () => {
    expect((await call(ops, 'DELETE', `/on-call/SYSTEM/overrides/${overrideId}`)).statusCode).toBe(404);
    expect((await call(ann, 'DELETE', `/on-call/REPAIR/overrides/${overrideId}`)).statusCode).toBe(403);
    expect((await call(ops, 'DELETE', `/on-call/REPAIR/overrides/${overrideId}`)).statusCode).toBe(204);
    expect((await call(ops, 'DELETE', `/on-call/REPAIR/overrides/${overrideId}`)).statusCode).toBe(404);
    const repair = (await call(ops, 'GET', '/on-call')).json().groups.find((g: { group: string }) => g.group === 'REPAIR');
    expect(ids(repair.onCall)).toEqual([ann.userId, lead.userId]);
  });

  it('keeps portals, other roles and callers without a token out, and answers hostile input with 400', async () => {
    const good = { userId: dan.userId, from: at(1), to: at(2) };
    for (const who of [customer, contractor]) {
      expect((await call(who, 'GET', '/on-call')).statusCode).toBe(403);
      expect((await call(who, 'GET', '/pages')).statusCode).toBe(403);
      expect((await call(who, 'POST', '/on-call/REPAIR/overrides', good)).statusCode).toBe(403);
    }
    const finance = await loginAs(sys.services, sys.app!, 'FINANCE');
    expect((await call(finance, 'GET', '/on-call')).statusCode).toBe(403);
    expect((await call(ann, 'POST', '/on-call/REPAIR/overrides', good)).statusCode).toBe(403);
    expect((await call(null, 'GET', '/on-call')).statusCode).toBe(401);
    expect((await call(null, 'POST', '/on-call/REPAIR/overrides', good)).statusCode).toBe(401);
    expect((await call(null, 'GET', '/pages')).statusCode).toBe(401);

    const bad: [string, unknown, string][] = [
      ['/on-call/FINANCE/overrides', good, 'group'],
      ['/on-call/REPAIR/overrides', { ...good, userId: 'not-a-uuid' }, 'userId'],
      ['/on-call/REPAIR/overrides', { ...good, to: at(0.5) }, 'to'],
      ['/on-call/REPAIR/overrides', { ...good, to: at(24 * 40) }, 'to'],
      ['/on-call/REPAIR/overrides', { ...good, replacesUserId: dan.userId }, 'replacesUserId'],
      ['/on-call/REPAIR/overrides', { ...good, phone: '<script>' }, 'phone'],
      ['/on-call/REPAIR/overrides', { ...good, admin: true }, ''],
      ['/on-call/REPAIR/overrides', { ...good, userId: customer.userId }, 'userId'],
      ['/on-call/REPAIR/overrides', { ...good, from: 'yesterday-ish' }, 'from'],
      ['/on-call/REPAIR/overrides', [good], ''],
    ];
    for (const [url, payload, field] of bad) {
      const r = await call(ops, 'POST', url, payload);
      expect(r.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
      if (field) expect(JSON.stringify(r.json())).toContain(field);
    }
    expect((await call(ops, 'DELETE', '/on-call/REPAIR/overrides/1%20OR%201=1')).statusCode).toBe(400);
    expect((await call(ops, 'GET', '/pages?open=maybe')).statusCode).toBe(400);
  });
});
