// A vehicle tracker: drives a loop of waypoints around a city centre (Shanghai by default),
// stops at lights, parks with the ignition off, and now and then raises theft, impact or
// low-battery faults. IMMOBILIZE stops it at the next standstill until released.
import {
  type AckResult,
  type CommandSpec,
  type EventFrame,
  FAULT_CODES,
  type FaultCodeInfo,
  type FaultFrame,
  type VehicleTelemetry,
} from '../../gateway/codecs/index.js';
import type { Rng } from '../prng.js';
import { type BehaviourModel, clamp, FaultBook, SIM_EVENT_CODES, walkSignal } from './model.js';

export type VehicleOptions = { rng: Rng; centre?: { lat: number; lon: number }; radiusKm?: number };

type Phase = 'driving' | 'stopped' | 'parked';
const M_PER_DEG_LAT = 111_320;
const STEP_SEC = 2; // physics sub-step, so an accelerated clock still drives smoothly

export const SHANGHAI = { lat: 31.2304, lon: 121.4737 };

export class VehicleModel implements BehaviourModel {
  readonly category = 'VEHICLE' as const;
  private readonly rng: Rng;
  private readonly waypoints: { lat: number; lon: number }[];
  private wp = 0;
  lat: number;
  lon: number;
  speedKmh = 0;
  private targetKmh = 40;
  heading = 0;
  ignition = false;
  doorOpen = false;
  immobilized = false;
  private phase: Phase = 'parked';
  private phaseLeftSec: number;
  private supplyMv = 12_600;
  private signal: number;
  private faults = new FaultBook();
  private towing = false;

  constructor(opts: VehicleOptions) {
    this.rng = opts.rng;
    const centre = opts.centre ?? SHANGHAI;
    const radiusM = (opts.radiusKm ?? 8) * 1000;
    // A loop of waypoints sorted by angle, so the route goes round the city instead of zig-zagging.
    const n = this.rng.int(6, 10);
    const pts = Array.from({ length: n }, () => {
      const angle = this.rng.range(0, 2 * Math.PI);
      const r = this.rng.range(0.2, 1) * radiusM;
      return {
        angle,
        lat: centre.lat + (r * Math.cos(angle)) / M_PER_DEG_LAT,
        lon: centre.lon + (r * Math.sin(angle)) / (M_PER_DEG_LAT * Math.cos((centre.lat * Math.PI) / 180)),
      };
    }).sort((a, b) => a.angle - b.angle);
    this.waypoints = pts.map(({ lat, lon }) => ({ lat, lon }));
    const start = this.waypoints[0]!;
    this.lat = start.lat;
    this.lon = start.lon;
    this.wp = 1 % n;
    this.phaseLeftSec = this.rng.range(5, 120);
    this.signal = this.rng.int(-95, -65);
    this.heading = this.bearingToWaypoint();
  }

  advance(_simNow: Date, dtSec: number): (FaultFrame | EventFrame)[] {
    const out: (FaultFrame | EventFrame)[] = [];
    let left = dtSec;
    while (left > 0) {
      const dt = Math.min(STEP_SEC, left);
      left -= dt;
      for (const cleared of this.faults.tick(dt)) {
        out.push(cleared);
        if (cleared.faultCode === FAULT_CODES.VEHICLE_BATTERY_LOW.code) this.supplyMv = 12_600;
        if (cleared.faultCode === FAULT_CODES.VEHICLE_THEFT.code) this.towing = false;
      }
      this.step(dt, out);
    }
    this.signal = walkSignal(this.signal, this.rng);
    return out;
  }

  private step(dt: number, out: (FaultFrame | EventFrame)[]): void {
    this.phaseLeftSec -= dt;
    if (this.phase === 'parked') {
      this.speedKmh = this.towing ? 6 : 0;
      if (this.towing) this.move(dt);
      this.doorOpen = this.phaseLeftSec > 0 && this.phaseLeftSec < 15; // door opens just before leaving
      if (this.phaseLeftSec <= 0 && !this.immobilized && !this.towing) {
        this.doorOpen = false;
        this.setIgnition(true, out);
        this.phase = 'driving';
        this.targetKmh = this.rng.range(25, 70);
      }
      return;
    }
    if (this.phase === 'stopped') {
      this.speedKmh = 0;
      if (this.phaseLeftSec <= 0) this.phase = this.immobilized ? 'parked' : 'driving';
      if (this.immobilized) this.park(out);
      return;
    }
    // driving
    const wantKmh = this.immobilized ? 0 : this.targetKmh;
    const accelKmhPerSec = wantKmh < this.speedKmh ? 10 : 7; // ~2.8 / 1.9 m/s²
    const delta = clamp(wantKmh - this.speedKmh, -accelKmhPerSec * dt, accelKmhPerSec * dt);
    this.speedKmh = clamp(this.speedKmh + delta, 0, 120);
    if (this.immobilized && this.speedKmh === 0) {
      this.park(out);
      return;
    }
    const reached = this.move(dt);
    if (reached) {
      this.wp = (this.wp + 1) % this.waypoints.length;
      const r = this.rng.next();
      if (r < 0.12) this.park(out);
      else if (r < 0.45) {
        this.phase = 'stopped';
        this.phaseLeftSec = this.rng.range(15, 70);
      }
      this.targetKmh = this.rng.range(25, 70);
    } else if (this.rng.chance(dt / 120)) {
      this.targetKmh = this.rng.range(20, 80); // traffic changes pace now and then
    }
  }

  /** Moves along the heading to the current waypoint; true when it was reached. */
  private move(dt: number): boolean {
    const target = this.waypoints[this.wp]!;
    this.heading = this.bearingToWaypoint();
    const distM = (this.speedKmh / 3.6) * dt;
    const dy = (target.lat - this.lat) * M_PER_DEG_LAT;
    const dx = (target.lon - this.lon) * M_PER_DEG_LAT * Math.cos((this.lat * Math.PI) / 180);
    const remaining = Math.hypot(dx, dy);
    if (remaining <= distM || remaining < 1) {
      this.lat = target.lat;
      this.lon = target.lon;
      return true;
    }
    const h = (this.heading * Math.PI) / 180;
    this.lat += (distM * Math.cos(h)) / M_PER_DEG_LAT;
    this.lon += (distM * Math.sin(h)) / (M_PER_DEG_LAT * Math.cos((this.lat * Math.PI) / 180));
    return false;
  }

  private bearingToWaypoint(): number {
    const t = this.waypoints[this.wp]!;
    const dy = t.lat - this.lat;
    const dx = (t.lon - this.lon) * Math.cos((this.lat * Math.PI) / 180);
    const deg = (Math.atan2(dx, dy) * 180) / Math.PI;
    return Math.round((deg + 360) % 360) % 360;
  }

  private park(out: (FaultFrame | EventFrame)[]): void {
    this.phase = 'parked';
    this.speedKmh = 0;
    this.phaseLeftSec = this.rng.range(300, 1800);
    this.setIgnition(false, out);
  }

  private setIgnition(on: boolean, out: (FaultFrame | EventFrame)[]): void {
    if (this.ignition === on) return;
    this.ignition = on;
    this.supplyMv = this.faults.has(FAULT_CODES.VEHICLE_BATTERY_LOW.code) ? 11_300 : on ? 13_900 : 12_600;
    out.push({ type: 'event', eventCode: SIM_EVENT_CODES.IGNITION_CHANGED, value: on ? 1 : 0 });
  }

  telemetry(): VehicleTelemetry {
    return {
      type: 'vehicle-telemetry',
      latitude: Math.round(this.lat * 1e6) / 1e6,
      longitude: Math.round(this.lon * 1e6) / 1e6,
      speedKmh: Math.round(this.speedKmh * 10) / 10,
      heading: this.heading,
      ignition: this.ignition,
      moving: this.speedKmh > 0,
      doorOpen: this.doorOpen,
      immobilized: this.immobilized,
    };
  }

  heartbeat() {
    return { type: 'heartbeat' as const, supplyMv: this.supplyMv + this.rng.int(-40, 40), signalDbm: this.signal };
  }

  maybeFault(faultRate: number): FaultFrame | null {
    if (!this.rng.chance(faultRate)) return null;
    const choices: FaultCodeInfo[] = [FAULT_CODES.VEHICLE_IMPACT, FAULT_CODES.VEHICLE_BATTERY_LOW, FAULT_CODES.TERMINAL_INTERNAL_ERROR];
    if (this.phase === 'parked') choices.push(FAULT_CODES.VEHICLE_THEFT, FAULT_CODES.VEHICLE_THEFT);
    const open = choices.filter((c) => !this.faults.has(c.code));
    if (open.length === 0) return null;
    const f = this.rng.pick(open);
    switch (f.code) {
      case FAULT_CODES.VEHICLE_THEFT.code:
        this.towing = true;
        return this.faults.raise(f.code, f.severity, this.rng.range(120, 600), 'moving, ignition off');
      case FAULT_CODES.VEHICLE_IMPACT.code: {
        const g = this.rng.range(2.5, 8).toFixed(1);
        this.speedKmh = 0;
        this.phase = 'stopped';
        this.phaseLeftSec = this.rng.range(120, 600);
        return this.faults.raise(f.code, f.severity, this.phaseLeftSec, `impact ${g} g`);
      }
      case FAULT_CODES.VEHICLE_BATTERY_LOW.code:
        this.supplyMv = 11_300;
        return this.faults.raise(f.code, f.severity, this.rng.range(1800, 7200), 'battery 11.3 V');
      default:
        return this.faults.raise(f.code, f.severity, this.rng.range(60, 600), 'gnss module reset');
    }
  }

  command(spec: CommandSpec): AckResult {
    if (spec.opcode !== 'IMMOBILIZE') return 'done';
    // A terminal with an internal error cannot drive its relay.
    if (this.faults.has(FAULT_CODES.TERMINAL_INTERNAL_ERROR.code)) return 'failed';
    this.immobilized = spec.args.on;
    return 'done';
  }

  activeFaults(): number[] {
    return this.faults.codes();
  }
}
