import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DRIVE_ID_FILE } from '../../src/media/drives.js';
import { bytesFromName, isUtf8, nameFromBytes } from '../../src/media/names.js';
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

  it('yields regular files in a sorted, repeatable order, the OS names marked (never skipped), without the id file', async () => {
    const w = walkDrive(root);
    const files = await collect(w);
    expect(files.filter((f) => !f.system).map((f) => f.relPath)).toEqual([
      'DCIM/100CAM/IMG_0001.JPG',
      'DCIM/100CAM/IMG_0002.JPG',
      'DCIM/101CAM/new\nline.jpg',
      'DCIM/101CAM/with space.jpg',
      'DCIM/101CAM/Été 📷.jpg',
      `${deep}/deep.jpg`,
      `sub/${DRIVE_ID_FILE}`,
    ]);
    // A file an OS names, or one inside an OS's folder, is walked like any other: only its bytes
    // say whether it is camera media (fsck's lost+found, a laptop's .Trashes).
    expect(files.filter((f) => f.system).map((f) => f.relPath)).toEqual([
      '$RECYCLE.BIN/S-1-5-21/$I123.jpg',
      '.Spotlight-V100/Store-V2/x',
      '.TemporaryItems/folders.501/x',
      '.Trashes/501/old.jpg',
      '.fseventsd/fseventsd-uuid',
      'DCIM/100CAM/.DS_Store',
      'DCIM/100CAM/._IMG_0001.JPG',
      'System Volume Information/IndexerVolumeGuid',
      'lost+found/#123',
    ]);
    const first = files.find((f) => !f.system)!;
    expect(first.absPath).toBe(path.join(root, 'DCIM/100CAM/IMG_0001.JPG'));
    expect(first.size).toBe(3);
    expect(first.mtime).toBeInstanceOf(Date);
    // Links are reported, never followed.
    expect(w.problems.map((p) => [p.kind, p.relPath, p.target])).toEqual([
      ['symlink', 'link.jpg', path.join(tmp, 'outside.jpg')],
      ['symlink', 'linkdir', path.join(tmp, 'outside-dir')],
    ]);
    // Everything else met is accounted for: the folders entered (an OS's too), the id file.
    const notes = new Map(w.notes.map((n) => [n.relPath, n.kind]));
    expect(notes.get('DCIM/100CAM')).toBe('folder');
    expect(notes.get(deep)).toBe('folder');
    expect(notes.get('$RECYCLE.BIN')).toBe('folder');
    expect(w.notes.find((n) => n.relPath === 'lost+found')?.message).toMatch(
      /operating system's folder: its files are read/,
    );
    expect(notes.get(DRIVE_ID_FILE)).toBe('drive-id');
    expect(notes.get(`${DRIVE_ID_FILE}.123-abcd.tmp`)).toBe('drive-id');
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
        if (p.toString().endsWith('100CAM'))
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
    expect(files.length).toBe(16);
    expect(files.find((f) => !f.system)!.absPath).toBe(path.join(via, 'DCIM/100CAM/IMG_0001.JPG'));
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

describe('walkDrive accounts for every entry', () => {
  it('walks 70 folders deep with no limit, and a limit given is a reported problem', async () => {
    const root = path.join(tmp, 'deep70');
    const rel = `${Array.from({ length: 70 }, (_, i) => `f${i + 1}`).join('/')}/IMG_0070.JPG`;
    put(root, rel, 'seventy');
    const w = walkDrive(root);
    const files = await collect(w);
    expect(files.map((f) => f.relPath)).toEqual([rel]);
    expect(w.problems).toEqual([]);
    expect(w.notes.filter((n) => n.kind === 'folder')).toHaveLength(70);
    const limited = walkDrive(root, { maxDepth: 64 });
    expect(await collect(limited)).toEqual([]);
    expect(limited.problems).toEqual([
      expect.objectContaining({
        kind: 'too-deep',
        relPath: Array.from({ length: 65 }, (_, i) => `f${i + 1}`).join('/'),
      }),
    ]);
  });

  it('reports a FIFO, a socket, a device node and an unreadable entry, each with a reason', async () => {
    const root = path.join(tmp, 'special');
    put(root, 'DCIM/IMG_0001.JPG', 'one');
    execFileSync('mkfifo', [path.join(root, 'DCIM/pipe')]);
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(path.join(root, 'DCIM/sock'), r));
    let device = false;
    try {
      execFileSync('mknod', [path.join(root, 'DCIM/null'), 'c', '1', '3'], { stdio: 'ignore' });
      device = true;
    } catch {
      // mknod needs CAP_MKNOD; the FIFO and socket still make the point.
    }
    try {
      const failing: WalkFs = {
        readdir: (p, o) => fsp.readdir(p, o),
        lstat: async (p) => {
          if (p.toString().endsWith('IMG_0001.JPG'))
            throw Object.assign(new Error('EIO: i/o error, lstat'), { code: 'EIO' });
          return fsp.lstat(p);
        },
      };
      const w = walkDrive(root, { fs: failing });
      expect(await collect(w)).toEqual([]);
      const byPath = new Map(w.problems.map((p) => [p.relPath, p]));
      expect(byPath.get('DCIM/pipe')).toMatchObject({ kind: 'special-file', message: expect.stringMatching(/FIFO/) });
      expect(byPath.get('DCIM/sock')).toMatchObject({ kind: 'special-file', message: expect.stringMatching(/socket/) });
      if (device)
        expect(byPath.get('DCIM/null')).toMatchObject({
          kind: 'special-file',
          message: expect.stringMatching(/character device/),
        });
      expect(byPath.get('DCIM/IMG_0001.JPG')).toMatchObject({ kind: 'unreadable-file', code: 'EIO' });
    } finally {
      server.close();
    }
  });

  it('walks names that are not valid UTF-8 by their bytes, recorded in a lossless escaped form', async () => {
    const root = path.join(tmp, 'latin1');
    put(root, 'DCIM/ok.jpg', 'ok');
    // "café\xe9.jpg" written by a Latin-1 system, and a folder named with a lone 0xff.
    const bad = Buffer.concat([Buffer.from(`${root}/DCIM/caf`), Buffer.from([0xe9]), Buffer.from('.jpg')]);
    writeFileSync(bad, 'latin-1 name');
    const dir = Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0xff, 0x5c])]);
    mkdirSync(dir);
    writeFileSync(Buffer.concat([dir, Buffer.from('/x.jpg')]), 'in a bad folder');
    const w = walkDrive(root);
    const files = await collect(w);
    expect(w.problems).toEqual([]);
    expect(files.map((f) => f.relPath)).toEqual(['DCIM/caf\\xe9.jpg', 'DCIM/ok.jpg', '\\xff\\\\/x.jpg']);
    expect(Buffer.isBuffer(files[0]!.absPath)).toBe(true);
    expect(readFileSync(files[0]!.absPath, 'utf8')).toBe('latin-1 name');
    expect(readFileSync(files[2]!.absPath, 'utf8')).toBe('in a bad folder');
    expect(files[1]!.absPath).toBe(path.join(root, 'DCIM/ok.jpg'));
    expect(bytesFromName(files[0]!.relPath)).toEqual(bad.subarray(root.length + 1));
  });
});

describe('recorded names', () => {
  const cases: [number[] | string, string][] = [
    ['IMG_0001.JPG', 'IMG_0001.JPG'],
    ['Été 📷.jpg', 'Été 📷.jpg'],
    ['new\nline', 'new\nline'],
    ['back\\slash', 'back\\\\slash'],
    [[0x63, 0x61, 0x66, 0xe9], 'caf\\xe9'],
    [[0xc3, 0x28], '\\xc3('],
    [[0xed, 0xa0, 0x80], '\\xed\\xa0\\x80'], // an encoded surrogate is not UTF-8
    [[0xc0, 0xaf], '\\xc0\\xaf'], // an overlong '/' neither
    ['\\xe9', '\\\\xe9'], // the four characters \xe9 themselves
  ];
  it.each(cases)('%j is recorded as %j and read back to the same bytes', (input, recorded) => {
    const bytes = typeof input === 'string' ? Buffer.from(input) : Buffer.from(input);
    expect(nameFromBytes(bytes)).toBe(recorded);
    expect(bytesFromName(recorded)).toEqual(bytes);
    expect(isUtf8(bytes)).toBe(typeof input === 'string');
  });

  it('is one-to-one: random byte strings never share a recorded form', () => {
    const seen = new Map<string, string>();
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % 256;
    };
    for (let i = 0; i < 5000; i++) {
      const bytes = Buffer.from(
        Array.from({ length: 1 + (rnd() % 6) }, () => [0x5c, 0x78, 0xe9, 0x41, rnd()][rnd() % 5]!),
      );
      const name = nameFromBytes(bytes);
      const hex = bytes.toString('hex');
      expect(seen.get(name) ?? hex).toBe(hex);
      seen.set(name, hex);
      expect(bytesFromName(name)).toEqual(bytes);
    }
  });
});
