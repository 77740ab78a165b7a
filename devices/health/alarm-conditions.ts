// Conditions compiled once per rule into plain functions over a decoded frame, so the uplink
// path does no parsing, no lookups and no allocation per message. Pure: no I/O.
import inside from 'point-in-polygon';
import { decodedField } from '../../gateway/codecs/index.js';
import type { AlarmCondition, AlarmOperator, TimeWindow } from './alarm-rule.schemas.js';

export type Frame = Record<string, unknown>;

/** A compiled condition: the frame type it reads, and a test returning whether it holds. */
export interface CompiledCondition {
  frame: string;
  /** The field it reads (for the alarm's details); geofences read latitude/longitude. */
  field: string;
  test(frame: Frame): boolean;
}

const NUMERIC: Record<AlarmOperator, (a: number, b: number) => boolean> = {
  gt: (a, b) => a > b,
  gte: (a, b) => a >= b,
  lt: (a, b) => a < b,
  lte: (a, b) => a <= b,
  eq: (a, b) => a === b,
  neq: (a, b) => a !== b,
};

export function compileCondition(c: AlarmCondition): CompiledCondition {
  if (c.kind === 'geofence') {
    const ring = c.polygon.map((p) => [p.longitude, p.latitude]);
    // A bounding box first: most positions of a fleet are far from any fence's edge.
    const lons = ring.map((p) => p[0]!);
    const lats = ring.map((p) => p[1]!);
    const [minLon, maxLon, minLat, maxLat] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
    const wantInside = c.alarmWhen === 'inside';
    return {
      frame: 'vehicle-telemetry',
      field: 'position',
      test(f) {
        const lat = f.latitude;
        const lon = f.longitude;
        if (typeof lat !== 'number' || typeof lon !== 'number') return false;
        const within = lon >= minLon && lon <= maxLon && lat >= minLat && lat <= maxLat && inside([lon, lat], ring);
        return within === wantInside;
      },
    };
  }
  const def = decodedField(c.field);
  if (!def) throw new Error(`unknown decoded field ${c.field}`);
  const name = c.field;
  const { value, operator } = c;
  if (typeof value === 'number') {
    const op = NUMERIC[operator];
    return { frame: def.frame, field: name, test: (f) => typeof f[name] === 'number' && op(f[name] as number, value) };
  }
  // Booleans and enum strings compare for (in)equality only; the service refuses other operators.
  const negate = operator === 'neq';
  return { frame: def.frame, field: name, test: (f) => f[name] !== undefined && (f[name] === value) !== negate };
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * Minute of the day (0-1439) in `timeZone`. The zone's offset is looked up once per UTC hour
 * (offsets change on hour boundaries, or half hours in a few zones, which the minute arithmetic
 * inside the hour still gets right as long as the transition falls on the hour).
 */
export function minuteOfDayIn(timeZone: string) {
  const fmt = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const startOf = new Map<number, number>();
  return (ms: number): number => {
    const hour = Math.floor(ms / HOUR);
    let start = startOf.get(hour);
    if (start === undefined) {
      const parts = fmt.formatToParts(new Date(hour * HOUR));
      const h = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
      const m = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
      start = h * 60 + m;
      if (startOf.size > 10_000) startOf.clear();
      startOf.set(hour, start);
    }
    return (start + Math.floor((ms - hour * HOUR) / MINUTE)) % 1_440;
  };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether the minute of the day lies in [from, to); a window with to < from spans midnight. */
export function compileWindow(w: TimeWindow | null | undefined): ((minuteOfDay: number) => boolean) | null {
  if (!w) return null;
  const from = toMinutes(w.from);
  const to = toMinutes(w.to);
  return from < to ? (m) => m >= from && m < to : (m) => m >= from || m < to;
}
