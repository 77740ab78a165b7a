import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestSystem } from '../helpers/system.js';
import { type Login, startTicketBed, type TicketBed } from '../helpers/ticket-bed.js';

let sys: TestSystem;
let a: TicketBed['a'];
let desk: Login;
let contractorA: Login;
let contractorB: Login;
let customerA: Login;
let serialA: string;
let call: TicketBed['call'];
beforeAll(async () => {
  ({ sys, a, desk, contractorA, contractorB, customerA, serialA, call } = await startTicketBed());
});
afterAll(async () => {
  await sys?.stop();
});

describe('tickets', () => {
  it('lets an end user open a ticket about its terminal and scopes it to its contractor', async () => {
    const res = await call(customerA, 'POST', '/tickets', {
      subject: 'Elevator monitor shows wrong floor',
      description: 'Since Monday',
      serial: serialA,
      priority: 'CRITICAL',
      group: 'SYSTEM',
    });
    expect(res.statusCode).toBe(201);
    const t = res.json();
    // Routing and urgency of outside tickets are the desk's decision.
    expect(t).toMatchObject({
      source: 'CUSTOMER',
      status: 'NEW',
      group: 'SERVICE_DESK',
      priority: 'HIGH',
      customerId: a.endUser.id,
      serial: serialA,
      kind: 'GENERAL',
    });

    expect((await call(contractorA, 'GET', `/tickets/${t.id}`)).statusCode).toBe(200);
    expect((await call(desk, 'GET', `/tickets/${t.id}`)).statusCode).toBe(200);
    const outside = await call(contractorB, 'GET', `/tickets/${t.id}`);
    expect(outside.statusCode).toBe(404);
    expect((await call(contractorB, 'POST', `/tickets/${t.id}/comments`, { body: 'hi' })).statusCode).toBe(404);
    expect(((await call(contractorB, 'GET', '/tickets')).json() as { items: unknown[] }).items).toHaveLength(0);
    expect(((await call(contractorA, 'GET', '/tickets')).json() as { items: { id: string }[] }).items.map((i) => i.id)).toEqual([t.id]);
    expect((await call(customerA, 'GET', `/tickets/${t.id}`)).statusCode).toBe(200);

    // A contractor cannot open tickets for another contractor's customers or terminals.
    const foreign = await call(contractorB, 'POST', '/tickets', { subject: 'x', customerId: a.endUser.id });
    expect(foreign.statusCode).toBe(400);
    expect((await call(contractorB, 'POST', '/tickets', { subject: 'x', serial: serialA })).statusCode).toBe(400);
    expect((await call(contractorB, 'POST', '/tickets', { subject: 'x', deviceId: t.deviceId })).statusCode).toBe(400);
    const byId = await call(contractorA, 'POST', '/tickets', { subject: 'Installed unit rattles', deviceId: t.deviceId });
    expect(byId.json()).toMatchObject({ customerId: a.endUser.id, serial: serialA, source: 'CUSTOMER' });
    // Only staff work tickets.
    expect((await call(contractorA, 'PATCH', `/tickets/${t.id}`, { status: 'RESOLVED' })).statusCode).toBe(403);
  });

  it('keeps internal comments from customers and records every change in the history', async () => {
    const t = (
      await call(desk, 'POST', '/tickets', { subject: 'Invoice question', customerId: a.endUser.id, group: 'FINANCE', kind: 'BILLING' })
    ).json();
    expect(t).toMatchObject({ source: 'STAFF', group: 'FINANCE', kind: 'BILLING' });
    expect(
      (await call(desk, 'POST', `/tickets/${t.id}/comments`, { body: 'Customer is on the old tariff', visibility: 'INTERNAL' })).statusCode,
    ).toBe(201);
    expect(
      (await call(desk, 'POST', `/tickets/${t.id}/comments`, { body: 'We are checking your invoice', visibility: 'CUSTOMER' })).statusCode,
    ).toBe(201);
    // Whatever a customer asks for, its comment is visible to it.
    expect((await call(customerA, 'POST', `/tickets/${t.id}/comments`, { body: 'Thanks', visibility: 'INTERNAL' })).statusCode).toBe(201);

    // A plain status change keeps to the desk's flow: closing follows resolving, a visit needs its appointment.
    const early = await call(desk, 'PATCH', `/tickets/${t.id}`, { status: 'CLOSED' });
    expect(early.statusCode).toBe(409);
    expect(early.json().detail).toMatch(/cannot be set to CLOSED/);
    expect((await call(desk, 'PATCH', `/tickets/${t.id}`, { status: 'VISIT_SCHEDULED' })).json().detail).toMatch(
      /POST \/tickets\/\{id\}\/visit/,
    );
    const patched = await call(desk, 'PATCH', `/tickets/${t.id}`, { status: 'IN_PROGRESS', assigneeId: desk.userId, priority: 'HIGH' });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ status: 'IN_PROGRESS', assigneeId: desk.userId, priority: 'HIGH' });
    const resolved = (await call(desk, 'PATCH', `/tickets/${t.id}`, { status: 'RESOLVED', note: 'Explained the tariff change' })).json();
    expect(resolved).toMatchObject({ status: 'RESOLVED', resolutionNote: 'Explained the tariff change' });
    expect(resolved.resolvedAt).not.toBeNull();

    const staffView = (await call(desk, 'GET', `/tickets/${t.id}`)).json() as { events: { kind: string; body: string | null }[] };
    expect(staffView.events.map((e) => e.kind)).toEqual([
      'CREATED',
      'COMMENT',
      'COMMENT',
      'COMMENT',
      'STATUS',
      'ASSIGNED',
      'PRIORITY',
      'STATUS',
    ]);
    const customerView = (await call(customerA, 'GET', `/tickets/${t.id}`)).json() as { events: { kind: string; body: string | null }[] };
    expect(customerView.events.map((e) => e.body)).not.toContain('Customer is on the old tariff');
    expect(customerView.events.map((e) => e.kind)).toEqual(['CREATED', 'COMMENT', 'COMMENT', 'STATUS', 'STATUS']);

    const closed = await call(desk, 'PATCH', `/tickets/${t.id}`, { status: 'CLOSED' });
    expect(closed.json().status).toBe('CLOSED');
    expect((await call(desk, 'PATCH', `/tickets/${t.id}`, { status: 'IN_PROGRESS' })).statusCode).toBe(409);
    // Each change by a person is audited; ticket events reach the outbox for webhooks.
    expect(await sys.services.db.auditLog.count({ where: { entityId: t.id } })).toBeGreaterThanOrEqual(7);
    const types = (await sys.services.db.outboxEvent.findMany({ where: { payload: { path: ['id'], equals: t.id } } })).map((e) => e.type);
    expect(types[0]).toBe('ticket.created');
    expect(types.filter((x) => x === 'ticket.updated').length).toBeGreaterThanOrEqual(4);
  });

  it('opens one automatic ticket per dedup key even under a race, and a new one once resolved', async () => {
    const { tickets, db } = sys.services;
    const input = { kind: 'NO_SIGNAL', subject: 'No signal', customerId: a.endUser.id, dedupKey: 'TEST:race' };
    const results = await Promise.all(Array.from({ length: 12 }, () => tickets.createAuto(input)));
    expect(new Set(results.map((r) => r.ticket.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await db.ticket.count({ where: { subject: 'No signal', customerId: a.endUser.id } })).toBe(1);

    expect(await tickets.autoResolve({ dedupKey: 'TEST:race' }, 'Cause went away')).toBe('resolved');
    expect(await tickets.autoResolve({ dedupKey: 'TEST:race' }, 'again')).toBe('none');
    const again = await tickets.createAuto(input);
    expect(again.created).toBe(true);
    expect(again.ticket.id).not.toBe(results[0]!.ticket.id);

    // Once somebody started, automatic resolution only comments.
    await call(desk, 'PATCH', `/tickets/${again.ticket.id}`, { status: 'TRIAGED', assigneeId: desk.userId });
    expect(await tickets.autoResolve({ dedupKey: 'TEST:race' }, 'Cause went away')).toBe('commented');
    expect((await call(desk, 'GET', `/tickets/${again.ticket.id}`)).json().status).toBe('TRIAGED');
  });

  it('filters and pages the list', async () => {
    const open = (await call(desk, 'GET', '/tickets?open=true&limit=1')).json() as {
      items: { status: string }[];
      nextCursor: string | null;
    };
    expect(open.items).toHaveLength(1);
    expect(open.nextCursor).not.toBeNull();
    const next = (await call(desk, 'GET', `/tickets?open=true&limit=50&cursor=${open.nextCursor}`)).json() as {
      items: { status: string }[];
    };
    for (const t of [...open.items, ...next.items]) expect(['RESOLVED', 'CLOSED', 'MERGED']).not.toContain(t.status);
    const finance = (await call(desk, 'GET', '/tickets?group=FINANCE')).json() as { items: { group: string }[] };
    expect(finance.items.length).toBeGreaterThan(0);
    expect(finance.items.every((t) => t.group === 'FINANCE')).toBe(true);
    expect((await call(desk, 'GET', '/tickets?status=BOGUS')).statusCode).toBe(400);
  });
});
