// Billing periods are calendar months in the operator's time zone ("YYYY-MM"). Storage is UTC,
// so every boundary is computed here with Intl (no date library, no DST assumptions).

export interface PeriodBounds {
  period: string;
  year: number;
  month: number;
  /** First instant of the month in the operator's zone (inclusive). */
  start: Date;
  /** First instant of the next month (exclusive). */
  end: Date;
  daysInMonth: number;
  /** UsageCounter.day values (UTC-midnight dates) bounding the period: [firstDay, endDay). */
  firstDay: Date;
  endDay: Date;
}

const PERIOD_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Wall-clock parts of an instant in a zone. */
export function zonedParts(instant: Date, tz: string) {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(instant)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** Offset of the zone from UTC at an instant, in ms (Shanghai: +8h). */
function offsetMs(instant: Date, tz: string): number {
  const p = zonedParts(instant, tz);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant of local midnight of a calendar day in the zone. */
export function zonedMidnight(year: number, month: number, day: number, tz: string): Date {
  const guess = Date.UTC(year, month - 1, day);
  let t = guess - offsetMs(new Date(guess), tz);
  // A second pass settles days where the offset changes between the guess and the answer (DST).
  t = guess - offsetMs(new Date(t), tz);
  return new Date(t);
}

export function isPeriod(s: string): boolean {
  return PERIOD_RE.test(s);
}

export function periodBounds(period: string, tz: string): PeriodBounds {
  const m = PERIOD_RE.exec(period);
  if (!m) throw new Error(`invalid period ${period}`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const nextYear = month === 12 ? year + 1 : year;
  const nextMonth = month === 12 ? 1 : month + 1;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return {
    period,
    year,
    month,
    start: zonedMidnight(year, month, 1, tz),
    end: zonedMidnight(nextYear, nextMonth, 1, tz),
    daysInMonth,
    firstDay: new Date(Date.UTC(year, month - 1, 1)),
    endDay: new Date(Date.UTC(nextYear, nextMonth - 1, 1)),
  };
}

/** The period an instant falls in, in the zone. */
export function periodOf(instant: Date, tz: string): string {
  const p = zonedParts(instant, tz);
  return `${p.year}-${String(p.month).padStart(2, '0')}`;
}

export function shiftPeriod(period: string, months: number): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  const idx = y * 12 + (m - 1) + months;
  return `${Math.floor(idx / 12)}-${String((idx % 12) + 1).padStart(2, '0')}`;
}

/** Local calendar date "YYYY-MM-DD" of an instant. */
export function localDate(instant: Date, tz: string): string {
  const p = zonedParts(instant, tz);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}
