/** Reading a drive's file into the store: opened without following links, checked against the walk, sized as hashed. */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomKey } from '../../src/ledger/crypto.js';
import { hashStored, ingest, SourceChangedError } from '../../src/media/store.js';
import { tmpDir } from '../helpers/cli.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const CONTEXT = 'custody-store:B20261101-000001';

function walked(p: string) {
  const st = fs.statSync(p);
  return { dev: st.dev, ino: st.ino, size: st.size };
}

describe('ingest', () => {
  it('flags a file that grew while it was read, and records the size and hash of the bytes read', async () => {
    const dir = tmpDir('custody-ingest-');
    const src = path.join(dir, 'IMG_0001.JPG');
    fs.writeFileSync(src, randomBytes(8 * 1024 * 1024));
    const seen = walked(src);
    const tmp = path.join(dir, 'out.tmp');
    const key = randomKey();
    // Once the stored copy's file exists the source is open and checked: then the camera writes more.
    let grown = false;
    const grow = () => {
      if (fs.existsSync(tmp)) {
        fs.appendFileSync(src, randomBytes(512 * 1024));
        grown = true;
      } else setImmediate(grow);
    };
    setImmediate(grow);
    const got = await ingest({ absPath: src, relPath: 'IMG_0001.JPG', walked: seen }, key, CONTEXT, tmp, 4096);
    expect(grown).toBe(true);
    const now = fs.readFileSync(src);
    expect(now.length).toBe(seen.size + 512 * 1024);
    expect(got.size).toBe(now.length);
    expect(got.sha256).toBe(sha(now));
    expect(got.changed).toMatch(/^changed while it was read \(8388608 bytes at the start, 8912896 at the end\)/);
    expect(await hashStored(tmp, key, CONTEXT)).toEqual({ sha256: sha(now), size: now.length });
  });

  it('reads an unchanged file with no flag', async () => {
    const dir = tmpDir('custody-ingest-');
    const src = path.join(dir, 'a.jpg');
    fs.writeFileSync(src, randomBytes(3000));
    const got = await ingest(
      { absPath: src, relPath: 'a.jpg', walked: walked(src) },
      randomKey(),
      CONTEXT,
      path.join(dir, 't'),
      64,
    );
    expect(got).toMatchObject({ size: 3000, sha256: sha(fs.readFileSync(src)), changed: undefined });
    expect(got.head).toHaveLength(64);
  });

  it('refuses a link, a FIFO or another file where the walk saw this one, reading nothing and writing nothing', async () => {
    const dir = tmpDir('custody-ingest-');
    const src = path.join(dir, 'a.jpg');
    fs.writeFileSync(src, 'the file the walk saw');
    const seen = walked(src);
    const tmp = path.join(dir, 't');
    const attempt = () => ingest({ absPath: src, relPath: 'a.jpg', walked: seen }, randomKey(), CONTEXT, tmp, 64);
    // The walked file is kept under another name, so its inode is not reused by what replaces it.
    fs.renameSync(src, path.join(dir, 'kept.jpg'));
    fs.symlinkSync('/etc/shadow', src);
    await expect(attempt()).rejects.toMatchObject({ change: 'symlink' });
    fs.rmSync(src);
    execFileSync('mkfifo', [src]);
    await expect(attempt()).rejects.toMatchObject({ change: 'not-a-file' });
    fs.rmSync(src);
    fs.writeFileSync(src, 'another file of the same name');
    await expect(attempt()).rejects.toBeInstanceOf(SourceChangedError);
    await expect(attempt()).rejects.toMatchObject({ change: 'replaced' });
    expect(fs.existsSync(tmp)).toBe(false);
  });
});
