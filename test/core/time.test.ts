/**
 * The one reader of dates and times (core/time.ts parseWhen / parseDate) and the way moments are
 * shown back (formatWhen): dates as people type them, read in the home's time zone; impossible
 * dates and times refused with a usage error (exit 2).
 */
import { describe, expect, it } from 'vitest';
import { CustodyError } from '../../src/core/errors.js';
import { formatLocal, formatWhen, isDateOnly, parseDate, parseWhen } from '../../src/core/time.js';

const LA = 'America/Los_Angeles';
// 30 November 2026, 7:04:50 PM in Los Angeles (PST, -08:00): the moment of the swap prompt.
const NOW = new Date('2026-12-01T03:04:50.914Z');
const when = (v: string, endOfDay = false, timeZone = LA) =>
  parseWhen(v, { flag: '--at', timeZone, now: NOW, endOfDay });
const date = (v: string) => parseDate(v, { flag: '--date', timeZone: LA, now: NOW });

function refusal(f: () => unknown): CustodyError {
  try {
    f();
  } catch (e) {
    if (e instanceof CustodyError) return e;
    throw e;
  }
  throw new Error('not refused');
}

describe('parseWhen reads what people type, in the home’s time zone', () => {
  it.each([
    ['2026-10-20', '2026-10-20T00:00:00.000-07:00'],
    ['10/20/2026', '2026-10-20T00:00:00.000-07:00'],
    ['1/5/2027', '2027-01-05T00:00:00.000-08:00'],
    ['Oct 20 2026', '2026-10-20T00:00:00.000-07:00'],
    ['October 20, 2026', '2026-10-20T00:00:00.000-07:00'],
    ['20 Oct 2026', '2026-10-20T00:00:00.000-07:00'],
    ['2026-10-20 16:45', '2026-10-20T16:45:00.000-07:00'],
    ['2026-10-20T16:45', '2026-10-20T16:45:00.000-07:00'],
    ['2026-11-30 16:45', '2026-11-30T16:45:00.000-08:00'],
    ['10/20/2026 4:45pm', '2026-10-20T16:45:00.000-07:00'],
    ['Nov 30, 2026 at 4:45 PM', '2026-11-30T16:45:00.000-08:00'],
    ['4:45pm', '2026-11-30T16:45:00.000-08:00'],
    ['4:45 PM', '2026-11-30T16:45:00.000-08:00'],
    ['4:45 p.m.', '2026-11-30T16:45:00.000-08:00'],
    ['5pm', '2026-11-30T17:00:00.000-08:00'],
    ['5 PM', '2026-11-30T17:00:00.000-08:00'],
    ['12am', '2026-11-30T00:00:00.000-08:00'],
    ['12:30pm', '2026-11-30T12:30:00.000-08:00'],
    ['noon', '2026-11-30T12:00:00.000-08:00'],
    ['16:45', '2026-11-30T16:45:00.000-08:00'],
    ['today 16:45', '2026-11-30T16:45:00.000-08:00'],
    ['Today at 4:45 PM', '2026-11-30T16:45:00.000-08:00'],
    ['yesterday', '2026-11-29T00:00:00.000-08:00'],
    ['yesterday 5pm', '2026-11-29T17:00:00.000-08:00'],
    ['tomorrow 9am', '2026-12-01T09:00:00.000-08:00'],
    ['now', '2026-11-30T19:04:50.914-08:00'],
    ['  NOW ', '2026-11-30T19:04:50.914-08:00'],
  ])('%s → %s', (typed, iso) => {
    expect(when(typed)).toBe(iso);
  });

  it('keeps ISO-8601 with an offset as typed (Z too)', () => {
    expect(when('2026-11-30T19:04:50.914-08:00')).toBe('2026-11-30T19:04:50.914-08:00');
    expect(when('2026-11-30T16:45:00+01:00')).toBe('2026-11-30T16:45:00+01:00');
    expect(when('2026-12-01T03:04:50Z')).toBe('2026-12-01T03:04:50Z');
  });

  it('"today" is the home’s calendar day, not the machine’s (UTC is already 1 December)', () => {
    expect(NOW.toISOString().slice(0, 10)).toBe('2026-12-01');
    expect(when('today')).toBe('2026-11-30T00:00:00.000-08:00');
    expect(when('today', false, 'UTC')).toBe('2026-12-01T00:00:00.000+00:00');
    expect(when('2026-10-20', false, 'Asia/Tokyo')).toBe('2026-10-20T00:00:00.000+09:00');
  });

  it('a bare date as the end of a range is the whole day', () => {
    expect(when('2026-11-03', true)).toBe('2026-11-03T23:59:59.999-08:00');
    expect(when('11/3/2026', true)).toBe('2026-11-03T23:59:59.999-08:00');
    expect(when('yesterday', true)).toBe('2026-11-29T23:59:59.999-08:00');
    // A time is that time, even at the end of a range.
    expect(when('2026-11-03 16:45', true)).toBe('2026-11-03T16:45:00.000-08:00');
  });

  it('reads a wall-clock time on the day clocks change (1 November 2026, PDT → PST)', () => {
    expect(when('2026-11-01 00:30')).toBe('2026-11-01T00:30:00.000-07:00');
    expect(when('2026-11-01 5pm')).toBe('2026-11-01T17:00:00.000-08:00');
  });

  it.each([
    ['2026-11-31', 'November 2026 has 30 days'],
    ['2026-02-29', 'February 2026 has 28 days'],
    ['11/31/2026', 'November 2026 has 30 days (read as month/day/year)'],
    ['20/10/2026', 'there is no month 20 (read as month/day/year)'],
    ['2026-13-01', 'there is no month 13'],
    ['Nov 31 2026', 'November 2026 has 30 days'],
    ['2026-11-31 16:45', 'November 2026 has 30 days'],
  ])('refuses the impossible date %s (%s), exit 2', (typed, why) => {
    const e = refusal(() => when(typed));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`--at ${JSON.stringify(typed)} is not a date: ${why}.`);
  });

  it.each(['13pm', '0am', '25:00', '2026-11-30 24:00', '4:60pm', 'today 13:75'])(
    'refuses the impossible time %s, exit 2',
    (typed) => {
      const e = refusal(() => when(typed));
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain('no such time of day');
    },
  );

  it.each(['', 'soon', '2026-10', 'novel 3 2026', '5', '2026-10-20 5', 'next week'])(
    'refuses %j with examples in the hint, exit 2',
    (typed) => {
      const e = refusal(() => when(typed));
      expect(e.exitCode).toBe(2);
      expect(e.message).toBe(`--at ${JSON.stringify(typed)} is not a date or time.`);
      expect(e.hint).toContain('4:45pm');
      expect(e.hint).toContain(LA);
    },
  );

  it('2024-02-29 exists (a leap year)', () => {
    expect(when('2/29/2024')).toBe('2024-02-29T00:00:00.000-08:00');
  });
});

describe('parseDate reads a calendar date', () => {
  it.each([
    ['2026-11-03', '2026-11-03'],
    ['2026-1-5', '2026-01-05'],
    ['11/3/2026', '2026-11-03'],
    ['Nov 3, 2026', '2026-11-03'],
    ['today', '2026-11-30'],
    ['yesterday', '2026-11-29'],
    ['tomorrow', '2026-12-01'],
  ])('%s → %s', (typed, d) => {
    expect(date(typed)).toBe(d);
  });

  it('refuses 2026-11-31 (operator train --date, hold --review, …) and a time', () => {
    expect(refusal(() => date('2026-11-31')).message).toBe(
      '--date "2026-11-31" is not a date: November 2026 has 30 days.',
    );
    expect(refusal(() => date('5pm')).message).toBe('--date "5pm" is a time; give a date.');
    expect(refusal(() => date('2026-11-03 16:45')).exitCode).toBe(2);
  });

  it('isDateOnly tells a day from a moment', () => {
    const o = { timeZone: LA, now: NOW };
    expect(isDateOnly('2026-11-03', o)).toBe(true);
    expect(isDateOnly('yesterday', o)).toBe(true);
    expect(isDateOnly('yesterday 5pm', o)).toBe(false);
    expect(isDateOnly('2026-11-03T08:00:00-08:00', o)).toBe(false);
  });
});

describe('formatWhen shows a moment as people write it, and parseWhen reads it back', () => {
  it('today, yesterday, or the date, with a 12-hour time', () => {
    expect(formatWhen(NOW, LA, NOW)).toBe('today 7:04 PM');
    expect(formatWhen(new Date('2026-11-30T00:05:00-08:00'), LA, NOW)).toBe('today 12:05 AM');
    expect(formatWhen(new Date('2026-11-29T12:00:00-08:00'), LA, NOW)).toBe('yesterday 12:00 PM');
    expect(formatWhen(new Date('2026-11-28T16:45:00-08:00'), LA, NOW)).toBe('2026-11-28 4:45 PM');
    expect(formatWhen(NOW, 'UTC', NOW)).toBe('today 3:04 AM');
  });

  it.each([
    '2026-11-30T19:04:00.000-08:00',
    '2026-11-30T00:00:00.000-08:00',
    '2026-11-29T12:30:00.000-08:00',
    '2026-10-20T16:45:00.000-07:00',
    '2025-12-31T23:59:00.000-08:00',
  ])('%s round-trips to the minute', (iso) => {
    expect(when(formatWhen(new Date(iso), LA, NOW))).toBe(iso);
  });

  it('formatLocal names the zone for messages (lock holders, times on the terminal)', () => {
    expect(formatLocal(NOW, LA)).toBe('2026-11-30 7:04 PM PST');
    expect(formatLocal(new Date('2026-07-04T12:00:00Z'), LA)).toBe('2026-07-04 5:00 AM PDT');
  });
});
