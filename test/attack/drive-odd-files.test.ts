/**
 * Attack (c): a camera drive with camera images where the walk does not look. walkDrive
 * (src/media/walk.ts) does not enter a folder named like an operating system's (`lost+found`,
 * `.Trashes`, `System Volume Information`, … at any depth) and lists only the folder, so the files
 * in it are neither stored nor listed; and a file named like an OS file (`._x`, `Thumbs.db`) is
 * listed as "not camera media" without a byte of it being read, even when it is a camera JPEG.
 * Once the drive is recorded over, nothing records that those images existed (policy §8).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { endExiftool } from '../../src/media/exif.js';
import { INIT_ARGS, newTestHome, okRunner, ROOT } from '../helpers/cli.js';

const DEMO = path.join(ROOT, 'fixtures', 'demo-drive');
const clock = manualClock('2026-11-05T00:00:00.000-08:00');

afterAll(async () => {
  await endExiftool();
});

function filesUnder(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((f) => fs.lstatSync(path.join(root, f)).isFile())
    .map((f) => f.split(path.sep).join('/'))
    .sort();
}

describe('a drive whose camera images sit in folders and names the OS uses', () => {
  it('has every file stored, or listed by its own path with a reason that is true of it', async () => {
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
    const drive = path.join(t.dir, 'CAMDRIVE');
    fs.cpSync(DEMO, drive, { recursive: true });
    const img = (n: number) => path.join(drive, 'DCIM', '100CAM', `IMG_000${n}.JPG`);
    // fsck puts recovered camera files in lost+found; a laptop's delete moves them to .Trashes.
    // (Moved, not copied: each is the only copy of its image on the drive.)
    fs.mkdirSync(path.join(drive, 'lost+found'));
    fs.renameSync(img(1), path.join(drive, 'lost+found', '#1234'));
    fs.mkdirSync(path.join(drive, 'DCIM', '100CAM', '.Trashes'));
    fs.renameSync(img(2), path.join(drive, 'DCIM', '100CAM', '.Trashes', 'IMG_0902.JPG'));
    // Camera JPEGs under names the walk took for OS files, and two OS files that are not images.
    fs.renameSync(img(3), path.join(drive, 'DCIM', '100CAM', '._IMG_0901.JPG'));
    fs.renameSync(img(4), path.join(drive, 'DCIM', '100CAM', 'Thumbs.db'));
    fs.writeFileSync(path.join(drive, 'DCIM', '100CAM', '.DS_Store'), Buffer.alloc(4096, 1));
    fs.mkdirSync(path.join(drive, 'System Volume Information'));
    fs.writeFileSync(path.join(drive, 'System Volume Information', 'IndexerVolumeGuid'), '{a-guid}');
    const all = filesUnder(drive).filter((f) => !f.startsWith('.custody'));
    const jpegs = all.filter((f) =>
      fs
        .readFileSync(path.join(drive, f))
        .subarray(0, 2)
        .equals(Buffer.from([0xff, 0xd8])),
    );

    const r = await ok(['import', '--source', drive, '--camera', 'CAM-01', '--enrol', '--json']);
    const out = JSON.parse(r.stdout) as {
      files: number;
      stored: number;
      duplicates: number;
      notImported: { relPath: string; kind: string; reason: string }[];
      attention: { relPath: string; what: string }[];
    };
    const listed = new Map(out.notImported.map((n) => [n.relPath, n]));
    const flagged = new Map<string, string[]>();
    for (const a of out.attention) flagged.set(a.relPath, [...(flagged.get(a.relPath) ?? []), a.what]);
    // Every camera image on the drive is stored, wherever it sits and whatever its name.
    expect({ stored: out.stored, duplicates: out.duplicates }).toEqual({ stored: jpegs.length, duplicates: 0 });
    // Every file is accounted for by its own path: an image in a DCIM folder stored, every other
    // one stored and flagged (an OS's name or folder) or listed with why it was not taken.
    const unaccounted = all.filter((f) => !f.startsWith('DCIM/100CAM/IMG_') && !listed.has(f) && !flagged.has(f));
    expect(unaccounted, 'files neither stored nor listed').toEqual([]);
    expect(out.files).toBe(all.length);
    // A JPEG is never called "not camera media" (or "not an image") on its name alone.
    const misnamed = [
      'lost+found/#1234',
      'DCIM/100CAM/.Trashes/IMG_0902.JPG',
      'DCIM/100CAM/._IMG_0901.JPG',
      'DCIM/100CAM/Thumbs.db',
    ].filter(
      (f) =>
        /not camera media/.test(listed.get(f)?.reason ?? '') ||
        (flagged.get(f) ?? []).some((w) => /not an image/.test(w)),
    );
    expect(misnamed, 'camera JPEGs called "not camera media"').toEqual([]);
    expect(flagged.get('DCIM/100CAM/Thumbs.db')?.join(' ')).toMatch(/operating system's file/);
    // The OS files that are not images are read and said to be so, by their bytes.
    expect(flagged.get('DCIM/100CAM/.DS_Store')?.join(' ')).toMatch(/not an image or video/);
    expect(flagged.get('System Volume Information/IndexerVolumeGuid')?.join(' ')).toMatch(/not an image or video/);
  }, 180_000);
});
