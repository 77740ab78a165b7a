// Behaviour models are pure: no broker needed. Every frame they produce must decode through
// the gateway's codecs to exactly what the model meant, and the same seed gives the same run.
import { describe, expect, it } from 'vitest';
import { type Category, type DecodedFrame, decodeUplink, encodeUplink, kindOfFrame } from '../gateway/codecs/index.js';
import { type BehaviourModel, createModel, ElevatorModel, StreetlightModel, VehicleModel } from './models/index.js';
import { createRng } from './prng.js';

const T0 = new Date('2026-11-25T04:00:00Z'); // 12:00 in Shanghai

/** Runs a model for `hours` simulated hours, reporting every `reportSec`; returns every frame. */
function run(model: BehaviourModel, hours: number, reportSec = 30, faultRate = 0, start = T0): DecodedFrame[] {
  const frames: DecodedFrame[] = [];
  for (let t = reportSec; t <= hours * 3600; t += reportSec) {
    const now = new Date(start.getTime() + t * 1000);
    frames.push(...model.advance(now, reportSec));
    frames.push(model.telemetry(), model.heartbeat());
    const f = model.maybeFault(faultRate, now);
    if (f) frames.push(f);
  }
  return frames;
}

function roundTrip(frame: DecodedFrame, category: Category) {
  const time = new Date('2026-11-25T12:00:00Z');
  return decodeUplink(encodeUplink(frame, time), kindOfFrame(frame), category);
}

describe('behaviour models', () => {
  for (const category of ['VEHICLE', 'ELEVATOR', 'STREETLIGHT'] as const) {
    it(`${category}: every frame of a simulated day decodes to what the model intended`, () => {
      const frames = run(createModel(category, createRng(`rt-${category}`)), 24, 30, 0.02);
      expect(frames.length).toBeGreaterThan(5000);
      const kinds = new Set(frames.map((f) => f.type));
      expect(kinds).toContain('fault');
      for (const f of frames) {
        expect(roundTrip(f, category)).toEqual({ ok: true, frame: f, deviceTime: new Date('2026-11-25T12:00:00Z') });
      }
    });

    it(`${category}: the same seed gives the same run, another seed another`, () => {
      const a = run(createModel(category, createRng('same')), 2, 30, 0.05);
      const b = run(createModel(category, createRng('same')), 2, 30, 0.05);
      const c = run(createModel(category, createRng('other')), 2, 30, 0.05);
      expect(b).toEqual(a);
      expect(c).not.toEqual(a);
    });

    it(`${category}: faults come from the category's table and clear later`, () => {
      const frames = run(createModel(category, createRng(`f-${category}`)), 12, 30, 0.05);
      const faults = frames.filter((f): f is Extract<DecodedFrame, { type: 'fault' }> => f.type === 'fault');
      const prefix = { VEHICLE: 0x03, ELEVATOR: 0x01, STREETLIGHT: 0x02 }[category];
      for (const f of faults) expect([prefix, 0x0f]).toContain(f.faultCode >> 8);
      const raised = faults.filter((f) => f.severity > 0);
      const cleared = faults.filter((f) => f.severity === 0);
      expect(raised.length).toBeGreaterThan(2);
      expect(cleared.length).toBeGreaterThan(0);
      for (const c of cleared) expect(raised.some((r) => r.faultCode === c.faultCode)).toBe(true);
    });
  }
});

describe('vehicle', () => {
  it('drives around Shanghai with speed, heading and ignition changes', () => {
    const v = new VehicleModel({ rng: createRng('v1') });
    const tel = run(v, 6).filter((f): f is Extract<DecodedFrame, { type: 'vehicle-telemetry' }> => f.type === 'vehicle-telemetry');
    for (const t of tel) {
      expect(Math.abs(t.latitude - 31.2304)).toBeLessThan(0.1);
      expect(Math.abs(t.longitude - 121.4737)).toBeLessThan(0.12);
      expect(t.speedKmh).toBeLessThanOrEqual(120);
      expect(t.moving).toBe(t.speedKmh > 0);
    }
    expect(tel.some((t) => t.speedKmh > 20 && t.ignition)).toBe(true);
    expect(tel.some((t) => !t.ignition && t.speedKmh === 0)).toBe(true);
    expect(new Set(tel.map((t) => t.heading)).size).toBeGreaterThan(5);
    expect(new Set(tel.map((t) => `${t.latitude},${t.longitude}`)).size).toBeGreaterThan(50);
  });

  it('IMMOBILIZE stops the vehicle and keeps it still until released', () => {
    const v = new VehicleModel({ rng: createRng('v2') });
    let t = T0.getTime();
    const step = (sec: number) => {
      for (let i = 0; i < sec; i += 10) {
        t += 10_000;
        v.advance(new Date(t), 10);
      }
    };
    // Drive until moving.
    for (let i = 0; i < 400 && v.telemetry().speedKmh === 0; i++) step(10);
    expect(v.telemetry().speedKmh).toBeGreaterThan(0);
    expect(v.command({ opcode: 'IMMOBILIZE', args: { on: true } })).toBe('done');
    step(60);
    const stopped = v.telemetry();
    expect(stopped).toMatchObject({ speedKmh: 0, moving: false, immobilized: true, ignition: false });
    step(3 * 3600);
    expect(v.telemetry()).toMatchObject({ latitude: stopped.latitude, longitude: stopped.longitude, speedKmh: 0 });
    v.command({ opcode: 'IMMOBILIZE', args: { on: false } });
    step(3600);
    expect(v.telemetry().immobilized).toBe(false);
    expect(v.telemetry().latitude !== stopped.latitude || v.telemetry().longitude !== stopped.longitude).toBe(true);
  });
});

describe('elevator', () => {
  it('makes trips between its floors with door cycles and a growing trip counter', () => {
    const e = new ElevatorModel({ rng: createRng('e1') });
    const first = e.telemetry();
    const tel = run(e, 4, 1).filter((f): f is Extract<DecodedFrame, { type: 'elevator-telemetry' }> => f.type === 'elevator-telemetry');
    for (const t of tel) {
      expect(t.floor).toBeGreaterThanOrEqual(e.lowestFloor);
      expect(t.floor).toBeLessThanOrEqual(e.highestFloor);
      if (t.motion !== 'idle') expect(t.door).toBe('closed');
    }
    expect(new Set(tel.map((t) => t.door))).toEqual(new Set(['closed', 'open', 'moving']));
    expect(new Set(tel.map((t) => t.motion))).toEqual(new Set(['idle', 'up', 'down']));
    expect(tel.at(-1)!.tripCounter - first.tripCounter).toBeGreaterThan(20);
  });
});

describe('streetlight', () => {
  const at = (iso: string) => new Date(iso);
  it('is off by day, on at dusk, dimmed late at night, off at dawn, counting energy', () => {
    const s = new StreetlightModel({ rng: createRng('s1') });
    let now = at('2026-11-25T04:00:00Z'); // noon in Shanghai
    const go = (hours: number) => {
      for (let i = 0; i < hours * 60; i++) {
        now = new Date(now.getTime() + 60_000);
        s.advance(now, 60);
      }
      return s.telemetry() as Extract<DecodedFrame, { type: 'streetlight-telemetry' }>;
    };
    const noon = go(0.1);
    expect(noon).toMatchObject({ lampOn: false, powerW: 0, dimmingPercent: 0 });
    expect(noon.ambientLux).toBeGreaterThan(1000);
    const evening = go(9); // ~21:06
    expect(evening).toMatchObject({ lampOn: true, dimmingPercent: 100, powerW: s.ratedW });
    expect(evening.ambientLux).toBeLessThan(30);
    const lateNight = go(4); // ~01:06
    expect(lateNight).toMatchObject({ lampOn: true, dimmingPercent: 50, powerW: Math.round(s.ratedW / 2) });
    expect(lateNight.energyWh - noon.energyWh).toBeGreaterThan(s.ratedW * 4);
    const morning = go(8); // ~09:06
    expect(morning).toMatchObject({ lampOn: false, powerW: 0 });
    expect(morning.energyWh).toBeGreaterThan(lateNight.energyWh);
  });

  it('obeys SWITCH_LAMP until the next dusk/dawn and DIM while on', () => {
    const s = new StreetlightModel({ rng: createRng('s2') });
    let now = at('2026-11-25T13:00:00Z'); // 21:00 Shanghai
    const go = (min: number) => {
      for (let i = 0; i < min; i++) {
        now = new Date(now.getTime() + 60_000);
        s.advance(now, 60);
      }
      return s.telemetry();
    };
    expect(go(5)).toMatchObject({ lampOn: true });
    expect(s.command({ opcode: 'DIM', args: { percent: 30 } })).toBe('done');
    expect(go(1)).toMatchObject({ lampOn: true, dimmingPercent: 30, powerW: Math.round(s.ratedW * 0.3) });
    expect(s.command({ opcode: 'SWITCH_LAMP', args: { on: false } })).toBe('done');
    expect(go(60)).toMatchObject({ lampOn: false, powerW: 0 });
    // After dawn (off anyway) and the next dusk, the photocell is back in charge.
    expect(go(24 * 60)).toMatchObject({ lampOn: true });
  });
});
