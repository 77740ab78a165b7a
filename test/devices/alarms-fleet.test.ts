// A simulated fleet trips the operator's alarm rules: elevators overloaded and vehicles
// speeding while the scenario is on raise alarms on exactly the tripping terminals; switched
// off, the terminals report normally and the alarms clear.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, type ScenarioSwitch, startFleet } from '../../simulators/index.js';
import { loginAs } from '../helpers/api.js';
import { eventually } from '../helpers/health-fixtures.js';
import { http } from '../helpers/http.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { createContract, ensureModel, provisionTerminal } from '../helpers/terminals.js';

let sys: TestSystem;
let fleet: Fleet | undefined;
const sw: ScenarioSwitch = { on: false };
let serials: string[];

beforeAll(async () => {
  sys = await startTestSystem('all');
  await ensureModel(sys.services, 'NXE-200', { rateLimitBurst: 1000, rateLimitPerMinute: 60000 });
  const { contract } = await createContract(sys.services);
  const creds = [];
  for (let i = 0; i < 6; i++) creds.push(await provisionTerminal(sys.services, contract.id, 'NXE-200'));
  serials = creds.map((c) => c.serial);
  const { token } = await loginAs(sys.services, sys.app!, 'OPS');
  const rule = await http(`${sys.httpUrl}/api/v1`, 'POST', '/alarm-rules', {
    token,
    body: {
      name: 'Overload',
      target: { kind: 'MODEL', model: 'NXE-200' },
      condition: { kind: 'compare', field: 'loadPercent', operator: 'gt', value: 100 },
      raiseAfter: 2,
      severity: 'MAJOR',
    },
  });
  expect(rule.status).toBe(201);
  fleet = await startFleet({
    url: `mqtt://127.0.0.1:${sys.mqttPort}`,
    terminals: creds.map((c) => ({ serial: c.serial, secret: c.secret })),
    seed: 11,
    accelerate: 100,
    reportIntervalSec: { ELEVATOR: 20 },
    heartbeatIntervalSec: { ELEVATOR: 600 },
    minRealIntervalMs: 150,
    spreadRealSec: 0.2,
    tickMs: 50,
    requireAllConnected: true,
    scenario: { name: 'overload', share: 0.5, switch: sw },
  });
});
afterAll(async () => {
  await fleet?.stop();
  await sys?.stop();
});

const alarms = () => sys.services.db.alarm.findMany({ include: { device: { select: { serial: true } } } });

describe('a simulated fleet and the overload rule', () => {
  it('raises alarms on the overloaded elevators only, and clears them when the overload ends', async () => {
    expect(fleet!.tripping.length).toBeGreaterThan(0);
    expect(fleet!.tripping.length).toBeLessThan(serials.length);
    // Normal running first: the simulated cars never exceed 95 %.
    await eventually(async () => (await sys.services.db.message.count({ where: { kind: 'telemetry' } })) >= 12);
    expect(await alarms()).toHaveLength(0);

    sw.on = true;
    const raised = await eventually(async () => {
      const list = await alarms();
      return list.length === fleet!.tripping.length ? list : null;
    }, 30_000);
    expect(raised.map((a) => a.device.serial).sort()).toEqual([...fleet!.tripping].sort());

    sw.on = false;
    const cleared = await eventually(async () => {
      const list = await alarms();
      return list.every((a) => a.status === 'CLEARED_UNACK') ? list : null;
    }, 30_000);
    expect(cleared).toHaveLength(fleet!.tripping.length);
  });
});
