/**
 * The date of recordation (policy §8: retention runs 60 days from it) of one camera file.
 * Pure: the clock, the file's time and the home's time zone are passed in.
 *
 * Nothing is dropped: a file whose time is missing, in the future or older than its camera is
 * still imported, with a flag that `health` and `import` report.
 */
import { isoInZone, parseIsoWithOffset, zoneOffsetMinutes } from './time.js';

export type CaptureTimeFlag =
  /** No usable capture time in the file; the file's modification time is used instead. */
  | 'no-capture-time'
  /** Later than `now` (plus `FUTURE_TOLERANCE_MS`): the camera's clock is wrong. */
  | 'future'
  /** Before the camera was installed (`cameraSince`, less `CAMERA_SINCE_TOLERANCE_MS`). */
  | 'before-camera'
  /** Not a time a working camera writes: before 2001 (reset clocks say 1970 or 2000) or over a year ahead. */
  | 'absurd';

export interface CaptureTimeInput {
  /** From `readCaptureMeta`: ISO with offset, or a wall-clock time without one. */
  captureTime: string | null;
  captureOffsetKnown: boolean;
}

export interface CaptureTimeContext {
  /** The file's modification time on the drive, the fallback. */
  fileMtime: Date;
  now: Date;
  /** When the camera was installed or enrolled, if known. */
  cameraSince?: Date;
  /** The home's IANA time zone; a capture time without an offset is wall-clock time there. */
  timeZone: string;
}

export interface CaptureTimeJudgement {
  /** ISO-8601 with the offset of the home's time zone. */
  recordedAt: string;
  source: 'exif' | 'file-time';
  flags: CaptureTimeFlag[];
}

/** Clock skew between a camera and the import machine that is not worth a flag. */
export const FUTURE_TOLERANCE_MS = 10 * 60_000;
/** A camera is often set up and tested the day before it is enrolled. */
export const CAMERA_SINCE_TOLERANCE_MS = 24 * 3_600_000;
/** Cameras whose clock battery died restart at 1970-01-01 or 2000-01-01. */
const ABSURD_BEFORE = Date.UTC(2001, 0, 1);
const ABSURD_AHEAD_MS = 366 * 86_400_000;

const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/;

/**
 * The instant at which the wall clock in `timeZone` showed `wall` (`YYYY-MM-DDTHH:MM:SS[.fff]`).
 * In the hour skipped by a spring-forward the earlier offset is used (the clock had not yet
 * been moved); in the repeated autumn hour, the first occurrence. Undefined if not a time.
 */
export function wallTimeInZone(wall: string, timeZone: string): Date | undefined {
  const m = WALL.exec(wall);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(asUtc);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  // The offsets in force a day either side bracket every transition; try both, prefer the
  // one that reproduces the wall time, and among those the earlier instant.
  const offsets = new Set([
    zoneOffsetMinutes(new Date(asUtc - 86_400_000), timeZone),
    zoneOffsetMinutes(new Date(asUtc), timeZone),
    zoneOffsetMinutes(new Date(asUtc + 86_400_000), timeZone),
  ]);
  const exact: number[] = [];
  for (const off of offsets) {
    const t = asUtc - off * 60_000;
    if (zoneOffsetMinutes(new Date(t), timeZone) === off) exact.push(t);
  }
  if (exact.length > 0) return new Date(Math.min(...exact));
  // A skipped wall time: read it with the offset before the jump.
  return new Date(asUtc - zoneOffsetMinutes(new Date(asUtc - 86_400_000), timeZone) * 60_000);
}

/** Parse `meta.captureTime` to an instant, or undefined when it is missing or not a time. */
export function captureInstant(meta: CaptureTimeInput, timeZone: string): Date | undefined {
  if (!meta.captureTime) return undefined;
  if (meta.captureOffsetKnown) return parseIsoWithOffset(meta.captureTime);
  return wallTimeInZone(meta.captureTime, timeZone);
}

/** Decide the date of recordation of one file and flag what looks wrong about it. */
export function judgeCaptureTime(meta: CaptureTimeInput, ctx: CaptureTimeContext): CaptureTimeJudgement {
  const flags: CaptureTimeFlag[] = [];
  let at = captureInstant(meta, ctx.timeZone);
  let source: CaptureTimeJudgement['source'] = 'exif';
  if (!at) {
    at = ctx.fileMtime;
    source = 'file-time';
    flags.push('no-capture-time');
  }
  const t = at.getTime();
  const now = ctx.now.getTime();
  if (t > now + FUTURE_TOLERANCE_MS) flags.push('future');
  if (ctx.cameraSince && t < ctx.cameraSince.getTime() - CAMERA_SINCE_TOLERANCE_MS) flags.push('before-camera');
  if (t < ABSURD_BEFORE || t > now + ABSURD_AHEAD_MS) flags.push('absurd');
  return { recordedAt: isoInZone(at, ctx.timeZone), source, flags };
}
