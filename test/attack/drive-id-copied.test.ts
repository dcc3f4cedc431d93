/**
 * Gate review, item 4: a drive was recognised by its id file alone. Copy `.custody-drive.json` of
 * an enrolled drive onto another stick and `swap` / `import` took that stick for the recorded
 * drive: its files imported as the recorded drive's recordings, its removal recorded. Now the volume
 * must be the one enrolled (core/drive-identity.ts, operations/drives.ts requireRecordedVolume):
 * a volume serial (or size) that disagrees is refused, exit 8, nothing imported or recorded. Real
 * FAT images on a loop device, mounted with fusefat: the drive enrolled on its own mount (the serial
 * recorded from blkid), then a second stick made with the same files and the copied id file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkVolume } from '../../src/core/drive-identity.js';
import { DRIVE_ID_FILE } from '../../src/media/drives.js';
import { endExiftool } from '../../src/media/exif.js';
import {
  ECSO_AGENCY_ADD,
  ecsoRequest,
  INIT_ARGS,
  newTestHome,
  okRunner,
  ROOT,
  run,
  type TestHome,
  tmpDir,
} from '../helpers/cli.js';
import { type FatMount, makeFatImage, mountFatImage } from '../helpers/fat-image.js';

const DEMO = path.join(ROOT, 'fixtures', 'demo-drive', 'DCIM', '100CAM');
const mounts: FatMount[] = [];
let skip: string | undefined;

async function mount(img: string, writable = false): Promise<FatMount | undefined> {
  const m = await mountFatImage(img, { writable });
  if (m.skipReason !== undefined) {
    skip = m.skipReason;
    return undefined;
  }
  mounts.push(m);
  return m;
}

afterAll(async () => {
  for (const m of mounts) await m.unmount();
  await endExiftool();
});

describe('the volume facts of a drive against its enrolment (pure)', () => {
  it('refuses another serial or size, warns of a label, a type or a folder, compares nothing unrecorded', () => {
    const rec = { serial: '1A2B-3C4D', capacityBytes: 16e9, fsType: 'vfat', label: 'CAMDRIVE' };
    expect(checkVolume('D001', rec, { ...rec })).toEqual({ refuse: [], warn: [] });
    expect(checkVolume('D001', rec, { ...rec, serial: '1a2b3c4d', fsType: 'fuse.vfat' })).toEqual({
      refuse: [],
      warn: [],
    });
    expect(checkVolume('D001', rec, { ...rec, serial: '0BAD-F00D' }).refuse).toEqual([
      'its volume serial is 0BAD-F00D, drive D001 was enrolled with 1A2B-3C4D',
    ]);
    expect(checkVolume('D001', rec, { ...rec, capacityBytes: 32e9 }).refuse).toHaveLength(1);
    expect(checkVolume('D001', rec, { ...rec, capacityBytes: 16.1e9 }).refuse).toEqual([]);
    const w = checkVolume('D001', rec, { serial: undefined, capacityBytes: 16e9, fsType: 'exfat', label: 'OTHER' });
    expect(w.refuse).toEqual([]);
    expect(w.warn).toHaveLength(3);
    expect(checkVolume('D001', rec, undefined).warn).toEqual([
      "the source is a folder, not a mounted volume: it cannot be compared with drive D001's volume serial 1A2B-3C4D",
    ]);
    expect(checkVolume('D001', {}, { serial: 'X', capacityBytes: 1, fsType: 'vfat', label: 'Y' })).toEqual({
      refuse: [],
      warn: [],
    });
  });
});

describe('an enrolled drive whose id file is copied onto another FAT stick', () => {
  let t: TestHome;
  let ok: ReturnType<typeof okRunner>;
  const work = tmpDir('custody-idcopy-');
  const imgA = path.join(work, 'a.img');
  const imgB = path.join(work, 'b.img');
  const copyFolder = path.join(work, 'copy');

  beforeAll(async () => {
    t = newTestHome();
    ok = okRunner(t);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T08:00:00-07:00']);
    const src = path.join(work, 'src');
    fs.mkdirSync(path.join(src, 'DCIM', '100CAM'), { recursive: true });
    for (const n of ['0001', '0002', '0003'])
      fs.copyFileSync(path.join(DEMO, `IMG_${n}.JPG`), path.join(src, 'DCIM', '100CAM', `IMG_${n}.JPG`));
    await makeFatImage(src, imgA, 'CAMDRIVE', { serial: '1a2b3c4d' });
    // Enrolled on its own mount: the id file written to the stick, its volume serial recorded.
    const a = await mount(imgA, true);
    if (!a) return;
    await ok(['drive', 'enrol', '--source', a.mountPath, '--id', 'D001']);
    const idFile = fs.readFileSync(path.join(a.mountPath, DRIVE_ID_FILE));
    await a.unmount();
    // Another stick: the same files, the copied id file, its own volume serial.
    fs.cpSync(src, copyFolder, { recursive: true });
    fs.writeFileSync(path.join(copyFolder, DRIVE_ID_FILE), idFile);
    await makeFatImage(copyFolder, imgB, 'CAMDRIVE', { serial: '0badf00d' });
  }, 180_000);

  it('records the volume serial at enrolment from the stick itself', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const shown = JSON.parse((await ok(['drive', 'show', 'D001', '--json'])).stdout) as { serial: string };
    expect(shown.serial).toBe('1A2B-3C4D');
  });

  it('is refused by swap and import (exit 8), nothing imported or recorded', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const b = await mount(imgB);
    if (!b) return ctx.skip(skip!);
    const events = async () => (JSON.parse((await ok(['log', '--json'])).stdout) as unknown[]).length;
    const before = await events();
    const swap = await run(
      ['swap', '--source', b.mountPath, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement'],
      { env: t.env },
    );
    const imp = await run(['import', '--source', b.mountPath, '--camera', 'CAM-01'], { env: t.env });
    expect({ swap: swap.code, imp: imp.code, recorded: (await events()) - before }, swap.stderr + imp.stderr).toEqual({
      swap: 8,
      imp: 8,
      recorded: 0,
    });
    expect(swap.stderr).toMatch(/its volume serial is 0BAD-F00D, drive D001 was enrolled with 1A2B-3C4D/);
    expect(swap.stderr.trim().split('\n')[0]).toMatch(/^custody: The drive at .* is taken for drive D001, but/);
    await b.unmount();
  });

  it('the enrolled stick itself is recognised and swapped, with no warning', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const a = await mount(imgA);
    if (!a) return ctx.skip(skip!);
    const r = await run(
      ['swap', '--source', a.mountPath, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement', '--json'],
      { env: t.env },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Warning/);
    expect(JSON.parse(r.stdout)).toMatchObject({ drive: 'D001' });
    await a.unmount();
  });

  it('is not handed over as the drive (exit 8, no receipt, nothing recorded); the drive itself is', async (ctx) => {
    if (skip) return ctx.skip(skip);
    await ok(ECSO_AGENCY_ADD);
    const req = JSON.parse((await ok(ecsoRequest('--drive', 'D001', '--json'))).stdout) as { id: string };
    const out = tmpDir('custody-idcopy-out-');
    const release = (source: string, name: string) =>
      run(['release', '--request', req.id, '--drive', 'D001', '--source', source, '--receipt', path.join(out, name)], {
        env: t.env,
      });
    const b = await mount(imgB);
    if (!b) return ctx.skip(skip!);
    const refused = await release(b.mountPath, 'copy.pdf');
    expect({ code: refused.code, written: fs.readdirSync(out) }, refused.stderr).toEqual({ code: 8, written: [] });
    expect(refused.stderr).toMatch(/its volume serial is 0BAD-F00D, drive D001 was enrolled with 1A2B-3C4D/);
    await b.unmount();
    const a = await mount(imgA);
    if (!a) return ctx.skip(skip!);
    const handed = await release(a.mountPath, 'drive.pdf');
    expect(handed.code, handed.stderr).toBe(0);
    expect(fs.readdirSync(out)).toEqual(['drive.pdf']);
    await a.unmount();
  });

  it('a folder holding the copied id file is named in a warning: it is no volume to compare', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const r = await run(['import', '--source', copyFolder, '--camera', 'CAM-01'], { env: t.env });
    expect(r.stderr).toMatch(
      /Warning: the drive at .*copy: the source is a folder, not a mounted volume: it cannot be compared with drive D001's volume serial 1A2B-3C4D\./,
    );
  });
});
