import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem('api');
});
afterAll(async () => {
  await sys?.stop();
});

describe('API keys', () => {
  it('shows a key once, stores only its hash, authenticates with it and stops after revocation', async () => {
    const app = sys.app!;
    const sales = await loginAs(sys.services, app, 'SALES');
    const customer = (
      await app.inject({
        method: 'POST',
        url: '/api/v1/customers',
        headers: sales.headers,
        payload: { kind: 'END_USER', name: 'Keyed Ltd' },
      })
    ).json() as { id: string };
    const user = await loginAs(sys.services, app, 'CUSTOMER', customer.id);

    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: user.headers,
      payload: { name: 'ERP integration', scopes: ['crm:read'] },
    });
    expect(created.statusCode).toBe(201);
    const { key, id } = created.json() as { key: string; id: string };
    expect(key).toMatch(/^nxk_[\w-]{43}$/);

    const stored = await sys.services.db.apiKey.findUniqueOrThrow({ where: { id } });
    expect(stored.keyHash).not.toContain(key.slice(4));
    const listed = (await app.inject({ url: '/api/v1/api-keys', headers: user.headers })).json() as { items: Record<string, unknown>[] };
    expect(JSON.stringify(listed)).not.toContain(key);

    const viaKey = { authorization: `Bearer ${key}` };
    const me = await app.inject({ url: `/api/v1/customers/${customer.id}`, headers: viaKey });
    expect(me.statusCode).toBe(200);

    expect((await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${id}`, headers: user.headers })).statusCode).toBe(200);
    expect((await app.inject({ url: `/api/v1/customers/${customer.id}`, headers: viaKey })).statusCode).toBe(401);
  });

  it("does not let one customer revoke another customer's key", async () => {
    const app = sys.app!;
    const sales = await loginAs(sys.services, app, 'SALES');
    const mk = async (name: string) =>
      (
        await app.inject({ method: 'POST', url: '/api/v1/customers', headers: sales.headers, payload: { kind: 'END_USER', name } })
      ).json() as { id: string };
    const a = await loginAs(sys.services, app, 'CUSTOMER', (await mk('A')).id);
    const b = await loginAs(sys.services, app, 'CUSTOMER', (await mk('B')).id);
    const payload = { name: 'a', scopes: ['devices:read'] };
    const { id } = (await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: a.headers, payload })).json() as { id: string };
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${id}`, headers: b.headers })).statusCode).toBe(404);
  });

  it('keeps secrets out of the logs', async () => {
    const lines: string[] = [];
    const { createLogger } = await import('../../src/platform/logger.js');
    const log = createLogger('info', {}, { write: (l: string) => void lines.push(l) });
    log.info(
      { body: { password: 'hunter2', secret: 's3cret' }, token: 'nxs_x', req: { headers: { authorization: 'Bearer nxs_y' } } },
      'probe',
    );
    expect(lines.join('')).toContain('probe');
    expect(lines.join('')).not.toMatch(/hunter2|s3cret|nxs_x|nxs_y/);
  });
});
