/**
 * Every flag that more than one command takes is declared here, once: its name, its argument and
 * how its value is read. A command adds it with its own help sentence
 * (`.addOption(flags.camera('only this camera'))`), so the spelling and the parsing cannot drift.
 * Dates are parsed after log-in, by `whenFlag` / `dateFlag` (core/time.ts), in the home's time zone.
 */
import { type Command, Option } from 'commander';
import { CustodyError } from '../core/errors.js';
import { type Clock, isDateOnly, parseDate, parseWhen } from '../core/time.js';
import { type OutputMode, outputModeOf } from '../ledger/fsutil.js';

function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!(Number.isInteger(n) && n > 0)) throw new CustodyError('usage', `${flag} must be a positive whole number.`);
    return n;
  };
}

/** `--mode 640`: an octal file mode the owner can read and write, with no execute or special bits. */
function fileMode(v: string): OutputMode {
  const n = /^0?[0-7]{3}$/.test(v) ? Number.parseInt(v, 8) : Number.NaN;
  if (!(n >= 0 && (n & 0o600) === 0o600 && (n & 0o111) === 0))
    throw new CustodyError(
      'usage',
      `--mode ${v} is not a file mode custody writes: three octal digits, readable and writable by you, never executable (e.g. 600, 640, 644).`,
    );
  return outputModeOf(n);
}

export const flags = {
  camera: (description = 'the camera') => new Option('--camera <id>', description),
  drive: (description = 'the drive') => new Option('--drive <id>', description),
  request: (description = 'the request') => new Option('--request <id>', description),
  caseNumber: (description = 'the case number') => new Option('--case <number>', description),
  purpose: (description = 'an official purpose from the settings (policy §1)') =>
    new Option('--purpose <text>', description),
  reason: (description = 'why') => new Option('--reason <text>', description),
  note: (description = 'a note') => new Option('--note <text>', description),
  /** Where a drive is mounted. */
  source: (description = 'where the drive is mounted') => new Option('--source <path>', description),
  location: (description = 'where it is') => new Option('--location <text>', description),
  enrol: (description = 'enrol the drive if it is unknown') => new Option('--enrol', description),
  verify: (description = '"source": also re-read each file from the drive and compare') =>
    new Option('--verify <what>', description),
  storeLocation: (description = 'where the drive is kept now, e.g. "safe, room 102"') =>
    new Option('--store-location <text>', description),
  replacement: (description = 'the drive that went into the camera in its place') =>
    new Option('--replacement <id>', description),
  noReplacement: (description = 'no drive went into the camera') => new Option('--no-replacement', description),
  yes: (description = 'do it without asking') => new Option('--yes', description),
  /** A moment: when something happened (default: now). */
  at: (description = 'when (default: now)') => new Option('--at <when>', description),
  /** The start of a range: a date means its first moment. */
  from: (description = 'the start (a date, a date and time, or ISO-8601)') => new Option('--from <when>', description),
  /** The end of a range: a date means its last moment. */
  to: (description = 'the end (a date means the whole day)') => new Option('--to <when>', description),
  /** A calendar date (2026-11-03, 11/3/2026, today…), read with `dateFlag`. */
  date: (description = 'the date') => new Option('--date <date>', description),
  /** An operator's username (a filter: only what this operator did). */
  operator: (description = 'only this operator') => new Option('--operator <username>', description),
  /** The start of a filter on time: a date means its first moment. */
  since: (description = 'from this date or time') => new Option('--since <when>', description),
  /** The end of a filter on time: a date means its last moment. */
  until: (description = 'up to this date or time (a date means the whole day)') =>
    new Option('--until <when>', description),
  outDir: (description = 'the folder to write into') => new Option('--out <dir>', description),
  outFile: (description = 'the file to write (must not exist)') => new Option('--out <file>', description),
  limit: (description = 'at most this many', fallback?: number) => {
    const o = new Option('--limit <n>', description).argParser(positiveInt('--limit'));
    return fallback === undefined ? o : o.default(fallback);
  },
  /**
   * The permissions of what a command writes to take away (bags, receipts, certificates, reports):
   * 600 (only you; folders 700) unless given, e.g. `--mode 640` (folders 750).
   */
  mode: (description = 'permissions of the files written, in octal (default 600: only you; folders get 700)') =>
    new Option('--mode <octal>', description).argParser(fileMode),
  /** A written request or letter, kept in the home under its SHA-256. */
  document: (description = 'the written request (attached by its SHA-256)') =>
    new Option('--document <file>', description),
  documentRef: (description = 'or its reference, e.g. a records-system number') =>
    new Option('--document-ref <text>', description),
};

/**
 * Where and when a date flag is read: the home's time zone and its clock (a `Session` is one), so
 * `2026-11-03 16:45`, `5pm` or `yesterday` mean the home's wall clock, and `now` its clock.
 */
export interface WhenHome {
  settings: { timeZone: string };
  clock: Clock;
}

function whenOptions(home: WhenHome, flag: string) {
  return { flag, timeZone: home.settings.timeZone, now: home.clock() };
}

/**
 * A date flag read in the home's time zone (`parseWhen`): undefined stays undefined. Use
 * `endOfDay` for the end of a range, so `--to 2026-11-03` includes that whole day.
 */
export function whenFlag(value: string, flag: string, home: WhenHome, endOfDay?: boolean): string;
export function whenFlag(
  value: string | undefined,
  flag: string,
  home: WhenHome,
  endOfDay?: boolean,
): string | undefined;
export function whenFlag(
  value: string | undefined,
  flag: string,
  home: WhenHome,
  endOfDay = false,
): string | undefined {
  return value === undefined ? undefined : parseWhen(value, { ...whenOptions(home, flag), endOfDay });
}

/** The refusal of a range whose start is after its end (exit 2, before anything is done or audited). */
export function checkRange(
  from: string | undefined,
  to: string | undefined,
  names: [string, string],
  typed: [string | undefined, string | undefined],
): void {
  if (from && to && Date.parse(from) > Date.parse(to))
    throw new CustodyError(
      'usage',
      `${names[0]} ${typed[0]} is after ${names[1]} ${typed[1]}.`,
      `Give the earlier one as ${names[0]}.`,
    );
}

/** A range of two date flags, checked: the start is not after the end. */
export function rangeFlags(
  o: { from?: string; to?: string },
  home: WhenHome,
  names: [string, string] = ['--from', '--to'],
): { from?: string; to?: string } {
  const from = whenFlag(o.from, names[0], home);
  const to = whenFlag(o.to, names[1], home, true);
  checkRange(from, to, names, [o.from, o.to]);
  return { from, to };
}

/**
 * A flag documented as a calendar date: `2026-11-03`, `11/3/2026`, `Nov 3 2026`, `today`,
 * `yesterday` (`parseDate`, impossible dates refused), kept as `YYYY-MM-DD`.
 */
export function dateFlag(value: string, flag: string, home: WhenHome): string;
export function dateFlag(value: string | undefined, flag: string, home: WhenHome): string | undefined;
export function dateFlag(value: string | undefined, flag: string, home: WhenHome): string | undefined {
  return value === undefined ? undefined : parseDate(value, whenOptions(home, flag));
}

/** Two calendar-date flags, checked: the first is not after the second. */
export function dateRangeFlags(
  o: { from?: string; to?: string },
  home: WhenHome,
  names: [string, string] = ['--from', '--to'],
): { from?: string; to?: string } {
  const from = dateFlag(o.from, names[0], home);
  const to = dateFlag(o.to, names[1], home);
  if (from && to && from > to)
    throw new CustodyError(
      'usage',
      `${names[0]} ${o.from} is after ${names[1]} ${o.to}.`,
      `Give the earlier one as ${names[0]}.`,
    );
  return { from, to };
}

/**
 * A flag that takes a calendar date (kept as the date, as `dateFlag`) or a moment (read by
 * `whenFlag` in the home's time zone), for records that may know only the day.
 */
export function dateOrWhenFlag(value: string, flag: string, home: WhenHome): string;
export function dateOrWhenFlag(value: string | undefined, flag: string, home: WhenHome): string | undefined;
export function dateOrWhenFlag(value: string | undefined, flag: string, home: WhenHome): string | undefined {
  if (value === undefined) return undefined;
  const o = whenOptions(home, flag);
  return isDateOnly(value, o) ? parseDate(value, o) : parseWhen(value, o);
}

/** The flags of every search, view and export of images: a purpose and a case or request (policy §1). */
export interface AccessReasonOptions {
  purpose?: string;
  case?: string;
  request?: string;
}

export function accessReasonFlags(c: Command): Command {
  return c
    .addOption(flags.purpose('the official purpose (one of the city’s list; required)'))
    .addOption(flags.caseNumber('the case number (this or --request is required)'))
    .addOption(flags.request('the request id (this or --case is required)'));
}

/** The reason as the access record takes it (checked there: Civil Code 1798.90.52). */
export function accessReason(o: AccessReasonOptions): { purpose?: string; caseRef?: string; requestId?: string } {
  return { purpose: o.purpose, caseRef: o.case, requestId: o.request };
}
