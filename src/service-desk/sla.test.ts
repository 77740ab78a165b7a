import { describe, expect, it } from 'vitest';
import {
  addBusinessMinutes,
  businessCalendar,
  businessMinutesBetween,
  calendarFor,
  remainingBusinessMinutes,
  slaPolicyFor,
} from './sla.js';

const shanghai = businessCalendar('Asia/Shanghai');
const berlin = businessCalendar('Europe/Berlin');
const at = (iso: string) => new Date(iso);

describe('business-hours calendar (Asia/Shanghai, UTC+8 all year)', () => {
  it('counts only the rest of the working day and continues next morning', () => {
    // Wed 2026-11-25 17:00 local + 2 h -> Thu 10:00 local.
    expect(addBusinessMinutes(at('2026-11-25T17:00:00+08:00'), 120, shanghai).toISOString()).toBe(
      at('2026-11-26T10:00:00+08:00').toISOString(),
    );
  });

  it('skips nights: a ticket opened at 22:00 starts its clock at 09:00', () => {
    expect(addBusinessMinutes(at('2026-11-24T22:00:00+08:00'), 30, shanghai).toISOString()).toBe(
      at('2026-11-25T09:30:00+08:00').toISOString(),
    );
    expect(addBusinessMinutes(at('2026-11-25T03:00:00+08:00'), 30, shanghai).toISOString()).toBe(
      at('2026-11-25T09:30:00+08:00').toISOString(),
    );
    expect(businessMinutesBetween(at('2026-11-24T18:00:00+08:00'), at('2026-11-25T09:00:00+08:00'), shanghai)).toBe(0);
  });

  it('skips weekends', () => {
    // Fri 17:30 + 60 -> Mon 09:30.
    expect(addBusinessMinutes(at('2026-11-27T17:30:00+08:00'), 60, shanghai).toISOString()).toBe(
      at('2026-11-30T09:30:00+08:00').toISOString(),
    );
    expect(businessMinutesBetween(at('2026-11-27T17:00:00+08:00'), at('2026-11-30T10:00:00+08:00'), shanghai)).toBe(120);
    // A ticket opened on Saturday starts on Monday morning.
    expect(addBusinessMinutes(at('2026-11-28T11:00:00+08:00'), 540, shanghai).toISOString()).toBe(
      at('2026-11-30T18:00:00+08:00').toISOString(),
    );
  });

  it('skips holidays', () => {
    const cal = businessCalendar('Asia/Shanghai', ['2026-11-27', '2026-11-30']);
    // Thu 17:00 + 2 h: Fri and Mon are holidays -> Tue 10:00.
    expect(addBusinessMinutes(at('2026-11-26T17:00:00+08:00'), 120, cal).toISOString()).toBe(at('2026-12-01T10:00:00+08:00').toISOString());
    expect(businessMinutesBetween(at('2026-11-26T17:00:00+08:00'), at('2026-12-01T10:00:00+08:00'), cal)).toBe(120);
  });

  it('adds and measures consistently over several weeks', () => {
    const start = at('2026-11-25T13:17:00+08:00');
    for (const m of [1, 59, 540, 2700, 10_000])
      expect(businessMinutesBetween(start, addBusinessMinutes(start, m, shanghai), shanghai)).toBe(m);
    expect(remainingBusinessMinutes(at('2026-11-25T10:00:00+08:00'), at('2026-11-25T09:00:00+08:00'), shanghai)).toBe(-60);
  });
});

describe('business-hours calendar in a zone with DST (Europe/Berlin)', () => {
  it('keeps 09:00-18:00 local across the autumn change', () => {
    // Fri 2026-10-23 17:00 CEST + 2 h -> Mon 2026-10-26 10:00 CET (clocks went back on Sunday).
    const due = addBusinessMinutes(at('2026-10-23T17:00:00+02:00'), 120, berlin);
    expect(due.toISOString()).toBe('2026-10-26T09:00:00.000Z');
    expect(businessMinutesBetween(at('2026-10-23T17:00:00+02:00'), due, berlin)).toBe(120);
  });

  it('keeps 09:00-18:00 local across the spring change', () => {
    // Fri 2026-03-27 17:00 CET + 2 h -> Mon 2026-03-30 10:00 CEST.
    const due = addBusinessMinutes(at('2026-03-27T17:00:00+01:00'), 120, berlin);
    expect(due.toISOString()).toBe('2026-03-30T08:00:00.000Z');
    // A full working day in summer time is still 540 minutes.
    expect(businessMinutesBetween(at('2026-03-30T00:00:00+02:00'), at('2026-03-31T00:00:00+02:00'), berlin)).toBe(540);
  });
});

describe('SLA policy', () => {
  it('picks targets by tier, STANDARD without a customer, 24x7 for platinum critical and incidents', () => {
    expect(slaPolicyFor({ tier: null, priority: 'NORMAL', source: 'STAFF', kind: 'GENERAL' })).toMatchObject({
      tier: 'STANDARD',
      firstResponseMinutes: 480,
      allHours: false,
    });
    expect(slaPolicyFor({ tier: 'GOLD', priority: 'HIGH', source: 'CUSTOMER', kind: 'GENERAL' })).toMatchObject({
      firstResponseMinutes: 120,
      resolutionMinutes: 1080,
    });
    const critical = slaPolicyFor({ tier: 'PLATINUM', priority: 'CRITICAL', source: 'STAFF', kind: 'GENERAL' });
    expect(critical).toMatchObject({ firstResponseMinutes: 30, allHours: true });
    expect(slaPolicyFor({ tier: null, priority: 'HIGH', source: 'AUTO', kind: 'INCIDENT' }).allHours).toBe(true);
    // Round the clock: Saturday night counts.
    const cal = calendarFor(shanghai, critical);
    expect(addBusinessMinutes(at('2026-11-28T23:00:00+08:00'), 30, cal).toISOString()).toBe(at('2026-11-28T23:30:00+08:00').toISOString());
  });

  it('runs a safety-critical fault round the clock whatever the tier: a SILVER entrapment on Saturday 04:37 is due 04:52', () => {
    const safety = slaPolicyFor({ tier: 'SILVER', priority: 'CRITICAL', source: 'AUTO', kind: 'DEVICE_FAULT', safety: true });
    expect(safety).toMatchObject({ tier: 'SILVER', firstResponseMinutes: 15, allHours: true });
    const saturday = at('2026-11-28T04:37:00+08:00');
    expect(addBusinessMinutes(saturday, safety.firstResponseMinutes, calendarFor(shanghai, safety)).toISOString()).toBe(
      at('2026-11-28T04:52:00+08:00').toISOString(),
    );
    // The same ticket without the safety class would have waited for Monday.
    const silver = slaPolicyFor({ tier: 'SILVER', priority: 'CRITICAL', source: 'AUTO', kind: 'DEVICE_FAULT' });
    expect(addBusinessMinutes(saturday, silver.firstResponseMinutes, calendarFor(shanghai, silver)).toISOString()).toBe(
      at('2026-11-30T13:00:00+08:00').toISOString(),
    );
  });
});
