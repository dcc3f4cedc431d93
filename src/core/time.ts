/**
 * Time is injected: core functions take a `Clock` or a Date, never read the system time.
 * Timestamps are stored as ISO-8601 with the offset of the home's time zone.
 */
import { CustodyError } from './errors.js';

export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** A clock fixed at `start` that tests move forward by hand. */
export function manualClock(start: Date | string): Clock & { set(d: Date | string): void; advance(ms: number): void } {
  let now = new Date(start);
  const clock = (() => new Date(now)) as Clock & { set(d: Date | string): void; advance(ms: number): void };
  clock.set = (d) => {
    now = new Date(d);
  };
  clock.advance = (ms) => {
    now = new Date(now.getTime() + ms);
  };
  return clock;
}

export const DAY_MS = 86_400_000;

const partsCache = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsCache.set(timeZone, f);
  }
  return f;
}

/** Offset of `timeZone` from UTC at instant `d`, in minutes (e.g. -480 for PST). */
export function zoneOffsetMinutes(d: Date, timeZone: string): number {
  const p = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(d)
      .map((x) => [x.type, x.value]),
  );
  const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return Math.round((asUtc - Math.floor(d.getTime() / 1000) * 1000) / 60_000);
}

export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** ISO-8601 with the zone's offset, millisecond precision: 2026-11-26T04:42:27.123-08:00. */
export function isoInZone(d: Date, timeZone: string): string {
  const off = zoneOffsetMinutes(d, timeZone);
  const local = new Date(d.getTime() + off * 60_000);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return local.toISOString().replace('Z', `${sign}${hh}:${mm}`);
}

/** Parse an ISO-8601 timestamp that carries an offset (or Z); anything else is rejected. */
export function parseIsoWithOffset(s: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s)) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The calendar date (YYYY-MM-DD) of instant `d` in `timeZone`. */
export function localDate(d: Date, timeZone: string): string {
  return isoInZone(d, timeZone).slice(0, 10);
}

export function addDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * DAY_MS);
}

/** The instant at which the wall-clock time `y-m-d h:mi:s.ms` happens in `timeZone`. */
export function wallTimeToInstant(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
  timeZone: string,
): Date {
  const guess = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  // Two passes: the offset at the guess, then at the corrected instant (around a DST change).
  let t = guess - zoneOffsetMinutes(new Date(guess), timeZone) * 60_000;
  t = guess - zoneOffsetMinutes(new Date(t), timeZone) * 60_000;
  return new Date(t);
}

export interface WhenOptions {
  /** The flag or prompt being read, for the error message (e.g. "--from"). */
  flag: string;
  /** The home's time zone: a date or time without an offset is read there. */
  timeZone: string;
  /** A bare date means its last millisecond (the end of a range) instead of its first. */
  endOfDay?: boolean;
}

/**
 * The one reader of dates and times given on the command line or at a prompt: a calendar date
 * (`2026-10-20`, the start of that day, or its end with `endOfDay`), a date and time
 * (`2026-10-20 16:45` or `2026-10-20T16:45`) read in the home's time zone, or ISO-8601 with an
 * offset (kept as typed). Impossible dates (`2026-11-31`) are refused. Returns ISO-8601 with an offset.
 */
export function parseWhen(v: string, o: WhenOptions): string {
  const text = v.trim();
  const withOffset = parseIsoWithOffset(text);
  if (withOffset) return text;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const real = new Date(Date.UTC(y, mo - 1, d));
    const time = m[4] !== undefined;
    const [h, mi, s] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
    if (
      real.getUTCFullYear() === y &&
      real.getUTCMonth() === mo - 1 &&
      real.getUTCDate() === d &&
      h < 24 &&
      mi < 60 &&
      s < 60
    ) {
      const instant =
        !time && o.endOfDay
          ? wallTimeToInstant(y, mo, d, 23, 59, 59, 999, o.timeZone)
          : wallTimeToInstant(y, mo, d, h, mi, s, 0, o.timeZone);
      return isoInZone(instant, o.timeZone);
    }
  }
  throw new CustodyError(
    'usage',
    `${o.flag} ${JSON.stringify(v)} is not a date or time.`,
    `For example 2026-11-03, "2026-11-03 16:45" (${o.timeZone}) or 2026-11-03T16:45:00-08:00.`,
  );
}
