import { describe, expect, it } from 'vitest';
import { localDate, periodBounds, periodOf, shiftPeriod } from './period.js';
import { divRoundHalfUp, rate, type TariffForRating, terminalDays, unitsFor } from './rating.js';

const TZ = 'Asia/Shanghai';

// The oracle tariff (also used by test/billing-oracle.test.ts): 29.90 rental, 50.00 activation,
// 1000 included units per terminal-month, 0.0333 per downlink, 6% tax,
// overage 0.012 for the first 2000 units above the allowance, 0.0085 beyond.
const oracleTariff: TariffForRating = {
  monthlyRentalMinor: 2990n,
  activationFeeMinor: 5000n,
  includedMessages: 1000,
  downlinkPriceMicros: 33_300n,
  taxRateBp: 600,
  tiers: [
    { fromUnit: 0n, toUnit: 2000n, unitPriceMicros: 12_000n },
    { fromUnit: 2000n, toUnit: null, unitPriceMicros: 8_500n },
  ],
};

describe('period arithmetic in the operator time zone', () => {
  it('puts month boundaries at local midnight', () => {
    const p = periodBounds('2026-09', TZ);
    expect(p.start.toISOString()).toBe('2026-08-31T16:00:00.000Z');
    expect(p.end.toISOString()).toBe('2026-09-30T16:00:00.000Z');
    expect(p.daysInMonth).toBe(30);
    expect(periodBounds('2028-02', TZ).daysInMonth).toBe(29);
    expect(periodOf(new Date('2026-08-31T20:00:00Z'), TZ)).toBe('2026-09');
    expect(localDate(new Date('2026-09-12T15:59:59Z'), TZ)).toBe('2026-09-12');
    expect(shiftPeriod('2026-12', 1)).toBe('2027-01');
    expect(shiftPeriod('2026-01', -1)).toBe('2025-12');
  });

  it('handles zones with daylight saving', () => {
    const p = periodBounds('2026-03', 'Europe/Berlin');
    expect(p.start.toISOString()).toBe('2026-02-28T23:00:00.000Z');
    expect(p.end.toISOString()).toBe('2026-03-31T22:00:00.000Z');
  });
});

describe('rounding and units', () => {
  it('rounds half up (away from zero) from exact integers', () => {
    expect(divRoundHalfUp(5n, 2n)).toBe(3n);
    expect(divRoundHalfUp(4n, 3n)).toBe(1n);
    expect(divRoundHalfUp(5n, 3n)).toBe(2n);
    expect(divRoundHalfUp(-5n, 2n)).toBe(-3n);
    expect(divRoundHalfUp(1_232_100n, 10_000n)).toBe(123n);
    expect(divRoundHalfUp(15n * 600n, 10_000n)).toBe(1n); // 0.9 -> 1
    expect(divRoundHalfUp(25n * 600n, 10_000n)).toBe(2n); // 1.5 -> 2
  });

  it('counts a message as ceil(bytes / segmentBytes) units, at least one', () => {
    expect(unitsFor(64, 64)).toBe(1);
    expect(unitsFor(65, 64)).toBe(2);
    expect(unitsFor(130, 64)).toBe(3);
    expect(unitsFor(0, 64)).toBe(1);
  });
});

describe('rating the oracle contract for 2026-09', () => {
  const period = periodBounds('2026-09', TZ);
  const contract = { startLocal: '2026-06-01', endLocal: null };
  const term = (serial: string, activatedAt: string) => {
    const at = new Date(activatedAt);
    return terminalDays({ serial, activatedAt: at, activatedLocal: localDate(at, TZ) }, contract, period)!;
  };
  const terminals = [
    term('NXV-T1', '2026-08-03T02:00:00Z'),
    term('NXV-T2', '2026-08-20T02:00:00Z'),
    // 10:00 on 12 September in Shanghai: 19 of 30 days.
    term('NXV-T3', '2026-09-12T02:00:00Z'),
    // 04:00 on 1 September in Shanghai (still 31 August in UTC): a full month, activated in period.
    term('NXV-T4', '2026-08-31T20:00:00Z'),
  ];

  it('derives billed days and activations from local dates', () => {
    expect(terminals.map((t) => [t.firstDay, t.lastDay, t.activatedInPeriod])).toEqual([
      [1, 30, false],
      [1, 30, false],
      [12, 30, true],
      [1, 30, true],
    ]);
  });

  it('matches the hand-computed invoice', () => {
    const r = rate({ period: '2026-09', daysInMonth: 30, tariff: oracleTariff, terminals, upUnits: 7134n, downMessages: 37n, late: [] });
    const byKind = r.lines.map((l) => [l.kind, l.quantity, l.amountMinor]);
    expect(byKind).toEqual([
      ['RENTAL', 3n, 8970n], // 3 x 29.90
      ['PRORATION', 19n, 1894n], // 29.90 x 19/30 = 18.9366.. -> 18.94
      ['ACTIVATION', 2n, 10000n],
      ['ALLOWANCE', 3633n, 0n], // 1000 x (3x30 + 19) / 30 = 3633.33 -> 3633
      ['OVERAGE', 2000n, 2400n], // 2000 x 0.012
      ['OVERAGE', 1501n, 1276n], // 1501 x 0.0085 = 12.7585 -> 12.76
      ['DOWNLINK', 37n, 123n], // 37 x 0.0333 = 1.2321 -> 1.23
      ['TAX', 1n, 1480n], // 6% of 246.63 = 14.7978 -> 14.80
    ]);
    expect(r.subtotalMinor).toBe(24663n);
    expect(r.totalMinor).toBe(26143n);
    expect(r.overageUnits).toBe(3501n);
  });

  /** October of one terminal (900 units, inside its allowance) plus 1000 late September units and 2 downlinks. */
  const octoberWithLateSeptember = (septemberTariff: TariffForRating | null) =>
    rate({
      period: '2026-10',
      daysInMonth: 31,
      tariff: oracleTariff,
      terminals: [{ serial: 'A', firstDay: 1, lastDay: 31, activatedInPeriod: false }],
      upUnits: 900n,
      downMessages: 0n,
      late: [
        {
          period: '2026-09',
          invoiceNumber: 'NX-2026-000001',
          units: 1000n,
          downlinks: 2n,
          billedUnits: 3000n,
          allowance: 3633n,
          tariff: septemberTariff,
        },
      ],
    });

  it('charges no overage inside the pooled allowance and prices late usage at the margin', () => {
    const r = octoberWithLateSeptember(null);
    expect(r.lines.map((l) => [l.kind, l.amountMinor])).toEqual([
      ['RENTAL', 2990n],
      ['ALLOWANCE', 0n],
      // 4000 - 3633 = 367 units x 0.012 = 4.404, + 2 x 0.0333 = 4.4706 -> 4.47
      ['ADJUSTMENT', 447n],
      ['TAX', 206n], // 6% of 34.37 = 2.0622 -> 2.06
    ]);
    expect(r.lines.find((l) => l.kind === 'ADJUSTMENT')!.description).toContain('Late usage for 2026-09');
  });

  it('prices late usage with the tariff version its period was invoiced under', () => {
    const september = { ...oracleTariff, downlinkPriceMicros: 50_000n, tiers: [{ fromUnit: 0n, toUnit: null, unitPriceMicros: 20_000n }] };
    const r = octoberWithLateSeptember(september);
    // 367 units x 0.02 = 7.34, + 2 x 0.05 = 0.10 -> 7.44 (today's tariff would give 4.47)
    expect(r.lines.find((l) => l.kind === 'ADJUSTMENT')!.amountMinor).toBe(744n);
  });
});
