// The security issue's HTTP reproductions, replayed as an attacker sends them over real sockets.
// Most are replayed where their fix was tested; this file adds the ones that were not:
//
// | reproduction | replayed in |
// | --- | --- |
// | `/%61pi/v1/tariff-plans`, `/%61pi/v1/device-models` without a token | security-authz: refuses a percent-encoded spelling |
// | end user reads another company's contacts, `GET /customers/{random uuid}` | security-authz: shows an end user only its own record |
// | end user mints an API key for a colleague | security-keys: refuses a key acting as a colleague |
// | contractor mints an API key for its end user's user or for staff | below |
// | `POST /users` with ADMIN and a customerId | security-keys: refuses a staff role tied to a customer |
// | `PATCH /webhook-endpoints/{id}` keeping disabled state, filter, maxConcurrency | security-authz: PATCH changes only what it names |
// | 100 wrong passwords, then the right one answers 429 | below (security-keys: 8 attempts across two API processes) |
// | `aaaaaaaaaa` and other weak passwords | security-keys: passwords |
// | NUL bytes in text fields and filters | security-input (6 bodies, a query, a path); below for many more |
// | tampered cursor; deep JSON with Idempotency-Key | security-input |
// | duplicate e-mail, unknown customerId at user creation | security-input: creating users |
// | CSV formula injection in invoice and customer-value exports | security-edge: CSV exports |
// | API keys after a password reset or deactivation | security-keys: revokes the keys |
// | idempotent provisioning response holding the secret | security-keys: sealed idempotent responses; below for bulk provisioning |
// | SSRF address forms | test/webhooks/ssrf.test.ts |
// | security headers and CSP, CORS off | security-edge: browser policy |
// | /metrics on the API port | security-edge: listeners |
// | role checked before validation (403 without field details) | security-authz: a missing role |
// | access_token in logs | security-edge: request logs |
// | incomplete request held open | security-edge: timeouts (request line); below for a body cut short |
// Every operation with hostile input, as every role: security-fuzz.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { http } from '../helpers/http.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { adminCtx, createContract, ensureModel, newSerial } from '../helpers/terminals.js';

let sys: TestSystem;
let url: string;
beforeAll(async () => {
  sys = await startTestSystem('api');
  url = sys.httpUrl!;
});
afterAll(async () => {
  await sys?.stop();
});

describe('API keys', () => {
  it("cannot be minted by a contractor for its end user's user or for staff", async () => {
    const { contractor, customer } = await createContract(sys.services);
    const partner = await loginAs(sys.services, sys.app!, 'CONTRACTOR', contractor.id);
    const endUser = await loginAs(sys.services, sys.app!, 'CUSTOMER', customer.id);
    const admin = await loginAs(sys.services, sys.app!, 'ADMIN');
    for (const victim of [endUser.userId, admin.userId]) {
      const res = await http(url, 'POST', '/api/v1/api-keys', {
        token: partner.token,
        body: { name: 'borrowed', userId: victim, scopes: ['devices:read'] },
      });
      expect(res.status).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.json.errors.map((e: { path: string }) => e.path)).toEqual(['userId']);
      expect(await sys.services.db.apiKey.count({ where: { userId: victim } })).toBe(0);
    }
    const own = await http(url, 'POST', '/api/v1/api-keys', { token: partner.token, body: { name: 'mine', scopes: ['devices:read'] } });
    expect(own.status).toBe(201);
    expect((await http(url, 'GET', '/api/v1/auth/me', { token: own.json.key })).json).toMatchObject({
      id: partner.userId,
      role: 'CONTRACTOR',
    });
  });
});

describe('login throttling', () => {
  it('answers 429 to the right password after 100 wrong ones', async () => {
    const victim = await loginAs(sys.services, sys.app!, 'FINANCE');
    const { email } = await sys.services.db.user.findUniqueOrThrow({ where: { id: victim.userId } });
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++)
      statuses.push((await http(url, 'POST', '/api/v1/auth/login', { body: { email, password: `guess-${i}-xyzzy` } })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));
    const right = await http(url, 'POST', '/api/v1/auth/login', { body: { email, password: 'correct-horse-battery' } });
    expect(right.status).toBe(429);
    expect(right.contentType).toContain('application/problem+json');
    expect(right.json.token).toBeUndefined();
  });
});

describe('NUL characters', () => {
  it('are refused with 400 naming the field in text fields and filters across the API', async () => {
    const admin = (await loginAs(sys.services, sys.app!, 'ADMIN')).token;
    const { customer, contract } = await createContract(sys.services);
    const contact = await http(url, 'POST', `/api/v1/customers/${customer.id}/contacts`, { token: admin, body: { name: 'Clean' } });
    const ticket = await http(url, 'POST', '/api/v1/tickets', {
      token: admin,
      body: { kind: 'QUESTION', subject: 'Clean', customerId: customer.id },
    });
    const hook = await http(url, 'POST', '/api/v1/webhook-endpoints', {
      token: admin,
      body: { customerId: customer.id, url: 'http://127.0.0.1:9/h' },
    });
    const model = await ensureModel(sys.services, 'NXV-100');
    const ops = await loginAs(sys.services, sys.app!, 'OPS');
    expect([contact.status, ticket.status, hook.status]).toEqual([201, 201, 201]);
    const bodies: [string, string, unknown, string][] = [
      ['PATCH', `/api/v1/customers/${customer.id}`, { city: 'Shang\u0000hai' }, 'body.city'],
      ['PATCH', `/api/v1/customers/${customer.id}/contacts/${contact.json.id}`, { title: '\u0000' }, 'body.title'],
      ['POST', '/api/v1/interactions', { kind: 'NOTE', customerId: customer.id, subject: 'x\u0000' }, 'body.subject'],
      ['POST', `/api/v1/tickets/${ticket.json.id}/comments`, { body: 'see \u0000 here' }, 'body.body'],
      ['PATCH', `/api/v1/tickets/${ticket.json.id}`, { subject: 'S\u0000' }, 'body.subject'],
      ['PATCH', `/api/v1/webhook-endpoints/${hook.json.id}`, { description: 'd\u0000' }, 'body.description'],
      ['PATCH', `/api/v1/webhook-endpoints/${hook.json.id}`, { eventTypes: ['device.uplink', 'x\u0000'] }, 'body.eventTypes.1'],
      ['PATCH', `/api/v1/device-models/${model.id}`, { name: 'M\u0000' }, 'body.name'],
      ['PATCH', `/api/v1/contracts/${contract.id}`, { notes: 'n\u0000' }, 'body.notes'],
      ['PATCH', `/api/v1/users/${ops.userId}`, { name: 'N\u0000' }, 'body.name'],
      ['POST', '/api/v1/api-keys', { name: 'k\u0000', scopes: ['crm:read'] }, 'body.name'],
      ['POST', '/api/v1/auth/login', { email: 'a@b.co\u0000', password: 'x' }, 'body.email'],
    ];
    for (const [method, path, body, field] of bodies) {
      const res = await http(url, method, path, { token: admin, body });
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
      expect(
        res.json.errors.map((e: { path: string }) => e.path),
        `${method} ${path}`,
      ).toContain(field);
    }
    const filters = [
      '/api/v1/users?q=%00',
      '/api/v1/leads?q=a%00',
      '/api/v1/knowledge-articles?q=%00x',
      '/api/v1/tickets?kind=A%00',
      '/api/v1/invoices?period=2026-10%00',
      '/api/v1/devices?model=NXV%00',
      '/api/v1/audit-log?entityType=%00',
      `/api/v1/webhook-endpoints/${hook.json.id}/deliveries?eventType=%00`,
      '/api/v1/reports/aging?currency=%00',
    ];
    for (const path of filters) {
      const res = await http(url, 'GET', path, { token: admin });
      expect(res.status, path).toBe(400);
      expect(res.json.errors[0].path, path).toBe(`querystring.${new URL(path, url).searchParams.keys().next().value}`);
    }
  });
});

describe('bulk provisioning with an Idempotency-Key', () => {
  it("stores the response without the terminals' secrets in plaintext, and replays them", async () => {
    await ensureModel(sys.services, 'NXV-100');
    const { contract } = await createContract(sys.services);
    const ctx = await adminCtx(sys.services);
    const serials = [newSerial('NXV'), newSerial('NXV')];
    for (const serial of serials) await sys.services.devices.addToStock(ctx, { serial, model: 'NXV-100' });
    const ops = await loginAs(sys.services, sys.app!, 'OPS');
    const csv = ['serial,contract', ...serials.map((s) => `${s},${contract.number}`)].join('\n');
    const request = { token: ops.token, headers: { 'idempotency-key': `bulk-${serials[0]}` }, body: { csv } };
    const first = await http(url, 'POST', '/api/v1/devices/provision-bulk', request);
    expect(first.status).toBe(200);
    const secrets = (first.json.rows as { secret: string }[]).map((r) => r.secret);
    expect(secrets).toHaveLength(2);
    const stored = JSON.stringify(await sys.services.db.idempotencyRecord.findMany({ where: { userId: ops.userId } }));
    expect(stored).toContain(`bulk-${serials[0]}`);
    for (const secret of secrets) expect(stored).not.toContain(secret);
    const replay = await http(url, 'POST', '/api/v1/devices/provision-bulk', request);
    expect((replay.json.rows as { secret: string }[]).map((r) => r.secret)).toEqual(secrets);
  });
});

describe('a request body cut short', () => {
  it('is dropped after about ten seconds', async () => {
    const socket = connect({ host: '127.0.0.1', port: Number(new URL(url).port) });
    await new Promise((r) => socket.once('connect', r));
    const started = Date.now();
    socket.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"email":');
    const closedAfter = await new Promise<number>((resolve) => {
      const timer = setTimeout(() => resolve(-1), 30_000);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(Date.now() - started);
      });
      socket.on('error', () => {});
      socket.resume();
    });
    socket.destroy();
    expect(closedAfter, 'the server closed the connection').toBeGreaterThan(8_000);
    expect(closedAfter).toBeLessThan(15_000);
  }, 40_000);
});
