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

describe('API foundation', () => {
  it('answers health, readiness, metrics and the OpenAPI document', async () => {
    const app = sys.app!;
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.json()).toMatchObject({ status: 'ready', postgres: 'ok', redis: 'ok' });
    // Metrics live on their own loopback listener, not beside the API.
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(404);
    const metrics = await fetch(sys.metricsUrl!);
    expect(await metrics.text()).toContain('nx_http_request_duration_seconds');
    const doc = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/api/v1/customers');
    expect((await app.inject({ url: '/docs' })).statusCode).toBeLessThan(400);
  });

  it('refuses requests without a valid token with a problem document', async () => {
    const res = await sys.app!.inject({ url: '/api/v1/customers', headers: { authorization: 'Bearer nxs_nope' } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('rejects a wrong password without saying whether the e-mail exists', async () => {
    const a = await sys.app!.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'nobody@x.example', password: 'x' } });
    expect(a.statusCode).toBe(401);
    expect(a.json().detail).toBe('Wrong e-mail or password');
  });

  it('reports each invalid field of a body', async () => {
    const sales = await loginAs(sys.services, sys.app!, 'SALES');
    const res = await sys.app!.inject({
      method: 'POST',
      url: '/api/v1/customers',
      headers: sales.headers,
      payload: { kind: 'MARTIAN', name: '', email: 'not-an-email' },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { errors: { path: string }[]; type: string };
    expect(body.type).toContain('invalid-data');
    expect(body.errors.map((e) => e.path).sort()).toEqual(['body.email', 'body.kind', 'body.name']);
  });

  it('refuses a list filter it does not know instead of answering the unfiltered list', async () => {
    const sales = await loginAs(sys.services, sys.app!, 'SALES');
    const res = await sys.app!.inject({ url: '/api/v1/customers?segment=x&limit=5', headers: sales.headers });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['querystring.segment']);
    expect((await sys.app!.inject({ url: '/api/v1/customers?limit=5', headers: sales.headers })).statusCode).toBe(200);
  });

  it('scopes contractors to their own end users and answers 404 outside', async () => {
    const app = sys.app!;
    const sales = await loginAs(sys.services, app, 'SALES');
    const mk = async (payload: object) =>
      (await app.inject({ method: 'POST', url: '/api/v1/customers', headers: sales.headers, payload })).json() as { id: string };
    const contractorA = await mk({ kind: 'CONTRACTOR', name: 'Contractor A', commissionRateBp: 500 });
    const contractorB = await mk({ kind: 'CONTRACTOR', name: 'Contractor B' });
    const custA = await mk({ kind: 'END_USER', name: 'End user of A', contractorId: contractorA.id });
    const custB = await mk({ kind: 'END_USER', name: 'End user of B', contractorId: contractorB.id });

    const a = await loginAs(sys.services, app, 'CONTRACTOR', contractorA.id);
    expect((await app.inject({ url: `/api/v1/customers/${custA.id}`, headers: a.headers })).statusCode).toBe(200);
    const denied = await app.inject({ url: `/api/v1/customers/${custB.id}`, headers: a.headers });
    expect(denied.statusCode).toBe(404);
    const list = (await app.inject({ url: '/api/v1/customers', headers: a.headers })).json() as { items: { id: string }[] };
    expect(list.items.map((c) => c.id).sort()).toEqual([contractorA.id, custA.id].sort());

    // A contractor's new end user is always its own, whatever contractorId it sends.
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/customers',
      headers: a.headers,
      payload: { kind: 'END_USER', name: 'New', contractorId: contractorB.id },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().contractorId).toBe(contractorA.id);

    const audit = await sys.services.db.auditLog.findMany({ where: { entityId: created.json().id } });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actorId).toBe(a.userId);
  });

  it('changes only the fields a PATCH names', async () => {
    const app = sys.app!;
    const sales = await loginAs(sys.services, app, 'SALES');
    const created = (
      await app.inject({
        method: 'POST',
        url: '/api/v1/customers',
        headers: sales.headers,
        payload: { kind: 'END_USER', name: 'Gold Co', tier: 'GOLD', paymentTermsDays: 45 },
      })
    ).json() as { id: string };
    const patched = await app.inject({
      method: 'PATCH',
      url: `/api/v1/customers/${created.id}`,
      headers: sales.headers,
      payload: { phone: '+86 21 5555 0100' },
    });
    expect(patched.json()).toMatchObject({ tier: 'GOLD', paymentTermsDays: 45, phone: '+86 21 5555 0100' });
  });

  it('pages through a list with a cursor without repeats', async () => {
    const app = sys.app!;
    const sales = await loginAs(sys.services, app, 'SALES');
    for (let i = 0; i < 7; i++) {
      await app.inject({
        method: 'POST',
        url: '/api/v1/customers',
        headers: sales.headers,
        payload: { kind: 'END_USER', name: `Paged ${i}`, segment: 'paging' },
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/customers?q=Paged&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const res = (await app.inject({ url, headers: sales.headers })).json() as { items: { id: string }[]; nextCursor: string | null };
      seen.push(...res.items.map((c) => c.id));
      cursor = res.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
  });
});
