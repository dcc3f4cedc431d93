/**
 * Capture metadata (the date of recordation, policy §8) from a camera file.
 *
 * Two readers with one result shape:
 * - `readCaptureMeta(buf)`: exifr, in-process, on the first ~128 KB of a JPEG/TIFF/HEIC.
 *   This is the fast path used during an import (thousands of files per swap).
 * - `readCaptureMetaExiftool(path)`: the real exiftool, for what exifr cannot read
 *   (MP4/MOV/AVI clips, maker notes, odd vendors).
 *
 * Dates are read as the raw EXIF strings, never revived into `Date`s: a revived date would be
 * interpreted in the time zone of the machine running the import, and the camera's
 * wall-clock time belongs to the camera's zone. `judgeCaptureTime` (src/core/capture-time.ts)
 * decides what instant it means.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import exifr from 'exifr';
import { ExifTool } from 'exiftool-vendored';

export type CaptureProblem =
  /** The file has no EXIF/TIFF metadata block at all. */
  | 'no-exif'
  /** The metadata is there but could not be parsed (corrupt, truncated, unknown format). */
  | 'unreadable-exif'
  /** Metadata present, but no DateTimeOriginal / CreateDate. */
  | 'no-capture-time'
  /** A capture date that is not a calendar date and time (e.g. `0000:00:00 00:00:00`). */
  | 'unparseable-date'
  /** An OffsetTimeOriginal that is not `±HH:MM`; the time is kept, the offset ignored. */
  | 'bad-offset'
  /** GPS tags present but not a usable position. */
  | 'bad-gps';

export interface CaptureMeta {
  /**
   * The capture time as ISO-8601: with the offset (`2026-11-26T04:42:27-08:00`) when the file
   * records one (OffsetTimeOriginal), else the camera's wall-clock time without an offset
   * (`2026-11-26T04:42:27`) and `captureOffsetKnown: false`. Sub-seconds when recorded.
   */
  captureTime: string | null;
  captureOffsetKnown: boolean;
  make?: string;
  model?: string;
  serial?: string;
  gps?: { lat: number; lon: number };
  problems: CaptureProblem[];
}

/** Bytes of a file's head that hold the EXIF of any camera JPEG (APP1 is at most 64 KB). */
export const EXIF_HEAD_BYTES = 128 * 1024;

/** The tags both readers hand to `captureMetaFromTags`, with their EXIF names. */
export interface RawCaptureTags {
  DateTimeOriginal?: unknown;
  OffsetTimeOriginal?: unknown;
  SubSecTimeOriginal?: unknown;
  CreateDate?: unknown;
  OffsetTimeDigitized?: unknown;
  SubSecTimeDigitized?: unknown;
  /** A QuickTime/ISO-BMFF creation date, which the format defines as UTC. */
  QuickTimeCreateDate?: unknown;
  Make?: unknown;
  Model?: unknown;
  SerialNumber?: unknown;
  GPSLatitude?: unknown;
  GPSLatitudeRef?: unknown;
  GPSLongitude?: unknown;
  GPSLongitudeRef?: unknown;
}

function text(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return undefined;
  // EXIF ASCII fields are NUL-padded by some cameras; untrusted, so strip control characters.
  // eslint-disable-next-line no-control-regex
  const s = v.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return s.length > 0 ? s.slice(0, 256) : undefined;
}

const EXIF_DATE = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})?$/;

interface WallTime {
  /** `YYYY-MM-DDTHH:MM:SS[.fff]` */
  local: string;
  /** An offset written inside the date string itself (some vendors do), normalised `±HH:MM`. */
  inlineOffset?: string;
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** Parse an EXIF `YYYY:MM:DD HH:MM:SS` date; undefined for anything that is not a real time. */
export function parseExifDate(raw: string, subSec?: string): WallTime | undefined {
  const m = EXIF_DATE.exec(raw.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  let frac = m[7] ?? (subSec && /^\d{1,9}$/.test(subSec) ? subSec : undefined);
  frac = frac ? `.${frac.padEnd(3, '0').slice(0, 3)}` : '';
  const local = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${frac}`;
  const off = m[8] ? normaliseOffset(m[8]) : undefined;
  return { local, inlineOffset: off };
}

/** `+0530`, `+05:30`, `Z` → `+05:30`/`+00:00`; undefined if not an offset a clock can have. */
export function normaliseOffset(raw: string): string | undefined {
  const s = raw.trim();
  if (s === 'Z') return '+00:00';
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(s);
  if (!m) return undefined;
  const hh = Number(m[2]);
  const mm = Number(m[3]);
  if (hh > 14 || mm > 59) return undefined;
  return `${m[1]}${m[2]}:${m[3]}`;
}

function gpsCoordinate(v: unknown, ref: unknown, negRef: string): number | undefined {
  let deg: number | undefined;
  if (typeof v === 'number') deg = v;
  else if (Array.isArray(v) && v.length >= 1 && v.every((x) => typeof x === 'number')) {
    const [d = 0, m = 0, s = 0] = v as number[];
    deg = d + m / 60 + s / 3600;
  } else if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) deg = Number(v);
  if (deg === undefined || !Number.isFinite(deg)) return undefined;
  const r = text(ref);
  if (r?.toUpperCase().startsWith(negRef)) deg = -Math.abs(deg);
  return deg;
}

/**
 * Pure: turn the raw tags of either reader into a `CaptureMeta`. `hasMetadata` is false when
 * the file carried no metadata block at all.
 */
export function captureMetaFromTags(tags: RawCaptureTags | undefined, hasMetadata = tags !== undefined): CaptureMeta {
  const problems: CaptureProblem[] = [];
  if (!hasMetadata || !tags)
    return { captureTime: null, captureOffsetKnown: false, problems: ['no-exif', 'no-capture-time'] };

  let captureTime: string | null = null;
  let captureOffsetKnown = false;
  // DateTimeOriginal is the moment of capture; CreateDate (DateTimeDigitized) is the same on
  // every camera that does not scan film; QuickTime's creation date is UTC by definition.
  const candidates: Array<{ date: unknown; offset?: unknown; sub?: unknown; utc?: boolean }> = [
    { date: tags.DateTimeOriginal, offset: tags.OffsetTimeOriginal, sub: tags.SubSecTimeOriginal },
    { date: tags.CreateDate, offset: tags.OffsetTimeDigitized, sub: tags.SubSecTimeDigitized },
    { date: tags.QuickTimeCreateDate, utc: true },
  ];
  let sawDate = false;
  for (const c of candidates) {
    const raw = text(c.date);
    if (!raw) continue;
    sawDate = true;
    const wall = parseExifDate(raw, text(c.sub));
    if (!wall) continue;
    let offset = wall.inlineOffset;
    const rawOffset = text(c.offset);
    if (!offset && rawOffset) {
      offset = normaliseOffset(rawOffset);
      if (!offset) problems.push('bad-offset');
    }
    if (!offset && c.utc) offset = '+00:00';
    captureTime = offset ? `${wall.local}${offset}` : wall.local;
    captureOffsetKnown = offset !== undefined;
    break;
  }
  if (captureTime === null) problems.push(sawDate ? 'unparseable-date' : 'no-capture-time');

  const meta = { captureTime, captureOffsetKnown } as CaptureMeta;
  const make = text(tags.Make);
  const model = text(tags.Model);
  const serial = text(tags.SerialNumber);
  if (make) meta.make = make;
  if (model) meta.model = model;
  if (serial) meta.serial = serial;
  if (tags.GPSLatitude !== undefined || tags.GPSLongitude !== undefined) {
    const lat = gpsCoordinate(tags.GPSLatitude, tags.GPSLatitudeRef, 'S');
    const lon = gpsCoordinate(tags.GPSLongitude, tags.GPSLongitudeRef, 'W');
    // 0,0 is what a camera without a fix writes.
    if (
      lat !== undefined &&
      lon !== undefined &&
      Math.abs(lat) <= 90 &&
      Math.abs(lon) <= 180 &&
      !(lat === 0 && lon === 0)
    ) {
      meta.gps = { lat, lon };
    } else problems.push('bad-gps');
  }
  meta.problems = problems;
  return meta;
}

const EXIFR_OPTIONS = {
  tiff: true,
  ifd0: {},
  exif: true,
  gps: true,
  ifd1: false,
  interop: false,
  xmp: false,
  icc: false,
  iptc: false,
  jfif: false,
  ihdr: false,
  makerNote: false,
  userComment: false,
  // Raw strings: see the module comment.
  reviveValues: false,
  translateValues: false,
  mergeOutput: true,
  sanitize: true,
} as const;

/**
 * Read capture metadata in-process with exifr from a file's bytes (the whole file or its first
 * `EXIF_HEAD_BYTES`). Never throws: a file without EXIF or with broken EXIF comes back with
 * `captureTime: null` and the reason in `problems`.
 */
export async function readCaptureMeta(buf: Buffer): Promise<CaptureMeta> {
  let tags: Record<string, unknown> | undefined;
  try {
    tags = (await exifr.parse(buf, EXIFR_OPTIONS as never)) as Record<string, unknown> | undefined;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // exifr says "Unknown file format" for files it has no parser for (e.g. BMP, GIF).
    const unknownFormat = /unknown file format/i.test(msg);
    return {
      captureTime: null,
      captureOffsetKnown: false,
      problems: unknownFormat ? ['no-exif', 'no-capture-time'] : ['unreadable-exif', 'no-capture-time'],
    };
  }
  if (!tags || Object.keys(tags).length === 0) return captureMetaFromTags(undefined, false);
  return captureMetaFromTags({
    DateTimeOriginal: tags.DateTimeOriginal,
    OffsetTimeOriginal: tags.OffsetTimeOriginal,
    SubSecTimeOriginal: tags.SubSecTimeOriginal,
    CreateDate: tags.CreateDate ?? tags.DateTimeDigitized,
    OffsetTimeDigitized: tags.OffsetTimeDigitized,
    SubSecTimeDigitized: tags.SubSecTimeDigitized,
    Make: tags.Make,
    Model: tags.Model,
    SerialNumber: tags.SerialNumber ?? tags.BodySerialNumber,
    GPSLatitude: tags.GPSLatitude,
    GPSLatitudeRef: tags.GPSLatitudeRef,
    GPSLongitude: tags.GPSLongitude,
    GPSLongitudeRef: tags.GPSLongitudeRef,
  });
}

/** The formats exifr reads capture metadata from (it has no WebP, GIF, BMP or video parser). */
const EXIFR_MIMES = new Set(['image/jpeg', 'image/tiff', 'image/png', 'image/heic', 'image/heif', 'image/avif']);

/**
 * Pure: after the fast path, is the real exiftool worth a try? Yes when no capture time was
 * found and either exifr cannot read the format (videos, WebP, GIF, BMP) or it choked on the
 * metadata (exiftool is more tolerant of damaged blocks). A JPEG that simply has no EXIF is
 * not worth a process round trip per file.
 */
export function shouldTryExiftool(mime: string, meta: CaptureMeta): boolean {
  if (meta.captureTime !== null) return false;
  return !EXIFR_MIMES.has(mime) || meta.problems.includes('unreadable-exif');
}

let shared: ExifTool | undefined;

/**
 * The process-wide exiftool, started on first use. Callers that start it must call
 * `endExiftool()` (the CLI does it in `finally`; tests in `afterAll`), or node never exits.
 */
export function sharedExiftool(): ExifTool {
  shared ??= new ExifTool({ maxProcs: 2, taskTimeoutMillis: 30_000 });
  return shared;
}

/** End the shared exiftool process. Idempotent; a later call to a reader starts a new one. */
export async function endExiftool(): Promise<void> {
  const et = shared;
  shared = undefined;
  if (et) await et.end();
}

function first(tags: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (tags[k] !== undefined && tags[k] !== '') return tags[k];
  return undefined;
}

/**
 * Read capture metadata with the real exiftool (videos, maker notes). `et` defaults to the
 * shared process. Never throws for a bad file: problems carry the reason. Throws only if
 * exiftool itself cannot run.
 */
export async function readCaptureMetaExiftool(
  path: string | Buffer,
  et: ExifTool = sharedExiftool(),
): Promise<CaptureMeta> {
  let tags: Record<string, unknown>;
  // exiftool-vendored hands arguments to exiftool one per line, so a name with a line break
  // (legal on a drive) would be cut in two, and a name that is not UTF-8 cannot be a string:
  // read such a file through a link with a safe name.
  let linkDir: string | undefined;
  let target = typeof path === 'string' ? path : '';
  if (typeof path !== 'string' || /[\r\n]/.test(path)) {
    linkDir = await fsp.mkdtemp(nodePath.join(os.tmpdir(), 'custody-exif-'));
    const name = typeof path === 'string' ? path : path.toString('latin1');
    const ext = nodePath.extname(name).replace(/[^A-Za-z0-9.]/g, '');
    target = nodePath.join(linkDir, `file${ext}`);
    await fsp.symlink(typeof path === 'string' ? nodePath.resolve(path) : path, target);
  }
  try {
    // -G: group names so an EXIF date is not confused with a QuickTime (UTC) one;
    // -n: GPS as signed decimal degrees; -fast: stop before the image data.
    tags = (await et.readRaw(target, { readArgs: ['-fast', '-G', '-n'] })) as Record<string, unknown>;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/ENOENT|not found|No such file/i.test(msg)) throw e;
    return { captureTime: null, captureOffsetKnown: false, problems: ['unreadable-exif', 'no-capture-time'] };
  } finally {
    if (linkDir) await fsp.rm(linkDir, { recursive: true, force: true });
  }
  const metaKeys = Object.keys(tags).filter((k) => /^(EXIF|QuickTime|XMP|MakerNotes|RIFF|Matroska|H264):/.test(k));
  if (metaKeys.length === 0) {
    const meta = captureMetaFromTags(undefined, false);
    if (tags.Error !== undefined || tags['ExifTool:Error'] !== undefined)
      meta.problems = ['unreadable-exif', 'no-capture-time'];
    return meta;
  }
  return captureMetaFromTags({
    DateTimeOriginal: first(
      tags,
      'EXIF:DateTimeOriginal',
      'XMP:DateTimeOriginal',
      'RIFF:DateTimeOriginal',
      'H264:DateTimeOriginal',
    ),
    OffsetTimeOriginal: first(tags, 'EXIF:OffsetTimeOriginal'),
    SubSecTimeOriginal: first(tags, 'EXIF:SubSecTimeOriginal'),
    CreateDate: first(tags, 'EXIF:CreateDate', 'XMP:CreateDate'),
    OffsetTimeDigitized: first(tags, 'EXIF:OffsetTimeDigitized'),
    SubSecTimeDigitized: first(tags, 'EXIF:SubSecTimeDigitized'),
    QuickTimeCreateDate: first(tags, 'QuickTime:CreateDate', 'QuickTime:MediaCreateDate', 'Matroska:DateTimeOriginal'),
    Make: first(tags, 'EXIF:Make', 'QuickTime:Make', 'XMP:Make'),
    Model: first(tags, 'EXIF:Model', 'QuickTime:Model', 'XMP:Model'),
    SerialNumber: first(
      tags,
      'EXIF:SerialNumber',
      'MakerNotes:SerialNumber',
      'MakerNotes:InternalSerialNumber',
      'XMP:SerialNumber',
    ),
    GPSLatitude: first(tags, 'Composite:GPSLatitude', 'EXIF:GPSLatitude'),
    GPSLongitude: first(tags, 'Composite:GPSLongitude', 'EXIF:GPSLongitude'),
    GPSLatitudeRef: tags['Composite:GPSLatitude'] !== undefined ? undefined : first(tags, 'EXIF:GPSLatitudeRef'),
    GPSLongitudeRef: tags['Composite:GPSLongitude'] !== undefined ? undefined : first(tags, 'EXIF:GPSLongitudeRef'),
  });
}
