// The whole path with a real MQTT terminal: gateway -> outbox -> events -> watchdog / fault tickets.

import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/health-fixtures.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { connectTerminal, createContract, provisionTerminal } from '../helpers/terminals.js';

let sys: TestSystem;
let terminal: { serial: string; secret: string };
let client: MqttClient;
beforeAll(async () => {
  sys = await startTestSystem('all', { HEALTH_TICK_MS: '100', HEALTH_SILENCE_GRACE_MS: '300' });
  const { contract } = await createContract(sys.services);
  await sys.services.db.deviceModel.create({
    data: {
      code: 'NXE-901',
      name: 'Fast elevator monitor',
      category: 'ELEVATOR',
      codec: 'nx-elevator-v1',
      expectedIntervalSec: 1,
      silenceFactor: 2,
      faultTable: [{ code: 0x0102, description: 'Car stopped between floors (possible entrapment)', severity: 3, group: 'REPAIR' }],
    },
  });
  terminal = await provisionTerminal(sys.services, contract.id, 'NXE-901');
  client = await connectTerminal(sys.mqttPort!, terminal.serial, terminal.secret);
});
afterAll(async () => {
  await client?.endAsync();
  await sys?.stop();
});

const header = (type: number) => {
  const b = Buffer.alloc(5);
  b.writeUInt8(type, 0);
  b.writeUInt32BE(Math.floor(Date.now() / 1000), 1);
  return b;
};
const heartbeat = () => Buffer.concat([header(0x02), Buffer.from([0x0e, 0x10, 0xc4])]);
const fault = (code: number, severity: number, detail = '') => {
  const body = Buffer.alloc(3);
  body.writeUInt16BE(code, 0);
  body.writeUInt8(severity, 2);
  return Buffer.concat([header(0x04), body, Buffer.from(detail, 'ascii')]);
};
const publish = (kind: string, payload: Buffer) => client.publishAsync(`nx/${terminal.serial}/up/${kind}`, payload, { qos: 1 });
const ticketsOf = (kind: string) =>
  sys.services.db.ticket.findMany({ where: { device: { serial: terminal.serial }, kind }, orderBy: { number: 'asc' } });

describe('terminal health over MQTT', () => {
  it('a terminal that stops reporting gets one NO_SIGNAL ticket, resolved by its next uplink', async () => {
    await publish('heartbeat', heartbeat());
    const [t] = await eventually(async () => ((await ticketsOf('NO_SIGNAL')).length ? ticketsOf('NO_SIGNAL') : null), 10_000);
    expect(t!.status).toBe('NEW');
    await publish('heartbeat', heartbeat());
    const done = await eventually(async () => (await ticketsOf('NO_SIGNAL')).find((x) => x.status === 'RESOLVED'), 10_000);
    expect(done.id).toBe(t!.id);
    expect(await ticketsOf('NO_SIGNAL')).toHaveLength(1);
  });

  it('a fault frame opens a DEVICE_FAULT ticket for the repair group; clearing it resolves the ticket', async () => {
    await publish('fault', fault(0x0102, 3, 'floor 7'));
    const [t] = await eventually(async () => ((await ticketsOf('DEVICE_FAULT')).length ? ticketsOf('DEVICE_FAULT') : null), 10_000);
    expect(t).toMatchObject({ group: 'REPAIR', priority: 'CRITICAL', faultCode: 0x0102 });
    expect(t!.description).toContain('floor 7');
    await publish('fault', fault(0x0102, 0));
    await eventually(async () => (await ticketsOf('DEVICE_FAULT')).find((x) => x.status === 'RESOLVED'), 10_000);
  });
});
