import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { http } from '../helpers/http.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

// Who may reach what: authentication on the matched route, scope ANDed with the requested
// record, roles checked before the request format is revealed, and PATCH changing only what it names.

let sys: TestSystem;
let url: string;
beforeAll(async () => {
  sys = await startTestSystem('api');
  url = sys.httpUrl!;
});
afterAll(async () => {
  await sys?.stop();
});

const get = (path: string, token?: string) => http(url, 'GET', path, token ? { token } : {});

describe('authentication is decided on the matched route', () => {
  it('refuses a percent-encoded spelling of an API path without a token', async () => {
    for (const path of [
      '/%61pi/v1/tariff-plans',
      '/%61pi/v1/device-models',
      '/%61pi/v1/customers',
      '/%61pi/v1/devices',
      '/api/v1/%63ustomers',
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(401);
      expect(res.contentType, path).toContain('application/problem+json');
    }
    // With a token the same spelling is the same route.
    const ops = await loginAs(sys.services, sys.app!, 'OPS');
    expect((await get('/%61pi/v1/customers', ops.token)).status).toBe(200);
  });

  it('answers 404 problem documents for paths no route serves, token or not', async () => {
    for (const path of ['/api/v1/no-such-thing', '/%61pi/v1/no-such-thing', '/api/v2/customers']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.contentType, path).toContain('application/problem+json');
    }
    expect((await http(url, 'POST', '/nothing-here', { body: {} })).status).toBe(404);
  });

  it('keeps health, readiness, the API description, its docs and the console public', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs']) {
      expect((await get(path)).status, path).toBe(200);
    }
    // The console is served (or, when not built, explained) to anyone; it carries no data.
    expect([200, 503]).toContain((await get('/terminals/NXE-1')).status);
  });
});

describe('scope narrows the requested record, never replaces it', () => {
  it('shows an end user only its own customer record and contacts', async () => {
    const app = sys.app!;
    const sales = await loginAs(sys.services, app, 'SALES');
    const mk = async (name: string) =>
      (await http(url, 'POST', '/api/v1/customers', { token: sales.token, body: { kind: 'END_USER', name } })).json as { id: string };
    const mine = await mk('Own company');
    const other = await mk('Other company');
    const contact = await http(url, 'POST', `/api/v1/customers/${other.id}/contacts`, {
      token: sales.token,
      body: { name: 'Secret Person' },
    });
    expect(contact.status).toBe(201);

    const customer = await loginAs(sys.services, app, 'CUSTOMER', mine.id);
    expect((await get(`/api/v1/customers/${mine.id}`, customer.token)).json.id).toBe(mine.id);
    expect((await get(`/api/v1/customers/${mine.id}/contacts`, customer.token)).status).toBe(200);

    const foreign = await get(`/api/v1/customers/${other.id}/contacts`, customer.token);
    expect(foreign.status).toBe(404);
    expect(foreign.text).not.toContain('Secret Person');
    expect((await get(`/api/v1/customers/${other.id}`, customer.token)).status).toBe(404);
    // A random id is not a way to read one's own record.
    expect((await get(`/api/v1/customers/${randomUUID()}`, customer.token)).status).toBe(404);
    expect((await get(`/api/v1/customers/${randomUUID()}/contacts`, customer.token)).status).toBe(404);
  });

  it("does not let an end user reach another customer's webhook endpoint by id", async () => {
    const app = sys.app!;
    const sales = await loginAs(sys.services, app, 'SALES');
    const ops = await loginAs(sys.services, app, 'OPS');
    const mk = async (name: string) =>
      (await http(url, 'POST', '/api/v1/customers', { token: sales.token, body: { kind: 'END_USER', name } })).json as { id: string };
    const mine = await mk('Mine');
    const other = await mk('Theirs');
    const endpoint = await http(url, 'POST', '/api/v1/webhook-endpoints', {
      token: ops.token,
      body: { customerId: other.id, url: 'http://127.0.0.1:9/hook' },
    });
    expect(endpoint.status).toBe(201);
    const customer = await loginAs(sys.services, app, 'CUSTOMER', mine.id);
    expect((await get(`/api/v1/webhook-endpoints/${endpoint.json.id}`, customer.token)).status).toBe(404);
    const patched = await http(url, 'PATCH', `/api/v1/webhook-endpoints/${endpoint.json.id}`, {
      token: customer.token,
      body: { enabled: false },
    });
    expect(patched.status).toBe(404);
  });
});

describe('a missing role', () => {
  it('answers 403 before the body is validated, so the request format does not leak', async () => {
    const app = sys.app!;
    const sales = await loginAs(sys.services, app, 'SALES');
    const finance = await loginAs(sys.services, app, 'FINANCE');
    const refused = await http(url, 'POST', '/api/v1/tariff-plans', { token: sales.token, body: { nonsense: true } });
    expect(refused.status).toBe(403);
    expect(refused.contentType).toContain('application/problem+json');
    expect(refused.json.errors).toBeUndefined();
    // With the role the same request is a validation error naming the fields.
    const invalidBody = await http(url, 'POST', '/api/v1/tariff-plans', { token: finance.token, body: { nonsense: true } });
    expect(invalidBody.status).toBe(400);
    expect(invalidBody.json.errors.length).toBeGreaterThan(0);

    // Query strings and path parameters are not checked before the role either.
    expect((await get('/api/v1/audit-log?limit=not-a-number', sales.token)).status).toBe(403);
    expect((await http(url, 'POST', '/api/v1/orders/not-a-uuid/confirm', { token: finance.token })).status).toBe(403);
  });
});

describe('PATCH', () => {
  it('changes only the fields it names on a webhook endpoint', async () => {
    const app = sys.app!;
    const sales = await loginAs(sys.services, app, 'SALES');
    const ops = await loginAs(sys.services, app, 'OPS');
    const owner = (await http(url, 'POST', '/api/v1/customers', { token: sales.token, body: { kind: 'END_USER', name: 'Hooked' } }))
      .json as { id: string };
    const created = await http(url, 'POST', '/api/v1/webhook-endpoints', {
      token: ops.token,
      body: { customerId: owner.id, url: 'http://127.0.0.1:9/hook', eventTypes: ['device.uplink'], enabled: false, maxConcurrency: 2 },
    });
    expect(created.status).toBe(201);
    const patched = await http(url, 'PATCH', `/api/v1/webhook-endpoints/${created.json.id}`, {
      token: ops.token,
      body: { description: 'Fleet system' },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ description: 'Fleet system', enabled: false, eventTypes: ['device.uplink'], maxConcurrency: 2 });
    const reread = await get(`/api/v1/webhook-endpoints/${created.json.id}`, ops.token);
    expect(reread.json).toMatchObject({ enabled: false, eventTypes: ['device.uplink'], maxConcurrency: 2 });
  });

  it('changes only the fields it names on a contact and a customer', async () => {
    const sales = await loginAs(sys.services, sys.app!, 'SALES');
    const body = { kind: 'END_USER', name: 'Gold', tier: 'GOLD', country: 'DE', paymentTermsDays: 60 };
    const c = (await http(url, 'POST', '/api/v1/customers', { token: sales.token, body })).json;
    const p = await http(url, 'PATCH', `/api/v1/customers/${c.id}`, { token: sales.token, body: { city: 'Berlin' } });
    expect(p.json).toMatchObject({ city: 'Berlin', tier: 'GOLD', country: 'DE', paymentTermsDays: 60 });
    const contact = (
      await http(url, 'POST', `/api/v1/customers/${c.id}/contacts`, { token: sales.token, body: { name: 'Boss', isPrimary: true } })
    ).json;
    const cp = await http(url, 'PATCH', `/api/v1/customers/${c.id}/contacts/${contact.id}`, { token: sales.token, body: { title: 'CEO' } });
    expect(cp.json).toMatchObject({ title: 'CEO', isPrimary: true });
  });
});
