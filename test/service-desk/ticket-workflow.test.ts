import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/index.js';
import { businessCalendar, createSlaMonitor, createTicketService, createTicketWorkflowService } from '../../src/service-desk/index.js';
import { loginAs } from '../helpers/api.js';
import type { TestSystem } from '../helpers/system.js';
import { type Login, startTicketBed, type TicketBed } from '../helpers/ticket-bed.js';

let sys: TestSystem;
let a: TicketBed['a'];
let b: TicketBed['b'];
let desk: Login;
let repair: Login;
let contractorA: Login;
let contractorB: Login;
let customerA: Login;
let serialA: string;
let call: TicketBed['call'];
beforeAll(async () => {
  ({ sys, a, b, desk, contractorA, contractorB, customerA, serialA, call } = await startTicketBed());
  repair = await loginAs(sys.services, sys.app!, 'REPAIR');
});
afterAll(async () => {
  await sys?.stop();
});
type Ev = { kind: string; body: string | null; visibility: string; data: Record<string, unknown> | null };
const eventsOf = async (as: Login, id: string) => ((await call(as, 'GET', `/tickets/${id}`)).json() as { events: Ev[] }).events;

// Runs first, on a fixed clock, before the API tests add tickets on the real clock.
describe('SLA clocks on business hours (Asia/Shanghai, 2026-11-27 a holiday)', () => {
  const clock = { t: new Date('2026-11-25T17:00:00+08:00') }; // Wednesday 17:00
  const set = (iso: string) => (clock.t = new Date(iso));
  const calendar = businessCalendar('Asia/Shanghai', ['2026-11-27']);
  const actor = (): Principal => ({ userId: desk.userId, role: 'SERVICE', customerId: null, via: 'session' });
  const services = () => {
    const s = sys.services;
    const tickets = createTicketService({ db: s.db, audit: s.audit, events: s.events, now: () => clock.t, calendar });
    return {
      tickets,
      wf: createTicketWorkflowService({ db: s.db, tickets, knowledge: s.knowledge }),
      monitor: createSlaMonitor({ db: s.db, events: s.events, now: () => clock.t }),
    };
  };

  it('sets due dates by tier, breaches the first response, pauses while waiting on the customer and extends the resolution', async () => {
    const { tickets, monitor } = services();
    const { db } = sys.services;
    await db.customer.update({ where: { id: a.endUser.id }, data: { tier: 'GOLD' } });
    const ctx = { actor: actor() };
    // GOLD: first response 120, resolution 1080 business minutes.
    const t = await tickets.create(ctx, {
      kind: 'GENERAL',
      subject: 'Display flickers',
      customerId: a.endUser.id,
      priority: 'NORMAL',
      group: 'SERVICE_DESK',
    });
    expect(t.sla).toMatchObject({
      tier: 'GOLD',
      firstResponseRemainingMinutes: 120,
      resolutionRemainingMinutes: 1080,
      firstResponseBreached: false,
    });
    // Wed 17:00 + 2 h of business time = Thu 10:00; + 18 h skips the Friday holiday and the weekend = Mon 17:00.
    expect(t.sla!.firstResponseDueAt!.toISOString()).toBe(new Date('2026-11-26T10:00:00+08:00').toISOString());
    expect(t.sla!.resolutionDueAt!.toISOString()).toBe(new Date('2026-11-30T17:00:00+08:00').toISOString());

    set('2026-11-26T09:30:00+08:00'); // Thursday morning: the night did not count
    expect((await tickets.get(ctx, t.id)).sla!.firstResponseRemainingMinutes).toBe(30);
    expect(await monitor.sweep()).toEqual({ firstResponse: 0, resolution: 0 });

    set('2026-11-26T10:01:00+08:00');
    expect(await monitor.sweep()).toEqual({ firstResponse: 1, resolution: 0 });
    expect(await monitor.sweep()).toEqual({ firstResponse: 0, resolution: 0 }); // marked once
    const breached = await tickets.get(ctx, t.id);
    expect(breached.sla).toMatchObject({ firstResponseBreached: true, firstResponseRemainingMinutes: -1, resolutionBreached: false });
    expect(breached.events.filter((e) => e.kind === 'SLA_BREACH')).toHaveLength(1);
    const notified = await db.outboxEvent.findMany({ where: { type: 'ticket.sla_breached', payload: { path: ['id'], equals: t.id } } });
    expect(notified.map((e) => (e.payload as { sla: string }).sla)).toEqual(['FIRST_RESPONSE']);

    // The desk asks the customer: that status change is the first response, and the clock stops.
    const waiting = await tickets.update(ctx, t.id, { status: 'WAITING_CUSTOMER', note: 'Which floor?' });
    expect(waiting.sla).toMatchObject({
      paused: true,
      firstRespondedAt: clock.t,
      firstResponseRemainingMinutes: null,
      resolutionRemainingMinutes: 959,
    });

    set('2026-11-30T17:30:00+08:00'); // past the original resolution due date, still waiting
    expect((await monitor.sweep()).resolution).toBe(0);
    expect((await tickets.get(ctx, t.id)).sla!.resolutionRemainingMinutes).toBe(959);

    // The customer answered: 479 + 510 business minutes paused move the due date out by as much.
    const resumed = await tickets.update(ctx, t.id, { status: 'IN_PROGRESS' });
    expect(resumed.sla).toMatchObject({ paused: false, pausedSeconds: 989 * 60, resolutionRemainingMinutes: 959 });
    expect(resumed.sla!.resolutionDueAt!.toISOString()).toBe(new Date('2026-12-02T15:29:00+08:00').toISOString());

    set('2026-12-02T15:30:00+08:00');
    expect(await monitor.sweep()).toEqual({ firstResponse: 0, resolution: 1 });
    expect((await tickets.get(ctx, t.id)).sla).toMatchObject({ resolutionBreached: true, resolutionRemainingMinutes: -1 });
    await db.customer.update({ where: { id: a.endUser.id }, data: { tier: 'STANDARD' } });
  });

  it('starts the clock next business morning, counts a public staff answer as the first response, and runs 24x7 for incidents', async () => {
    const { tickets, monitor } = services();
    const ctx = { actor: actor() };
    set('2026-11-28T23:00:00+08:00'); // Saturday night, no customer: STANDARD, 480 minutes
    const t = await tickets.create(ctx, {
      kind: 'GENERAL',
      subject: 'Question about the portal',
      priority: 'NORMAL',
      group: 'SERVICE_DESK',
    });
    expect(t.sla!.firstResponseDueAt!.toISOString()).toBe(new Date('2026-11-30T17:00:00+08:00').toISOString());
    const cust = { actor: { userId: customerA.userId, role: 'CUSTOMER' as const, customerId: a.endUser.id, via: 'session' as const } };
    const mine = await tickets.create(cust, { kind: 'GENERAL', subject: 'Mine', priority: 'NORMAL', group: 'SERVICE_DESK' });
    await tickets.addComment(ctx, mine.id, { body: 'Looking into it internally', visibility: 'INTERNAL' });
    expect((await tickets.get(ctx, mine.id)).sla!.firstRespondedAt).toBeNull();
    set('2026-11-30T09:05:00+08:00');
    await tickets.addComment(ctx, mine.id, { body: 'We are on it', visibility: 'CUSTOMER' });
    expect((await tickets.get(ctx, mine.id)).sla).toMatchObject({ firstRespondedAt: clock.t, firstResponseRemainingMinutes: null });
    // Waiting on the customer until it answers: its comment restarts the clock (09:10 -> 10:10 paused).
    set('2026-11-30T09:10:00+08:00');
    expect((await tickets.update(ctx, mine.id, { status: 'WAITING_CUSTOMER' })).sla!.paused).toBe(true);
    set('2026-11-30T10:10:00+08:00');
    await tickets.addComment(cust, mine.id, { body: 'Here is the photo', visibility: 'CUSTOMER' });
    expect(await tickets.get(ctx, mine.id)).toMatchObject({ status: 'IN_PROGRESS', sla: { paused: false, pausedSeconds: 3600 } });

    // A network incident: strictest policy, round the clock (30 minutes even on a Sunday).
    set('2026-11-29T03:00:00+08:00');
    const inc = await tickets.createAuto({ kind: 'INCIDENT', subject: 'Cell outage', priority: 'CRITICAL', group: 'SYSTEM' });
    expect(inc.ticket.sla).toMatchObject({ businessHours: '24x7', firstResponseRemainingMinutes: 30 });
    set('2026-11-29T03:31:00+08:00');
    expect((await monitor.sweep()).firstResponse).toBe(1);
    expect((await tickets.get(ctx, inc.ticket.id)).sla!.firstResponseBreached).toBe(true);
    await tickets.update(ctx, inc.ticket.id, { status: 'RESOLVED', note: 'done' });
    await tickets.update(ctx, t.id, { status: 'RESOLVED', note: 'done' });
    await tickets.update(ctx, mine.id, { status: 'RESOLVED', note: 'done' });
  });
});

describe('ticket workflow through the API', () => {
  it('triages, escalates, schedules a visit, resolves into the knowledge base and closes', async () => {
    const t = (
      await call(customerA, 'POST', '/tickets', {
        subject: 'Cabin display dead after storm',
        description: 'Screen stays black, fault LED blinks',
        serial: serialA,
      })
    ).json();
    expect(t.sla).toMatchObject({ tier: 'STANDARD', firstResponseBreached: false, resolutionBreached: false });
    expect(t.sla.firstRespondedAt).toBeNull();

    // Customers and contractors cannot work tickets; outside its scope a contractor sees nothing.
    expect((await call(contractorA, 'POST', `/tickets/${t.id}/triage`, { priority: 'HIGH' })).statusCode).toBe(403);
    expect((await call(contractorB, 'GET', `/tickets/${t.id}`)).statusCode).toBe(404);
    expect((await call(desk, 'POST', `/tickets/${t.id}/close`, {})).statusCode).toBe(409);

    const triaged = await call(desk, 'POST', `/tickets/${t.id}/triage`, {
      priority: 'HIGH',
      assigneeId: desk.userId,
      note: 'Likely hardware',
    });
    expect(triaged.statusCode).toBe(200);
    expect(triaged.json()).toMatchObject({ status: 'TRIAGED', priority: 'HIGH', assigneeId: desk.userId });
    expect(triaged.json().sla.firstRespondedAt).not.toBeNull();
    const again = await call(desk, 'POST', `/tickets/${t.id}/triage`, {});
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');

    expect((await call(desk, 'POST', `/tickets/${t.id}/assign`, { assigneeId: contractorA.userId })).statusCode).toBe(400);
    expect((await call(desk, 'POST', `/tickets/${t.id}/assign`, { assigneeId: repair.userId })).json().assigneeId).toBe(repair.userId);

    expect((await call(desk, 'POST', `/tickets/${t.id}/escalate`, { to: 'REPAIR' })).statusCode).toBe(400); // reason required
    const esc = await call(desk, 'POST', `/tickets/${t.id}/escalate`, { to: 'REPAIR', reason: 'Display board replacement' });
    expect(esc.json()).toMatchObject({ status: 'ESCALATED', group: 'REPAIR' });
    expect((await call(desk, 'POST', `/tickets/${t.id}/escalate`, { to: 'REPAIR', reason: 'again' })).statusCode).toBe(409);

    expect(
      (await call(repair, 'POST', `/tickets/${t.id}/visit`, { scheduledAt: '2020-01-01T09:00:00Z', address: 'Tower 1' })).statusCode,
    ).toBe(400);
    const when = new Date(Date.now() + 86_400_000).toISOString();
    const visit = await call(repair, 'POST', `/tickets/${t.id}/visit`, { scheduledAt: when, address: 'Tower 1, 88 Century Ave' });
    expect(visit.json()).toMatchObject({ status: 'VISIT_SCHEDULED', visitAddress: 'Tower 1, 88 Century Ave', visitScheduledAt: when });
    // The customer sees the visit; internal escalation reasons stay internal.
    const seen = await eventsOf(customerA, t.id);
    expect(seen.map((e) => e.kind)).toContain('VISIT');
    expect(seen.map((e) => e.body)).not.toContain('Display board replacement');

    expect((await call(repair, 'POST', `/tickets/${t.id}/resolve`, { saveAsArticle: true })).statusCode).toBe(400); // note required
    const resolved = await call(repair, 'POST', `/tickets/${t.id}/resolve`, {
      note: 'Replaced the display board; storm surge had burnt the fuse',
      saveAsArticle: true,
    });
    expect(resolved.statusCode).toBe(200);
    const r = resolved.json();
    expect(r).toMatchObject({ status: 'RESOLVED', resolutionNote: 'Replaced the display board; storm surge had burnt the fuse' });
    expect(r.knowledgeArticleId).toBeTruthy();
    const article = (await call(desk, 'GET', `/knowledge-articles/${r.knowledgeArticleId}`)).json();
    expect(article).toMatchObject({
      title: 'Cabin display dead after storm',
      solution: 'Replaced the display board; storm surge had burnt the fuse',
      sourceTicketId: t.id,
    });
    expect(article.symptoms).toContain('fault LED blinks');
    // The new article is found for a similar problem.
    const hits = (await call(desk, 'GET', '/knowledge-articles?q=display%20black%20after%20storm')).json().items as { id: string }[];
    expect(hits[0]!.id).toBe(r.knowledgeArticleId);

    // Closing needs no body: a note is optional.
    const closed = await call(desk, 'POST', `/tickets/${t.id}/close`);
    expect(closed.json().status).toBe('CLOSED');
    expect((await call(desk, 'POST', `/tickets/${t.id}/reopen`, { reason: 'broken again' })).statusCode).toBe(409);

    const kinds = (await eventsOf(desk, t.id)).map((e) => e.kind);
    expect(kinds).toEqual([
      'CREATED',
      'STATUS',
      'ASSIGNED',
      'PRIORITY',
      'ASSIGNED',
      'STATUS',
      'GROUP',
      'ESCALATED',
      'STATUS',
      'VISIT',
      'STATUS',
      'KNOWLEDGE',
      'STATUS',
    ]);
    const actions = (await sys.services.db.auditLog.findMany({ where: { entityId: t.id }, orderBy: { id: 'asc' } })).map((x) => x.action);
    expect(actions).toEqual([
      'ticket.created',
      'ticket.triage',
      'ticket.assign',
      'ticket.escalate',
      'ticket.visit',
      'ticket.resolve',
      'ticket.close',
    ]);
  });

  it('reopens a resolved ticket and counts the use of an existing article', async () => {
    const article = (
      await call(desk, 'POST', '/knowledge-articles', {
        title: 'Door sensor misaligned',
        symptoms: 'Door reopens',
        solution: 'Realign the sensor',
      })
    ).json();
    const t = (await call(desk, 'POST', '/tickets', { subject: 'Door keeps reopening', customerId: a.endUser.id })).json();
    await call(desk, 'POST', `/tickets/${t.id}/triage`, {});
    expect((await call(desk, 'POST', `/tickets/${t.id}/resolve`, { note: 'Phone fix', articleId: article.id })).json()).toMatchObject({
      status: 'RESOLVED',
      knowledgeArticleId: article.id,
    });
    expect((await call(desk, 'GET', `/knowledge-articles/${article.id}`)).json().usageCount).toBe(1);
    const reopened = await call(desk, 'POST', `/tickets/${t.id}/reopen`, { reason: 'Still reopening' });
    expect(reopened.json()).toMatchObject({ status: 'IN_PROGRESS', resolvedAt: null, resolutionNote: null });
    expect(
      (await call(desk, 'POST', `/tickets/${t.id}/resolve`, { note: 'x', articleId: '00000000-0000-4000-8000-000000000000' })).statusCode,
    ).toBe(404);
  });

  it('merges a duplicate: history moves over, the duplicate is MERGED and its dedup key is free again', async () => {
    const { tickets } = sys.services;
    const main = (await call(desk, 'POST', '/tickets', { subject: 'Monitor offline', customerId: a.endUser.id })).json();
    const dup = (await tickets.createAuto({ kind: 'NO_SIGNAL', subject: 'No signal', customerId: a.endUser.id, dedupKey: 'TEST:merge' }))
      .ticket;
    await call(customerA, 'POST', `/tickets/${dup.id}/comments`, { body: 'It went dark at 9' });

    expect((await call(desk, 'POST', `/tickets/${dup.id}/merge`, { intoId: dup.id })).statusCode).toBe(400);
    expect((await call(contractorB, 'POST', `/tickets/${dup.id}/merge`, { intoId: main.id })).statusCode).toBe(403);
    const merged = await call(desk, 'POST', `/tickets/${dup.id}/merge`, { intoId: main.id, note: 'Same outage' });
    expect(merged.statusCode).toBe(200);
    expect(merged.json()).toMatchObject({ status: 'MERGED', mergedIntoId: main.id });

    const mainEvents = await eventsOf(customerA, main.id);
    expect(mainEvents.find((e) => e.kind === 'MERGED')!.body).toContain(`#${dup.number}`);
    expect(mainEvents.find((e) => e.body === 'It went dark at 9')!.data).toMatchObject({ mergedFrom: dup.number });
    expect((await call(desk, 'POST', `/tickets/${dup.id}/triage`, {})).statusCode).toBe(409);
    expect((await call(desk, 'POST', `/tickets/${main.id}/merge`, { intoId: dup.id })).statusCode).toBe(409);
    const fresh = await tickets.createAuto({ kind: 'NO_SIGNAL', subject: 'No signal', customerId: a.endUser.id, dedupKey: 'TEST:merge' });
    expect(fresh.created).toBe(true);
    expect(await sys.services.db.auditLog.count({ where: { action: { in: ['ticket.merge', 'ticket.merge-received'] } } })).toBe(2);
  });

  it('scopes workflow results: a contractor sees its customers\u2019 tickets with their SLA, nothing of others', async () => {
    const other = (await call(desk, 'POST', '/tickets', { subject: 'B problem', customerId: b.endUser.id })).json();
    await call(desk, 'POST', `/tickets/${other.id}/triage`, { group: 'SYSTEM' });
    expect((await call(contractorA, 'GET', `/tickets/${other.id}`)).statusCode).toBe(404);
    const seenByB = (await call(contractorB, 'GET', `/tickets/${other.id}`)).json();
    expect(seenByB).toMatchObject({ status: 'TRIAGED', group: 'SYSTEM' });
    expect(seenByB.sla.resolutionDueAt).toBeTruthy();
    const listA = (await call(contractorA, 'GET', '/tickets?limit=100')).json().items as { customerId: string | null }[];
    expect(listA.length).toBeGreaterThan(0);
    expect(listA.every((x) => x.customerId === a.endUser.id)).toBe(true);
  });
});
