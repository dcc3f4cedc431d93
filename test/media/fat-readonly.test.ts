/**
 * A read-only FAT drive (an mtools image mounted read-only with fusefat, through a loop device
 * and straight from the image file): it cannot carry an id file, so it is enrolled by its volume
 * serial and label, found behind the FUSE mount whose table entry says only `fusefat`, and known
 * again by that serial at the next swap. Its 70-folder-deep image is imported, not dropped.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { openSession } from '../../src/ledger/session.js';
import { DRIVE_ID_FILE, parseFatBootSector, readVolumeInfo } from '../../src/media/drives.js';
import { endExiftool } from '../../src/media/exif.js';
import { listMounts } from '../../src/media/mounts.js';
import { recogniseDrive } from '../../src/operations/import.js';
import { INIT_ARGS, newTestHome, PASSWORD, ROOT, run, type TestHome, tmpDir } from '../helpers/cli.js';
import { type FatMount, makeFatImage, mountFatImage } from '../helpers/fat-image.js';

const NOW = '2026-11-05T00:00:00.000-08:00';
const DEMO = path.join(ROOT, 'fixtures', 'demo-drive', 'DCIM', '100CAM');
const DEEP = `${Array.from({ length: 70 }, (_, i) => `D${i + 1}`).join('/')}/IMG_0004.JPG`;
const work = tmpDir('custody-fatro-');
const img = path.join(work, 'ro.img');
const mounts: FatMount[] = [];
let skip: string | undefined;
let t: TestHome;
const clock = manualClock(NOW);

beforeAll(async () => {
  const src = path.join(work, 'src');
  for (const [rel, n] of [
    ['DCIM/100CAM/IMG_0001.JPG', 1],
    ['DCIM/100CAM/IMG_0002.JPG', 2],
    [DEEP, 4],
  ] as const) {
    fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    fs.copyFileSync(path.join(DEMO, `IMG_000${n}.JPG`), path.join(src, rel));
  }
  await makeFatImage(src, img, 'CAMRO', { serial: 'c0ffee01' });
  const m = await mountFatImage(img);
  if (m.skipReason !== undefined) skip = m.skipReason;
  else mounts.push(m);
  t = newTestHome();
  expect((await run(INIT_ARGS, { env: t.env, clock })).code).toBe(0);
  expect(
    (
      await run(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00'], {
        env: t.env,
        clock,
      })
    ).code,
  ).toBe(0);
}, 120_000);

afterAll(async () => {
  for (const m of mounts) await m.unmount();
  await endExiftool();
});

describe('a read-only FAT drive', () => {
  it('is found behind a fusefat mount (the table says only "fusefat") and its boot sector read', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const m = mounts[0]!;
    const entry = (await listMounts()).find((e) => e.mountPath === m.mountPath);
    expect(entry).toMatchObject({ source: 'fusefat', readOnly: true });
    // No source given: found from the fusefat process's arguments (the loop device).
    expect(await readVolumeInfo(m.mountPath)).toMatchObject({ serial: 'C0FF-EE01', label: 'CAMRO', source: m.device });
    const boot = Buffer.alloc(512);
    const fd = fs.openSync(img, 'r');
    fs.readSync(fd, boot, 0, 512, 0);
    fs.closeSync(fd);
    expect(parseFatBootSector(boot)).toEqual({ type: 'vfat', uuid: 'C0FF-EE01', label: 'CAMRO' });
  });

  it('is enrolled by its volume serial and label when its id file cannot be written, and imported whole', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const m = mounts[0]!;
    expect(() => fs.writeFileSync(path.join(m.mountPath, 'probe'), 'x')).toThrow(/EROFS/);
    const r = await run(['import', '--source', m.mountPath, '--camera', 'CAM-01', '--enrol', '--json'], {
      env: t.env,
      clock,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const sum = JSON.parse(r.stdout) as { drive: string; stored: number; failed: number; batch: string };
    expect(sum).toMatchObject({ stored: 3, failed: 0 });
    expect(fs.existsSync(path.join(m.mountPath, DRIVE_ID_FILE))).toBe(false);
    const shown = JSON.parse((await run(['drive', 'show', sum.drive, '--json'], { env: t.env, clock })).stdout);
    expect(shown).toMatchObject({ id: sum.drive, serial: 'C0FF-EE01', label: 'CAMRO' });
    // The 70-deep image is stored, byte for byte.
    const s = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock,
      command: 'test',
    });
    try {
      const { BatchFiles, loadBatchKey, openSegment, segmentRecords } = await import('../../src/ledger/batches.js');
      const bf = new BatchFiles(s.home, sum.batch);
      const db = await openSegment(bf, loadBatchKey(bf, s.master));
      const deep = segmentRecords(db).find((x) => x.relPath === DEEP);
      db.close();
      expect(deep).toMatchObject({
        outcome: 'stored',
        sha256: createHash('sha256')
          .update(fs.readFileSync(path.join(DEMO, 'IMG_0004.JPG')))
          .digest('hex'),
      });
    } finally {
      s.close();
    }
  });

  it('is known again by its serial when mounted from the image file, and not enrolled twice', async (ctx) => {
    if (skip) return ctx.skip(skip);
    await mounts[0]!.unmount();
    const direct = await mountFatImage(img, { via: 'image' });
    if (direct.skipReason !== undefined) return ctx.skip(direct.skipReason);
    mounts.push(direct);
    expect(await readVolumeInfo(direct.mountPath)).toMatchObject({ serial: 'C0FF-EE01', source: img });
    const s = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock,
      command: 'test',
    });
    try {
      expect(await recogniseDrive(s, direct.mountPath)).toMatchObject({ drive: { id: 'D001', serial: 'C0FF-EE01' } });
    } finally {
      s.close();
    }
    const again = await run(['drive', 'enrol', '--source', direct.mountPath], { env: t.env, clock });
    expect(again.code).toBe(6);
    expect(again.stderr).toMatch(/read-only.*drive D001 already has its volume serial C0FF-EE01/);
  });
});
