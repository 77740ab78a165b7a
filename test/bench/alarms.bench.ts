// npm run bench:alarms -- [--terminals 10000] [--rules 100] [--messages 1000000] [--batch 2000] [--no-redis]
// Alarm rule evaluation at the ingest rate: uplinks from a fleet of terminals (vehicles,
// elevators, streetlights; a tenth of them out of bounds now and then) through the engine the
// worker runs, in batches as the event consumer hands them over. Phase 1 keeps the streaks in
// memory (the engine alone); phase 2 keeps them in the real Redis, as production does. Postgres
// is not involved: it is written only on raises and clears, which are counted here.
// Reported: messages/s and rule evaluations/s per CPU second, and CPU microseconds per message.
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createRedisAlarmState } from '../../devices/health/alarm-state.js';
import {
  type AlarmCondition,
  type CompiledRule,
  compileCondition,
  compileWindow,
  createEvaluator,
  createMemoryAlarmState,
  minuteOfDayIn,
  ruleSetOf,
  type Transition,
  type UplinkFacts,
} from '../../devices/health/index.js';

const { values } = parseArgs({
  options: {
    terminals: { type: 'string', default: '10000' },
    rules: { type: 'string', default: '100' },
    messages: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '2000' },
    'no-redis': { type: 'boolean', default: false },
  },
});
const TERMINALS = Number(values.terminals);
const RULES = Number(values.rules);
const MESSAGES = Number(values.messages);
const BATCH = Number(values.batch);
const out = (s: string) => process.stdout.write(`${s}\n`);

// A deterministic generator, so runs compare.
let seed = 42;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};

const CATEGORIES = ['VEHICLE', 'ELEVATOR', 'STREETLIGHT'] as const;
const MODELS = { VEHICLE: 'NXV-100', ELEVATOR: 'NXE-200', STREETLIGHT: 'NXL-300' } as const;
const CUSTOMERS = 200;
const terminals = Array.from({ length: TERMINALS }, (_, i) => {
  const category = CATEGORIES[i % 3]!;
  return {
    deviceId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    serial: `${MODELS[category]}-${i}`,
    category,
    modelCode: MODELS[category],
    customerId: `cust-${i % CUSTOMERS}`,
    contractorId: `contractor-${i % 20}`,
    seq: 0,
  };
});

const square = (lat: number, lon: number, d: number) => [
  { latitude: lat - d, longitude: lon - d },
  { latitude: lat - d, longitude: lon + d },
  { latitude: lat + d, longitude: lon + d },
  { latitude: lat + d, longitude: lon - d },
];
// A 64-vertex fence: a city district drawn by hand.
const district = Array.from({ length: 64 }, (_, k) => ({
  latitude: 31.2 + 0.3 * Math.sin((2 * Math.PI * k) / 64),
  longitude: 121.5 + 0.3 * Math.cos((2 * Math.PI * k) / 64),
}));
const TEMPLATES: { category: (typeof CATEGORIES)[number]; c: () => AlarmCondition; window?: { from: string; to: string }; n?: number }[] = [
  { category: 'ELEVATOR', c: () => ({ kind: 'compare', field: 'loadPercent', operator: 'gt', value: 100 + Math.floor(rand() * 20) }) },
  { category: 'VEHICLE', c: () => ({ kind: 'compare', field: 'speedKmh', operator: 'gt', value: 80 + Math.floor(rand() * 40) }) },
  {
    category: 'VEHICLE',
    c: () => ({ kind: 'geofence', polygon: rand() < 0.5 ? district : square(31.2, 121.5, 0.4), alarmWhen: 'outside' }),
  },
  {
    category: 'STREETLIGHT',
    c: () => ({ kind: 'compare', field: 'lampOn', operator: 'eq', value: true }),
    window: { from: '10:00', to: '15:00' },
  },
  { category: 'ELEVATOR', c: () => ({ kind: 'compare', field: 'supplyMv', operator: 'lt', value: 3300 }), n: 3 },
];

const rules: CompiledRule[] = Array.from({ length: RULES }, (_, i) => {
  const t = TEMPLATES[i % TEMPLATES.length]!;
  const cond = t.c();
  // 60 % by model, 30 % by customer or contractor, 10 % by terminal.
  const r = i % 10;
  const target =
    r < 6
      ? { kind: 'MODEL' as const, modelCode: MODELS[t.category] }
      : r < 9
        ? { kind: 'CUSTOMER' as const, customerId: r === 8 ? `contractor-${i % 20}` : `cust-${i % CUSTOMERS}` }
        : { kind: 'TERMINAL' as const, deviceId: terminals[(i * 7) % TERMINALS]!.deviceId };
  return {
    id: `rule-${i}`,
    name: `rule ${i}`,
    severity: 'MAJOR',
    createTicket: false,
    ticketGroup: 'SERVICE_DESK',
    notify: false,
    target,
    categories: new Set(cond.kind === 'geofence' ? ['VEHICLE'] : cond.field === 'supplyMv' ? CATEGORIES : [t.category]),
    raise: compileCondition(cond),
    window: compileWindow(t.window),
    raiseAfter: t.n ?? 2,
    clear: null,
    clearAfter: t.n ?? 2,
  };
});

const frameOf = (category: string): Record<string, unknown> => {
  const wild = rand() < 0.1;
  if (rand() < 0.2) return { type: 'heartbeat', supplyMv: wild ? 3100 : 3700, signalDbm: -70 };
  if (category === 'VEHICLE')
    return {
      type: 'vehicle-telemetry',
      latitude: 31.2 + (rand() - 0.5) * (wild ? 1.2 : 0.4),
      longitude: 121.5 + (rand() - 0.5) * (wild ? 1.2 : 0.4),
      speedKmh: wild ? 130 : 50,
      heading: 90,
      ignition: true,
      moving: true,
      doorOpen: false,
      immobilized: false,
    };
  if (category === 'ELEVATOR')
    return { type: 'elevator-telemetry', floor: 3, motion: 'up', door: 'closed', loadPercent: wild ? 120 : 60, tripCounter: 1 };
  return { type: 'streetlight-telemetry', lampOn: wild, dimmingPercent: 100, powerW: 80, ambientLux: 9000, energyWh: 1 };
};

// The uplinks, made before timing: the bench measures evaluation, not the generator.
const start = Date.parse('2026-12-01T00:00:00Z');
const uplinks: UplinkFacts[] = Array.from({ length: MESSAGES }, (_, i) => {
  const t = terminals[i % TERMINALS]!;
  return {
    deviceId: t.deviceId,
    serial: t.serial,
    customerId: t.customerId,
    contractorId: t.contractorId,
    modelCode: t.modelCode,
    category: t.category,
    seq: ++t.seq,
    // Spread over a day, so time windows are both in and out.
    receivedAtMs: start + Math.floor((i / MESSAGES) * 86_400_000),
    frame: frameOf(t.category),
  };
});

async function phase(name: string, store: ReturnType<typeof createMemoryAlarmState> | ReturnType<typeof createRedisAlarmState>) {
  const evaluator = createEvaluator({ minuteOfDay: minuteOfDayIn('Asia/Shanghai') });
  const set = ruleSetOf(rules, 1);
  let tested = 0;
  let matched = 0;
  const kinds = { raise: 0, clear: 0, repeat: 0 };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < uplinks.length; i += BATCH) {
    // As alarms.ts does: keep only uplinks that have rules, in seq order per terminal, load, evaluate, save.
    const batch = uplinks.slice(i, i + BATCH).filter((u) => evaluator.rulesFor(set, u).length > 0);
    matched += batch.length;
    batch.sort((a, b) => (a.deviceId === b.deviceId ? a.seq - b.seq : a.deviceId < b.deviceId ? -1 : 1));
    const states = await store.load([...new Set(batch.map((u) => u.deviceId))]);
    const transitions: Transition[] = [];
    const repeats = new Map<string, number>();
    for (const u of batch) tested += evaluator.evaluate(set, u, states.get(u.deviceId)!, transitions, repeats);
    for (const t of transitions) kinds[t.kind]++;
    await store.save(states);
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  out(`\n${name}`);
  out(`  messages          ${MESSAGES.toLocaleString('en')} (${matched.toLocaleString('en')} from terminals with rules)`);
  out(`  rule evaluations  ${tested.toLocaleString('en')} (${(tested / MESSAGES).toFixed(1)} per message)`);
  out(
    `  transitions       raise ${kinds.raise}, clear ${kinds.clear}, repeat ${kinds.repeat} (Postgres writes: one per raise/clear, one statement per batch for repeats)`,
  );
  out(`  CPU               ${cpuSec.toFixed(2)} s  ->  ${((cpuSec * 1e6) / MESSAGES).toFixed(2)} µs per message`);
  out(
    `  per CPU second    ${Math.round(MESSAGES / cpuSec).toLocaleString('en')} messages/s, ${Math.round(tested / cpuSec).toLocaleString('en')} evaluations/s`,
  );
  out(
    `  wall              ${(wallMs / 1000).toFixed(2)} s (${Math.round(MESSAGES / (wallMs / 1000)).toLocaleString('en')} messages/s; includes Redis round trips in phase 2)`,
  );
}

out(`alarm rule bench: ${TERMINALS.toLocaleString('en')} terminals, ${RULES} rules, batches of ${BATCH}; node ${process.version}`);
out('(CPU time is what counts on a shared machine; wall time there is inflated by the others.)');
await phase('phase 1: engine, streaks in memory', createMemoryAlarmState());
if (!values['no-redis']) {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const prefix = `bench-alarms-${process.pid}`;
  try {
    await phase('phase 2: engine, streaks in Redis (as the worker runs)', createRedisAlarmState({ redis, prefix }));
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  }
}
