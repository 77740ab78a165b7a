import { describe, expect, it } from 'vitest';
import { compileCondition, compileWindow, minuteOfDayIn } from './alarm-conditions.js';
import { type CompiledRule, createEvaluator, newTerminalState, ruleSetOf, type Transition, type UplinkFacts } from './alarm-engine.js';
import type { AlarmCondition, TimeWindow } from './alarm-rule.schemas.js';

const rule = (
  id: string,
  category: string,
  condition: AlarmCondition,
  o: { window?: TimeWindow; raiseAfter?: number; clear?: AlarmCondition; clearAfter?: number } = {},
): CompiledRule => ({
  id,
  name: id,
  severity: 'MAJOR',
  createTicket: false,
  ticketGroup: 'SERVICE_DESK',
  notify: false,
  target: { kind: 'MODEL', modelCode: 'M' },
  categories: new Set([category]),
  raise: compileCondition(condition),
  window: compileWindow(o.window),
  raiseAfter: o.raiseAfter ?? 1,
  clear: o.clear ? compileCondition(o.clear) : null,
  clearAfter: o.clearAfter ?? o.raiseAfter ?? 1,
});

/** Runs frames (with their times) through one rule and returns the transitions' kinds. */
function run(r: CompiledRule, category: string, frames: [Record<string, unknown>, string?][]) {
  const ev = createEvaluator({ minuteOfDay: minuteOfDayIn('Asia/Shanghai') });
  const set = ruleSetOf([r], 1);
  const state = newTerminalState();
  const out: Transition[] = [];
  let seq = 0;
  for (const [frame, at] of frames) {
    const u: UplinkFacts = {
      deviceId: 'd1',
      serial: 'S1',
      customerId: null,
      contractorId: null,
      modelCode: 'M',
      category,
      seq: ++seq,
      receivedAtMs: Date.parse(at ?? '2026-12-01T00:00:00Z'),
      frame,
    };
    ev.evaluate(set, u, state, out, new Map());
  }
  return out.map((t) => t.kind);
}

const lamp = (lampOn: boolean) => ({
  type: 'streetlight-telemetry',
  lampOn,
  dimmingPercent: 100,
  powerW: 80,
  ambientLux: 9000,
  energyWh: 1,
});
const pos = (latitude: number, longitude: number) => ({ type: 'vehicle-telemetry', latitude, longitude, speedKmh: 40 });

describe('alarm engine', () => {
  it('a lamp on at noon in Shanghai raises; the same lamp on at night does not, and leaving the window clears', () => {
    const r = rule(
      'noon',
      'STREETLIGHT',
      { kind: 'compare', field: 'lampOn', operator: 'eq', value: true },
      { window: { from: '11:00', to: '14:00' } },
    );
    // 12:00 Shanghai is 04:00 UTC; 22:00 Shanghai is 14:00 UTC.
    expect(run(r, 'STREETLIGHT', [[lamp(true), '2026-12-01T14:00:00Z']])).toEqual([]);
    expect(
      run(r, 'STREETLIGHT', [
        [lamp(true), '2026-12-01T04:00:00Z'],
        [lamp(true), '2026-12-01T06:30:00Z'],
      ]),
    ).toEqual(['raise', 'clear']);
  });

  it('a window across midnight holds on both sides of it', () => {
    const w = compileWindow({ from: '22:00', to: '06:00' })!;
    expect([w(23 * 60), w(60), w(6 * 60), w(12 * 60)]).toEqual([true, true, false, false]);
  });

  it('a vehicle leaving its geofence raises; coming back clears', () => {
    const square = [
      { latitude: 31, longitude: 121 },
      { latitude: 31, longitude: 122 },
      { latitude: 32, longitude: 122 },
      { latitude: 32, longitude: 121 },
    ];
    const r = rule('fence', 'VEHICLE', { kind: 'geofence', polygon: square, alarmWhen: 'outside' });
    expect(run(r, 'VEHICLE', [[pos(31.5, 121.5)], [pos(30.9, 121.5)], [pos(30.8, 121.5)], [pos(31.5, 121.5)]])).toEqual([
      'raise',
      'repeat',
      'clear',
    ]);
  });

  it('supply under a threshold for 3 heartbeats raises; frames of other kinds neither count nor break the streak', () => {
    const r = rule('supply', 'ELEVATOR', { kind: 'compare', field: 'supplyMv', operator: 'lt', value: 3300 }, { raiseAfter: 3 });
    const hb = (supplyMv: number) => ({ type: 'heartbeat', supplyMv, signalDbm: -70 });
    const tel = { type: 'elevator-telemetry', loadPercent: 10 };
    expect(run(r, 'ELEVATOR', [[hb(3000)], [hb(3000)], [tel], [hb(3500)], [hb(3000)], [hb(3000)]])).toEqual([]);
    expect(run(r, 'ELEVATOR', [[hb(3000)], [hb(3000)], [tel], [hb(3000)]])).toEqual(['raise']);
  });

  it('an explicit clear condition decides the clear, after its own count', () => {
    const r = rule(
      'speed',
      'VEHICLE',
      { kind: 'compare', field: 'speedKmh', operator: 'gt', value: 100 },
      { clear: { kind: 'compare', field: 'speedKmh', operator: 'lt', value: 80 }, clearAfter: 2 },
    );
    const v = (speedKmh: number) => ({ type: 'vehicle-telemetry', speedKmh });
    // 90 km/h is neither over the limit nor under the clear threshold: the alarm stays.
    expect(run(r, 'VEHICLE', [[v(120)], [v(90)], [v(90)], [v(70)], [v(70)]])).toEqual(['raise', 'clear']);
  });

  it('an event delivered twice (a retried job) is not counted twice', () => {
    const r = rule('load', 'ELEVATOR', { kind: 'compare', field: 'loadPercent', operator: 'gt', value: 100 }, { raiseAfter: 2 });
    const ev = createEvaluator({ minuteOfDay: () => 0 });
    const set = ruleSetOf([r], 1);
    const state = newTerminalState();
    const out: Transition[] = [];
    const u: UplinkFacts = {
      deviceId: 'd',
      serial: 'S',
      customerId: null,
      contractorId: null,
      modelCode: 'M',
      category: 'ELEVATOR',
      seq: 5,
      receivedAtMs: 0,
      frame: { type: 'elevator-telemetry', loadPercent: 150 },
    };
    ev.evaluate(set, u, state, out, new Map());
    ev.evaluate(set, u, state, out, new Map());
    expect(out).toEqual([]);
    ev.evaluate(set, { ...u, seq: 6 }, state, out, new Map());
    expect(out.map((t) => t.kind)).toEqual(['raise']);
  });

  it('rules apply by model, owner, maintaining contractor and terminal, and only to categories that send the field', () => {
    const base = rule('m', 'ELEVATOR', { kind: 'compare', field: 'loadPercent', operator: 'gt', value: 100 });
    const rules = [
      base,
      { ...base, id: 'c', target: { kind: 'CUSTOMER' as const, customerId: 'cust' } },
      { ...base, id: 'k', target: { kind: 'CUSTOMER' as const, customerId: 'contractor' } },
      { ...base, id: 't', target: { kind: 'TERMINAL' as const, deviceId: 'd9' } },
    ];
    const ev = createEvaluator({ minuteOfDay: () => 0 });
    const set = ruleSetOf(rules, 1);
    const u = {
      deviceId: 'd9',
      serial: 'S',
      customerId: 'cust',
      contractorId: 'contractor',
      modelCode: 'M',
      category: 'ELEVATOR',
      seq: 1,
      receivedAtMs: 0,
      frame: {},
    };
    expect(ev.rulesFor(set, u).map((r) => r.id)).toEqual(['m', 'c', 'k', 't']);
    expect(ev.rulesFor(set, { ...u, deviceId: 'x', category: 'VEHICLE' })).toEqual([]);
  });
});
