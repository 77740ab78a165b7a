/**
 * Rating: turns a contract's terminals and usage for one period into invoice lines.
 * Pure functions over plain data; no database, no clock. The rules (also in billing/README.md):
 *
 * - Money is integer minor units (fen, bigint). Per-unit prices are millionths of the currency
 *   unit ("micros"; 1 fen = 10,000 micros). Nothing is ever a float.
 * - Rounding happens once per invoice line, half-up (half away from zero), from the exact
 *   integer product; line amounts are then summed without further rounding.
 * - Period = calendar month in the operator's time zone. A terminal counts from the local day
 *   it was activated (or the contract start, if later) to the month end (or contract end).
 * - RENTAL: terminals active the whole month, quantity x monthly rental (exact).
 * - PRORATION: one line per terminal active part of the month:
 *   round(monthlyRental x activeDays / daysInMonth).
 * - ACTIVATION: terminals whose activation instant falls in the period, x activation fee.
 * - ALLOWANCE (zero amount, informational): the pooled allowance in billable units =
 *   round(includedMessages x terminal-days / daysInMonth), i.e. prorated like the rental, so a
 *   terminal activated on the 20th brings a third of its monthly allowance, not all of it.
 * - Billable units: sum of the counters' upUnits (each message = ceil(bytes / segmentBytes),
 *   computed at ingest). Units above the allowance are overage.
 * - OVERAGE: graduated tiers over the overage units; tier [from, to) charges the units of the
 *   overage that fall in it at its price; one line per tier used, each rounded.
 * - DOWNLINK: downlink messages x downlink price, rounded.
 * - ADJUSTMENT: usage recorded for an already-invoiced period (late usage), one labelled line per
 *   such period: the exact difference between the overage of (billed + late) and of billed units
 *   against that period's allowance (from its invoice), plus late downlinks x price, rounded once.
 *   Prices are those of the tariff version that period's invoice was rated under.
 * - Plan segments: when the plan changed during the period, rental, activation, allowance,
 *   overage and downlinks are rated per segment (the days under one plan) with that plan's
 *   prices, each line labelled with its plan and days; the pooled allowance of a segment is
 *   prorated by its terminal-days, and the segment's usage is measured against it.
 * - CHARGE / CREDIT: one-off charges and credits, one line each, quantity x unit price (exact).
 * - TAX: round(subtotal x taxRateBp / 10,000) on the sum of all lines above, at the rate of the
 *   plan in force at the end of the period.
 */

export const MICROS_PER_MINOR = 10_000n;

export type LineKind =
  | 'RENTAL'
  | 'PRORATION'
  | 'ACTIVATION'
  | 'ALLOWANCE'
  | 'OVERAGE'
  | 'DOWNLINK'
  | 'ADJUSTMENT'
  | 'CHARGE'
  | 'CREDIT'
  | 'TAX'
  /** A negative total moved to the customer's credit (billing/invoice-issuer.ts), after TAX. */
  | 'CARRIED_TO_CREDIT';

export interface RatedLine {
  kind: LineKind;
  description: string;
  quantity: bigint;
  unitPriceMicros: bigint;
  amountMinor: bigint;
}

export interface TierForRating {
  fromUnit: bigint;
  toUnit: bigint | null;
  unitPriceMicros: bigint;
}

export interface TariffForRating {
  monthlyRentalMinor: bigint;
  activationFeeMinor: bigint;
  includedMessages: number;
  downlinkPriceMicros: bigint;
  taxRateBp: number;
  tiers: TierForRating[];
}

export interface TerminalForRating {
  serial: string;
  /** Days of the month (1-based, inclusive) the terminal is billed for. */
  firstDay: number;
  lastDay: number;
  activatedInPeriod: boolean;
  /** Billed day ranges (inclusive) when the terminal was out of service in between. */
  ranges?: [number, number][];
}

/** Days under one plan; `label` (plan and days) marks its lines when there are several. */
export interface SegmentForRating {
  label: string | null;
  tariff: TariffForRating;
  terminals: TerminalForRating[];
  activations: number;
  upUnits: bigint;
  downMessages: bigint;
}

export interface OneOffForRating {
  description: string;
  quantity: bigint;
  /** Signed: a credit is negative. */
  unitPriceMinor: bigint;
}

export interface LateUsage {
  period: string;
  invoiceNumber: string | null;
  units: bigint;
  downlinks: bigint;
  /** Units already invoiced for that period, and that invoice's allowance. */
  billedUnits: bigint;
  allowance: bigint;
  /** The tariff version that period was invoiced under; null: the contract's current one. */
  tariff: TariffForRating | null;
}

export interface RatingInput {
  period: string;
  daysInMonth: number;
  tariff: TariffForRating;
  terminals: TerminalForRating[];
  upUnits: bigint;
  downMessages: bigint;
  late: LateUsage[];
  /** The period's plan segments; without them, one segment of `tariff`, `terminals` and usage. */
  segments?: SegmentForRating[];
  oneOffs?: OneOffForRating[];
}

export interface RatingResult {
  lines: RatedLine[];
  subtotalMinor: bigint;
  taxMinor: bigint;
  totalMinor: bigint;
  allowanceUnits: bigint;
  overageUnits: bigint;
}

/** n / d rounded half away from zero; d > 0. */
export function divRoundHalfUp(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new Error('divisor must be positive');
  return n >= 0n ? (2n * n + d) / (2n * d) : -((-2n * n + d) / (2n * d));
}

/** A message's billable units. */
export function unitsFor(bytes: number, segmentBytes: number): number {
  return Math.max(1, Math.ceil(bytes / segmentBytes));
}

const fmtMinor = (m: bigint): string => {
  const neg = m < 0n;
  const a = neg ? -m : m;
  return `${neg ? '-' : ''}${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
};

/** Exact overage charge in micros of `units` overage units under graduated tiers. */
export function overageMicros(tiers: TierForRating[], units: bigint): bigint {
  let total = 0n;
  for (const t of tierUsage(tiers, units)) total += t.quantity * t.tier.unitPriceMicros;
  return total;
}

function tierUsage(tiers: TierForRating[], units: bigint) {
  const sorted = [...tiers].sort((a, b) => (a.fromUnit < b.fromUnit ? -1 : 1));
  const out: { tier: TierForRating; quantity: bigint }[] = [];
  for (const tier of sorted) {
    const upper = tier.toUnit === null || tier.toUnit > units ? units : tier.toUnit;
    const quantity = upper - tier.fromUnit;
    if (quantity > 0n) out.push({ tier, quantity });
  }
  return out;
}

export function rate(input: RatingInput): RatingResult {
  const { tariff, daysInMonth } = input;
  const lines: RatedLine[] = [];
  const segments: SegmentForRating[] = input.segments ?? [
    {
      label: null,
      tariff,
      terminals: input.terminals,
      activations: input.terminals.filter((t) => t.activatedInPeriod).length,
      upUnits: input.upUnits,
      downMessages: input.downMessages,
    },
  ];
  let allowanceUnits = 0n;
  let overageUnits = 0n;
  for (const seg of segments) {
    const r = rateSegment(seg, input.period, daysInMonth, segments.length > 1, lines);
    allowanceUnits += r.allowance;
    overageUnits += r.overage;
  }

  for (const late of [...input.late].sort((a, b) => a.period.localeCompare(b.period))) {
    const then = late.tariff ?? tariff;
    const before = overageMicros(then.tiers, clampSub(late.billedUnits, late.allowance));
    const after = overageMicros(then.tiers, clampSub(late.billedUnits + late.units, late.allowance));
    const micros = after - before + late.downlinks * then.downlinkPriceMicros;
    const ref = late.invoiceNumber ? ` (after invoice ${late.invoiceNumber})` : '';
    lines.push({
      kind: 'ADJUSTMENT',
      description: `Late usage for ${late.period}${ref}: ${late.units} units, ${late.downlinks} downlinks`,
      quantity: late.units,
      unitPriceMicros: late.units > 0n ? divRoundHalfUp(after - before, late.units) : 0n,
      amountMinor: divRoundHalfUp(micros, MICROS_PER_MINOR),
    });
  }

  for (const c of input.oneOffs ?? []) {
    lines.push({
      kind: c.unitPriceMinor < 0n ? 'CREDIT' : 'CHARGE',
      description: c.description,
      quantity: c.quantity,
      unitPriceMicros: c.unitPriceMinor * MICROS_PER_MINOR,
      amountMinor: c.quantity * c.unitPriceMinor,
    });
  }

  const subtotal = lines.reduce((s, l) => s + l.amountMinor, 0n);
  const tax = divRoundHalfUp(subtotal * BigInt(tariff.taxRateBp), 10_000n);
  lines.push({
    kind: 'TAX',
    description: `Tax ${(tariff.taxRateBp / 100).toFixed(2)}% on ${fmtMinor(subtotal)}`,
    quantity: 1n,
    unitPriceMicros: tax * MICROS_PER_MINOR,
    amountMinor: tax,
  });
  return { lines, subtotalMinor: subtotal, taxMinor: tax, totalMinor: subtotal + tax, allowanceUnits, overageUnits };
}

const daysOf = (t: TerminalForRating): number => (t.ranges ? t.ranges.reduce((n, [a, b]) => n + b - a + 1, 0) : t.lastDay - t.firstDay + 1);

/** One segment's rental, activation, allowance, overage and downlink lines, appended to `lines`. */
function rateSegment(seg: SegmentForRating, period: string, daysInMonth: number, several: boolean, lines: RatedLine[]) {
  const { tariff } = seg;
  const days = BigInt(daysInMonth);
  const sfx = seg.label ? ` (${seg.label})` : '';
  const billed = seg.terminals.filter((t) => daysOf(t) > 0);
  const full = billed.filter((t) => daysOf(t) >= daysInMonth);
  const partial = billed.filter((t) => daysOf(t) < daysInMonth);
  if (full.length > 0) {
    lines.push({
      kind: 'RENTAL',
      description: `Monthly rental, ${full.length} terminal${full.length === 1 ? '' : 's'}${sfx}`,
      quantity: BigInt(full.length),
      unitPriceMicros: tariff.monthlyRentalMinor * MICROS_PER_MINOR,
      amountMinor: BigInt(full.length) * tariff.monthlyRentalMinor,
    });
  }
  let terminalDays = BigInt(full.length) * days;
  for (const t of [...partial].sort((a, b) => a.serial.localeCompare(b.serial))) {
    const active = BigInt(daysOf(t));
    terminalDays += active;
    const ranges = (t.ranges ?? [[t.firstDay, t.lastDay]]).map(([a, b]) => `${period}-${pad(a)} to ${period}-${pad(b)}`).join(', ');
    lines.push({
      kind: 'PRORATION',
      description: `Rental ${t.serial}: ${active} of ${daysInMonth} days (${ranges})${sfx}`,
      quantity: active,
      unitPriceMicros: divRoundHalfUp(tariff.monthlyRentalMinor * MICROS_PER_MINOR, days),
      amountMinor: divRoundHalfUp(tariff.monthlyRentalMinor * active, days),
    });
  }

  const activated = seg.activations;
  if (activated > 0 && tariff.activationFeeMinor > 0n) {
    lines.push({
      kind: 'ACTIVATION',
      description: `Activation fee, ${activated} terminal${activated === 1 ? '' : 's'}${sfx}`,
      quantity: BigInt(activated),
      unitPriceMicros: tariff.activationFeeMinor * MICROS_PER_MINOR,
      amountMinor: BigInt(activated) * tariff.activationFeeMinor,
    });
  }

  const allowance = divRoundHalfUp(BigInt(tariff.includedMessages) * terminalDays, days);
  const overage = seg.upUnits > allowance ? seg.upUnits - allowance : 0n;
  // A segment with no terminal and no usage says nothing worth a line.
  if (!several || terminalDays > 0n || seg.upUnits > 0n) {
    lines.push({
      kind: 'ALLOWANCE',
      description: `Pooled allowance ${allowance} units (${tariff.includedMessages} per terminal-month); ${seg.upUnits} units used${sfx}`,
      quantity: allowance,
      unitPriceMicros: 0n,
      amountMinor: 0n,
    });
  }

  for (const { tier, quantity } of tierUsage(tariff.tiers, overage)) {
    const range = tier.toUnit === null ? `above ${tier.fromUnit}` : `${tier.fromUnit + 1n}-${tier.toUnit}`;
    lines.push({
      kind: 'OVERAGE',
      description: `Overage units ${range} over allowance${sfx}`,
      quantity,
      unitPriceMicros: tier.unitPriceMicros,
      amountMinor: divRoundHalfUp(quantity * tier.unitPriceMicros, MICROS_PER_MINOR),
    });
  }

  if (seg.downMessages > 0n) {
    lines.push({
      kind: 'DOWNLINK',
      description: `Downlink messages${sfx}`,
      quantity: seg.downMessages,
      unitPriceMicros: tariff.downlinkPriceMicros,
      amountMinor: divRoundHalfUp(seg.downMessages * tariff.downlinkPriceMicros, MICROS_PER_MINOR),
    });
  }
  return { allowance, overage };
}

function clampSub(a: bigint, b: bigint): bigint {
  return a > b ? a - b : 0n;
}

function pad(d: number): string {
  return String(d).padStart(2, '0');
}

export interface TerminalFacts {
  serial: string;
  activatedAt: Date;
}

/**
 * Which days of the period a terminal is billed for, from its activation and the contract's
 * dates (all as local calendar dates "YYYY-MM-DD"); null when not billable in the period.
 */
export function terminalDays(
  t: { serial: string; activatedLocal: string; activatedAt: Date },
  contract: { startLocal: string; endLocal: string | null },
  period: { period: string; daysInMonth: number; start: Date; end: Date },
): TerminalForRating | null {
  const first = `${period.period}-01`;
  const last = `${period.period}-${pad(period.daysInMonth)}`;
  const from = max(t.activatedLocal, contract.startLocal, first);
  const to = contract.endLocal && contract.endLocal < last ? contract.endLocal : last;
  if (from > to) return null;
  return {
    serial: t.serial,
    firstDay: Number(from.slice(8, 10)),
    lastDay: Number(to.slice(8, 10)),
    activatedInPeriod: t.activatedAt >= period.start && t.activatedAt < period.end,
  };
}

function max(...s: string[]): string {
  // biome-ignore lint/complexity/useMathMinMax: these are ISO date strings, which Math.max cannot compare
  return s.reduce((a, b) => (a > b ? a : b));
}
