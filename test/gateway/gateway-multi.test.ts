// Two gateway processes sharing Postgres and Redis: downlinks reach the terminal through
// whichever gateway holds its connection, and a reconnect elsewhere takes the session over.

import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCommand } from '../../gateway/codecs/index.js';
import { loginAs } from '../helpers/api.js';
import { spawnGateway, stopChild } from '../helpers/gateway-child.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { connectTerminal, createContract, provisionTerminal, waitFor } from '../helpers/terminals.js';

let sys: TestSystem;
let other: { child: ChildProcess; port: number };
beforeAll(async () => {
  sys = await startTestSystem('all');
  other = await spawnGateway(sys.databaseUrl, { REDIS_PREFIX: sys.config.REDIS_PREFIX, GATEWAY_ID: 'gateway-b' });
});
afterAll(async () => {
  if (other) await stopChild(other.child);
  await sys?.stop();
});

describe('several gateways', () => {
  it('routes a command to the gateway holding the connection and hands sessions over between gateways', async () => {
    const ops = await loginAs(sys.services, sys.app!, 'OPS');
    const { contract } = await createContract(sys.services);
    const t = await provisionTerminal(sys.services, contract.id, 'NXV-100');

    const onB = await connectTerminal(other.port, t.serial, t.secret, { clean: false });
    await onB.subscribeAsync(`nx/${t.serial}/down`, { qos: 1 });
    const received = new Promise<Buffer>((resolve) => onB.once('message', (_topic, payload) => resolve(payload)));
    const res = await sys.app!.inject({
      method: 'POST',
      url: `/api/v1/devices/${t.serial}/commands`,
      headers: ops.headers,
      payload: { opcode: 'IMMOBILIZE', args: { on: true } },
    });
    expect(res.statusCode).toBe(201);
    const id = res.json().id as number;
    expect(decodeCommand(await received)).toMatchObject({ ok: true, commandId: id });
    await waitFor(async () => (await sys.services.db.downlinkCommand.findUnique({ where: { id } }))?.status === 'DELIVERED');

    // The terminal reappears on gateway A: B drops its stale connection, presence follows.
    const dropped = new Promise<void>((resolve) => onB.once('close', () => resolve()));
    const onA = await connectTerminal(sys.mqttPort!, t.serial, t.secret, { clean: false, protocolVersion: 5 });
    await dropped;
    const sessions = await waitFor(async () => {
      const rows = await sys.services.db.deviceSession.findMany({ where: { device: { serial: t.serial } }, orderBy: { id: 'asc' } });
      return rows.length === 2 && rows[0]!.disconnectedAt ? rows : null;
    });
    expect(sessions.map((s) => s.gatewayId)).toEqual(['gateway-b', expect.not.stringMatching(/^gateway-b$/)]);
    expect(sessions[1]!.disconnectedAt).toBeNull();
    expect((await sys.services.db.device.findUniqueOrThrow({ where: { serial: t.serial } })).online).toBe(true);

    // The persistent subscription made on B still holds on A (session state lives in Redis).
    const next = new Promise<Buffer>((resolve) => onA.once('message', (_topic, payload) => resolve(payload)));
    const second = await sys.app!.inject({
      method: 'POST',
      url: `/api/v1/devices/${t.serial}/commands`,
      headers: ops.headers,
      payload: { opcode: 'REPORT_NOW' },
    });
    expect(decodeCommand(await next)).toMatchObject({ ok: true, commandId: second.json().id });
    await onA.endAsync();
  }, 30_000);
});
