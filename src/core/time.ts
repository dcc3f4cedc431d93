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

/**
 * A time zone as typed (`America/Los_Angeles`, `america/los_angeles`, `US/Pacific`, `UTC`), as its
 * canonical IANA name; undefined for anything else. Abbreviations (`PST`, `EST`) are refused: ICU
 * reads `EST` as America/Panama, which never changes to summer time.
 */
export function canonicalTimeZone(tz: string): string | undefined {
  const t = tz.trim();
  if (!(t.includes('/') || /^(utc|gmt)$/i.test(t)) || !isValidTimeZone(t)) return undefined;
  return new Intl.DateTimeFormat('en-US', { timeZone: t }).resolvedOptions().timeZone;
}

/** The machine's time zone, offered as the default when a home is made. */
export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
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

/** Midnight at the start of the calendar date `YYYY-MM-DD` in `timeZone` (the one conversion: wallTimeToInstant). */
export function startOfLocalDate(date: string, timeZone: string): Date {
  const [y, mo, d] = date.split('-').map(Number);
  return wallTimeToInstant(y!, mo!, d!, 0, 0, 0, 0, timeZone);
}

export interface WhenOptions {
  /** The flag or prompt being read, for the error message (e.g. "--from"). */
  flag: string;
  /** The home's time zone: a date or time without an offset is read there. */
  timeZone: string;
  /** Now (from the injected clock): `now`, `today`, `yesterday` and a time alone are read from it. */
  now: Date;
  /** A bare date means its last millisecond (the end of a range) instead of its first. */
  endOfDay?: boolean;
}

/** What a person typed, read: a moment with its own offset, a calendar date, or a date and a wall-clock time. */
type Reading =
  | { kind: 'instant'; at: Date }
  | { kind: 'date'; y: number; mo: number; d: number }
  | { kind: 'wall'; y: number; mo: number; d: number; h: number; mi: number; s: number };

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** The months' names in US English, for dates written out in words. */
export const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Why a date is refused, or '' when the day exists (2026-11-31 does not: November has 30 days). */
function impossibleDate(y: number, mo: number, d: number): string {
  if (!(mo >= 1 && mo <= 12)) return `there is no month ${mo}`;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (!(d >= 1 && d <= days)) return `${MONTH_NAMES[mo - 1]} ${y} has ${days} days`;
  return '';
}

function monthNumber(name: string): number | undefined {
  const i = MONTHS.indexOf(name.slice(0, 3));
  if (i < 0) return undefined;
  const full = MONTH_NAMES[i].toLowerCase();
  // "nov", "nov.", "november", "sept" — but not "novel".
  return full.startsWith(name.replace(/\.$/, '')) ? i + 1 : undefined;
}

/** The calendar date part, alone: 2026-10-20, 10/20/2026, Oct 20 2026, 20 Oct 2026, today, yesterday, tomorrow. */
function readDate(text: string, now: Date, timeZone: string): { y: number; mo: number; d: number } | undefined {
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  if (m) return { y: +m[1], mo: +m[2], d: +m[3] };
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  if (m) return { y: +m[3], mo: +m[1], d: +m[2] };
  m = /^([a-z]+\.?)\s+(\d{1,2}),?\s+(\d{4})$/.exec(text);
  if (m && monthNumber(m[1])) return { y: +m[3], mo: monthNumber(m[1])!, d: +m[2] };
  m = /^(\d{1,2})\s+([a-z]+\.?),?\s+(\d{4})$/.exec(text);
  if (m && monthNumber(m[2])) return { y: +m[3], mo: monthNumber(m[2])!, d: +m[1] };
  const shift = { today: 0, yesterday: -1, tomorrow: 1 }[text];
  if (shift !== undefined) {
    const [y, mo, d] = localDate(now, timeZone).split('-').map(Number);
    const day = new Date(Date.UTC(y, mo - 1, d + shift));
    return { y: day.getUTCFullYear(), mo: day.getUTCMonth() + 1, d: day.getUTCDate() };
  }
  return undefined;
}

/** The wall-clock time part, alone: 16:45, 16:45:30, 4:45pm, 4:45 p.m., 5pm, noon, midnight. */
function readTime(text: string): { h: number; mi: number; s: number } | 'invalid' | undefined {
  if (text === 'noon') return { h: 12, mi: 0, s: 0 };
  if (text === 'midnight') return { h: 0, mi: 0, s: 0 };
  const m = /^(\d{1,2})(?::(\d{2}))?(?::(\d{2})(?:\.\d+)?)?\s*(?:([ap])\.?m?\.?)?$/.exec(text);
  if (!m || (m[2] === undefined && m[4] === undefined)) return undefined;
  let h = +m[1];
  const [mi, s] = [+(m[2] ?? 0), +(m[3] ?? 0)];
  if (m[4]) {
    if (h < 1 || h > 12) return 'invalid';
    h = (h % 12) + (m[4] === 'p' ? 12 : 0);
  }
  return h < 24 && mi < 60 && s < 60 ? { h, mi, s } : 'invalid';
}

/** Split "DATE TIME", "DATE at TIME", "DATE, TIME", "DATETTIME" into its parts, trying each space from the right. */
function readReading(text: string, now: Date, timeZone: string): Reading | 'badTime' | undefined {
  if (text === 'now') return { kind: 'instant', at: now };
  const withOffset = parseIsoWithOffset(text.toUpperCase());
  if (withOffset) return { kind: 'instant', at: withOffset };
  const date = readDate(text, now, timeZone);
  if (date) return { kind: 'date', ...date };
  const alone = readTime(text);
  if (alone === 'invalid') return 'badTime';
  if (alone) return { kind: 'wall', ...readDate('today', now, timeZone)!, ...alone };
  const iso = /^(\d{4}-\d{1,2}-\d{1,2})t(.+)$/.exec(text);
  const cuts: [string, string][] = iso ? [[iso[1], iso[2]]] : [];
  for (let i = text.length - 1; i > 0; i--)
    if (text[i] === ' ')
      cuts.push([
        text
          .slice(0, i)
          .replace(/(,|\s+at)$/, '')
          .trim(),
        text.slice(i + 1),
      ]);
  for (const [datePart, timePart] of cuts) {
    const d = readDate(datePart, now, timeZone);
    if (!d) continue;
    const t = readTime(timePart.trim());
    if (t === 'invalid') return 'badTime';
    if (t) return { kind: 'wall', ...d, ...t };
  }
  return undefined;
}

/** Examples for the hint of a refused date, in the zone it is read in. */
function whenHint(timeZone: string, dateOnly = false): string {
  return dateOnly
    ? 'For example 2026-11-03, 11/3/2026, Nov 3 2026, today or yesterday.'
    : `For example 2026-11-03, 11/3/2026, "2026-11-03 16:45", 4:45pm, "yesterday 5pm", now (read in ${timeZone}), or 2026-11-03T16:45:00-08:00.`;
}

function read(v: string, o: WhenOptions, dateOnly: boolean): Reading {
  const text = v.trim().toLowerCase().replace(/\s+/g, ' ');
  const r = readReading(text, o.now, o.timeZone);
  const what = dateOnly ? 'a date' : 'a date or time';
  if (r === 'badTime')
    throw new CustodyError(
      'usage',
      `${o.flag} ${JSON.stringify(v)} is not ${what}: no such time of day.`,
      whenHint(o.timeZone, dateOnly),
    );
  if (!r)
    throw new CustodyError('usage', `${o.flag} ${JSON.stringify(v)} is not ${what}.`, whenHint(o.timeZone, dateOnly));
  if (r.kind !== 'instant') {
    let why = impossibleDate(r.y, r.mo, r.d);
    if (why && text.includes('/')) why += ' (read as month/day/year)';
    if (why)
      throw new CustodyError(
        'usage',
        `${o.flag} ${JSON.stringify(v)} is not a date: ${why}.`,
        whenHint(o.timeZone, dateOnly),
      );
  }
  return r;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * The one reader of moments given on the command line or at a prompt, as people type them:
 * `2026-10-20`, `10/20/2026`, `Oct 20 2026` (the start of that day, or its end with `endOfDay`),
 * `2026-10-20 16:45`, `10/20/2026 4:45pm`, `4:45pm`, `5pm`, `16:45` (today), `today 16:45`,
 * `yesterday` (that day), `yesterday 5pm`, `now`, or ISO-8601 with an offset (kept as that
 * instant). Anything without an offset is read in the home's time zone. Impossible dates
 * (`2026-11-31`) and times (`13pm`) are refused (exit 2). Returns ISO-8601 with the home's offset,
 * or the text as typed when it carried its own offset.
 */
export function parseWhen(v: string, o: WhenOptions): string {
  const r = read(v, o, false);
  if (r.kind === 'instant') {
    const typed = v.trim().toUpperCase();
    return parseIsoWithOffset(typed) ? typed : isoInZone(r.at, o.timeZone);
  }
  const instant =
    r.kind === 'date'
      ? o.endOfDay
        ? wallTimeToInstant(r.y, r.mo, r.d, 23, 59, 59, 999, o.timeZone)
        : wallTimeToInstant(r.y, r.mo, r.d, 0, 0, 0, 0, o.timeZone)
      : wallTimeToInstant(r.y, r.mo, r.d, r.h, r.mi, r.s, 0, o.timeZone);
  const iso = isoInZone(instant, o.timeZone);
  // A wall-clock time the clocks skipped (2:30 AM the night they go forward) names no moment: it is
  // refused rather than read as another hour.
  if (r.kind === 'wall') {
    const day = `${r.y}-${pad(r.mo)}-${pad(r.d)}`;
    if (iso.slice(0, 19) !== `${day}T${pad(r.h)}:${pad(r.mi)}:${pad(r.s)}`)
      throw new CustodyError(
        'usage',
        `${o.flag} ${JSON.stringify(v)}: ${clockTime(r.h, r.mi)} does not exist on ${day} in ${o.timeZone} (the clocks were put forward that night).`,
        `Give the time as the clocks then read (an hour later), or with its offset, e.g. ${day}T${pad(r.h + 1)}:${pad(r.mi)}:00${isoInZone(new Date(instant.getTime() + 7_200_000), o.timeZone).slice(-6)}.`,
      );
  }
  return iso;
}

/**
 * A calendar date (`YYYY-MM-DD`), read from the same forms as `parseWhen` without a time:
 * `2026-10-20`, `10/20/2026`, `Oct 20 2026`, `today`, `yesterday`, `tomorrow`. Impossible dates refused.
 */
export function parseDate(v: string, o: Omit<WhenOptions, 'endOfDay'>): string {
  const r = read(v, o, true);
  if (r.kind !== 'date')
    throw new CustodyError(
      'usage',
      `${o.flag} ${JSON.stringify(v)} is a time; give a date.`,
      whenHint(o.timeZone, true),
    );
  return `${r.y}-${pad(r.mo)}-${pad(r.d)}`;
}

/** True when the text names a whole day (a date without a time), as `parseDate` reads it. */
export function isDateOnly(v: string, o: Omit<WhenOptions, 'endOfDay' | 'flag'>): boolean {
  const r = readReading(v.trim().toLowerCase().replace(/\s+/g, ' '), o.now, o.timeZone);
  return typeof r === 'object' && r.kind === 'date';
}

/** 4:45 PM: a wall-clock time as people in the US write it. */
function clockTime(h: number, mi: number): string {
  return `${h % 12 === 0 ? 12 : h % 12}:${pad(mi)} ${h < 12 ? 'AM' : 'PM'}`;
}

/**
 * A moment as people write it, for a prompt's default and for messages: `today 4:45 PM`,
 * `yesterday 9:05 AM`, or `2026-11-28 4:45 PM`, in the home's time zone. `parseWhen` reads
 * every form back (to the minute).
 */
export function formatWhen(d: Date, timeZone: string, now: Date): string {
  const iso = isoInZone(d, timeZone);
  const day = iso.slice(0, 10);
  const time = clockTime(Number(iso.slice(11, 13)), Number(iso.slice(14, 16)));
  if (day === localDate(now, timeZone)) return `today ${time}`;
  if (day === readDateIso('yesterday', now, timeZone)) return `yesterday ${time}`;
  return `${day} ${time}`;
}

function readDateIso(word: string, now: Date, timeZone: string): string {
  const r = readDate(word, now, timeZone)!;
  return `${r.y}-${pad(r.mo)}-${pad(r.d)}`;
}

/** A moment in the home's time zone for a message: `2026-11-28 4:45 PM PST`. */
export function formatLocal(d: Date, timeZone: string): string {
  const iso = isoInZone(d, timeZone);
  const zone =
    new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' })
      .formatToParts(d)
      .find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
  return `${iso.slice(0, 10)} ${clockTime(Number(iso.slice(11, 13)), Number(iso.slice(14, 16)))} ${zone}`;
}
