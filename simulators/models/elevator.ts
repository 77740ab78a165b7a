// An elevator monitor: the car waits, travels to a called floor, opens and closes its doors,
// counts trips; now and then a door jams, the car stops between floors (possible
// entrapment), the governor trips or mains power is lost. Any active fault halts the car.
import {
  type AckResult,
  type CommandSpec,
  type ElevatorTelemetry,
  type EventFrame,
  FAULT_CODES,
  type FaultCodeInfo,
  type FaultFrame,
} from '../../gateway/codecs/index.js';
import type { Rng } from '../prng.js';
import { type BehaviourModel, FaultBook, walkSignal } from './model.js';

type Phase = 'idle' | 'travelling' | 'opening' | 'open' | 'closing';
const SEC_PER_FLOOR = 2.5;
const DOOR_SEC = 3;
const STEP_SEC = 0.5;

export class ElevatorModel implements BehaviourModel {
  readonly category = 'ELEVATOR' as const;
  private readonly rng: Rng;
  readonly lowestFloor: number;
  readonly highestFloor: number;
  floor: number;
  private target: number;
  motion: 'idle' | 'up' | 'down' = 'idle';
  door: 'closed' | 'open' | 'moving' = 'closed';
  loadPercent = 0;
  tripCounter: number;
  private phase: Phase = 'idle';
  private phaseLeftSec: number;
  private supplyMv = 24_000;
  private signal: number;
  private faults = new FaultBook();

  constructor(opts: { rng: Rng }) {
    this.rng = opts.rng;
    this.lowestFloor = -this.rng.int(0, 3);
    this.highestFloor = this.rng.int(6, 32);
    this.floor = this.rng.int(this.lowestFloor, this.highestFloor);
    this.target = this.floor;
    this.tripCounter = this.rng.int(1_000, 400_000);
    this.phaseLeftSec = this.rng.range(5, 60);
    this.signal = this.rng.int(-100, -70);
  }

  /** Halting faults: while one is active the car stays where it is. */
  private halted(): boolean {
    return this.faults.size > 0 && !(this.faults.size === 1 && this.faults.has(FAULT_CODES.TERMINAL_INTERNAL_ERROR.code));
  }

  advance(_simNow: Date, dtSec: number): (FaultFrame | EventFrame)[] {
    const out: (FaultFrame | EventFrame)[] = [];
    let left = dtSec;
    while (left > 0) {
      const dt = Math.min(STEP_SEC, left);
      left -= dt;
      for (const cleared of this.faults.tick(dt)) {
        out.push(cleared);
        if (cleared.faultCode === FAULT_CODES.ELEVATOR_POWER_LOST.code) this.supplyMv = 24_000;
        if (cleared.faultCode === FAULT_CODES.ELEVATOR_DOOR_JAMMED.code) this.door = 'open';
      }
      if (!this.halted()) this.step(dt);
    }
    this.signal = walkSignal(this.signal, this.rng);
    return out;
  }

  private step(dt: number): void {
    this.phaseLeftSec -= dt;
    if (this.phaseLeftSec > 0) return;
    switch (this.phase) {
      case 'idle': {
        do this.target = this.rng.int(this.lowestFloor, this.highestFloor);
        while (this.target === this.floor);
        this.motion = this.target > this.floor ? 'up' : 'down';
        this.loadPercent = this.rng.int(0, 95);
        this.phase = 'travelling';
        this.phaseLeftSec = SEC_PER_FLOOR;
        return;
      }
      case 'travelling':
        this.floor += this.motion === 'up' ? 1 : -1;
        if (this.floor === this.target) {
          this.motion = 'idle';
          this.tripCounter = (this.tripCounter + 1) >>> 0;
          this.door = 'moving';
          this.phase = 'opening';
          this.phaseLeftSec = DOOR_SEC;
        } else this.phaseLeftSec = SEC_PER_FLOOR;
        return;
      case 'opening':
        this.door = 'open';
        this.phase = 'open';
        this.loadPercent = this.rng.int(0, 60); // people get off and on
        this.phaseLeftSec = this.rng.range(4, 15);
        return;
      case 'open':
        this.door = 'moving';
        this.phase = 'closing';
        this.phaseLeftSec = DOOR_SEC;
        return;
      case 'closing':
        this.door = 'closed';
        this.phase = 'idle';
        this.loadPercent = 0;
        this.phaseLeftSec = this.rng.range(10, 120);
        return;
    }
  }

  telemetry(): ElevatorTelemetry {
    return {
      type: 'elevator-telemetry',
      floor: this.floor,
      motion: this.halted() ? 'idle' : this.motion,
      door: this.door,
      loadPercent: this.loadPercent,
      tripCounter: this.tripCounter,
    };
  }

  heartbeat() {
    return { type: 'heartbeat' as const, supplyMv: this.supplyMv + this.rng.int(-100, 100), signalDbm: this.signal };
  }

  maybeFault(faultRate: number): FaultFrame | null {
    if (!this.rng.chance(faultRate)) return null;
    const choices: FaultCodeInfo[] = [
      FAULT_CODES.ELEVATOR_DOOR_JAMMED,
      FAULT_CODES.ELEVATOR_POWER_LOST,
      FAULT_CODES.TERMINAL_INTERNAL_ERROR,
    ];
    if (this.phase === 'travelling')
      choices.push(FAULT_CODES.ELEVATOR_ENTRAPMENT, FAULT_CODES.ELEVATOR_ENTRAPMENT, FAULT_CODES.ELEVATOR_OVERSPEED);
    const open = choices.filter((c) => !this.faults.has(c.code));
    if (open.length === 0) return null;
    const f = this.rng.pick(open);
    switch (f.code) {
      case FAULT_CODES.ELEVATOR_DOOR_JAMMED.code:
        this.door = 'moving';
        return this.faults.raise(f.code, f.severity, this.rng.range(300, 1800), `floor ${this.floor}`);
      case FAULT_CODES.ELEVATOR_ENTRAPMENT.code:
        return this.faults.raise(f.code, f.severity, this.rng.range(600, 2400), `between ${this.floor} and ${this.target}`);
      case FAULT_CODES.ELEVATOR_OVERSPEED.code:
        return this.faults.raise(f.code, f.severity, this.rng.range(900, 3600), `going ${this.motion} at ${this.floor}`);
      case FAULT_CODES.ELEVATOR_POWER_LOST.code:
        this.supplyMv = 12_400;
        return this.faults.raise(f.code, f.severity, this.rng.range(120, 1800), 'on battery');
      default:
        return this.faults.raise(f.code, f.severity, this.rng.range(60, 600), 'controller watchdog');
    }
  }

  command(_spec: CommandSpec): AckResult {
    return 'done'; // only REPORT_NOW / SET_INTERVAL reach an elevator; the driver does those
  }

  activeFaults(): number[] {
    return this.faults.codes();
  }
}
