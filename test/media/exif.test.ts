import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minimalMp4 } from '../../tools/fixture-drive.js';
import {
  captureMetaFromTags,
  EXIF_HEAD_BYTES,
  endExiftool,
  parseExifDate,
  readCaptureMeta,
  readCaptureMetaExiftool,
  shouldTryExiftool,
} from '../../src/media/exif.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'custody-'));
const et = new ExifTool({ maxProcs: 1 });

const files: Record<string, string> = {};

async function jpeg(name: string, tags?: Record<string, unknown>, extraArgs: string[] = []): Promise<string> {
  const p = path.join(tmp, name);
  await sharp({ create: { width: 64, height: 48, channels: 3, background: '#556677' } })
    .jpeg()
    .toFile(p);
  if (tags) await et.write(p, tags as never, { writeArgs: ['-overwrite_original', ...extraArgs] });
  return p;
}

beforeAll(async () => {
  files.full = await jpeg('full.jpg', {
    DateTimeOriginal: '2026:11:20 07:15:02',
    OffsetTimeOriginal: '-08:00',
    SubSecTimeOriginal: '25',
    CreateDate: '2026:11:20 07:15:02',
    Make: 'Flock Safety',
    Model: 'Falcon',
    SerialNumber: 'FS-00412',
    // exiftool-vendored sets the N/S and E/W refs from the signs.
    GPSLatitude: 37.7749,
    GPSLongitude: -122.4194,
  });
  files.noOffset = await jpeg('no-offset.jpg', {
    DateTimeOriginal: '2026:07:04 21:30:00',
    Make: 'Acme',
    Model: 'LPR-1',
  });
  files.createOnly = await jpeg('create-only.jpg', {
    CreateDate: '2026:07:04 21:30:00',
    OffsetTimeDigitized: '+02:00',
  });
  files.noDate = await jpeg('no-date.jpg', { Make: 'Acme', Model: 'LPR-1' });
  files.zeroDate = await jpeg('zero-date.jpg', { DateTimeOriginal: '0000:00:00 00:00:00' }, ['-n']); // -n: exiftool would refuse month 00
  files.noExif = await jpeg('no-exif.jpg');
  const full = readFileSync(files.full);
  files.truncated = path.join(tmp, 'truncated.jpg');
  writeFileSync(files.truncated, full.subarray(0, Math.floor(full.length * 0.6)));
  files.text = path.join(tmp, 'text.jpg');
  writeFileSync(files.text, 'not an image at all\n');
  files.empty = path.join(tmp, 'empty.jpg');
  writeFileSync(files.empty, '');
});

afterAll(async () => {
  await et.end();
  await endExiftool();
  await endExiftool(); // idempotent
  rmSync(tmp, { recursive: true, force: true });
});

describe('readCaptureMeta (exifr, in-process)', () => {
  it('reads time with offset and sub-seconds, make, model, serial, GPS from a real exiftool-written JPEG', async () => {
    const buf = readFileSync(files.full!).subarray(0, EXIF_HEAD_BYTES);
    const m = await readCaptureMeta(buf);
    expect(m).toEqual({
      captureTime: '2026-11-20T07:15:02.250-08:00',
      captureOffsetKnown: true,
      make: 'Flock Safety',
      model: 'Falcon',
      serial: 'FS-00412',
      gps: { lat: expect.closeTo(37.7749, 5), lon: expect.closeTo(-122.4194, 5) },
      problems: [],
    });
    // No backup left behind by the writes.
    expect(readdirSync(tmp).filter((n) => n.endsWith('_original'))).toEqual([]);
  });

  it('keeps wall-clock time without an offset, flagged by captureOffsetKnown', async () => {
    const m = await readCaptureMeta(readFileSync(files.noOffset!));
    expect(m).toMatchObject({
      captureTime: '2026-07-04T21:30:00',
      captureOffsetKnown: false,
      make: 'Acme',
      model: 'LPR-1',
      problems: [],
    });
  });

  it('falls back to CreateDate with its own offset', async () => {
    expect(await readCaptureMeta(readFileSync(files.createOnly!))).toMatchObject({
      captureTime: '2026-07-04T21:30:00+02:00',
      captureOffsetKnown: true,
    });
  });

  it('says why there is no time', async () => {
    expect((await readCaptureMeta(readFileSync(files.noDate!))).problems).toEqual(['no-capture-time']);
    expect((await readCaptureMeta(readFileSync(files.zeroDate!))).problems).toEqual(['unparseable-date']);
    expect(await readCaptureMeta(readFileSync(files.noExif!))).toEqual({
      captureTime: null,
      captureOffsetKnown: false,
      problems: ['no-exif', 'no-capture-time'],
    });
  });

  it('never throws on text, empty or truncated files', async () => {
    for (const f of [files.text!, files.empty!]) {
      const m = await readCaptureMeta(readFileSync(f));
      expect(m.captureTime).toBeNull();
      expect(m.problems).toContain('no-capture-time');
    }
    // The EXIF block is at the start, so a truncated JPEG still has its time.
    expect((await readCaptureMeta(readFileSync(files.truncated!))).captureTime).toBe('2026-11-20T07:15:02.250-08:00');
    expect(
      (await readCaptureMeta(Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff, 0x45, 0x78]))).captureTime,
    ).toBeNull();
  });
});

describe('readCaptureMetaExiftool (real exiftool)', () => {
  it('agrees with exifr on a full JPEG', async () => {
    const m = await readCaptureMetaExiftool(files.full!, et);
    expect(m).toEqual({
      captureTime: '2026-11-20T07:15:02.250-08:00',
      captureOffsetKnown: true,
      make: 'Flock Safety',
      model: 'Falcon',
      serial: 'FS-00412',
      gps: { lat: expect.closeTo(37.7749, 5), lon: expect.closeTo(-122.4194, 5) },
      problems: [],
    });
    expect(await readCaptureMetaExiftool(files.noOffset!, et)).toMatchObject({
      captureTime: '2026-07-04T21:30:00',
      captureOffsetKnown: false,
    });
  });

  it('reads a file whose name holds a line break (exiftool takes names one per line)', async () => {
    const p = path.join(tmp, 'new\nline.jpg');
    writeFileSync(p, readFileSync(files.full!));
    expect((await readCaptureMetaExiftool(p, et)).captureTime).toBe('2026-11-20T07:15:02.250-08:00');
    expect(readdirSync(os.tmpdir()).filter((n) => n.startsWith('custody-exif-'))).toEqual([]);
  });

  it('reads a QuickTime creation date as UTC (shared process)', async () => {
    const p = path.join(tmp, 'clip.mp4');
    writeFileSync(p, minimalMp4(new Date('2026-11-20T15:15:02Z')));
    expect(await readCaptureMetaExiftool(p)).toMatchObject({
      captureTime: '2026-11-20T15:15:02+00:00',
      captureOffsetKnown: true,
    });
    // exifr has no parser for MP4: it says so without throwing.
    expect((await readCaptureMeta(readFileSync(p))).captureTime).toBeNull();
  });

  it('reports files without metadata, and text, as problems', async () => {
    expect((await readCaptureMetaExiftool(files.noExif!, et)).problems).toEqual(['no-exif', 'no-capture-time']);
    const t = await readCaptureMetaExiftool(files.text!, et);
    expect(t.captureTime).toBeNull();
    expect(t.problems).toContain('no-capture-time');
  });
});

describe('formats exifr cannot read', () => {
  it('WebP: the fast path finds nothing, shouldTryExiftool says so, exiftool finds the time', async () => {
    const p = path.join(tmp, 'frame.webp');
    await sharp({ create: { width: 32, height: 32, channels: 3, background: '#123456' } })
      .webp()
      .toFile(p);
    await et.write(p, { DateTimeOriginal: '2026:11:20 07:15:02', OffsetTimeOriginal: '-08:00' } as never, {
      writeArgs: ['-overwrite_original'],
    });
    const fast = await readCaptureMeta(readFileSync(p));
    expect(fast.captureTime).toBeNull();
    expect(shouldTryExiftool('image/webp', fast)).toBe(true);
    expect((await readCaptureMetaExiftool(p, et)).captureTime).toBe('2026-11-20T07:15:02-08:00');
  });

  it('does not send a JPEG without EXIF to exiftool, nor anything with a time', async () => {
    const none = await readCaptureMeta(readFileSync(files.noExif!));
    expect(shouldTryExiftool('image/jpeg', none)).toBe(false);
    expect(shouldTryExiftool('video/mp4', none)).toBe(true);
    expect(shouldTryExiftool('image/jpeg', { ...none, problems: ['unreadable-exif', 'no-capture-time'] })).toBe(true);
    expect(shouldTryExiftool('video/mp4', await readCaptureMeta(readFileSync(files.full!)))).toBe(false);
  });
});

describe('the exiftool process', () => {
  it('ends, so node exits (endExiftool in a child process)', () => {
    const code = `import('./src/media/exif.ts').then(async (m) => {
      const r = await m.readCaptureMetaExiftool(process.argv[1]);
      await m.endExiftool();
      await m.endExiftool();
      console.log(r.captureTime);
    })`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code, files.full!], {
      cwd: new URL('../..', import.meta.url).pathname,
      timeout: 30_000,
      encoding: 'utf8',
    });
    expect(r.error).toBeUndefined();
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('2026-11-20T07:15:02.250-08:00');
  });
});

describe('pure parts', () => {
  it('parses EXIF dates strictly', () => {
    expect(parseExifDate('2026:02:28 23:59:59')).toEqual({ local: '2026-02-28T23:59:59', inlineOffset: undefined });
    expect(parseExifDate('2026:02:29 00:00:00')).toBeUndefined();
    expect(parseExifDate('2026:11:20 07:15:02+0530')?.inlineOffset).toBe('+05:30');
    expect(parseExifDate('    :  :     :  :  ')).toBeUndefined();
    expect(parseExifDate('2026:11:20 07:15:02', '7')?.local).toBe('2026-11-20T07:15:02.700');
  });

  it('handles hostile tag values', () => {
    const m = captureMetaFromTags({
      DateTimeOriginal: 12345,
      OffsetTimeOriginal: '+99:99',
      Make: 'A\u0000\u0000',
      Model: { evil: true },
      GPSLatitude: 'x',
      GPSLongitude: [1, 2, 3],
    });
    expect(m).toEqual({
      captureTime: null,
      captureOffsetKnown: false,
      make: 'A',
      problems: ['unparseable-date', 'bad-gps'],
    });
    const bad = captureMetaFromTags({ DateTimeOriginal: '2026:11:20 07:15:02', OffsetTimeOriginal: 'PST' });
    expect(bad).toMatchObject({
      captureTime: '2026-11-20T07:15:02',
      captureOffsetKnown: false,
      problems: ['bad-offset'],
    });
    expect(
      captureMetaFromTags({ DateTimeOriginal: '2026:11:20 07:15:02', GPSLatitude: 0, GPSLongitude: 0 }).problems,
    ).toEqual(['bad-gps']);
  });
});
