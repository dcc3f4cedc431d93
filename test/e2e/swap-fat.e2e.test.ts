/**
 * "A real drive in CI": a FAT disk image holding a fixture drive, attached to a loop device and
 * mounted read-only with fusefat, and the built binary's swap run against that mount.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { endExiftool } from '../../src/media/exif.js';
import { makeFixtureDrive } from '../../tools/fixture-drive.js';
import { INIT_ARGS, newTestHome, spawnBin, tmpDir } from '../helpers/cli.js';
import { makeFatImage, mountFatImage, type FatMount } from '../helpers/fat-image.js';

let mounted: FatMount | undefined;

afterAll(async () => {
  await mounted?.unmount();
  await endExiftool();
});

describe('swap from a FAT drive image', () => {
  it('imports every image from the read-only mount and records the swap', async (ctx) => {
    const work = tmpDir('custody-fat-test-');
    const t = newTestHome();
    expect((await spawnBin(INIT_ARGS, { env: t.env })).code).toBe(0);
    expect((await spawnBin(['camera', 'add', 'CAM-07', '--location', 'Harbor Rd'], { env: t.env })).code).toBe(0);
    expect((await spawnBin(['drive', 'enrol', '--id', 'D100', '--label', 'spare'], { env: t.env })).code).toBe(0);
    const folder = path.join(work, 'drive');
    const manifest = await makeFixtureDrive(folder, {
      seed: 3,
      camera: { make: 'Acme', model: 'LPR-2', serial: 'AC-7' },
      start: new Date('2026-11-10T12:00:00Z'),
      days: 2,
      perDay: 5,
      timeZone: 'America/Los_Angeles',
      imageBytes: 30_000,
    });
    // The drive was enrolled earlier, on the custodian's machine: its id file is on the image.
    expect((await spawnBin(['drive', 'enrol', '--source', folder, '--id', 'D007'], { env: t.env })).code).toBe(0);
    const img = path.join(work, 'drive.img');
    await makeFatImage(folder, img, 'CAMDRIVE');
    const m = await mountFatImage(img);
    if ('skipReason' in m && m.skipReason) {
      ctx.skip(`FAT image not mountable here: ${m.skipReason}`);
      return;
    }
    mounted = m as FatMount;
    const r = await spawnBin(
      [
        'swap',
        '--source',
        mounted.mountPath,
        '--camera',
        'CAM-07',
        '--store-location',
        'safe, room 102',
        '--replacement',
        'D100',
        '--json',
      ],
      { env: t.env, timeoutMs: 180_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const sum = JSON.parse(r.stdout) as {
      drive: string;
      files: number;
      stored: number;
      skipped: number;
      failed: number;
      replacement: string;
    };
    expect(sum).toMatchObject({ drive: 'D007', failed: 0, replacement: 'D100' });
    // fusefat shows the volume label as an empty file: it is seen and skipped, never imported.
    expect(sum.files - sum.skipped).toBe(manifest.files.length);
    expect(sum.stored).toBe(new Set(manifest.files.map((f) => f.sha256)).size);
    const d = JSON.parse((await spawnBin(['drive', 'show', 'D007', '--json'], { env: t.env })).stdout) as {
      state: string;
      fsType: string | null;
    };
    expect(d.state).toBe('stored');
    expect(fs.existsSync(img)).toBe(true);
  });
});
