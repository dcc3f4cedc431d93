import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DRIVE_ID_FILE } from '../../src/media/drives.js';
import { isSystemName, walkDrive, type WalkEntry, type WalkFs } from '../../src/media/walk.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'custody-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function put(root: string, rel: string, content: string | Buffer = 'x') {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
}

async function collect(it: AsyncIterable<WalkEntry>): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('walkDrive', () => {
  const root = path.join(tmp, 'drive');
  const deep = Array.from({ length: 12 }, (_, i) => `d${i + 1}`).join('/');
  mkdirSync(root);
  put(root, DRIVE_ID_FILE, '{}');
  put(root, `${DRIVE_ID_FILE}.123-abcd.tmp`, '{}');
  put(root, 'DCIM/100CAM/IMG_0002.JPG', 'two');
  put(root, 'DCIM/100CAM/IMG_0001.JPG', 'one');
  put(root, 'DCIM/100CAM/._IMG_0001.JPG', 'appledouble');
  put(root, 'DCIM/100CAM/.DS_Store', 'ds');
  put(root, 'DCIM/101CAM/with space.jpg');
  put(root, 'DCIM/101CAM/Été 📷.jpg');
  put(root, 'DCIM/101CAM/new\nline.jpg');
  put(root, `${deep}/deep.jpg`);
  put(root, 'System Volume Information/IndexerVolumeGuid');
  put(root, '$RECYCLE.BIN/S-1-5-21/$I123.jpg');
  put(root, '.Trashes/501/old.jpg');
  put(root, '.Spotlight-V100/Store-V2/x');
  put(root, '.fseventsd/fseventsd-uuid');
  put(root, '.TemporaryItems/folders.501/x');
  put(root, 'lost+found/#123');
  put(root, `sub/${DRIVE_ID_FILE}`, 'not at root, so a file like any other');
  writeFileSync(path.join(tmp, 'outside.jpg'), 'secret');
  mkdirSync(path.join(tmp, 'outside-dir'));
  writeFileSync(path.join(tmp, 'outside-dir', 'x.jpg'), 'secret');
  symlinkSync(path.join(tmp, 'outside.jpg'), path.join(root, 'link.jpg'));
  symlinkSync(path.join(tmp, 'outside-dir'), path.join(root, 'linkdir'));

  it('yields regular files in a sorted, repeatable order, skipping system names and the id file', async () => {
    const w = walkDrive(root);
    const files = await collect(w);
    expect(files.map((f) => f.relPath)).toEqual([
      'DCIM/100CAM/IMG_0001.JPG',
      'DCIM/100CAM/IMG_0002.JPG',
      'DCIM/101CAM/new\nline.jpg',
      'DCIM/101CAM/with space.jpg',
      'DCIM/101CAM/Été 📷.jpg',
      `${deep}/deep.jpg`,
      `sub/${DRIVE_ID_FILE}`,
    ]);
    const first = files[0]!;
    expect(first.absPath).toBe(path.join(root, 'DCIM/100CAM/IMG_0001.JPG'));
    expect(first.size).toBe(3);
    expect(first.mtime).toBeInstanceOf(Date);
    // Links are reported, never followed.
    expect(w.problems.map((p) => [p.kind, p.relPath])).toEqual([
      ['symlink', 'link.jpg'],
      ['symlink', 'linkdir'],
    ]);
    expect(files.some((f) => f.relPath.includes('outside') || f.relPath.startsWith('link'))).toBe(false);
    // Same answer again.
    expect((await collect(walkDrive(root))).map((f) => f.relPath)).toEqual(files.map((f) => f.relPath));
  });

  it('stops at maxDepth with a problem', async () => {
    const w = walkDrive(root, { maxDepth: 5 });
    const files = await collect(w);
    expect(files.some((f) => f.relPath.endsWith('deep.jpg'))).toBe(false);
    expect(w.problems).toContainEqual(expect.objectContaining({ kind: 'too-deep', relPath: 'd1/d2/d3/d4/d5/d6' }));
  });

  it('reports an unreadable folder and goes on', async () => {
    // Root reads everything, so the failure is injected.
    const failing: WalkFs = {
      readdir: async (p, o) => {
        if (p.endsWith('100CAM'))
          throw Object.assign(new Error(`EACCES: permission denied, scandir '${p}'`), { code: 'EACCES' });
        return fsp.readdir(p, o);
      },
      lstat: (p) => fsp.lstat(p),
    };
    const seen: string[] = [];
    const w = walkDrive(root, { fs: failing, onProblem: (p) => seen.push(p.relPath) });
    const files = await collect(w);
    expect(files.map((f) => f.relPath)).toContain('DCIM/101CAM/with space.jpg');
    expect(files.some((f) => f.relPath.startsWith('DCIM/100CAM/'))).toBe(false);
    expect(w.problems).toContainEqual(
      expect.objectContaining({ kind: 'unreadable-folder', relPath: 'DCIM/100CAM', code: 'EACCES' }),
    );
    expect(seen).toContain('DCIM/100CAM');
  });

  it('reports a missing root as a problem, not a throw', async () => {
    const w = walkDrive(path.join(tmp, 'gone'));
    expect(await collect(w)).toEqual([]);
    expect(w.problems).toEqual([expect.objectContaining({ kind: 'unreadable-folder', relPath: '', code: 'ENOENT' })]);
  });

  it('walks a root reached through a link, and refuses a file as root', async () => {
    const via = path.join(tmp, 'via-link');
    symlinkSync(root, via);
    const w = walkDrive(via);
    const files = await collect(w);
    expect(files.length).toBe(7);
    expect(files[0]!.absPath).toBe(path.join(via, 'DCIM/100CAM/IMG_0001.JPG'));
    const f = walkDrive(path.join(root, 'DCIM/100CAM/IMG_0001.JPG'));
    expect(await collect(f)).toEqual([]);
    expect(f.problems).toEqual([expect.objectContaining({ kind: 'unreadable-folder', code: 'ENOTDIR' })]);
  });

  it('knows the system names, case-insensitively', () => {
    expect(isSystemName('system volume information', true)).toBe(true);
    expect(isSystemName('$Recycle.Bin', true)).toBe(true);
    expect(isSystemName('DCIM', true)).toBe(false);
    expect(isSystemName('._IMG.JPG', false)).toBe(true);
    expect(isSystemName('.DS_Store', false)).toBe(true);
    expect(isSystemName('lost+found', false)).toBe(false);
  });
});
