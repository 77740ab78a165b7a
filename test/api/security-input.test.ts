import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { http } from '../helpers/http.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

// Bad input is the client's 400/404/409 naming the field, never a 500.

let sys: TestSystem;
let url: string;
let ops: string;
let admin: string;
beforeAll(async () => {
  sys = await startTestSystem('api');
  url = sys.httpUrl!;
  ops = (await loginAs(sys.services, sys.app!, 'OPS')).token;
  admin = (await loginAs(sys.services, sys.app!, 'ADMIN')).token;
});
afterAll(async () => {
  await sys?.stop();
});

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('NUL characters', () => {
  it('are refused with 400 naming the field in bodies, queries and paths', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/v1/customers', { kind: 'END_USER', name: 'Acme\u0000' }, 'body.name'],
      ['POST', '/api/v1/leads', { companyName: 'Lead', notes: 'x\u0000y' }, 'body.notes'],
      ['POST', '/api/v1/tickets', { kind: 'QUESTION', subject: 'Help', description: '\u0000' }, 'body.description'],
      ['POST', '/api/v1/knowledge-articles', { title: 'T\u0000', body: 'B', tags: ['a'] }, 'body.title'],
      ['POST', '/api/v1/devices', { serial: 'NXV-1', model: 'NXV-1', firmware: '1\u0000' }, 'body.firmware'],
      ['POST', '/api/v1/devices/NXV-404/commands', { opcode: 'REPORT_NOW', args: { 'k\u0000': 1 } }, 'body.args.k\\u0000'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await http(url, method, path, { token: admin, body });
      expect(res.status, path).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
      expect(
        res.json.errors.map((e: { path: string }) => e.path),
        path,
      ).toContain(field);
    }
    const query = await http(url, 'GET', '/api/v1/customers?q=a%00b', { token: ops });
    expect(query.status).toBe(400);
    expect(query.json.errors[0].path).toBe('querystring.q');
    const param = await http(url, 'GET', '/api/v1/devices/NXV%00', { token: ops });
    expect(param.status).toBe(400);
    expect(param.json.errors[0].path).toBe('params.serial');
  });
});

describe('pagination cursors', () => {
  it('answer 400 naming the cursor when tampered with', async () => {
    const bad = [
      'garbage!',
      cursorOf(['2026-01-01T00:00:00.000Z', 'not-a-uuid']),
      cursorOf(['-270000-01-01T00:00:00.000Z', '00000000-0000-0000-0000-000000000000']),
      cursorOf({ createdAt: 1 }),
      cursorOf([1, 2]),
    ];
    for (const path of ['/api/v1/customers', '/api/v1/contracts', '/api/v1/invoices', '/api/v1/webhook-endpoints']) {
      for (const cursor of bad) {
        const res = await http(url, 'GET', `${path}?cursor=${encodeURIComponent(cursor)}`, { token: ops });
        expect(res.status, `${path} ${cursor}`).toBe(400);
        expect(res.json.errors[0].path).toBe('cursor');
      }
    }
  });
});

describe('deeply nested JSON', () => {
  it('is refused with 400, also on idempotent requests', async () => {
    const depth = 20_000;
    const deep = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const res = await http(url, 'POST', '/api/v1/devices/NXV-404/commands', {
      token: ops,
      rawBody: `{"opcode":"REPORT_NOW","args":${deep}}`,
      headers: { 'idempotency-key': 'deep-1' },
    });
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
  });
});

describe('creating users', () => {
  it('answers 409 for a taken e-mail and 400 naming customerId for an unknown customer', async () => {
    const body = { email: 'twice@test.nexsphere', name: 'Twice', role: 'OPS', password: 'correct-horse-battery' };
    expect((await http(url, 'POST', '/api/v1/users', { token: admin, body })).status).toBe(201);
    const again = await http(url, 'POST', '/api/v1/users', { token: admin, body });
    expect(again.status).toBe(409);
    expect(again.contentType).toContain('application/problem+json');

    const orphan = await http(url, 'POST', '/api/v1/users', {
      token: admin,
      body: {
        email: 'orphan@test.nexsphere',
        name: 'Orphan',
        role: 'CUSTOMER',
        password: 'correct-horse-battery',
        customerId: '00000000-0000-4000-8000-000000000000',
      },
    });
    expect(orphan.status).toBe(400);
    expect(orphan.json.errors.map((e: { path: string }) => e.path)).toContain('customerId');
  });
});
