/**
 * Time is injected: core functions take a `Clock` or a Date, never read the system time.
 * Timestamps are stored as ISO-8601 with the offset of the home's time zone.
 */
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
