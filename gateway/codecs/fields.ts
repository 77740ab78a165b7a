// The numeric values each category's decoded frames carry (protocol.md section 3), by the key
// they have in a stored message's `decoded` JSON: what a chart or an aggregate may ask for.
import type { Category } from './frames.js';

/** Every category's terminals also send heartbeats (3.1): supply voltage and signal strength. */
const HEARTBEAT_FIELDS = ['supplyMv', 'signalDbm'] as const;

export const NUMERIC_FIELDS: Record<Category, readonly string[]> = {
  VEHICLE: ['speedKmh', 'heading', 'latitude', 'longitude', ...HEARTBEAT_FIELDS],
  ELEVATOR: ['floor', 'loadPercent', 'tripCounter', ...HEARTBEAT_FIELDS],
  STREETLIGHT: ['powerW', 'dimmingPercent', 'ambientLux', 'energyWh', ...HEARTBEAT_FIELDS],
};
