/**
 * Synthetic camera drives for tests and the demo: JPEG frames of synthetic scenes with
 * synthetic plates (tools/synth.ts; no real plate ever enters the repository), EXIF written
 * by the real exiftool, capture times in a realistic sequence (busy days, quiet nights, short
 * bursts), laid out as a camera does (`DCIM/100CAM/IMG_0001.JPG`).
 *
 * Deterministic from the seed: the same options give the same bytes, so a manifest of
 * SHA-256 sums can be committed (STYLE §9, fixtures carry provenance).
 *
 * With `awkward: true` the drive also holds the files an import must survive, each with the
 * answer a correct import gives, in the manifest.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import sharp from 'sharp';
import { isoInZone, localDate, DAY_MS } from '../src/core/time.js';
import { wallTimeInZone, type CaptureTimeFlag } from '../src/core/capture-time.js';
import { makeRng, randomPlateText, renderScene, type Rng } from './synth.js';
import { DRIVE_ID_FILE, writeDriveIdFile, type DriveIdInfo } from '../src/media/drives.js';

export interface FixtureCamera {
  make: string;
  model: string;
  serial: string;
  /** Written as EXIF GPS when given. */
  gps?: { lat: number; lon: number };
}

export interface FixtureDriveOptions {
  seed: number;
  camera: FixtureCamera;
  /** The first day of recording (its calendar date in `timeZone` is used). */
  start: Date;
  /** How many calendar days of recording. */
  days: number;
  /** Frames per day (bursts included). */
  perDay: number;
  /** The camera's (and the home's) IANA time zone. */
  timeZone: string;
  /** Add the awkward files (see the module comment). @default false */
  awkward?: boolean;
  /**
   * Largest size of one frame in bytes: frames are rendered at 640×360 and the JPEG quality
   * lowered until they fit. @default undefined — 1280×720 at quality 85
   */
  imageBytes?: number;
  /**
   * Draw only this many distinct scenes and reuse them (each copy still gets its own EXIF, so
   * its own bytes and hash): for large drives in scale tests, where drawing is the slow part.
   * @default undefined — every frame drawn
   */
  distinctFrames?: number;
  /** Also write the drive id file, as for an enrolled drive. */
  driveId?: DriveIdInfo;
  /**
   * Where the manifest is written. @default `fixture-manifest.json` beside `dir` (outside
   * the drive, so an import never sees it)
   */
  manifestPath?: string;
  /** An exiftool to use; by default one is started and ended here. */
  exiftool?: ExifTool;
}

/** Flags a correct import reports for a file; judgeCaptureTime's plus the file-level ones. */
export type FixtureFlag = CaptureTimeFlag | 'not-media' | 'empty' | 'truncated' | 'os-name';

export interface FixtureFile {
  /** `/`-separated, as `walkDrive` reports it. */
  relPath: string;
  sha256: string;
  size: number;
  /** What `sniffMedia` says, `null` for a file that is not media. */
  kind: 'image' | 'video' | null;
  /** With the manifest's `assumedNow`, what `judgeCaptureTime` + the import flag. */
  expectedFlags: FixtureFlag[];
  /** The EXIF capture time as ISO with offset, when the file has one. */
  captureTime?: string;
  /** The plate drawn in the frame (synthetic). */
  plate?: string;
  /** The file's modification time as set on the drive (ISO, UTC). */
  mtime: string;
}

export interface FixtureManifest {
  version: 1;
  seed: number;
  camera: FixtureCamera;
  timeZone: string;
  /** The `now` for which `expectedFlags` hold: the end of the recording period. */
  assumedNow: string;
  /** Every file `walkDrive` yields, in its order. */
  files: FixtureFile[];
  /** Files on the drive that `walkDrive` must skip (OS litter, the id file). */
  ignored: string[];
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `YYYY-MM-DD` plus `n` calendar days. */
function addCalendarDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T12:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** `2026:11:20 07:15:02` and `-08:00` for instant `d` in `timeZone`. */
export function exifDateParts(d: Date, timeZone: string): { date: string; offset: string } {
  const iso = isoInZone(d, timeZone); // 2026-11-20T07:15:02.000-08:00
  return { date: `${iso.slice(0, 10).replace(/-/g, ':')} ${iso.slice(11, 19)}`, offset: iso.slice(23) };
}

/**
 * The capture instants of one camera: `perDay` frames per local day, mostly between 06:00 and
 * 22:00, few at night, some in bursts of 2–3 frames a second apart (a car passing).
 */
export function captureSequence(rng: Rng, start: Date, days: number, perDay: number, timeZone: string): Date[] {
  // Relative traffic by hour of the day: quiet nights, two rush hours.
  const weights = [1, 0.5, 0.3, 0.3, 0.5, 2, 6, 10, 12, 9, 8, 8, 9, 8, 8, 9, 11, 12, 10, 7, 5, 4, 3, 2];
  const total = weights.reduce((a, b) => a + b, 0);
  const firstDay = localDate(start, timeZone);
  const out: Date[] = [];
  for (let day = 0; day < days; day++) {
    const date = addCalendarDays(firstDay, day);
    const times = new Set<number>();
    let guard = 0;
    while (times.size < perDay && guard++ < perDay * 20) {
      let r = rng() * total;
      let hour = 0;
      while (hour < 23 && r >= weights[hour]!) r -= weights[hour++]!;
      const sec = hour * 3600 + Math.floor(rng() * 3600);
      const burst = rng() < 0.3 ? 2 + Math.floor(rng() * 2) : 1;
      for (let b = 0; b < burst && times.size < perDay; b++) {
        const s = Math.min(sec + b, 86_399);
        const wall = `${date}T${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
        const t = wallTimeInZone(wall, timeZone);
        if (t) times.add(t.getTime());
      }
    }
    out.push(...[...times].sort((a, b) => a - b).map((t) => new Date(t)));
  }
  return out;
}

/**
 * A minimal valid ISO-BMFF (MP4) file: `ftyp`, `moov` with an `mvhd` holding the creation
 * time, and an empty `mdat`. Enough for sniffing and for exiftool's QuickTime:CreateDate.
 */
export function minimalMp4(creation: Date, durationSeconds = 2): Buffer {
  const box = (type: string, ...payload: Buffer[]) => {
    const body = Buffer.concat(payload);
    const head = Buffer.alloc(8);
    head.writeUInt32BE(8 + body.length, 0);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, body]);
  };
  const ftyp = box(
    'ftyp',
    Buffer.from('isom', 'latin1'),
    Buffer.from([0, 0, 2, 0]),
    Buffer.from('isomiso2avc1mp41', 'latin1'),
  );
  // QuickTime times are seconds since 1904-01-01T00:00:00Z.
  const qt = Math.floor((creation.getTime() - Date.UTC(1904, 0, 1)) / 1000);
  const mvhd = Buffer.alloc(100);
  let o = 0;
  mvhd.writeUInt32BE(0, o);
  o += 4; // version 0, flags
  mvhd.writeUInt32BE(qt, o);
  o += 4; // creation_time
  mvhd.writeUInt32BE(qt, o);
  o += 4; // modification_time
  mvhd.writeUInt32BE(1000, o);
  o += 4; // timescale
  mvhd.writeUInt32BE(durationSeconds * 1000, o);
  o += 4; // duration
  mvhd.writeUInt32BE(0x00010000, o);
  o += 4; // rate 1.0
  mvhd.writeUInt16BE(0x0100, o);
  o += 2; // volume 1.0
  o += 10; // reserved
  for (const v of [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000]) {
    mvhd.writeUInt32BE(v, o);
    o += 4;
  } // unity matrix
  o += 24; // pre_defined
  mvhd.writeUInt32BE(1, o); // next_track_ID
  return Buffer.concat([ftyp, box('moov', box('mvhd', mvhd)), box('mdat')]);
}

async function renderJpeg(
  plate: string,
  seed: number,
  imageBytes: number | undefined,
  night: boolean,
): Promise<Buffer> {
  if (!imageBytes) return (await renderScene(plate, { seed, quality: 85, night })).image;
  // Leave room for the EXIF exiftool adds (well under 2 KB).
  const budget = imageBytes - 2048;
  let last: Buffer | undefined;
  for (const quality of [80, 70, 60, 50, 40, 30, 20]) {
    last = (await renderScene(plate, { seed, width: 640, height: 360, quality, night })).image;
    if (last.length <= budget) return last;
  }
  return sharp(last!).resize(480, 270).jpeg({ quality: 30 }).toBuffer();
}

function exifTags(camera: FixtureCamera, at: Date, timeZone: string): Record<string, unknown> {
  const { date, offset } = exifDateParts(at, timeZone);
  const tags: Record<string, unknown> = {
    DateTimeOriginal: date,
    OffsetTimeOriginal: offset,
    CreateDate: date,
    OffsetTimeDigitized: offset,
    Make: camera.make,
    Model: camera.model,
    SerialNumber: camera.serial,
  };
  if (camera.gps) {
    // Signed degrees: exiftool-vendored writes the N/S and E/W refs from the signs (and
    // overrides any ref given alongside).
    tags.GPSLatitude = camera.gps.lat;
    tags.GPSLongitude = camera.gps.lon;
  }
  return tags;
}

/** Byte-wise order, as `walkDrive` sorts each folder. */
function walkOrder(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}

/**
 * Write a synthetic camera drive into `dir` (created; must be empty or absent) and return its
 * manifest, also written to `manifestPath`.
 */
export async function makeFixtureDrive(dir: string, opts: FixtureDriveOptions): Promise<FixtureManifest> {
  await fsp.mkdir(dir, { recursive: true });
  if ((await fsp.readdir(dir)).length > 0) throw new Error(`makeFixtureDrive: ${dir} is not empty`);
  const rng = makeRng(opts.seed);
  const tz = opts.timeZone;
  const et = opts.exiftool ?? new ExifTool({ maxProcs: 1 });
  const files: FixtureFile[] = [];
  const ignored: string[] = [];
  const times = captureSequence(rng, opts.start, opts.days, opts.perDay, tz);
  // Midnight after the last day of recording, in the camera's zone.
  const endOfPeriod = wallTimeInZone(`${addCalendarDays(localDate(opts.start, tz), opts.days)}T00:00:00`, tz)!;

  // EXIF is written in a work folder outside the drive: exiftool-vendored passes file names one
  // per line, so it cannot write a name that holds a line break.
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'custody-fixture-'));
  const write = async (
    relPath: string,
    data: Buffer,
    mtime: Date,
    extra: Omit<FixtureFile, 'relPath' | 'sha256' | 'size' | 'mtime'>,
    tags?: Record<string, unknown>,
  ) => {
    const abs = path.join(dir, ...relPath.split('/'));
    await fsp.mkdir(path.dirname(abs), { recursive: true });
    let final = data;
    if (tags) {
      const w = path.join(work, 'frame.jpg');
      await fsp.writeFile(w, data);
      await et.write(w, tags as never, { writeArgs: ['-overwrite_original'] });
      final = await fsp.readFile(w);
    }
    await fsp.writeFile(abs, final);
    await fsp.utimes(abs, mtime, mtime);
    files.push({
      relPath,
      sha256: createHash('sha256').update(final).digest('hex'),
      size: final.length,
      mtime: mtime.toISOString(),
      ...extra,
    });
  };
  const drawn = new Map<number, { plate: string; jpeg: Buffer }>();
  const frame = async (relPath: string, at: Date, frameSeed: number, withExif = true, flags: FixtureFlag[] = []) => {
    // Dark before 07:00 and from 18:00, local time (a rough year-round dusk).
    const hour = Number(isoInZone(at, tz).slice(11, 13));
    const night = hour < 7 || hour >= 18;
    let plate: string;
    let jpeg: Buffer;
    if (opts.distinctFrames && opts.distinctFrames > 0) {
      const slot = (frameSeed % opts.distinctFrames) * 2 + (night ? 1 : 0);
      let d = drawn.get(slot);
      if (!d) {
        const p = randomPlateText(makeRng(frameSeed));
        d = { plate: p, jpeg: await renderJpeg(p, frameSeed, opts.imageBytes, night) };
        drawn.set(slot, d);
      }
      ({ plate, jpeg } = d);
    } else {
      plate = randomPlateText(makeRng(frameSeed));
      jpeg = await renderJpeg(plate, frameSeed, opts.imageBytes, night);
    }
    const tags = withExif ? exifTags(opts.camera, at, tz) : undefined;
    const extra: Omit<FixtureFile, 'relPath' | 'sha256' | 'size' | 'mtime'> = {
      kind: 'image',
      expectedFlags: flags,
      plate,
    };
    if (withExif) extra.captureTime = isoInZone(at, tz).replace('.000', '');
    await write(relPath, jpeg, at, extra, tags);
    return { plate, jpeg };
  };

  try {
    let n = 0;
    for (const at of times) {
      n++;
      const folder = 100 + Math.floor((n - 1) / 500);
      await frame(`DCIM/${folder}CAM/IMG_${pad(n, 4)}.JPG`, at, opts.seed * 100_003 + n);
    }

    if (opts.awkward) {
      const mid = times[Math.floor(times.length / 2)] ?? opts.start;
      const later = (s: number) => new Date(mid.getTime() + s * 1000);
      const base = opts.seed * 100_003 + 90_000;
      // A truncated JPEG: the EXIF (and so the time) survives, the image does not end.
      const cut = path.join(dir, 'DCIM', '100CAM', 'IMG_9001.JPG');
      await frame('DCIM/100CAM/IMG_9001.JPG', later(1), base + 1);
      const whole = await fsp.readFile(cut);
      await fsp.writeFile(cut, whole.subarray(0, Math.floor(whole.length * 0.55)));
      await fsp.utimes(cut, later(1), later(1));
      const f = files[files.length - 1]!;
      const short = await fsp.readFile(cut);
      Object.assign(f, {
        sha256: createHash('sha256').update(short).digest('hex'),
        size: short.length,
        expectedFlags: ['truncated'],
      });
      // A zero-byte file and a text file, both named like images.
      await write('DCIM/100CAM/IMG_9002.JPG', Buffer.alloc(0), later(2), { kind: null, expectedFlags: ['empty'] });
      await write('DCIM/100CAM/IMG_9003.jpg', Buffer.from('This is a text file, not a photo.\n'), later(3), {
        kind: null,
        expectedFlags: ['not-media'],
      });
      // A JPEG without EXIF: the import falls back to the file time.
      await frame('DCIM/100CAM/IMG_9004.JPG', later(4), base + 4, false, ['no-capture-time']);
      // A camera clock 40 days ahead.
      await frame('DCIM/100CAM/IMG_9005.JPG', new Date(endOfPeriod.getTime() + 40 * DAY_MS), base + 5, true, [
        'future',
      ]);
      // Awkward names.
      await frame('DCIM/100CAM/IMG 9006 copy.JPG', later(6), base + 6);
      await frame('DCIM/Été 📷.jpg', later(7), base + 7);
      await frame('DCIM/line\nbreak.jpg', later(8), base + 8);
      const deep = Array.from({ length: 12 }, (_, i) => `L${pad(i + 1)}`).join('/');
      await frame(`${deep}/IMG_9009.JPG`, later(9), base + 9);
      // A short clip.
      await write('DCIM/100CAM/MOV_9010.MP4', minimalMp4(later(10)), later(10), {
        kind: 'video',
        expectedFlags: [],
        captureTime: isoInZone(later(10), 'UTC').replace('.000', '').replace('Z', '+00:00'),
      });
      // OS litter: walked like any other file (an OS's name or folder is flagged, never skipped on
      // its name), and none of it is an image.
      const litter: Array<[string, Buffer]> = [
        ['.DS_Store', Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31])],
        ['DCIM/100CAM/._IMG_0001.JPG', Buffer.from([0, 5, 0x16, 7, 0, 2, 0, 0])],
        [
          'System Volume Information/IndexerVolumeGuid',
          Buffer.from('{00000000-0000-0000-0000-000000000000}', 'utf16le'),
        ],
        ['.Trashes/501/IMG_0000.JPG', Buffer.from('deleted')],
      ];
      for (const [rel, data] of litter) await write(rel, data, mid, { kind: null, expectedFlags: ['os-name', 'not-media'] });
    }

    if (opts.driveId) {
      await writeDriveIdFile(dir, opts.driveId);
      ignored.push(DRIVE_ID_FILE);
    }
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
    if (!opts.exiftool) await et.end();
  }

  files.sort((a, b) => walkOrder(a.relPath, b.relPath));
  ignored.sort();
  const manifest: FixtureManifest = {
    version: 1,
    seed: opts.seed,
    camera: opts.camera,
    timeZone: tz,
    assumedNow: isoInZone(endOfPeriod, tz),
    files,
    ignored,
  };
  const manifestPath = opts.manifestPath ?? path.join(path.dirname(path.resolve(dir)), 'fixture-manifest.json');
  await fsp.writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
