// Alarm scenarios: a share of the fleet (chosen by the seed) misbehaves in a way the operator's
// alarm rules should catch, while the scenario is on; switched off, the terminals report
// normally again and the alarms clear. A scenario wraps a behaviour model and changes only the
// frames it reports, so the model's own simulation (trips, faults, day and night) goes on.
import type { Category, HeartbeatFrame } from '../gateway/codecs/index.js';
import type { BehaviourModel, TelemetryFrame } from './models/index.js';
import type { Rng } from './prng.js';

export const ALARM_SCENARIOS = {
  /** Elevators carry 110-140 % of their rated load. */
  overload: ['ELEVATOR'],
  /** Vehicles drive at 120-150 km/h. */
  speeding: ['VEHICLE'],
  /** Vehicles wander 0.5 degrees north of Shanghai: out of a city geofence. */
  'geofence-exit': ['VEHICLE'],
  /** Streetlights stay on whatever the time of day (a rule with a noon window catches it). */
  'lamp-on': ['STREETLIGHT'],
  /** Heartbeats report a sagging supply of about 3.0 V (any category). */
  'low-supply': ['VEHICLE', 'ELEVATOR', 'STREETLIGHT'],
} as const satisfies Record<string, readonly Category[]>;

export type AlarmScenario = keyof typeof ALARM_SCENARIOS;
export const isAlarmScenario = (s: string): s is AlarmScenario => Object.hasOwn(ALARM_SCENARIOS, s);

/** Whether the scenario is on now; shared by the fleet's terminals, switched by the CLI's timers. */
export interface ScenarioSwitch {
  on: boolean;
}

function tripTelemetry(s: AlarmScenario, f: TelemetryFrame, rng: Rng): TelemetryFrame {
  if (s === 'overload' && f.type === 'elevator-telemetry') return { ...f, loadPercent: rng.int(110, 140) };
  if (s === 'speeding' && f.type === 'vehicle-telemetry') return { ...f, speedKmh: rng.int(120, 150), ignition: true, moving: true };
  if (s === 'geofence-exit' && f.type === 'vehicle-telemetry') return { ...f, latitude: Math.min(90, f.latitude + 0.5) };
  if (s === 'lamp-on' && f.type === 'streetlight-telemetry')
    return { ...f, lampOn: true, dimmingPercent: 100, powerW: Math.max(f.powerW, 80) };
  return f;
}

/** The model, tripping the scenario while `sw.on`. */
export function withScenario(model: BehaviourModel, scenario: AlarmScenario, sw: ScenarioSwitch, rng: Rng): BehaviourModel {
  return {
    category: model.category,
    advance: (now, dt) => model.advance(now, dt),
    telemetry: () => (sw.on ? tripTelemetry(scenario, model.telemetry(), rng) : model.telemetry()),
    heartbeat: (): HeartbeatFrame => {
      const hb = model.heartbeat();
      return sw.on && scenario === 'low-supply' ? { ...hb, supplyMv: rng.int(2900, 3100) } : hb;
    },
    maybeFault: (p, now) => model.maybeFault(p, now),
    command: (spec) => model.command(spec),
    activeFaults: () => model.activeFaults(),
  };
}
