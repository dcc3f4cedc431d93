import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeCaptureTime } from '../../src/core/capture-time.js';
import { readCaptureMeta, readCaptureMetaExiftool, EXIF_HEAD_BYTES } from '../../src/media/exif.js';
import { captureSequence, makeFixtureDrive, minimalMp4, type FixtureManifest } from '../../tools/fixture-drive.js';
import { SNIFF_BYTES, sniffMedia } from '../../src/media/sniff.js';
import { walkDrive } from '../../src/media/walk.js';
import { makeRng } from '../../tools/synth.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'custody-'));
const et = new ExifTool({ maxProcs: 2 });
const TZ = 'America/Los_Angeles';
const opts = {
  seed: 7,
  camera: { make: 'Acme', model: 'LPR-2', serial: 'SN-0042', gps: { lat: 37.5, lon: -122.25 } },
  start: new Date('2026-11-01T12:00:00Z'),
  days: 2,
  perDay: 4,
  timeZone: TZ,
  awkward: true,
  imageBytes: 60_000,
  driveId: { driveId: 'DRV-0042', enrolledAt: '2026-10-30T09:00:00-07:00' },
  exiftool: et,
};
let manifest: FixtureManifest;
const drive = path.join(tmp, 'a', 'drive');

beforeAll(async () => {
  manifest = await makeFixtureDrive(drive, opts);
}, 120_000);

afterAll(async () => {
  await et.end();
  rmSync(tmp, { recursive: true, force: true });
});

describe('makeFixtureDrive', () => {
  it('writes the manifest beside the drive, not on it', () => {
    const onDisk = JSON.parse(readFileSync(path.join(tmp, 'a', 'fixture-manifest.json'), 'utf8')) as FixtureManifest;
    expect(onDisk).toEqual(manifest);
    expect(readdirSync(drive)).not.toContain('fixture-manifest.json');
    expect(manifest.assumedNow).toBe('2026-11-03T00:00:00.000-08:00');
  });

  it('is exactly what walkDrive yields, in its order, with the right sizes and hashes', async () => {
    const w = walkDrive(drive);
    const seen: string[] = [];
    for await (const e of w) {
      seen.push(e.relPath);
      const buf = readFileSync(e.absPath);
      const m = manifest.files.find((f) => f.relPath === e.relPath)!;
      expect(m, e.relPath).toBeDefined();
      expect(buf.length).toBe(m.size);
      expect(createHash('sha256').update(buf).digest('hex')).toBe(m.sha256);
    }
    expect(seen).toEqual(manifest.files.map((f) => f.relPath));
    expect(w.problems).toEqual([]);
    expect(manifest.ignored).toEqual(['.custody-drive.json']);
    // The OS's litter is walked (flagged by the import, judged by its bytes), never skipped on its name.
    expect(
      manifest.files
        .filter((f) => f.expectedFlags.includes('os-name'))
        .map((f) => f.relPath)
        .sort(),
    ).toEqual([
      '.DS_Store',
      '.Trashes/501/IMG_0000.JPG',
      'DCIM/100CAM/._IMG_0001.JPG',
      'System Volume Information/IndexerVolumeGuid',
    ]);
    expect(manifest.files.filter((f) => f.relPath.startsWith('DCIM/100CAM/IMG_0')).length).toBe(8);
    expect(seen).toContain('DCIM/Été 📷.jpg');
    expect(seen).toContain('DCIM/line\nbreak.jpg');
    expect(seen.some((p) => p.split('/').length === 13)).toBe(true);
  });

  it('has the kinds, capture times and flags the manifest promises (real exifr, real exiftool)', async () => {
    const now = new Date(manifest.assumedNow);
    for (const f of manifest.files) {
      const abs = path.join(drive, ...f.relPath.split('/'));
      const buf = readFileSync(abs);
      expect(sniffMedia(buf.subarray(0, SNIFF_BYTES))?.kind ?? null, f.relPath).toBe(f.kind);
      if (f.kind === null) {
        expect(f.expectedFlags.some((x) => x === 'empty' || x === 'not-media')).toBe(true);
        continue;
      }
      const meta =
        f.kind === 'video'
          ? await readCaptureMetaExiftool(abs, et)
          : await readCaptureMeta(buf.subarray(0, EXIF_HEAD_BYTES));
      expect(meta.captureTime ?? undefined, f.relPath).toBe(f.captureTime);
      if (f.kind === 'image' && f.captureTime) {
        expect(meta).toMatchObject({
          make: 'Acme',
          model: 'LPR-2',
          serial: 'SN-0042',
          gps: { lat: 37.5, lon: -122.25 },
        });
      }
      const judged = judgeCaptureTime(meta, { fileMtime: statSync(abs).mtime, now, timeZone: TZ });
      const expected = f.expectedFlags.filter((x) => x !== 'truncated');
      expect(judged.flags, f.relPath).toEqual(expected);
      if (f.expectedFlags.includes('truncated')) expect(buf.subarray(-2).equals(Buffer.from([0xff, 0xd9]))).toBe(false);
      else if (f.kind === 'image') expect(buf.subarray(-2).equals(Buffer.from([0xff, 0xd9]))).toBe(true);
    }
  });

  it('keeps every frame within imageBytes and sets mtime to the capture time', () => {
    for (const f of manifest.files.filter((x) => x.kind === 'image')) {
      expect(f.size).toBeLessThanOrEqual(60_000);
      expect(statSync(path.join(drive, ...f.relPath.split('/'))).mtime.toISOString()).toBe(f.mtime);
      if (f.captureTime) expect(new Date(f.captureTime).toISOString()).toBe(f.mtime);
    }
  });

  it('is deterministic from the seed', async () => {
    const again = await makeFixtureDrive(path.join(tmp, 'b', 'drive'), opts);
    expect(again).toEqual(manifest);
    const other = await makeFixtureDrive(path.join(tmp, 'c', 'drive'), {
      ...opts,
      seed: 8,
      awkward: false,
      driveId: undefined,
    });
    expect(other.files.map((f) => f.sha256)).not.toEqual(
      manifest.files.slice(0, other.files.length).map((f) => f.sha256),
    );
  }, 120_000);
});

describe('distinctFrames', () => {
  it('reuses drawn scenes but every file has its own EXIF, so its own hash', async () => {
    const t0 = Date.now();
    const m = await makeFixtureDrive(path.join(tmp, 'many', 'drive'), {
      ...opts,
      awkward: false,
      driveId: undefined,
      days: 3,
      perDay: 40,
      distinctFrames: 4,
    });
    expect(m.files).toHaveLength(120);
    expect(new Set(m.files.map((f) => f.sha256)).size).toBe(120);
    expect(new Set(m.files.map((f) => f.plate)).size).toBeLessThanOrEqual(8);
    expect(Date.now() - t0).toBeLessThan(60_000);
  }, 90_000);
});

describe('captureSequence', () => {
  it('is sorted, per day, with quiet nights', () => {
    const seq = captureSequence(makeRng(1), new Date('2026-11-01T12:00:00Z'), 5, 200, TZ);
    expect(seq).toHaveLength(1000);
    expect([...seq].sort((a, b) => a.getTime() - b.getTime())).toEqual(seq);
    const hour = (d: Date) =>
      Number(new Intl.DateTimeFormat('en-US', { timeZone: TZ, hour: 'numeric', hourCycle: 'h23' }).format(d));
    const night = seq.filter((d) => hour(d) >= 1 && hour(d) < 5).length;
    const day = seq.filter((d) => hour(d) >= 7 && hour(d) < 19).length;
    expect(night).toBeLessThan(seq.length * 0.03);
    expect(day).toBeGreaterThan(seq.length * 0.6);
  });
});

describe('minimalMp4', () => {
  it('is an ISO-BMFF file that sniffs as MP4', () => {
    const b = minimalMp4(new Date('2026-01-01T00:00:00Z'));
    expect(sniffMedia(b)).toEqual({ kind: 'video', mime: 'video/mp4', ext: 'mp4' });
    expect(b.readUInt32BE(0) + b.readUInt32BE(b.readUInt32BE(0)) + 8).toBe(b.length);
  });
});

describe('the committed demo drive (fixtures/demo-drive)', () => {
  it('matches its manifest and README: every file, its SHA-256, size limits', async () => {
    const root = new URL('../../fixtures/', import.meta.url);
    const m = JSON.parse(readFileSync(new URL('fixture-manifest.json', root), 'utf8')) as FixtureManifest;
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const seen: string[] = [];
    for await (const e of walkDrive(path.join(root.pathname, 'demo-drive'))) {
      seen.push(e.relPath);
      const sha = createHash('sha256').update(readFileSync(e.absPath)).digest('hex');
      expect(m.files.find((f) => f.relPath === e.relPath)?.sha256, e.relPath).toBe(sha);
      expect(readme).toContain(sha);
      expect(e.size).toBeLessThanOrEqual(60_000);
    }
    expect(seen).toEqual(m.files.map((f) => f.relPath));
    expect(seen.length).toBe(24);
    expect(m.files.reduce((a, f) => a + f.size, 0)).toBeLessThanOrEqual(1.5 * 1024 * 1024);
  });
});
