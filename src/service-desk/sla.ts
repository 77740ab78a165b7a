// SLA clocks: targets per customer tier in business minutes, and the business-hours calendar
// that turns "N business minutes from now" into a due instant and back. Pure functions only,
// so the clock maths is unit-tested without a database (sla.test.ts).

export type CustomerTier = 'STANDARD' | 'SILVER' | 'GOLD' | 'PLATINUM';

export interface BusinessCalendar {
  /** IANA zone the business hours are in (OPERATOR_TIMEZONE). */
  timeZone: string;
  /** Working days, 0 = Sunday .. 6 = Saturday. */
  days: readonly number[];
  /** Working window in local minutes after midnight, [start, end). */
  startMinute: number;
  endMinute: number;
  /** Local dates (YYYY-MM-DD) without business hours. */
  holidays: ReadonlySet<string>;
  /** Round the clock: every minute counts (weekends and holidays too). */
  allHours?: boolean;
}

export interface SlaPolicy {
  tier: CustomerTier;
  firstResponseMinutes: number;
  resolutionMinutes: number;
  allHours: boolean;
}

/**
 * Targets in business minutes (business day = Mon-Fri 09:00-18:00 operator time, 540 minutes,
 * no holidays from SLA_HOLIDAYS):
 *
 * | tier      | first response | resolution        | clock                          |
 * |-----------|----------------|-------------------|--------------------------------|
 * | STANDARD  | 480 (8 h)      | 2700 (5 days)     | business hours                 |
 * | SILVER    | 240 (4 h)      | 1620 (3 days)     | business hours                 |
 * | GOLD      | 120 (2 h)      | 1080 (2 days)     | business hours                 |
 * | PLATINUM  | 60  (1 h)      | 540  (1 day)      | business hours                 |
 * | PLATINUM + CRITICAL priority | 30 | 240       | 24x7 (an outage does not wait) |
 * | any tier, safety-critical fault | 15 | 240      | 24x7 (people may be at risk)   |
 *
 * Tickets without a customer use STANDARD, except automatic network incidents (kind INCIDENT),
 * which hit many customers at once and so get the strictest policy (PLATINUM, 24x7).
 */
const TARGETS: Record<CustomerTier, { firstResponseMinutes: number; resolutionMinutes: number }> = {
  STANDARD: { firstResponseMinutes: 480, resolutionMinutes: 2700 },
  SILVER: { firstResponseMinutes: 240, resolutionMinutes: 1620 },
  GOLD: { firstResponseMinutes: 120, resolutionMinutes: 1080 },
  PLATINUM: { firstResponseMinutes: 60, resolutionMinutes: 540 },
};
const CRITICAL_24X7 = { firstResponseMinutes: 30, resolutionMinutes: 240 };
const SAFETY_24X7 = { firstResponseMinutes: 15, resolutionMinutes: 240 };

export function slaPolicyFor(t: {
  tier: CustomerTier | string | null | undefined;
  priority: string;
  source: string;
  kind: string;
  safety?: boolean;
}): SlaPolicy {
  if (t.source === 'AUTO' && t.kind === 'INCIDENT') return { tier: 'PLATINUM', ...CRITICAL_24X7, allHours: true };
  const tier = (t.tier && t.tier in TARGETS ? t.tier : 'STANDARD') as CustomerTier;
  // People may be at risk (an entrapment): nobody waits for Monday, whatever the contract says.
  if (t.safety) return { tier, ...SAFETY_24X7, allHours: true };
  if (tier === 'PLATINUM' && t.priority === 'CRITICAL') return { tier, ...CRITICAL_24X7, allHours: true };
  return { tier, ...TARGETS[tier], allHours: false };
}

/** The operator's calendar: Mon-Fri 09:00-18:00 in `timeZone`, minus holidays. */
export function businessCalendar(timeZone: string, holidays: readonly string[] = []): BusinessCalendar {
  return { timeZone, days: [1, 2, 3, 4, 5], startMinute: 9 * 60, endMinute: 18 * 60, holidays: new Set(holidays) };
}

export const calendarFor = (base: BusinessCalendar, policy: SlaPolicy): BusinessCalendar =>
  policy.allHours ? { ...base, allHours: true } : base;

// --- time-zone arithmetic (Intl only; no library) ---------------------------------------------

const MINUTE = 60_000;
const DAY = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Offset of `timeZone` from UTC at instant `ms` (local = utc + offset). */
function offsetAt(ms: number, timeZone: string): number {
  const p: Record<string, number> = {};
  for (const { type, value } of formatter(timeZone).formatToParts(new Date(ms))) if (type !== 'literal') p[type] = Number(value);
  const local = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return local - Math.floor(ms / 1000) * 1000;
}

/** Local calendar day of an instant, as ms of its midnight on the UTC axis (a "day key"). */
function localDay(ms: number, timeZone: string): number {
  const local = ms + offsetAt(ms, timeZone);
  return Math.floor(local / DAY) * DAY;
}

/** The instant at which local wall time `day` + `minute` occurs (DST gaps resolve forward). */
function wallToUtc(day: number, minute: number, timeZone: string): number {
  const wall = day + minute * MINUTE;
  const first = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(first, timeZone);
  return second;
}

const isoDay = (day: number) => new Date(day).toISOString().slice(0, 10);

/** The business window [start, end) of a local day, or null when it has none. */
function windowOf(day: number, cal: BusinessCalendar): [number, number] | null {
  if (!cal.days.includes(new Date(day).getUTCDay()) || cal.holidays.has(isoDay(day))) return null;
  return [wallToUtc(day, cal.startMinute, cal.timeZone), wallToUtc(day, cal.endMinute, cal.timeZone)];
}

// A due date is never more than a few years out; the bound stops a calendar without working days looping forever.
const MAX_DAYS = 3_660;

/** The instant `minutes` business minutes after `start` (fractions allowed). */
export function addBusinessMinutes(start: Date, minutes: number, cal: BusinessCalendar): Date {
  const t0 = start.getTime();
  let rest = minutes * MINUTE;
  if (cal.allHours || rest <= 0) return new Date(t0 + Math.max(rest, 0));
  let day = localDay(t0, cal.timeZone);
  for (let i = 0; i < MAX_DAYS; i++, day += DAY) {
    const w = windowOf(day, cal);
    if (!w) continue;
    const from = Math.max(t0, w[0]);
    if (from >= w[1]) continue;
    if (rest <= w[1] - from) return new Date(from + rest);
    rest -= w[1] - from;
  }
  throw new Error('business calendar has no working time');
}

/** Business milliseconds in [a, b); 0 when b <= a. */
export function businessMsBetween(a: Date, b: Date, cal: BusinessCalendar): number {
  const from = a.getTime();
  const to = b.getTime();
  if (to <= from) return 0;
  if (cal.allHours) return to - from;
  let total = 0;
  const last = localDay(to, cal.timeZone);
  for (let day = localDay(from, cal.timeZone); day <= last; day += DAY) {
    const w = windowOf(day, cal);
    if (w) total += Math.max(0, Math.min(to, w[1]) - Math.max(from, w[0]));
  }
  return total;
}

/** Whole business minutes in [a, b). */
export function businessMinutesBetween(a: Date, b: Date, cal: BusinessCalendar): number {
  return Math.floor(businessMsBetween(a, b, cal) / MINUTE);
}

/** Business minutes left until `due` as seen at `now`; negative once overdue. */
export function remainingBusinessMinutes(now: Date, due: Date, cal: BusinessCalendar): number {
  return due >= now ? businessMinutesBetween(now, due, cal) : -businessMinutesBetween(due, now, cal);
}
