import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import {
  adminCtx,
  connackCode,
  connectTerminal,
  createContract,
  ensureModel,
  newSerial,
  provisionTerminal,
  waitFor,
} from '../helpers/terminals.js';

let sys: TestSystem;
let contractId: string;
beforeAll(async () => {
  sys = await startTestSystem('all');
  contractId = (await createContract(sys.services)).contract.id;
});
afterAll(async () => {
  await sys?.stop();
});

const V4 = { protocolVersion: 4 as const };
const V5 = { protocolVersion: 5 as const };

describe('gateway CONNACK codes (protocol.md section 1)', () => {
  it('accepts a provisioned terminal with its secret over 3.1.1 and 5, and records presence', async () => {
    const t = await provisionTerminal(sys.services, contractId);
    expect(await connackCode(sys.mqttPort!, t.serial, t.secret, V4)).toBe(0);
    const c = await connectTerminal(sys.mqttPort!, t.serial, t.secret, V5);
    const online = await waitFor(async () => (await sys.services.db.device.findUnique({ where: { serial: t.serial } }))?.online);
    expect(online).toBe(true);
    await c.endAsync();
    // Presence writes are asynchronous: wait for both sessions to be closed and the unit offline.
    const d = await waitFor(async () => {
      const row = await sys.services.db.device.findUnique({
        where: { serial: t.serial },
        include: { sessions: { orderBy: { id: 'asc' } } },
      });
      return row && !row.online && row.sessions.length === 2 && row.sessions.every((x) => x.disconnectedAt) ? row : null;
    });
    expect(d.lastConnectAt).toBeTruthy();
    expect(d.lastDisconnectAt).toBeTruthy();
    expect(d.sessions.map((x) => x.protocolLevel)).toEqual([4, 5]);
  });

  it('refuses an unknown serial or a wrong secret: 4 / 0x86', async () => {
    const t = await provisionTerminal(sys.services, contractId);
    expect(await connackCode(sys.mqttPort!, t.serial, 'not-the-secret', V4)).toBe(4);
    expect(await connackCode(sys.mqttPort!, t.serial, 'not-the-secret', V5)).toBe(0x86);
    expect(await connackCode(sys.mqttPort!, 'NXE-NOSUCH', t.secret, V4)).toBe(4);
    expect(await connackCode(sys.mqttPort!, 'NXE-NOSUCH', t.secret, V5)).toBe(0x86);
  });

  it('refuses a client id that differs from the username: 2 / 0x85', async () => {
    const t = await provisionTerminal(sys.services, contractId);
    expect(await connackCode(sys.mqttPort!, t.serial, t.secret, { ...V4, clientId: 'someone-else' })).toBe(2);
    expect(await connackCode(sys.mqttPort!, t.serial, t.secret, { ...V5, clientId: 'someone-else' })).toBe(0x85);
  });

  it('refuses a unit in stock like an unknown serial (4 / 0x86), and retired or lost terminals with 5 / 0x87', async () => {
    const ctx = await adminCtx(sys.services);
    await ensureModel(sys.services, 'NXE-200');
    const stock = newSerial();
    await sys.services.devices.addToStock(ctx, { serial: stock, model: 'NXE-200' });
    expect(await connackCode(sys.mqttPort!, stock, 'anything', V4)).toBe(4);
    expect(await connackCode(sys.mqttPort!, stock, 'anything', V5)).toBe(0x86);
    for (const status of ['RETIRED', 'LOST'] as const) {
      const t = await provisionTerminal(sys.services, contractId);
      await sys.services.devices.setStatus(ctx, t.serial, { status });
      expect(await connackCode(sys.mqttPort!, t.serial, t.secret, V4)).toBe(5);
      expect(await connackCode(sys.mqttPort!, t.serial, t.secret, V5)).toBe(0x87);
    }
  });

  it('refuses a suspended terminal with 5 / 0x8A and drops its open session (DISCONNECT 0x98)', async () => {
    const ctx = await adminCtx(sys.services);
    const t = await provisionTerminal(sys.services, contractId);
    const c = await connectTerminal(sys.mqttPort!, t.serial, t.secret, V5);
    const dropped = new Promise<number | undefined>((resolve) => c.once('disconnect', (p) => resolve(p.reasonCode)));
    await sys.services.devices.setStatus(ctx, t.serial, { status: 'SUSPENDED', reason: 'test' });
    expect(await dropped).toBe(0x98);
    expect(await connackCode(sys.mqttPort!, t.serial, t.secret, V4)).toBe(5);
    expect(await connackCode(sys.mqttPort!, t.serial, t.secret, V5)).toBe(0x8a);
    await sys.services.devices.setStatus(ctx, t.serial, { status: 'ACTIVE' });
    expect(await connackCode(sys.mqttPort!, t.serial, t.secret, V5)).toBe(0);
    c.end(true);
  });

  it('refuses terminals of a contract suspended behind its back (plain SQL) within 2 s', async () => {
    const { contract } = await createContract(sys.services);
    const t = await provisionTerminal(sys.services, contract.id);
    const c = await connectTerminal(sys.mqttPort!, t.serial, t.secret, V4);
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    expect(await connackCode(sys.mqttPort!, t.serial, t.secret, V5)).toBe(0);
    await sys.services.db.$executeRaw`UPDATE "Contract" SET status = 'SUSPENDED' WHERE id = ${contract.id}::uuid`;
    const suspendedAt = Date.now();
    await waitFor(async () => (await connackCode(sys.mqttPort!, t.serial, t.secret, V5)) === 0x8a, 2000, 100);
    expect(Date.now() - suspendedAt).toBeLessThan(2000);
    expect(await connackCode(sys.mqttPort!, t.serial, t.secret, V4)).toBe(5);
    await closed;
    expect(Date.now() - suspendedAt).toBeLessThan(2500);
  });

  it('stops accepting a secret as soon as it is rotated', async () => {
    const ctx = await adminCtx(sys.services);
    const t = await provisionTerminal(sys.services, contractId);
    expect(await connackCode(sys.mqttPort!, t.serial, t.secret, V5)).toBe(0);
    const rotated = await sys.services.devices.rotateSecret(ctx, t.serial);
    expect(await connackCode(sys.mqttPort!, t.serial, t.secret, V5)).toBe(0x86);
    expect(await connackCode(sys.mqttPort!, t.serial, rotated.secret, V5)).toBe(0);
  });
});

describe('connection rate per address', () => {
  let limited: TestSystem;
  beforeAll(async () => {
    limited = await startTestSystem('gateway', { MQTT_CONNECT_BURST: '3', MQTT_CONNECT_PER_SECOND: '0.01' });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it('answers 3 / 0x9F once an address connects too often', async () => {
    const { contract } = await createContract(limited.services);
    const t = await provisionTerminal(limited.services, contract.id);
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push(await connackCode(limited.mqttPort!, t.serial, t.secret, V4));
    codes.push(await connackCode(limited.mqttPort!, t.serial, t.secret, V4));
    codes.push(await connackCode(limited.mqttPort!, t.serial, t.secret, V5));
    expect(codes).toEqual([0, 0, 0, 3, 0x9f]);
  });
});
