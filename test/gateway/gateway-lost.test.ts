// A gateway that dies without a word (kill -9) under a fresh id each start: its terminals must
// not stay "online" for ever. The worker's sweep closes the sessions of gateways that stopped beating.

import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_SWEEP_JOB } from '../../gateway/index.js';
import { spawnGateway, stopChild } from '../helpers/gateway-child.js';
import { seedTerminals } from '../helpers/seed-terminals.js';
import { startTestSystem, TEST_REDIS_URL, type TestSystem } from '../helpers/system.js';
import { connectTerminal } from '../helpers/terminals.js';
import { waitFor } from '../helpers/webhook-receiver.js';

let sys: TestSystem;
let redis: Redis;
const children: ChildProcess[] = [];
beforeAll(async () => {
  sys = await startTestSystem('worker');
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  for (const c of children) await stopChild(c, 'SIGKILL');
  redis?.disconnect();
  await sys?.stop();
});

describe('lost gateway', () => {
  it("takes the terminals of a killed gateway offline, and leaves a live gateway's alone", async () => {
    const { db, scheduler } = sys.services;
    const [t] = await seedTerminals(db, 1, 'NXE-LOST');
    const { child, port } = await spawnGateway(sys.databaseUrl, { REDIS_PREFIX: sys.config.REDIS_PREFIX });
    children.push(child);
    const client = await connectTerminal(port, t!.serial, t!.secret);
    const device = () => db.device.findUniqueOrThrow({ where: { serial: t!.serial }, select: { id: true, online: true } });
    await waitFor(async () => (await device()).online, 'terminal online');
    const session = await db.deviceSession.findFirstOrThrow({ where: { disconnectedAt: null } });

    // While the gateway beats, the sweep finds nothing to close.
    expect(await scheduler.runNow(GATEWAY_SWEEP_JOB)).toEqual({ closed: 0 });
    expect((await device()).online).toBe(true);

    await stopChild(child, 'SIGKILL');
    client.end(true);
    expect((await device()).online).toBe(true); // nobody said goodbye
    // Its heartbeat key would expire within 20 s; removing it is that expiry, without the wait.
    await redis.del(`${sys.config.REDIS_PREFIX}:gateway:alive:${session.gatewayId}`);
    // Missing once is not lost yet (a restarted Redis has no keys until the next heartbeat)...
    const t0 = Date.now();
    expect(await scheduler.runNow(GATEWAY_SWEEP_JOB, { now: t0 })).toEqual({ closed: 0 });
    expect((await device()).online).toBe(true);
    // ...missing for a whole time to live is.
    expect(await scheduler.runNow(GATEWAY_SWEEP_JOB, { now: t0 + 21_000 })).toEqual({ closed: 1 });

    const after = await device();
    expect(after.online).toBe(false);
    const closed = await db.deviceSession.findUniqueOrThrow({ where: { id: session.id } });
    expect(closed.disconnectedAt).not.toBeNull();
    expect(closed.reason).toBe('gateway lost');
    const offline = await db.outboxEvent.findMany({ where: { type: 'device.offline', deviceId: after.id } });
    expect(offline.map((e) => (e.payload as { reason: string }).reason)).toEqual(['gateway lost']);
    // A later sweep has nothing left to do.
    expect(await scheduler.runNow(GATEWAY_SWEEP_JOB, { now: t0 + 42_000 })).toEqual({ closed: 0 });
  }, 60_000);
});
