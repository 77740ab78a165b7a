// Replays a contract's service history over one period: which plan was in force on each day,
// and which days each terminal was in service. Pure; no database, no clock. Rules (also in
// billing/README.md):
// - A local day follows the state at its end: a change on day D counts for D (activation on
//   D bills D; a retirement, swap or suspension on D does not bill D; a plan change on D rates D
//   under the new plan). So a swap never bills the same day twice, and a change and its undoing
//   on the same day cancel out.
// - A terminal is in service from its activation (first uplink, Device.activatedAt, written once
//   by ingest), or for a replacement from the swap, until it is suspended, retired, lost or
//   swapped out; a resumption brings it back. A contract's own suspension does not stop rental.
// - Days outside the contract (start date to end date or termination) are not billed.
import { localDate, type PeriodBounds, zonedMidnight } from './period.js';
import type { TerminalForRating } from './rating.js';

export interface HistoryEntry {
  kind: string;
  deviceId: string | null;
  tariffPlanId: string | null;
  previousTariffPlanId: string | null;
  at: Date;
}

export interface TerminalRecord {
  id: string;
  serial: string;
  status: string;
  /** Replaces a swapped-out unit: in service from the swap, no activation fee. */
  replacement: boolean;
  activatedAt: Date | null;
}

export interface TimelineContract {
  tariffPlanId: string;
  startDate: Date;
  endDate: Date | null;
  devices: TerminalRecord[];
  /** Sorted by `at`. */
  history: HistoryEntry[];
}

/** Consecutive days of the period under one plan. */
export interface PlanSpan {
  planId: string;
  firstDay: number;
  lastDay: number;
  terminals: TerminalForRating[];
  /** Terminals activated on one of these days (each pays the plan's activation fee once). */
  activations: number;
}

const OUT = new Set(['TERMINAL_SUSPENDED', 'TERMINAL_RETIRED', 'TERMINAL_LOST', 'TERMINAL_SWAPPED_OUT']);
const IN = new Set(['TERMINAL_RESUMED', 'TERMINAL_SWAPPED_IN']);
const PLAN = new Set(['CONTRACT_STARTED', 'PLAN_CHANGED']);

// The end instant of each local day of a period; cached, as a run asks for it per contract.
const dayEndCache = new Map<string, Date[]>();

function dayEnds(b: PeriodBounds, tz: string): Date[] {
  const key = `${b.period}|${tz}`;
  let ends = dayEndCache.get(key);
  if (!ends) {
    ends = [];
    for (let d = 1; d < b.daysInMonth; d++) ends.push(zonedMidnight(b.year, b.month, d + 1, tz));
    ends.push(b.end);
    if (dayEndCache.size > 1000) dayEndCache.clear();
    dayEndCache.set(key, ends);
  }
  return ends;
}

/** The day of the month of a local date "YYYY-MM-DD" clamped into the period: 0 before, N+1 after. */
function dayIn(date: string, b: PeriodBounds): number {
  const p = date.slice(0, 7);
  if (p < b.period) return 0;
  if (p > b.period) return b.daysInMonth + 1;
  return Number(date.slice(8, 10));
}

export function planSpans(c: TimelineContract, b: PeriodBounds, tz: string): PlanSpan[] {
  const ends = dayEnds(b, tz);
  const n = b.daysInMonth;

  // The plan of each day: the last plan event before the day's end; before any, the plan the
  // first recorded change replaced; without history, the contract's plan.
  const planEvents = c.history.filter((e) => PLAN.has(e.kind) && e.tariffPlanId);
  let plan = planEvents[0]?.previousTariffPlanId ?? planEvents[0]?.tariffPlanId ?? c.tariffPlanId;
  const dayPlan: string[] = [];
  for (let d = 1, k = 0; d <= n; d++) {
    while (k < planEvents.length && planEvents[k]!.at < ends[d - 1]!) plan = planEvents[k++]!.tariffPlanId!;
    dayPlan.push(plan);
  }
  const spans: PlanSpan[] = [];
  for (let d = 1; d <= n; d++) {
    const last = spans[spans.length - 1];
    if (last && last.planId === dayPlan[d - 1]) last.lastDay = d;
    else spans.push({ planId: dayPlan[d - 1]!, firstDay: d, lastDay: d, terminals: [], activations: 0 });
  }

  const terminated = c.history.find((e) => e.kind === 'CONTRACT_TERMINATED');
  const lo = Math.max(1, dayIn(localDate(c.startDate, tz), b));
  const endDates = [c.endDate, terminated?.at].filter((x): x is Date => !!x).map((x) => dayIn(localDate(x, tz), b));
  const hi = Math.min(n, ...endDates);

  const byDevice = new Map<string, HistoryEntry[]>();
  for (const e of c.history) {
    if (!e.deviceId) continue;
    const list = byDevice.get(e.deviceId);
    if (list) list.push(e);
    else byDevice.set(e.deviceId, [e]);
  }
  for (const dev of [...c.devices].sort((x, y) => x.serial.localeCompare(y.serial))) {
    const events = byDevice.get(dev.id) ?? [];
    // Retired or lost before the history was kept, with nothing recorded: as before, not billed.
    if (events.length === 0 && (dev.status === 'RETIRED' || dev.status === 'LOST' || dev.status === 'IN_STOCK')) continue;
    const swappedIn = events.find((e) => e.kind === 'TERMINAL_SWAPPED_IN')?.at ?? null;
    const starts = [dev.activatedAt, swappedIn].filter((x): x is Date => !!x);
    if (starts.length === 0) continue;
    const start = new Date(Math.min(...starts.map((x) => x.getTime())));

    if (!dev.replacement && dev.activatedAt && dev.activatedAt >= b.start && dev.activatedAt < b.end) {
      const day = dayIn(localDate(dev.activatedAt, tz), b);
      const span = spans.find((s) => s.firstDay <= day && day <= s.lastDay);
      if (span) span.activations++;
    }

    const days: number[] = [];
    let inService = true;
    let k = 0;
    for (let d = 1; d <= n; d++) {
      const end = ends[d - 1]!;
      while (k < events.length && events[k]!.at < end) {
        const kind = events[k++]!.kind;
        if (OUT.has(kind)) inService = false;
        else if (IN.has(kind)) inService = true;
      }
      if (d >= lo && d <= hi && start < end && inService) days.push(d);
    }
    for (const span of spans) {
      const ranges: [number, number][] = [];
      for (const d of days) {
        if (d < span.firstDay || d > span.lastDay) continue;
        const r = ranges[ranges.length - 1];
        if (r && r[1] === d - 1) r[1] = d;
        else ranges.push([d, d]);
      }
      if (ranges.length === 0) continue;
      span.terminals.push({
        serial: dev.serial,
        firstDay: ranges[0]![0],
        lastDay: ranges[ranges.length - 1]![1],
        activatedInPeriod: false,
        ranges,
      });
    }
  }
  return spans;
}
