import type { UplinkKind } from '../gateway/codecs/index.js';

/** Counters shared by the terminals of one fleet (plain numbers, read by the CLI status line). */
export type FleetStats = {
  connected: number;
  connects: number;
  connectErrors: number;
  published: Record<UplinkKind, number>;
  pubacks: number;
  publishErrors: number;
  badFrames: number;
  commandsReceived: number;
  acksSent: number;
};

export function newFleetStats(): FleetStats {
  return {
    connected: 0,
    connects: 0,
    connectErrors: 0,
    published: { telemetry: 0, heartbeat: 0, event: 0, fault: 0, ack: 0 },
    pubacks: 0,
    publishErrors: 0,
    badFrames: 0,
    commandsReceived: 0,
    acksSent: 0,
  };
}
