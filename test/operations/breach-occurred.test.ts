import { describe, expect, it } from 'vitest';
import { checkOccurred } from '../../src/operations/breach.js';

const LA = 'America/Los_Angeles';
const range = (from: string, to: string) => ({ occurredDate: null, occurredFrom: from, occurredTo: to });

describe('breach occurred range', () => {
  it('takes a from-time and a to-date on the same day of the home (a bare date is the whole day)', () => {
    // 4 PM in Los Angeles is after UTC midnight of the 28th: read as UTC this was refused.
    expect(() => checkOccurred(range('2026-11-28T16:00:00-08:00', '2026-11-28'), LA)).not.toThrow();
    // 9 PM on the 27th in Los Angeles is already the 28th in UTC: still the 27th at home.
    expect(() => checkOccurred(range('2026-11-28', '2026-11-27T21:00:00-08:00'), LA)).toThrow(/before --occurred-from/);
  });

  it('compares two moments as moments and two dates as dates', () => {
    expect(() => checkOccurred(range('2026-11-28T16:00:00-08:00', '2026-11-28T15:00:00-08:00'), LA)).toThrow(
      /before --occurred-from/,
    );
    expect(() => checkOccurred(range('2026-11-10', '2026-11-14'), LA)).not.toThrow();
    expect(() => checkOccurred(range('2026-11-14', '2026-11-10'), LA)).toThrow(/before --occurred-from/);
  });
});
