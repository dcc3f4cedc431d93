/**
 * The built binary on awkward drives: a read-only FAT image (loop device, fusefat) holding an
 * image 70 folders deep, enrolled by its volume serial and imported whole; a folder drive with a
 * symbolic link and a FIFO (which FAT cannot hold) listed as not imported, with why; and an
 * export whose stored copy is missing, refused with exit 8 and nothing written.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INIT_ARGS, newTestHome, ROOT, spawnBin, type TestHome, tmpDir } from '../helpers/cli.js';
import { type FatMount, makeFatImage, mountFatImage } from '../helpers/fat-image.js';

const DEMO = path.join(ROOT, 'fixtures', 'demo-drive', 'DCIM', '100CAM');
const DEEP = `${Array.from({ length: 70 }, (_, i) => `F${i + 1}`).join('/')}/IMG_0003.JPG`;
const mounts: FatMount[] = [];

afterAll(async () => {
  for (const m of mounts) await m.unmount();
});

async function home(): Promise<TestHome> {
  const t = newTestHome();
  for (const args of [
    INIT_ARGS,
    ['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00'],
  ])
    expect((await spawnBin(args, { env: t.env })).code).toBe(0);
  return t;
}

function put(root: string, rel: string, n: number): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.copyFileSync(path.join(DEMO, `IMG_000${n}.JPG`), path.join(root, rel));
}

describe('custody import (built binary) accounts for every entry', () => {
  it('imports a 70-deep image from a read-only FAT drive enrolled by its serial', async (ctx) => {
    const t = await home();
    const src = path.join(tmpDir('custody-fat70-'), 'src');
    put(src, 'DCIM/100CAM/IMG_0001.JPG', 1);
    put(src, DEEP, 3);
    const img = path.join(path.dirname(src), 'deep.img');
    await makeFatImage(src, img, 'DEEP70', { serial: '70de0070' });
    const m = await mountFatImage(img);
    if (m.skipReason !== undefined) return ctx.skip(m.skipReason);
    mounts.push(m);
    const r = await spawnBin(['import', '--source', m.mountPath, '--camera', 'CAM-01', '--enrol', '--json'], {
      env: t.env,
      timeoutMs: 120_000,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const sum = JSON.parse(r.stdout) as { drive: string; stored: number; failed: number; folders: number };
    expect(sum).toMatchObject({ stored: 2, failed: 0, folders: 72 });
    const drive = JSON.parse((await spawnBin(['drive', 'show', sum.drive, '--json'], { env: t.env })).stdout);
    expect(drive).toMatchObject({ serial: '70DE-0070', label: 'DEEP70' });
  }, 180_000);

  it('lists a symbolic link and a FIFO as not imported, with why, and imports the rest', async () => {
    const t = await home();
    const drive = path.join(tmpDir('custody-special-'), 'drive');
    put(drive, 'DCIM/IMG_0001.JPG', 1);
    fs.symlinkSync('/etc/shadow', path.join(drive, 'DCIM/IMG_0002.JPG'));
    execFileSync('mkfifo', [path.join(drive, 'DCIM/IMG_0003.JPG')]);
    const r = await spawnBin(['import', '--source', drive, '--camera', 'CAM-01', '--enrol'], {
      env: t.env,
      timeoutMs: 120_000,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Files: 1 \(1 stored/);
    expect(r.stdout).toContain(
      [
        'Not imported, recorded (2):',
        '  "DCIM/IMG_0002.JPG": a symbolic link; not followed, so nothing outside the drive is read (it points to "/etc/shadow")',
        '  "DCIM/IMG_0003.JPG": a FIFO (named pipe); not read',
      ].join('\n'),
    );
  }, 180_000);

  it('refuses an export whose stored copy is missing: exit 8 naming the image, nothing written', async () => {
    const t = await home();
    const drive = path.join(tmpDir('custody-exp-'), 'drive');
    put(drive, 'DCIM/IMG_0001.JPG', 1);
    put(drive, 'DCIM/IMG_0002.JPG', 2);
    const imp = await spawnBin(['import', '--source', drive, '--camera', 'CAM-01', '--enrol', '--json'], {
      env: t.env,
      timeoutMs: 120_000,
    });
    const batch = (JSON.parse(imp.stdout) as { batch: string }).batch;
    const store = path.join(t.home, 'store', batch);
    const stored = fs.readdirSync(store);
    expect(stored).toHaveLength(2);
    for (const f of stored) fs.rmSync(path.join(store, f));
    // Decrypted copies leave only as a release on a request from an eligible agency (policy §5).
    const bin = (args: string[]) => spawnBin(args, { env: t.env, timeoutMs: 120_000 });
    const driveId = JSON.parse((await bin(['drive', 'list', '--json'])).stdout)[0].id as string;
    await bin([
      'agency',
      'add',
      '--id',
      'ECSO',
      '--name',
      'Example County Sheriff',
      '--kind',
      'law-enforcement',
      '--jurisdiction',
      'california-local',
      '--identifier',
      'CA0019900',
    ]);
    const req = await bin([
      'request',
      'new',
      '--agency',
      'ECSO',
      '--officer',
      'Det. A',
      '--badge',
      '1',
      '--case',
      '1',
      '--purpose',
      'criminal investigation',
      '--document-ref',
      'letter',
      '--drive',
      driveId,
      '--json',
    ]);
    const reqId = (JSON.parse(req.stdout) as { id: string }).id;
    const out = path.join(tmpDir('custody-out-'), 'export');
    const r = await spawnBin(['image', 'export', `${batch}:1`, `${batch}:2`, '--to', out, '--request', reqId], {
      env: t.env,
    });
    expect(r.code, r.stderr).toBe(8);
    expect(r.stderr).toMatch(new RegExp(`^custody: The stored copy of image ${batch}:1 is missing from the store`));
    expect(fs.readdirSync(path.dirname(out))).toEqual([]);
  }, 180_000);
});
