import { describe, expect, it } from 'vitest';
import { agingBucket } from './aging.service.js';
import { monthlyPattern } from './billing-run.jobs.js';
import { daysOverdue } from './dunning.service.js';

describe('schedules and buckets', () => {
  it('starts the monthly run the grace time after local midnight on the 1st', () => {
    expect(monthlyPattern(24)).toBe('0 0 2 * *');
    expect(monthlyPattern(6)).toBe('0 6 1 * *');
    expect(monthlyPattern(50)).toBe('0 2 3 * *');
  });

  it('buckets days past due as current, 1-30, 31-60, 61-90, 90+', () => {
    expect([-3, 0, 1, 30, 31, 60, 61, 90, 91, 400].map(agingBucket)).toEqual([
      'current',
      'current',
      '1-30',
      '1-30',
      '31-60',
      '31-60',
      '61-90',
      '61-90',
      '90+',
      '90+',
    ]);
  });

  it('counts whole days overdue', () => {
    const due = new Date('2026-10-01T00:00:00Z');
    expect(daysOverdue(due, new Date('2026-10-01T23:59:59Z'))).toBe(0);
    expect(daysOverdue(due, new Date('2026-10-08T00:00:00Z'))).toBe(7);
  });
});
