import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

let sys: TestSystem;
let service: Awaited<ReturnType<typeof loginAs>>;
beforeAll(async () => {
  sys = await startTestSystem('api');
  service = await loginAs(sys.services, sys.app!, 'SERVICE');
  const articles = [
    {
      title: 'Elevator door jammed on landing',
      symptoms: 'Door does not close, door jammed, car stays at floor',
      cause: 'Debris in the sill track',
      solution: 'Clean the sill track and reset the door operator',
      faultCodes: [0x0101],
    },
    {
      title: 'Streetlight lamp does not switch on',
      symptoms: 'Lamp off at night while controller reports on',
      cause: 'Failed lamp driver',
      solution: 'Replace the LED driver',
      faultCodes: [0x0201],
    },
    {
      title: 'Terminal stops reporting after firmware update',
      symptoms: 'No signal, terminal silent, heartbeat missing',
      solution: 'Power-cycle the terminal and roll back firmware',
      faultCodes: [],
    },
    {
      title: 'Door sensor misaligned',
      symptoms: 'Door reopens repeatedly, door cycle never completes',
      solution: 'Realign the door sensor',
      faultCodes: [],
    },
  ];
  for (const a of articles) {
    const res = await sys.app!.inject({ method: 'POST', url: '/api/v1/knowledge-articles', headers: service.headers, payload: a });
    expect(res.statusCode).toBe(201);
  }
});
afterAll(async () => {
  await sys?.stop();
});

const search = async (qs: string) =>
  (
    (await sys.app!.inject({ url: `/api/v1/knowledge-articles?${qs}`, headers: service.headers })).json() as {
      items: { title: string; score: number }[];
    }
  ).items ??
  (() => {
    throw new Error('bad search response');
  })();

describe('knowledge base search', () => {
  it('ranks the article that matches the symptoms best first', async () => {
    const hits = await search(`q=${encodeURIComponent('the door is jammed and will not close')}`);
    expect(hits[0]!.title).toBe('Elevator door jammed on landing');
    expect(hits.map((h) => h.title)).toContain('Door sensor misaligned');
    expect(hits.map((h) => h.title)).not.toContain('Streetlight lamp does not switch on');
  });

  it('puts an exact fault-code match above loose text matches', async () => {
    const hits = await search(`q=door&faultCode=${0x0101}`);
    expect(hits[0]!.title).toBe('Elevator door jammed on landing');
    const byCode = await search(`faultCode=${0x0201}`);
    expect(byCode.map((h) => h.title)).toEqual(['Streetlight lamp does not switch on']);
  });

  it('lets an often-used article win a tie', async () => {
    const [a, b] = await search(`q=${encodeURIComponent('door')}`);
    expect(a && b).toBeTruthy();
    const target = (await search('q=sensor'))[0]!;
    const id = (
      (await sys.app!.inject({ url: `/api/v1/knowledge-articles?q=sensor`, headers: service.headers })).json() as {
        items: { id: string }[];
      }
    ).items[0]!.id;
    for (let i = 0; i < 5; i++)
      await sys.app!.inject({ method: 'POST', url: `/api/v1/knowledge-articles/${id}/used`, headers: service.headers });
    const after = (await search('q=sensor'))[0]!;
    expect(after.score).toBeGreaterThan(target.score);
  });

  it('counts a ticket solved with an article once, however often it is reopened and resolved again', async () => {
    const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
      sys.app!.inject({ method, url: `/api/v1${url}`, headers: service.headers, ...(payload ? { payload } : {}) });
    const article = ((await api('GET', '/knowledge-articles?q=sill')).json() as { items: { id: string }[] }).items[0]!;
    const usage = async () => ((await api('GET', `/knowledge-articles/${article.id}`)).json() as { usageCount: number }).usageCount;
    const before = await usage();
    const ticket = (await api('POST', '/tickets', { subject: 'Door jammed at floor 3' })).json() as { id: string };
    const resolve = () => api('POST', `/tickets/${ticket.id}/resolve`, { note: 'Cleaned the sill track', articleId: article.id });
    expect((await resolve()).statusCode).toBe(200);
    expect(await usage()).toBe(before + 1);
    expect((await api('POST', `/tickets/${ticket.id}/reopen`, { reason: 'Jammed again' })).statusCode).toBe(200);
    expect((await resolve()).statusCode).toBe(200);
    expect((await api('PATCH', `/tickets/${ticket.id}`, { status: 'IN_PROGRESS', note: 'Customer called back' })).statusCode).toBe(200);
    expect((await resolve()).statusCode).toBe(200);
    expect(await usage()).toBe(before + 1);
  });

  it('is not open to end users', async () => {
    const sales = await loginAs(sys.services, sys.app!, 'SALES');
    const c = (
      await sys.app!.inject({ method: 'POST', url: '/api/v1/customers', headers: sales.headers, payload: { kind: 'END_USER', name: 'x' } })
    ).json() as { id: string };
    const customer = await loginAs(sys.services, sys.app!, 'CUSTOMER', c.id);
    expect((await sys.app!.inject({ url: '/api/v1/knowledge-articles?q=door', headers: customer.headers })).statusCode).toBe(403);
  });
});
