// The contract between a pure behaviour model and the MQTT driver that runs it.
// Models never touch the network or the real clock: the driver passes simulated time in,
// so the same seed and the same sequence of calls always give the same frames.
import type { AckResult, Category, CommandSpec, DecodedFrame, EventFrame, FaultFrame, HeartbeatFrame } from '../../gateway/codecs/index.js';

export type TelemetryFrame = Extract<DecodedFrame, { type: `${string}-telemetry` }>;

export interface BehaviourModel {
  readonly category: Category;
  /** Moves the simulated world forward; returns faults/events that happened meanwhile. */
  advance(simNow: Date, dtSec: number): (FaultFrame | EventFrame)[];
  /** Current state as a telemetry frame. */
  telemetry(): TelemetryFrame;
  heartbeat(): HeartbeatFrame;
  /**
   * Called once per telemetry report: with probability faultRate starts a new fault
   * (returned as a fault frame). Faults clear by themselves later through advance().
   */
  maybeFault(faultRate: number, simNow: Date): FaultFrame | null;
  /** Applies a downlink command (already known to apply to this category) and says how it went. */
  command(spec: CommandSpec): AckResult;
  /** Active fault codes (for tests and the demo). */
  activeFaults(): number[];
}

/** Event codes the simulators emit (protocol.md leaves event codes to the device model). */
export const SIM_EVENT_CODES = {
  IGNITION_CHANGED: 0x0001,
  TRIP_COMPLETED: 0x0002,
  LAMP_SWITCHED: 0x0003,
  INTERVAL_CHANGED: 0x0004,
} as const;

/** Tracks active faults and their remaining simulated duration. */
export class FaultBook {
  private active = new Map<number, { remainingSec: number; detail: string }>();

  has(code: number): boolean {
    return this.active.has(code);
  }
  codes(): number[] {
    return [...this.active.keys()];
  }
  get size(): number {
    return this.active.size;
  }
  raise(code: number, severity: 1 | 2 | 3, durationSec: number, detail: string): FaultFrame {
    this.active.set(code, { remainingSec: durationSec, detail });
    return { type: 'fault', faultCode: code, severity, detail: detail.slice(0, 32) };
  }
  /** Counts time down; returns "cleared" frames (severity 0) for faults that ended. */
  tick(dtSec: number): FaultFrame[] {
    const cleared: FaultFrame[] = [];
    for (const [code, f] of this.active) {
      f.remainingSec -= dtSec;
      if (f.remainingSec <= 0) {
        this.active.delete(code);
        cleared.push({ type: 'fault', faultCode: code, severity: 0, detail: 'cleared' });
      }
    }
    return cleared;
  }
}

export const clamp = (v: number, min: number, max: number) => Math.min(max, Math.max(min, v));

/** A slow random walk of radio signal strength, in dBm. */
export function walkSignal(current: number, rng: { range(a: number, b: number): number }): number {
  return Math.round(clamp(current + rng.range(-2, 2), -110, -55));
}
