import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of API answers
type Json = Record<string, any>;
type Headers = { authorization: string };
let sys: TestSystem;
let admin: { headers: Headers; userId: string };

async function call(method: 'GET' | 'POST' | 'PATCH', url: string, headers: Headers, payload?: object) {
  const res = await sys.app!.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.json() as Json };
}

async function login(email: string, password: string) {
  return sys.app!.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
}

beforeAll(async () => {
  sys = await startTestSystem('api');
  admin = await loginAs(sys.services, sys.app!, 'ADMIN');
});
afterAll(async () => {
  await sys?.stop();
});

describe('users', () => {
  it('lists users for admins only, a page at a time, without password hashes', async () => {
    for (let i = 0; i < 4; i++) await loginAs(sys.services, sys.app!, 'SERVICE');
    const first = await call('GET', '/users?role=SERVICE&limit=3', admin.headers);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(3);
    expect(first.body.items[0]).not.toHaveProperty('passwordHash');
    const second = await call('GET', `/users?role=SERVICE&limit=3&cursor=${first.body.nextCursor}`, admin.headers);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();

    const ops = await loginAs(sys.services, sys.app!, 'OPS');
    expect((await call('GET', '/users', ops.headers)).status).toBe(403);
    expect((await call('PATCH', `/users/${ops.userId}`, ops.headers, { role: 'ADMIN' })).status).toBe(403);
  });

  it('deactivating a user ends their sessions and API keys at once', async () => {
    const victim = await loginAs(sys.services, sys.app!, 'SALES');
    const key = (await call('POST', '/api-keys', victim.headers, { name: 'integration', scopes: ['crm:read'] })).body.key as string;
    expect((await call('GET', '/customers', victim.headers)).status).toBe(200);

    const off = await call('PATCH', `/users/${victim.userId}`, admin.headers, { active: false });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect((await call('GET', '/customers', victim.headers)).status).toBe(401);
    expect((await call('GET', '/customers', { authorization: `Bearer ${key}` })).status).toBe(401);
    expect(await sys.services.db.session.count({ where: { userId: victim.userId } })).toBe(0);

    const audit = (await call('GET', `/audit-log?entityType=user&entityId=${victim.userId}`, admin.headers)).body.items;
    expect(audit[0]).toMatchObject({
      action: 'user.updated',
      actorId: admin.userId,
      before: { active: true },
      after: { active: false, sessionsEnded: 1 },
    });
  });

  it('resets a password: the old one and old sessions stop working, the new one logs in', async () => {
    const user = await loginAs(sys.services, sys.app!, 'FINANCE');
    const email = (await sys.services.db.user.findUniqueOrThrow({ where: { id: user.userId } })).email;
    const res = await call('PATCH', `/users/${user.userId}`, admin.headers, { password: 'a-brand-new-passphrase', name: 'Renamed' });
    expect(res.body.name).toBe('Renamed');
    expect((await call('GET', '/auth/me', user.headers)).status).toBe(401);
    expect((await login(email, 'correct-horse-battery')).statusCode).toBe(401);
    expect((await login(email, 'a-brand-new-passphrase')).statusCode).toBe(200);
    const audit = (await call('GET', `/audit-log?entityId=${user.userId}`, admin.headers)).body.items[0];
    expect(JSON.stringify(audit)).not.toContain('a-brand-new-passphrase');
    expect(audit.after.passwordReset).toBe(true);
  });

  it('checks role changes: external roles need a fitting customer, admins cannot demote themselves', async () => {
    const user = await loginAs(sys.services, sys.app!, 'SALES');
    const noCustomer = await call('PATCH', `/users/${user.userId}`, admin.headers, { role: 'CONTRACTOR' });
    expect(noCustomer.status).toBe(400);
    expect(noCustomer.body.errors).toEqual([{ path: 'customerId', message: 'Required for this role' }]);
    const endUser = await sys.services.db.customer.create({ data: { kind: 'END_USER', name: 'Someone' } });
    const mismatch = await call('PATCH', `/users/${user.userId}`, admin.headers, { role: 'CONTRACTOR', customerId: endUser.id });
    expect(mismatch.body.errors).toEqual([{ path: 'customerId', message: 'Not a contractor' }]);
    const ok = await call('PATCH', `/users/${user.userId}`, admin.headers, { role: 'CUSTOMER', customerId: endUser.id });
    expect(ok.body).toMatchObject({ role: 'CUSTOMER', customerId: endUser.id });

    expect((await call('PATCH', `/users/${admin.userId}`, admin.headers, { active: false })).status).toBe(409);
    expect((await call('PATCH', `/users/${admin.userId}`, admin.headers, { role: 'OPS' })).status).toBe(409);
    const badRole = await call('PATCH', `/users/${user.userId}`, admin.headers, { role: 'KING' });
    expect(badRole.body.errors.map((e: Json) => e.path)).toEqual(['body.role']);
  });
});

describe('audit log', () => {
  it('answers staff who oversee (admin, ops, finance) with filters and a cursor; others get 403', async () => {
    const sales = await loginAs(sys.services, sys.app!, 'SALES');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await call('POST', '/customers', sales.headers, { kind: 'END_USER', name: `Audited ${i}` })).body.id);
    }
    await call('PATCH', `/customers/${ids[0]}`, sales.headers, { name: 'Audited zero' });

    const ops = await loginAs(sys.services, sys.app!, 'OPS');
    const byActor: Json[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: Json } = await call(
        'GET',
        `/audit-log?actorId=${sales.userId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        ops.headers,
      );
      byActor.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(byActor).toHaveLength(6);
    expect(byActor[0]).toMatchObject({ action: 'customer.updated', entityType: 'customer', entityId: ids[0], actorRole: 'SALES' });
    expect(byActor[0]!.before.name).toBe('Audited 0');
    expect(byActor[0]!.after.name).toBe('Audited zero');
    expect(byActor.map((a) => a.id)).toEqual([...byActor.map((a) => a.id)].sort((a, b) => b - a));

    const one = await call('GET', `/audit-log?entityType=customer&entityId=${ids[3]}`, ops.headers);
    expect(one.body.items.map((a: Json) => a.action)).toEqual(['customer.created']);

    expect((await call('GET', '/audit-log', sales.headers)).status).toBe(403);
    const contractor = await loginAs(
      sys.services,
      sys.app!,
      'CONTRACTOR',
      (await sys.services.db.customer.create({ data: { kind: 'CONTRACTOR', name: 'K' } })).id,
    );
    expect((await call('GET', '/audit-log', contractor.headers)).status).toBe(403);
    expect((await call('GET', '/audit-log?cursor=garbage', ops.headers)).body.errors[0].path).toBe('cursor');
  });
});
