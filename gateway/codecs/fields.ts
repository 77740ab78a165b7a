// The decoded fields a rule may test (protocol.md section 3), by frame type. Alarm rules name a
// field, never a frame: each field belongs to exactly one frame type, so a rule on `supplyMv`
// is judged on heartbeats only and other frames of the same terminal leave it untouched.
import type { Category, DecodedFrame } from './frames.js';

export type FieldKind = 'number' | 'boolean' | 'enum';

export interface DecodedField {
  name: string;
  frame: DecodedFrame['type'];
  kind: FieldKind;
  /** The categories whose terminals send this frame; heartbeats and events come from all. */
  categories: readonly Category[];
  unit?: string;
  /** The values of an enum field. */
  values?: readonly string[];
}

const ALL: readonly Category[] = ['VEHICLE', 'ELEVATOR', 'STREETLIGHT'];

export const DECODED_FIELDS: readonly DecodedField[] = [
  { name: 'latitude', frame: 'vehicle-telemetry', kind: 'number', categories: ['VEHICLE'], unit: 'degrees' },
  { name: 'longitude', frame: 'vehicle-telemetry', kind: 'number', categories: ['VEHICLE'], unit: 'degrees' },
  { name: 'speedKmh', frame: 'vehicle-telemetry', kind: 'number', categories: ['VEHICLE'], unit: 'km/h' },
  { name: 'heading', frame: 'vehicle-telemetry', kind: 'number', categories: ['VEHICLE'], unit: 'degrees' },
  { name: 'ignition', frame: 'vehicle-telemetry', kind: 'boolean', categories: ['VEHICLE'] },
  { name: 'moving', frame: 'vehicle-telemetry', kind: 'boolean', categories: ['VEHICLE'] },
  { name: 'doorOpen', frame: 'vehicle-telemetry', kind: 'boolean', categories: ['VEHICLE'] },
  { name: 'immobilized', frame: 'vehicle-telemetry', kind: 'boolean', categories: ['VEHICLE'] },
  { name: 'floor', frame: 'elevator-telemetry', kind: 'number', categories: ['ELEVATOR'] },
  { name: 'motion', frame: 'elevator-telemetry', kind: 'enum', categories: ['ELEVATOR'], values: ['idle', 'up', 'down'] },
  { name: 'door', frame: 'elevator-telemetry', kind: 'enum', categories: ['ELEVATOR'], values: ['closed', 'open', 'moving'] },
  { name: 'loadPercent', frame: 'elevator-telemetry', kind: 'number', categories: ['ELEVATOR'], unit: '%' },
  { name: 'tripCounter', frame: 'elevator-telemetry', kind: 'number', categories: ['ELEVATOR'] },
  { name: 'lampOn', frame: 'streetlight-telemetry', kind: 'boolean', categories: ['STREETLIGHT'] },
  { name: 'dimmingPercent', frame: 'streetlight-telemetry', kind: 'number', categories: ['STREETLIGHT'], unit: '%' },
  { name: 'powerW', frame: 'streetlight-telemetry', kind: 'number', categories: ['STREETLIGHT'], unit: 'W' },
  { name: 'ambientLux', frame: 'streetlight-telemetry', kind: 'number', categories: ['STREETLIGHT'], unit: 'lx' },
  { name: 'energyWh', frame: 'streetlight-telemetry', kind: 'number', categories: ['STREETLIGHT'], unit: 'Wh' },
  { name: 'supplyMv', frame: 'heartbeat', kind: 'number', categories: ALL, unit: 'mV' },
  { name: 'signalDbm', frame: 'heartbeat', kind: 'number', categories: ALL, unit: 'dBm' },
  { name: 'eventCode', frame: 'event', kind: 'number', categories: ALL },
  { name: 'value', frame: 'event', kind: 'number', categories: ALL },
];

const BY_NAME = new Map(DECODED_FIELDS.map((f) => [f.name, f]));

/** The field of that name, or undefined (names are case-sensitive, as in the decoded JSON). */
export function decodedField(name: string): DecodedField | undefined {
  return BY_NAME.get(name);
}

/** Positions chart poorly: the numeric fields a chart offers list them last. */
const LAST = new Set(['latitude', 'longitude']);

/**
 * The numeric values each category's terminals report (telemetry and heartbeats, not event
 * codes), by their key in a stored message's `decoded` JSON: what a chart or an aggregate may ask for.
 */
export const NUMERIC_FIELDS: Record<Category, readonly string[]> = Object.fromEntries(
  ALL.map((category) => [
    category,
    DECODED_FIELDS.filter((f) => f.kind === 'number' && f.frame !== 'event' && f.categories.includes(category))
      .map((f) => f.name)
      .sort((a, b) => Number(LAST.has(a)) - Number(LAST.has(b))),
  ]),
) as unknown as Record<Category, readonly string[]>;
