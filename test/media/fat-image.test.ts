/**
 * The "real drive" test: a fixture drive copied onto a real FAT file system (an mtools image
 * mounted read-only with fusefat, through a loop device as root), then walked, sniffed, read
 * and probed as `custody swap` would. Skips, printing why, where FUSE is not available.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDriveIdFile, readVolumeInfo } from '../../src/media/drives.js';
import { readCaptureMeta } from '../../src/media/exif.js';
import { makeFixtureDrive, type FixtureManifest } from '../../tools/fixture-drive.js';
import { isMountPoint, listMounts } from '../../src/media/mounts.js';
import { SNIFF_BYTES, sniffMedia } from '../../src/media/sniff.js';
import { walkDrive } from '../../src/media/walk.js';
import { makeFatImage, mountFatImage, type FatMount, type FatMountResult } from '../helpers/fat-image.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'custody-'));
const src = path.join(tmp, 'src');
const img = path.join(tmp, 'cam07.img');
let manifest: FixtureManifest;
let mount: FatMountResult | undefined;
/** The live mount, or undefined when the environment cannot mount (the tests then skip). */
const live = (): FatMount | undefined => (mount && mount.skipReason === undefined ? mount : undefined);
const why = () => (mount && 'skipReason' in mount ? mount.skipReason : 'not mounted');
/** relPath → sha256 of everything put on the image. */
const expected = new Map<string, string>();

beforeAll(async () => {
  const et = new ExifTool({ maxProcs: 1 });
  try {
    manifest = await makeFixtureDrive(src, {
      seed: 11,
      camera: { make: 'Acme', model: 'LPR-2', serial: 'SN-0711' },
      start: new Date('2026-11-10T12:00:00Z'),
      days: 2,
      perDay: 3,
      timeZone: 'America/Los_Angeles',
      imageBytes: 40_000,
      driveId: { driveId: 'DRV-0711', enrolledAt: '2026-11-01T09:00:00-07:00' },
      exiftool: et,
    });
  } finally {
    await et.end();
  }
  for (const f of manifest.files) expected.set(f.relPath, f.sha256);
  // Names FAT can hold: spaces, accents, long names, a deep folder.
  const first = path.join(src, ...manifest.files[0]!.relPath.split('/'));
  const extra = [
    'DCIM/101CAM/IMG 0001 copy.JPG',
    'DCIM/Été/photo d’août.jpg',
    `${Array.from({ length: 12 }, (_, i) => `L${i + 1}`).join('/')}/IMG_0001.JPG`,
  ];
  for (const rel of extra) {
    mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    copyFileSync(first, path.join(src, rel));
    expected.set(rel, manifest.files[0]!.sha256);
  }
  await makeFatImage(src, img, 'CAM07');
  mount = await mountFatImage(img);
  if (!live()) console.log(`[fat-image] skipped: ${why()}`);
}, 120_000);

afterAll(async () => {
  await live()?.unmount();
  rmSync(tmp, { recursive: true, force: true });
});

describe('a fixture drive on a real FAT file system', () => {
  it('is mounted read-only and seen as a mount point', async (ctx) => {
    const m = live();
    if (!m) return ctx.skip(why());
    expect(await isMountPoint(m.mountPath)).toBe(true);
    const entry = (await listMounts()).find((e) => e.mountPath === m.mountPath);
    expect(entry).toMatchObject({ fsType: 'fuse.fusefat', readOnly: true });
    console.log(`[fat-image] mounted via ${m.via}${m.device ? ` (${m.device})` : ''} at ${m.mountPath}`);
  });

  it('walks to exactly the files put on it, byte for byte', async (ctx) => {
    const m = live();
    if (!m) return ctx.skip(why());
    const w = walkDrive(m.mountPath);
    const seen = new Map<string, string>();
    for await (const e of w) seen.set(e.relPath, createHash('sha256').update(readFileSync(e.absPath)).digest('hex'));
    // fusefat shows the volume label as an empty file at the root (the kernel's vfat does not).
    if (seen.get('CAM07') === createHash('sha256').digest('hex')) seen.delete('CAM07');
    expect(w.problems).toEqual([]);
    expect(new Map([...seen].sort())).toEqual(new Map([...expected].sort()));
  });

  it('sniffs, reads EXIF and the drive id through FUSE', async (ctx) => {
    const m = live();
    if (!m) return ctx.skip(why());
    for (const f of manifest.files) {
      const buf = readFileSync(path.join(m.mountPath, ...f.relPath.split('/')));
      expect(sniffMedia(buf.subarray(0, SNIFF_BYTES))?.kind).toBe('image');
      expect((await readCaptureMeta(buf)).captureTime).toBe(f.captureTime);
    }
    expect(await readDriveIdFile(m.mountPath)).toEqual({
      info: { driveId: 'DRV-0711', enrolledAt: '2026-11-01T09:00:00-07:00' },
    });
  });

  it('reports the volume: label, serial, type, sizes', async (ctx) => {
    const m = live();
    if (!m) return ctx.skip(why());
    const v = await readVolumeInfo(m.mountPath, { source: m.device ?? img });
    expect(v).toMatchObject({ label: 'CAM07', serial: '1A2B-3C4D', fsType: 'vfat' });
    // fusefat answers statfs with zeros, which readVolumeInfo treats as unknown.
    if (v.capacityBytes !== undefined) expect(v.capacityBytes).toBeGreaterThan(30 * 2 ** 20);
    else expect(v.usedBytes).toBeUndefined();
  });

  it('also mounts the image file directly (no loop device)', async (ctx) => {
    if (!live()) return ctx.skip(why());
    const direct = await mountFatImage(img, { via: 'image' });
    if (direct.skipReason !== undefined) return ctx.skip(direct.skipReason);
    try {
      expect(direct.via).toBe('image');
      expect(await readDriveIdFile(direct.mountPath)).toMatchObject({ info: { driveId: 'DRV-0711' } });
      expect(await readVolumeInfo(direct.mountPath, { source: img })).toMatchObject({
        label: 'CAM07',
        serial: '1A2B-3C4D',
      });
    } finally {
      await direct.unmount();
    }
  });

  it('unmounts cleanly (and twice is harmless)', async (ctx) => {
    const m = live();
    if (!m) return ctx.skip(why());
    const mp = m.mountPath;
    await m.unmount();
    await m.unmount();
    expect(await isMountPoint(mp)).toBe(false);
  });
});
