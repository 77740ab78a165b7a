// A streetlight controller: a photocell switches the lamp on at dusk and off at dawn
// (local time of the operator, Shanghai by default), the lamp dims late at night, power
// follows dimming and the energy counter integrates it. Faults: lamp failure (on, but no
// power drawn), mains lost (dark, on backup battery), cabinet door opened.
import {
  type AckResult,
  type CommandSpec,
  type EventFrame,
  FAULT_CODES,
  type FaultCodeInfo,
  type FaultFrame,
  type StreetlightTelemetry,
} from '../../gateway/codecs/index.js';
import type { Rng } from '../prng.js';
import { type BehaviourModel, clamp, FaultBook, SIM_EVENT_CODES, walkSignal } from './model.js';

const ON_BELOW_LUX = 30;
const OFF_ABOVE_LUX = 80;
const STEP_SEC = 10;

export type StreetlightOptions = { rng: Rng; utcOffsetHours?: number };

export class StreetlightModel implements BehaviourModel {
  readonly category = 'STREETLIGHT' as const;
  private readonly rng: Rng;
  private readonly utcOffsetHours: number;
  readonly ratedW: number;
  lampOn = false;
  dimmingPercent = 0;
  powerW = 0;
  ambientLux = 0;
  private energyWh: number; // fractional, reported floored
  private photocellWantsOn: boolean | null = null;
  /** A SWITCH_LAMP command holds until the photocell's wish next changes (dusk or dawn). */
  private switchOverride: boolean | null = null;
  /** A DIM command holds until the lamp goes off. */
  private dimOverride: number | null = null;
  private cloud: number;
  private signal: number;
  private faults = new FaultBook();

  constructor(opts: StreetlightOptions) {
    this.rng = opts.rng;
    this.utcOffsetHours = opts.utcOffsetHours ?? 8;
    this.ratedW = this.rng.pick([60, 90, 120, 150, 250]);
    this.energyWh = this.rng.int(0, 2_000_000);
    this.cloud = this.rng.range(0.4, 1);
    this.signal = this.rng.int(-105, -75);
  }

  /** Daylight in lux for a local hour: a sine from 06:00 to 18:00, 0-2 lux at night. */
  luxAt(simNow: Date): number {
    const h = (((simNow.getUTCHours() + simNow.getUTCMinutes() / 60 + this.utcOffsetHours) % 24) + 24) % 24;
    const sun = Math.sin((Math.PI * (h - 6)) / 12);
    const lux = sun > 0 ? 100_000 * sun ** 1.5 * this.cloud : 1.5 * (1 + sun);
    return Math.round(clamp(lux, 0, 65_535));
  }

  private localHour(simNow: Date): number {
    return (((simNow.getUTCHours() + this.utcOffsetHours) % 24) + 24) % 24;
  }

  advance(simNow: Date, dtSec: number): (FaultFrame | EventFrame)[] {
    const out: (FaultFrame | EventFrame)[] = [];
    let left = dtSec;
    // Sub-steps walk simulated time forward so energy integrates across a large dt too.
    let t = simNow.getTime() - dtSec * 1000;
    while (left > 0) {
      const dt = Math.min(STEP_SEC, left);
      left -= dt;
      t += dt * 1000;
      out.push(...this.faults.tick(dt));
      this.step(new Date(t), dt, out);
    }
    if (this.rng.chance(0.01)) this.cloud = this.rng.range(0.4, 1);
    this.signal = walkSignal(this.signal, this.rng);
    return out;
  }

  private step(now: Date, dt: number, out: (FaultFrame | EventFrame)[]): void {
    this.ambientLux = this.luxAt(now);
    const prevWish = this.photocellWantsOn;
    if (this.ambientLux < ON_BELOW_LUX) this.photocellWantsOn = true;
    else if (this.ambientLux > OFF_ABOVE_LUX) this.photocellWantsOn = false;
    else if (this.photocellWantsOn === null) this.photocellWantsOn = false;
    if (prevWish !== null && prevWish !== this.photocellWantsOn) this.switchOverride = null;

    const mainsLost = this.faults.has(FAULT_CODES.STREETLIGHT_MAINS_LOST.code);
    const wantOn = !mainsLost && (this.switchOverride ?? this.photocellWantsOn ?? false);
    if (prevWish === null) this.lampOn = wantOn; // power-up: take the current state, no switch event
    if (wantOn !== this.lampOn) {
      this.lampOn = wantOn;
      out.push({ type: 'event', eventCode: SIM_EVENT_CODES.LAMP_SWITCHED, value: wantOn ? 1 : 0 });
      if (!wantOn) this.dimOverride = null;
    }
    const h = this.localHour(now);
    const scheduled = h >= 23 || h < 5 ? 50 : 100; // late-night dimming saves energy
    this.dimmingPercent = this.lampOn ? (this.dimOverride ?? scheduled) : 0;
    const lampDead = this.faults.has(FAULT_CODES.STREETLIGHT_LAMP_FAILURE.code);
    this.powerW = this.lampOn && !lampDead ? Math.round((this.ratedW * this.dimmingPercent) / 100) : 0;
    this.energyWh += (this.powerW * dt) / 3600;
  }

  telemetry(): StreetlightTelemetry {
    return {
      type: 'streetlight-telemetry',
      lampOn: this.lampOn,
      dimmingPercent: this.dimmingPercent,
      powerW: this.powerW,
      ambientLux: this.ambientLux,
      energyWh: Math.floor(this.energyWh) >>> 0,
    };
  }

  heartbeat() {
    const mainsLost = this.faults.has(FAULT_CODES.STREETLIGHT_MAINS_LOST.code);
    return { type: 'heartbeat' as const, supplyMv: (mainsLost ? 3_700 : 12_000) + this.rng.int(-60, 60), signalDbm: this.signal };
  }

  maybeFault(faultRate: number): FaultFrame | null {
    if (!this.rng.chance(faultRate)) return null;
    const choices: FaultCodeInfo[] = [
      FAULT_CODES.STREETLIGHT_MAINS_LOST,
      FAULT_CODES.STREETLIGHT_CABINET_OPEN,
      FAULT_CODES.TERMINAL_INTERNAL_ERROR,
    ];
    if (this.lampOn) choices.push(FAULT_CODES.STREETLIGHT_LAMP_FAILURE, FAULT_CODES.STREETLIGHT_LAMP_FAILURE);
    const open = choices.filter((c) => !this.faults.has(c.code));
    if (open.length === 0) return null;
    const f = this.rng.pick(open);
    switch (f.code) {
      case FAULT_CODES.STREETLIGHT_LAMP_FAILURE.code:
        this.powerW = 0;
        return this.faults.raise(f.code, f.severity, this.rng.range(3600, 6 * 3600), `no current at ${this.dimmingPercent}%`);
      case FAULT_CODES.STREETLIGHT_MAINS_LOST.code:
        this.lampOn = false;
        this.powerW = 0;
        this.dimmingPercent = 0;
        return this.faults.raise(f.code, f.severity, this.rng.range(300, 3600), 'on backup battery');
      case FAULT_CODES.STREETLIGHT_CABINET_OPEN.code:
        return this.faults.raise(f.code, f.severity, this.rng.range(120, 1200), 'door contact open');
      default:
        return this.faults.raise(f.code, f.severity, this.rng.range(60, 600), 'relay driver reset');
    }
  }

  command(spec: CommandSpec): AckResult {
    const mainsLost = this.faults.has(FAULT_CODES.STREETLIGHT_MAINS_LOST.code);
    if (spec.opcode === 'SWITCH_LAMP') {
      if (mainsLost && spec.args.on) return 'failed'; // no mains, nothing to switch on
      this.switchOverride = spec.args.on;
      this.lampOn = spec.args.on;
      if (!spec.args.on) this.dimOverride = null;
      this.dimmingPercent = this.lampOn ? (this.dimOverride ?? 100) : 0;
      this.refreshPower();
      return 'done';
    }
    if (spec.opcode === 'DIM') {
      this.dimOverride = spec.args.percent;
      if (this.lampOn) this.dimmingPercent = spec.args.percent;
      this.refreshPower();
      return 'done';
    }
    return 'done';
  }

  private refreshPower(): void {
    const lampDead = this.faults.has(FAULT_CODES.STREETLIGHT_LAMP_FAILURE.code);
    this.powerW = this.lampOn && !lampDead ? Math.round((this.ratedW * this.dimmingPercent) / 100) : 0;
  }

  activeFaults(): number[] {
    return this.faults.codes();
  }
}
