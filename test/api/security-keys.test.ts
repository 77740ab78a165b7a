// API keys, login throttling, the password policy and sealed idempotent responses, all over
// real HTTP against a started API process (and a second one for the shared throttle).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '../../src/app/system.js';
import { http } from '../helpers/http.js';
import { startPeerSystem, startTestSystem, type TestSystem } from '../helpers/system.js';
import { adminCtx, createContract, ensureModel, newSerial } from '../helpers/terminals.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of API answers
type Json = Record<string, any>;
type Headers = Record<string, string>;
interface Res {
  status: number;
  body: Json;
  headers: globalThis.Headers;
}

const PASSWORD = 'correct-horse-battery';
let sys: TestSystem;
let peer: System;
let admin: Headers;

async function call(method: string, path: string, headers: Headers = {}, body?: unknown, base = sys.httpUrl!): Promise<Res> {
  const res = await http(base, method, `/api/v1${path}`, { headers, body });
  return { status: res.status, body: (res.json as Json | undefined) ?? {}, headers: res.headers };
}

const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });
const email = (what: string) => `${what}-${randomBytes(4).toString('hex')}@test.nexsphere`;

async function login(address: string, password = PASSWORD, base?: string): Promise<Res> {
  return call('POST', '/auth/login', {}, { email: address, password }, base);
}

/** A user created through the API by the admin, logged in over HTTP. */
async function user(role: string, customerId: string | null = null) {
  const address = email(role.toLowerCase());
  const created = await call('POST', '/users', admin, { email: address, name: role, role, password: PASSWORD, customerId });
  expect(created.status).toBe(201);
  const res = await login(address);
  expect(res.status).toBe(200);
  return { id: created.body.id as string, email: address, headers: bearer(res.body.token as string) };
}

async function customer(kind: 'END_USER' | 'CONTRACTOR' = 'END_USER'): Promise<string> {
  return (await sys.services.db.customer.create({ data: { kind, name: `Sec ${randomBytes(3).toString('hex')}` } })).id;
}

beforeAll(async () => {
  sys = await startTestSystem('api');
  const { actor } = await adminCtx(sys.services);
  const row = await sys.services.db.user.findUniqueOrThrow({ where: { id: actor.userId } });
  const res = await login(row.email);
  admin = bearer(res.body.token as string);
});
afterAll(async () => {
  await peer?.stop();
  await sys?.stop();
});

describe('API keys act as their creator, within their scopes, until they expire', () => {
  it('refuses a key acting as a colleague, and a key acts as its creator only', async () => {
    const company = await customer();
    const me = await user('CUSTOMER', company);
    const colleague = await user('CUSTOMER', company);

    const forColleague = await call('POST', '/api-keys', me.headers, { name: 'borrowed', userId: colleague.id, scopes: ['crm:read'] });
    expect(forColleague.status).toBe(400);
    expect(forColleague.body.errors).toEqual([expect.objectContaining({ path: 'userId' })]);

    const own = await call('POST', '/api-keys', me.headers, { name: 'mine', scopes: ['crm:read'] });
    expect(own.status).toBe(201);
    expect(own.body.userId).toBe(me.id);
    const who = await call('GET', '/auth/me', bearer(own.body.key as string));
    expect(who.body).toMatchObject({ id: me.id, role: 'CUSTOMER', via: 'api-key' });
  });

  it('refuses a staff role tied to a customer when creating or changing a user', async () => {
    const company = await customer();
    const res = await call('POST', '/users', admin, {
      email: email('boss'),
      name: 'Boss',
      role: 'ADMIN',
      password: PASSWORD,
      customerId: company,
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'role' })]);

    const portal = await user('CUSTOMER', company);
    const promote = await call('PATCH', `/users/${portal.id}`, admin, { role: 'ADMIN' });
    expect(promote.status).toBe(400);
    expect(promote.body.errors).toEqual([expect.objectContaining({ path: 'role' })]);
  });

  it('lets a key do only what its scopes name: read or write per family', async () => {
    const ops = await user('OPS');
    const created = await call('POST', '/api-keys', ops.headers, { name: 'dashboard', scopes: ['devices:read'] });
    const key = bearer(created.body.key as string);

    expect((await call('GET', '/devices', key)).status).toBe(200);
    const otherFamily = await call('GET', '/customers', key);
    expect(otherFamily.status).toBe(403);
    expect(otherFamily.body.detail).toContain('crm:read');
    const write = await call('POST', `/devices/${newSerial('NXV')}/status`, key, { status: 'LOST' });
    expect(write.status).toBe(403);
    expect(write.body.detail).toContain('devices:write');
    // The same user's session is not narrowed.
    expect((await call('GET', '/customers', ops.headers)).status).toBe(200);
  });

  it('mints keys from a key only with api-keys:write, and never with more scopes than it holds', async () => {
    const ops = await user('OPS');
    const plain = bearer(
      (await call('POST', '/api-keys', ops.headers, { name: 'plain', scopes: ['devices:read', 'devices:write'] })).body.key as string,
    );
    expect((await call('POST', '/api-keys', plain, { name: 'child', scopes: ['devices:read'] })).status).toBe(403);

    const minter = bearer(
      (await call('POST', '/api-keys', ops.headers, { name: 'minter', scopes: ['devices:read', 'api-keys:write'] })).body.key as string,
    );
    const wider = await call('POST', '/api-keys', minter, { name: 'wider', scopes: ['devices:read', 'crm:write'] });
    expect(wider.status).toBe(400);
    expect(wider.body.errors).toEqual([expect.objectContaining({ path: 'scopes' })]);
    expect((await call('POST', '/api-keys', minter, { name: 'narrower', scopes: ['devices:read'] })).status).toBe(201);
  });

  it('expires a year from now by default, shows expiry and last use, and stops at its expiry', async () => {
    const sales = await user('SALES');
    const created = await call('POST', '/api-keys', sales.headers, { name: 'crm sync', scopes: ['crm:read', 'api-keys:read'] });
    const inAYear = Date.now() + 365 * 24 * 3600_000;
    expect(Math.abs(new Date(created.body.expiresAt as string).getTime() - inAYear)).toBeLessThan(60_000);
    expect(created.body).toMatchObject({ scopes: ['crm:read', 'api-keys:read'], lastUsedAt: null });

    const key = bearer(created.body.key as string);
    expect((await call('GET', '/customers', key)).status).toBe(200);
    const listed = (await call('GET', '/api-keys', key)).body.items.find((k: Json) => k.id === created.body.id);
    expect(listed).toMatchObject({ expiresAt: created.body.expiresAt, scopes: ['crm:read', 'api-keys:read'] });
    expect(listed.lastUsedAt).not.toBeNull();

    const afterAYear = new Date(inAYear + 86_400_000).toISOString();
    const tooLong = await call('POST', '/api-keys', sales.headers, { name: 'forever', scopes: ['crm:read'], expiresAt: afterAYear });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors).toEqual([expect.objectContaining({ path: 'expiresAt' })]);

    const soon = await call('POST', '/api-keys', sales.headers, {
      name: 'short',
      scopes: ['crm:read'],
      expiresAt: new Date(Date.now() + 1_500).toISOString(),
    });
    expect(soon.status).toBe(201);
    expect((await call('GET', '/customers', bearer(soon.body.key as string))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_600));
    expect((await call('GET', '/customers', bearer(soon.body.key as string))).status).toBe(401);
  });

  it('revokes the keys and ends the sessions of a user whose password is reset or who is deactivated', async () => {
    const sales = await user('SALES');
    const key = bearer((await call('POST', '/api-keys', sales.headers, { name: 'erp', scopes: ['crm:read'] })).body.key as string);
    expect((await call('PATCH', `/users/${sales.id}`, admin, { password: 'a-brand-new-passphrase' })).status).toBe(200);
    expect((await call('GET', '/customers', key)).status).toBe(401);
    expect((await call('GET', '/customers', sales.headers)).status).toBe(401);
    const relogged = bearer((await login(sales.email, 'a-brand-new-passphrase')).body.token as string);
    const keys = (await call('GET', '/api-keys', relogged)).body.items as Json[];
    expect(keys.map((k) => k.revokedAt)).toEqual([expect.any(String)]);

    // Deactivation revokes too, so reactivating the user does not bring old keys back.
    const key2 = bearer((await call('POST', '/api-keys', relogged, { name: 'erp 2', scopes: ['crm:read'] })).body.key as string);
    expect((await call('PATCH', `/users/${sales.id}`, admin, { active: false })).status).toBe(200);
    expect((await call('PATCH', `/users/${sales.id}`, admin, { active: true })).status).toBe(200);
    expect((await call('GET', '/customers', key2)).status).toBe(401);
  });
});

describe('passwords', () => {
  it('refuses short, common, one-character and e-mail passwords where users are created or reset', async () => {
    const address = email('weak');
    for (const password of ['aaaaaaaaaa', 'aaaaaaaaaaaaaaaa', 'Password1234!', 'qwerty123456', 'short-pw', address]) {
      const res = await call('POST', '/users', admin, { email: address, name: 'Weak', role: 'OPS', password });
      expect(res.status, password).toBe(400);
      expect(res.body.errors.map((e: Json) => e.path).join(), password).toMatch(/password/);
    }
    const ops = await user('OPS');
    const reset = await call('PATCH', `/users/${ops.id}`, admin, { password: 'letmein123456' });
    expect(reset.status).toBe(400);
    expect(reset.body.errors).toEqual([expect.objectContaining({ path: 'password' })]);
  });
});

describe('sealed idempotent responses', () => {
  it('keeps a provisioned terminal secret out of the stored response, and still replays it', async () => {
    await ensureModel(sys.services, 'NXV-100');
    const { contract } = await createContract(sys.services);
    const serial = newSerial('NXV');
    await sys.services.devices.addToStock(await adminCtx(sys.services), { serial, model: 'NXV-100' });
    const ops = await user('OPS');
    const headers = { ...ops.headers, 'idempotency-key': `prov-${serial}` };

    const first = await call('POST', `/devices/${serial}/provision`, headers, { contractId: contract.id });
    expect(first.status).toBe(201);
    const secret = first.body.secret as string;
    expect(secret.length).toBeGreaterThan(20);

    const row = await sys.services.db.idempotencyRecord.findUniqueOrThrow({
      where: { userId_key: { userId: ops.id, key: `prov-${serial}` } },
    });
    expect(JSON.stringify(row)).not.toContain(secret);

    const replay = await call('POST', `/devices/${serial}/provision`, headers, { contractId: contract.id });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.secret).toBe(secret);
  });
});

// Last: the address lock below shuts this file's client address out of logging in.
describe('login throttling', () => {
  it('locks an account after repeated failures, even for the right password, across API processes', async () => {
    const victim = await user('FINANCE');
    peer = await startPeerSystem(sys, 'api');
    const answers: number[] = [];
    for (let i = 0; i < 8; i++) answers.push((await login(victim.email, `wrong-password-${i}`, i % 2 ? peer.httpUrl! : undefined)).status);
    expect(answers.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(answers.slice(5)).toEqual([429, 429, 429]);

    const right = await login(victim.email, PASSWORD, peer.httpUrl!);
    expect(right.status).toBe(429);
    expect(right.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    // Other accounts are not locked by one account's failures.
    const other = await user('FINANCE');
    expect((await login(other.email)).status).toBe(200);
  });

  it('locks a client address that tries many accounts', async () => {
    // The failures of the test above count towards this address's 20 too.
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await login(email('nobody'), 'not-the-password')).status);
    const locked = statuses.indexOf(429);
    expect(locked).toBeGreaterThan(0);
    expect(locked).toBeLessThan(20);
    expect(statuses.slice(0, locked).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(locked).every((s) => s === 429)).toBe(true);

    const address = email('fresh');
    expect((await call('POST', '/users', admin, { email: address, name: 'Fresh', role: 'OPS', password: PASSWORD })).status).toBe(201);
    const res = await login(address);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
