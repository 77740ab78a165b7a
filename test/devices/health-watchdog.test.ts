import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHealthModule } from '../../devices/index.js';
import type { Principal } from '../../src/auth/index.js';
import { eventually, makeCustomers, makeDevices, makeFastModel } from '../helpers/health-fixtures.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

// Silent after 2 s (interval 1 s x factor 2); the watchdog looks every 100 ms and waits 300 ms
// past a deadline before acting.
let sys: TestSystem;
let owner: Awaited<ReturnType<typeof makeCustomers>>;
let modelId: string;
let staff: Principal;
beforeAll(async () => {
  sys = await startTestSystem('worker', {
    HEALTH_TICK_MS: '100',
    HEALTH_SILENCE_GRACE_MS: '300',
    STORM_MIN_TERMINALS: '20',
    STORM_SHARE: '0.2',
  });
  owner = await makeCustomers(sys.services, 'Health');
  modelId = (await makeFastModel(sys.services)).id;
  const user = await sys.services.auth.createUser(null, {
    email: 'desk@test.nexsphere',
    name: 'Desk',
    role: 'SERVICE',
    password: 'correct-horse-battery',
    customerId: null,
  });
  staff = { userId: user.id, role: 'SERVICE', customerId: null, via: 'session' };
});
afterAll(async () => {
  await sys?.stop();
});
// Each test starts with an empty index and no open incident, whatever the previous one left.
afterEach(async () => {
  const { keys } = sys.services.health;
  await sys.services.redis.del(keys.deadlines, keys.silent, keys.recent);
  await sys.services.db.incident.updateMany({ where: { status: 'OPEN' }, data: { status: 'RESOLVED', resolvedAt: new Date() } });
});

const uplink = (serial: string, deviceId: string, receivedAt = new Date()) =>
  sys.services.events.emitNow([
    {
      type: 'device.uplink',
      customerId: owner.endUser.id,
      deviceId,
      payload: { serial, seq: 1, receivedAt: receivedAt.toISOString(), frame: { type: 'heartbeat' } },
    },
  ]);
const noSignal = (deviceId: string) =>
  sys.services.db.ticket.findMany({ where: { deviceId, kind: 'NO_SIGNAL' }, orderBy: { number: 'asc' } });
const outbox = (type: string, deviceId: string) => sys.services.db.outboxEvent.findMany({ where: { type, deviceId } });
/** Stops tracking terminals so they do not go silent again during later tests. */
const untrack = (serials: string[]) => sys.services.redis.zrem(sys.services.health.keys.deadlines, ...serials);
/**
 * A final uplink: the terminal recovers and is not tracked into later tests. Its stamp lies an
 * hour ahead so the deadline cannot pass while a slow recovery (a loaded machine) is still running.
 */
const lastUplink = async (serial: string) => {
  const outcome = await sys.services.health.observeUplink(serial, new Date(Date.now() + 3_600_000));
  await untrack([serial]);
  return outcome;
};

describe('health watchdog', () => {
  it('opens exactly one NO_SIGNAL ticket for a silent terminal and resolves it on the next uplink', async () => {
    const [d] = await makeDevices(sys.services, modelId, owner, 1);
    await uplink(d!.serial, d!.id);
    const t0 = Date.now();
    const [ticket] = await eventually(async () => ((await noSignal(d!.id)).length ? noSignal(d!.id) : null), 20_000);
    // Not before the 2 s silence window, and not much later than window + grace.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_900);
    expect(ticket).toMatchObject({
      status: 'NEW',
      group: 'SERVICE_DESK',
      source: 'AUTO',
      customerId: owner.endUser.id,
      dedupKey: `NO_SIGNAL:${d!.serial}`,
    });
    await new Promise((r) => setTimeout(r, 600));
    expect(await noSignal(d!.id)).toHaveLength(1);
    expect(await outbox('device.silent', d!.id)).toHaveLength(1);

    await uplink(d!.serial, d!.id);
    const resolved = await eventually(async () => (await noSignal(d!.id)).find((t) => t.status === 'RESOLVED'), 20_000);
    expect(resolved.dedupKey).toBeNull();
    expect(resolved.resolvedAt).not.toBeNull();
    const recovered = await eventually(async () => (await outbox('device.recovered', d!.id))[0]);
    expect(recovered.payload).toMatchObject({ serial: d!.serial, ticket: 'resolved' });
    const history = await sys.services.db.ticketEvent.findMany({ where: { ticketId: resolved.id }, orderBy: { id: 'asc' } });
    expect(history.map((h) => h.kind)).toEqual(['CREATED', 'STATUS']);
    await lastUplink(d!.serial);
  });

  it('leaves a ticket somebody works on open and adds a comment instead', async () => {
    const { health, tickets } = sys.services;
    const [d] = await makeDevices(sys.services, modelId, owner, 1);
    await health.observeUplink(d!.serial, new Date());
    const [ticket] = await eventually(async () => ((await noSignal(d!.id)).length ? noSignal(d!.id) : null), 20_000);
    await tickets.update({ actor: staff }, ticket!.id, { assigneeId: staff.userId, status: 'IN_PROGRESS' });

    expect(await lastUplink(d!.serial)).toBe('recovered');
    const after = await sys.services.db.ticket.findUniqueOrThrow({ where: { id: ticket!.id } });
    expect(after.status).toBe('IN_PROGRESS');
    const notes = await sys.services.db.ticketEvent.findMany({ where: { ticketId: ticket!.id, kind: 'COMMENT' } });
    expect(notes).toHaveLength(1);
    expect(notes[0]!.visibility).toBe('INTERNAL');
    expect(notes[0]!.body).toContain('reported again');
    await untrack([d!.serial]);
  });

  it('fires each silence once even with several watchdogs claiming side by side', async () => {
    const s = sys.services;
    const devices = await makeDevices(s, modelId, owner, 10);
    const others = [1, 2, 3].map(() =>
      createHealthModule({
        db: s.db,
        redis: s.redis,
        prefix: s.config.REDIS_PREFIX,
        tickets: s.tickets,
        events: s.events,
        log: s.log,
        recordParked: s.devices.recordParked,
        settings: { tickMs: 50, graceMs: 300, stormShare: 0.2, stormMinTerminals: 20, stormWindowSec: 120 },
      }),
    );
    const at = new Date();
    await Promise.all(devices.map((d) => s.health.observeUplink(d.serial, at)));
    const ids = devices.map((d) => d.id);
    const race = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        await Promise.all(others.map((o) => o.tick()));
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await eventually(async () => {
      await race(200);
      return (await s.db.ticket.count({ where: { deviceId: { in: ids } } })) >= 10;
    });
    await race(500);
    const tickets = await s.db.ticket.findMany({ where: { deviceId: { in: ids } } });
    expect(tickets).toHaveLength(10);
    expect(await s.db.outboxEvent.count({ where: { type: 'device.silent', deviceId: { in: devices.map((d) => d.id) } } })).toBe(10);
    for (const d of devices) expect(await lastUplink(d.serial)).toBe('recovered');
    expect(await s.db.ticket.count({ where: { deviceId: { in: devices.map((d) => d.id) }, status: 'RESOLVED' } })).toBe(10);
    await untrack(devices.map((d) => d.serial));
  });

  it('postpones past deadlines by one interval on warm-up, so a restart raises no false silence', async () => {
    const { health, redis } = sys.services;
    const [d] = await makeDevices(sys.services, modelId, owner, 1);
    const now = Date.now();
    // A deadline that passed while no watchdog ran (within the grace period, so the running loop leaves it alone).
    await redis.zadd(health.keys.deadlines, now - 100, d!.serial);
    expect(await health.warmUp(now)).toBeGreaterThanOrEqual(1);
    expect(Number(await redis.zscore(health.keys.deadlines, d!.serial))).toBe(now + 1_000);
    await untrack([d!.serial]);
  });

  it('rebuilds the index from the database when Redis lost it', async () => {
    const { health, redis, db, tickets } = sys.services;
    const [seen, silent] = await makeDevices(sys.services, modelId, owner, 2);
    await db.device.update({ where: { id: seen!.id }, data: { lastSeenAt: new Date(Date.now() - 3_600_000) } });
    const open = await tickets.createAuto({
      kind: 'NO_SIGNAL',
      subject: 'No signal',
      deviceId: silent!.id,
      customerId: owner.endUser.id,
      dedupKey: `NO_SIGNAL:${silent!.serial}`,
    });
    const now = Date.now();
    await health.coldStart(now);
    expect(Number(await redis.zscore(health.keys.deadlines, seen!.serial))).toBe(now + 1_000);
    expect(await redis.zscore(health.keys.deadlines, silent!.serial)).toBeNull();
    expect(await lastUplink(silent!.serial)).toBe('recovered');
    expect((await db.ticket.findUniqueOrThrow({ where: { id: open.ticket.id } })).status).toBe('RESOLVED');
    await untrack([seen!.serial, silent!.serial]);
  });

  it('expects no reports from suspended terminals', async () => {
    const { health, db } = sys.services;
    const [d] = await makeDevices(sys.services, modelId, owner, 1);
    await health.observeUplink(d!.serial, new Date());
    await db.device.update({ where: { id: d!.id }, data: { status: 'SUSPENDED' } });
    await new Promise((r) => setTimeout(r, 2_800));
    expect(await noSignal(d!.id)).toHaveLength(0);
    expect(await sys.services.redis.zscore(health.keys.deadlines, d!.serial)).toBeNull();
  });

  it('turns a fault frame into one DEVICE_FAULT ticket from the fault table and resolves it when cleared', async () => {
    const s = sys.services;
    const model = await makeFastModel(s, [
      { code: 0x0101, description: 'Door jammed', severity: 2, group: 'REPAIR' },
      { code: 0x0f01, description: 'Terminal internal error', severity: 1, group: 'SYSTEM' },
    ]);
    const [d] = await makeDevices(s, model.id, owner, 1);
    const fault = (faultCode: number, severity: number, detail = '') =>
      s.events.emitNow([
        {
          type: 'device.fault',
          customerId: owner.endUser.id,
          deviceId: d!.id,
          payload: { serial: d!.serial, faultCode, severity, detail },
        },
      ]);
    const faults = () => s.db.ticket.findMany({ where: { deviceId: d!.id, kind: 'DEVICE_FAULT' }, orderBy: { number: 'asc' } });

    await fault(0x0101, 2, 'floor 3');
    await fault(0x0101, 2, 'floor 3');
    const [door] = await eventually(async () => ((await faults()).length ? faults() : null), 20_000);
    expect(door).toMatchObject({
      group: 'REPAIR',
      priority: 'HIGH',
      faultCode: 0x0101,
      status: 'NEW',
      customerId: owner.endUser.id,
      dedupKey: `FAULT:${d!.serial}:257`,
    });
    expect(door!.subject).toContain('Door jammed');
    expect(door!.description).toContain('floor 3');
    // A code the table does not know still reaches the service desk; the frame's severity decides.
    await fault(0x0999, 3);
    const unknown = await eventually(async () => (await faults()).find((t) => t.faultCode === 0x0999), 20_000);
    expect(unknown).toMatchObject({ group: 'SERVICE_DESK', priority: 'CRITICAL' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await faults()).toHaveLength(2);

    await fault(0x0101, 0);
    const cleared = await eventually(async () => (await faults()).find((t) => t.faultCode === 0x0101 && t.status === 'RESOLVED'), 20_000);
    expect(cleared.dedupKey).toBeNull();
    // Touched fault tickets stay with their owner when the fault clears.
    await s.tickets.update({ actor: staff }, unknown.id, { status: 'IN_PROGRESS' });
    expect(await s.health.reportFault({ serial: d!.serial, faultCode: 0x0999, severity: 0 })).toBe('commented');
    expect((await s.db.ticket.findUniqueOrThrow({ where: { id: unknown.id } })).status).toBe('IN_PROGRESS');
    // The same fault again after it was cleared is a new problem: a new ticket.
    expect(await s.health.reportFault({ serial: d!.serial, faultCode: 0x0101, severity: 3 })).toBe('opened');
    expect((await faults()).filter((t) => t.faultCode === 0x0101)).toHaveLength(2);
  });

  it('links 200 terminals silenced at once to one incident, with no per-terminal tickets, and resolves it on recovery', async () => {
    const s = sys.services;
    const devices = await makeDevices(s, modelId, owner, 200);
    const ids = devices.map((d) => d.id);
    // A base station goes down: every terminal last reported at the same moment.
    const at = new Date();
    await Promise.all(devices.map((d) => s.health.observeUplink(d.serial, at)));

    const incident = await eventually(async () => {
      const inc = await s.db.incident.findFirst({ where: { kind: 'MASS_SILENCE' }, include: { _count: { select: { devices: true } } } });
      return inc && inc._count.devices === 200 ? inc : null;
    });
    expect(incident.status).toBe('OPEN');
    await new Promise((r) => setTimeout(r, 500));
    expect(await s.db.incident.count()).toBe(1);
    const incidentTickets = await s.db.ticket.findMany({ where: { incidentId: incident.id } });
    expect(incidentTickets).toHaveLength(1);
    expect(incidentTickets[0]).toMatchObject({ kind: 'INCIDENT', group: 'SYSTEM', priority: 'CRITICAL', status: 'NEW' });
    expect(await s.db.ticket.count({ where: { deviceId: { in: ids } } })).toBe(0);
    expect(await s.db.outboxEvent.count({ where: { type: 'device.silent', deviceId: { in: ids } } })).toBe(200);

    // Half come back: the incident stays open; all back: it resolves with its ticket.
    const firstHalf = await Promise.all(devices.slice(0, 100).map((d) => lastUplink(d.serial)));
    expect(firstHalf.every((r) => r === 'recovered')).toBe(true);
    expect(await s.db.incidentDevice.count({ where: { incidentId: incident.id, recoveredAt: { not: null } } })).toBe(100);
    expect((await s.db.incident.findUniqueOrThrow({ where: { id: incident.id } })).status).toBe('OPEN');
    await Promise.all(devices.slice(100).map((d) => lastUplink(d.serial)));
    const done = await s.db.incident.findUniqueOrThrow({ where: { id: incident.id } });
    expect(done.status).toBe('RESOLVED');
    expect(done.resolvedAt).not.toBeNull();
    expect((await s.db.ticket.findUniqueOrThrow({ where: { id: incidentTickets[0]!.id } })).status).toBe('RESOLVED');
    await untrack(devices.map((d) => d.serial));
  });

  it('settles an incident once most terminals are back, giving the few still silent tickets of their own', async () => {
    const s = sys.services;
    const devices = await makeDevices(s, modelId, owner, 40);
    const at = new Date();
    await Promise.all(devices.map((d) => s.health.observeUplink(d.serial, at)));
    const incident = await eventually(async () => {
      const inc = await s.db.incident.findFirst({
        where: { kind: 'MASS_SILENCE', status: 'OPEN' },
        include: { _count: { select: { devices: true } } },
      });
      return inc && inc._count.devices === 40 ? inc : null;
    });
    const [incidentTicket] = await s.db.ticket.findMany({ where: { incidentId: incident.id, kind: 'INCIDENT' } });
    // 37 of 40 come back (recovered an hour ahead, see lastUplink); 3 never do.
    const [back, never] = [devices.slice(0, 37), devices.slice(37)];
    await Promise.all(back.map((d) => lastUplink(d.serial)));
    expect((await s.db.incident.findUniqueOrThrow({ where: { id: incident.id } })).status).toBe('OPEN');

    // Not while recoveries are recent: the quiet half hour has not passed.
    expect(await s.health.settleIncidents(Date.now() + 3_600_000)).toBe(0);
    expect((await s.db.incident.findUniqueOrThrow({ where: { id: incident.id } })).status).toBe('OPEN');

    expect(await s.health.settleIncidents(Date.now() + 2 * 3_600_000)).toBe(3);
    expect((await s.db.incident.findUniqueOrThrow({ where: { id: incident.id } })).status).toBe('RESOLVED');
    const closedTicket = await s.db.ticket.findUniqueOrThrow({ where: { id: incidentTicket!.id } });
    expect(closedTicket.status).toBe('RESOLVED');
    expect(closedTicket.resolutionNote).toMatch(/37 of 40 terminals report again; the 3 still silent get tickets of their own/);
    for (const d of never) expect((await noSignal(d.id)).map((t) => t.status)).toEqual(['NEW']);
    expect(await s.db.ticket.count({ where: { deviceId: { in: back.map((d) => d.id) } } })).toBe(0);
    // The incident keeps the record of who never came back.
    expect(await s.db.incidentDevice.count({ where: { incidentId: incident.id, recoveredAt: null } })).toBe(3);
    expect(await s.health.settleIncidents(Date.now() + 2 * 3_600_000)).toBe(0);

    // One of them reports again: its own ticket resolves as usual.
    expect(await lastUplink(never[0]!.serial)).toBe('recovered');
    expect((await noSignal(never[0]!.id)).map((t) => t.status)).toEqual(['RESOLVED']);
    await untrack(never.map((d) => d.serial));
  });

  it('folds tickets opened just before a storm was recognised into the incident', async () => {
    const s = sys.services;
    const early = await makeDevices(s, modelId, owner, 5);
    const late = await makeDevices(s, modelId, owner, 30);
    await Promise.all(early.map((d) => s.health.observeUplink(d.serial, new Date())));
    // Five silent terminals are no storm: they get their own tickets.
    await eventually(
      async () => (await s.db.ticket.count({ where: { deviceId: { in: early.map((d) => d.id) }, kind: 'NO_SIGNAL' } })) === 5,
    );
    const at = new Date();
    await Promise.all(late.map((d) => s.health.observeUplink(d.serial, at)));
    const incident = await eventually(async () => {
      const inc = await s.db.incident.findFirst({ where: { status: 'OPEN' }, include: { _count: { select: { devices: true } } } });
      return inc && inc._count.devices === 35 ? inc : null;
    });
    const [incidentTicket] = await s.db.ticket.findMany({ where: { incidentId: incident.id, kind: 'INCIDENT' } });
    const folded = await s.db.ticket.findMany({ where: { deviceId: { in: early.map((d) => d.id) } } });
    expect(folded.map((t) => t.status)).toEqual(['MERGED', 'MERGED', 'MERGED', 'MERGED', 'MERGED']);
    expect(folded.every((t) => t.mergedIntoId === incidentTicket!.id && t.incidentId === incident.id && t.dedupKey === null)).toBe(true);
    expect(await s.db.ticket.count({ where: { deviceId: { in: late.map((d) => d.id) } } })).toBe(0);

    await Promise.all([...early, ...late].map((d) => lastUplink(d.serial)));
    expect((await s.db.incident.findUniqueOrThrow({ where: { id: incident.id } })).status).toBe('RESOLVED');
    await untrack([...early, ...late].map((d) => d.serial));
  });
});
