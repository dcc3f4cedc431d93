/**
 * Gate review, item 2: an export of images whose names differ only by case (IMG_0010.JPG and
 * img_0010.jpg: two cameras' files on one drive, or a drive written by a case-sensitive system)
 * onto a disk that folds case — a FAT stick, the usual thing a deputy brings — was refused as an
 * existing file (exit 6), and names differing by case in a folder were merged into the first
 * spelling's folder while the manifest named another. The bag names each file so that no disk
 * takes two for one (src/core/bag-names.ts), and the manifest, the files on the disk and the
 * receipt agree. The target here is a real exFAT image on a loop device, mounted read-write with
 * exfat-fuse (which folds case, and keeps no modes). A FAT image mounted read-write with fusefat
 * (`rw+`) checks what a file system that implements no chmod does to a receipt: it is written with
 * what the mount gives (fusefat's own rename of a folder loses the folder's contents, so a bag cannot
 * be checked there).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { bagPaths, foldKey } from '../../src/core/bag-names.js';
import { endExiftool } from '../../src/media/exif.js';
import { ECSO_AGENCY_ADD, ecsoRequest, INIT_ARGS, newTestHome, okRunner, ROOT, run, tmpDir } from '../helpers/cli.js';
import { type FatMount, makeFatImage, mountExfatImage, mountFatImage } from '../helpers/fat-image.js';

const exec = promisify(execFile);
let mounted: FatMount | undefined;
let fat: FatMount | undefined;

afterAll(async () => {
  await mounted?.unmount();
  await fat?.unmount();
  await endExiftool();
});

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
    .sort();
}

describe('the names in a bag', () => {
  it('no two fold to one name; the first in byte order keeps its name; folders and files alike', () => {
    const entries = [
      ['CAM-01', 'B1', 'DCIM', '100CAM', 'img_0010.jpg'],
      ['CAM-01', 'B1', 'DCIM', '100CAM', 'IMG_0010.JPG'],
      ['CAM-01', 'B1', 'DCIM', '100CAM', 'img_0010~2.jpg'], // a real name the rule must not take
      ['CAM-01', 'B1', 'dcim', '100cam', 'IMG_0099.JPG'],
      ['CAM-01', 'B1', 'DCIM', 'Cafe\u0301.jpg'], // NFD
      ['CAM-01', 'B1', 'DCIM', 'Caf\u00e9.jpg'], // NFC
      ['CAM-01', 'B1', 'DCIM', 'a:b.jpg'], // made safe as a_b.jpg
      ['CAM-01', 'B1', 'DCIM', 'a_b.jpg'],
      ['cam-01', 'B1', 'x.jpg'],
    ];
    const out = bagPaths(entries);
    expect(out).toEqual([
      'CAM-01/B1/DCIM/100CAM/img_0010~3.jpg',
      'CAM-01/B1/DCIM/100CAM/IMG_0010.JPG',
      'CAM-01/B1/DCIM/100CAM/img_0010~2.jpg',
      'CAM-01/B1/dcim~2/100cam/IMG_0099.JPG',
      'CAM-01/B1/DCIM/Cafe\u0301.jpg',
      'CAM-01/B1/DCIM/Caf\u00e9~2.jpg',
      'CAM-01/B1/DCIM/a_b~2.jpg',
      'CAM-01/B1/DCIM/a_b.jpg',
      'cam-01~2/B1/x.jpg',
    ]);
    expect(new Set(out.map(foldKey)).size).toBe(out.length);
    // The same input gives the same names whatever its order.
    expect(bagPaths([...entries].reverse())).toEqual([...out].reverse());
  });
});

describe('an export onto an exFAT stick (case-folding), names differing only by case', () => {
  it('writes every file under a distinct name; manifest, disk and receipt agree', async (ctx) => {
    const t = newTestHome();
    const ok = okRunner(t);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T08:00:00-07:00']);
    const drive = path.join(t.dir, 'CAMDRIVE1');
    fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
    const cam = path.join(drive, 'DCIM', '100CAM');
    // Written by a case-sensitive system: a name differing only by case, and a folder likewise.
    fs.writeFileSync(
      path.join(cam, 'img_0010.jpg'),
      Buffer.concat([fs.readFileSync(path.join(cam, 'IMG_0011.JPG')), Buffer.from('x')]),
    );
    fs.mkdirSync(path.join(drive, 'dcim', '100cam'), { recursive: true });
    fs.writeFileSync(
      path.join(drive, 'dcim', '100cam', 'IMG_0099.JPG'),
      Buffer.concat([fs.readFileSync(path.join(cam, 'IMG_0012.JPG')), Buffer.from('y')]),
    );
    await ok(['drive', 'enrol', '--source', drive, '--id', 'D001', '--label', 'CAMDRIVE1']);
    await ok(['swap', '--source', drive, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement']);
    await ok(ECSO_AGENCY_ADD);
    const req = await ok(ecsoRequest('--cameras', 'CAM-01', '--from', '2026-11-03', '--to', '2026-11-03'));
    const reqId = /Request (REQ-\d{4}-0001)/.exec(req.stdout)![1]!;

    const work = tmpDir('custody-fat-out-');
    const m = await mountExfatImage(path.join(work, 'stick.img'), 'DEPUTY');
    if ('skipReason' in m && m.skipReason) {
      ctx.skip(`exFAT image not mountable here: ${m.skipReason}`);
      return;
    }
    mounted = m as FatMount;
    const bag = path.join(mounted.mountPath, reqId);
    const r = await run(['release', '--request', reqId, '--to', bag, '--json'], { env: t.env });
    expect(r.code, r.stderr).toBe(0);

    const manifest = fs
      .readFileSync(path.join(bag, 'manifest-sha256.txt'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.replace(/^[0-9a-f]{64} {2}data\//, ''))
      .sort();
    // Every file the manifest names is on the disk under exactly that name (read back from the FAT).
    expect(filesUnder(path.join(bag, 'data'))).toEqual(manifest);
    expect(manifest).toHaveLength(10); // the 8 demo images of 3 November and the two added
    expect(new Set(manifest.map(foldKey)).size).toBe(manifest.length);
    const batch = manifest[0]!.split('/')[1]!;
    expect(manifest).toEqual(
      expect.arrayContaining([
        `CAM-01/${batch}/DCIM/100CAM/IMG_0010.JPG`,
        `CAM-01/${batch}/DCIM/100CAM/img_0010~2.jpg`,
        `CAM-01/${batch}/dcim~2/100cam/IMG_0099.JPG`,
      ]),
    );
    // The receipt checks against the bag, and names the renamed files' paths on the drive.
    const receipt = path.join(mounted.mountPath, fs.readdirSync(mounted.mountPath).find((n) => /^R-.*\.pdf$/.test(n))!);
    const v = await run(['receipt', 'verify', receipt, '--bag', bag], { env: t.env });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const text = (await exec('pdftotext', ['-layout', receipt, '-'])).stdout.replace(/\s+/g, ' ');
    expect(text).toContain('img_0010~2.jpg');
    expect(text).toMatch(/on the drive: DCIM\/100CAM\/img_0010\.jpg/);
    expect(text).toMatch(/on the drive: dcim\/100cam\/IMG_0099\.JPG/);
  }, 300_000);
});

describe('an output onto a file system that implements no chmod (FAT through fusefat rw+)', () => {
  it('is written, with the modes the mount gives, instead of failing', async (ctx) => {
    const t = newTestHome();
    await okRunner(t)(INIT_ARGS);
    const work = tmpDir('custody-fat-out-');
    const empty = path.join(work, 'empty');
    fs.mkdirSync(empty);
    const img = path.join(work, 'stick.img');
    await makeFatImage(empty, img, 'DEPUTY', { sizeMiB: 32 });
    const m = await mountFatImage(img, { writable: true });
    if ('skipReason' in m && m.skipReason) {
      ctx.skip(`FAT image not mountable here: ${m.skipReason}`);
      return;
    }
    fat = m as FatMount;
    const out = path.join(fat.mountPath, 'witness.json');
    const r = await run(['witness', 'export', '--out', out], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toHaveProperty('format', 'custody-witness');
  }, 120_000);
});
