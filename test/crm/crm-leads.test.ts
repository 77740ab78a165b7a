import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

let sys: TestSystem;
let sales: Awaited<ReturnType<typeof loginAs>>;
beforeAll(async () => {
  sys = await startTestSystem('api');
  sales = await loginAs(sys.services, sys.app!, 'SALES');
});
afterAll(async () => {
  await sys?.stop();
});

const post = (url: string, payload: object, headers = sales.headers) =>
  sys.app!.inject({ method: 'POST', url: `/api/v1${url}`, headers, payload });
const patch = (url: string, payload: object) => sys.app!.inject({ method: 'PATCH', url: `/api/v1${url}`, headers: sales.headers, payload });
const get = (url: string, headers = sales.headers) => sys.app!.inject({ url: `/api/v1${url}`, headers });

describe('leads, interactions and the customer 360 timeline', () => {
  it('moves a lead through the pipeline and converts it into a customer with its contact and history', async () => {
    const lead = (
      await post('/leads', {
        companyName: 'Hangzhou Bus Group',
        contactName: 'Li Wei',
        email: 'li.wei@hzbus.example',
        estimatedValueMinor: 1_200_000,
        expectedTerminals: 300,
      })
    ).json() as { id: string; stage: string };
    expect(lead.stage).toBe('NEW');
    await post('/interactions', { kind: 'CALL', leadId: lead.id, subject: 'First call: 300 buses' });

    expect((await patch(`/leads/${lead.id}`, { stage: 'PROPOSAL' })).statusCode).toBe(409);
    expect((await patch(`/leads/${lead.id}`, { stage: 'QUALIFIED' })).json().stage).toBe('QUALIFIED');
    expect((await patch(`/leads/${lead.id}`, { stage: 'WON' })).statusCode).toBe(409);

    const board = (await get('/leads/pipeline')).json() as { stages: { stage: string; count: number; estimatedValueMinor: number }[] };
    expect(board.stages.find((s) => s.stage === 'QUALIFIED')).toMatchObject({ count: 1, estimatedValueMinor: 1_200_000 });

    const converted = await post(`/leads/${lead.id}/convert`, { tier: 'GOLD', segment: 'public transport' });
    expect(converted.statusCode).toBe(201);
    const { customer, lead: won } = converted.json() as {
      customer: { id: string; name: string; tier: string };
      lead: { stage: string; convertedAt: string | null };
    };
    expect(customer).toMatchObject({ name: 'Hangzhou Bus Group', tier: 'GOLD' });
    // The answer is the lead as stored, conversion time included, not the row read before converting.
    expect(won.stage).toBe('WON');
    expect(won.convertedAt).toBe((await get(`/leads/${lead.id}`)).json().convertedAt);
    expect(won.convertedAt).not.toBeNull();
    expect((await post(`/leads/${lead.id}/convert`, {})).statusCode).toBe(409);

    const contacts = (await get(`/customers/${customer.id}/contacts`)).json() as { items: { name: string; isPrimary: boolean }[] };
    expect(contacts.items).toEqual([expect.objectContaining({ name: 'Li Wei', isPrimary: true })]);

    await post('/interactions', {
      kind: 'VISIT',
      customerId: customer.id,
      subject: 'Site survey at the depot',
      occurredAt: '2026-11-20T02:00:00Z',
    });
    const timeline = (await get(`/customers/${customer.id}/timeline`)).json() as { items: { kind: string; title: string }[] };
    expect(timeline.items.map((e) => e.kind)).toEqual(['interaction.call', 'interaction.visit']);
  });

  it('needs a reason to lose a lead and reports the missing field', async () => {
    const lead = (await post('/leads', { companyName: 'Nanjing Lifts' })).json() as { id: string };
    const res = await patch(`/leads/${lead.id}`, { stage: 'LOST' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'lostReason', message: 'Required when stage is LOST' }]);
    expect((await patch(`/leads/${lead.id}`, { stage: 'LOST', lostReason: 'Chose a competitor' })).json().stage).toBe('LOST');
  });

  it('keeps leads and timelines away from contractors and end users', async () => {
    const c = (await post('/customers', { kind: 'CONTRACTOR', name: 'Some contractor' })).json() as { id: string };
    const contractor = await loginAs(sys.services, sys.app!, 'CONTRACTOR', c.id);
    expect((await get('/leads', contractor.headers)).statusCode).toBe(403);
    expect((await get(`/customers/${c.id}/timeline`, contractor.headers)).statusCode).toBe(403);
    expect((await post('/interactions', { kind: 'NOTE', customerId: c.id, subject: 'x' }, contractor.headers)).statusCode).toBe(403);
  });
});
