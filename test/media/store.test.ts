/**
 * Reading a drive's file into the store on the import's worker threads: opened without following
 * links, checked against the walk, sized as hashed, written whole (small) or a chunk at a time
 * (large), proved from the sealed bytes as written, and described (sniffed, EXIF read) on the worker.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileOpener, fileSealer, randomKey } from '../../src/ledger/crypto.js';
import { type IngestJob, provesChunk } from '../../src/media/ingest-file.js';
import { IngestPool } from '../../src/media/ingest-pool.js';
import { makeFixtureDrive } from '../../tools/fixture-drive.js';
import { hashStored } from '../../src/media/store.js';
import { tmpDir } from '../helpers/cli.js';

const pool = new IngestPool(2);
afterAll(() => pool.close());

/** What `ingest` answered; a failure (it crossed a thread as data) is thrown for the assertions. */
async function ingest(
  source: { absPath: string; relPath: string; walked?: IngestJob['walked'] },
  key: Buffer,
  context: string,
  tmpPath: string,
  headBytes: number,
) {
  const out = await pool.run({ ...source, key, context, tmpPath, headBytes });
  if (!out.ok) throw out;
  return out;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const CONTEXT = 'custody-store:B20261101-000001';

function walked(p: string) {
  const st = fs.statSync(p);
  return { dev: st.dev, ino: st.ino, size: st.size };
}

describe('ingest', () => {
  it('flags a file that grew after the scan, and records the size and hash of the bytes read', async () => {
    const dir = tmpDir('custody-ingest-');
    const src = path.join(dir, 'IMG_0001.JPG');
    fs.writeFileSync(src, randomBytes(300_000));
    const seen = walked(src);
    fs.appendFileSync(src, randomBytes(1000));
    const now = fs.readFileSync(src);
    const got = await ingest(
      { absPath: src, relPath: 'IMG_0001.JPG', walked: seen },
      randomKey(),
      CONTEXT,
      path.join(dir, 't'),
      4096,
    );
    expect(got).toMatchObject({ size: 301_000, sha256: sha(now), verified: true });
    expect(got.changed).toMatch(/^changed after the scan \(300000 bytes then 301000\)/);
  });

  it('records what it read of a large file that grows while it is read: the size hashed, the hash of those bytes, flagged', async () => {
    const dir = tmpDir('custody-ingest-');
    const src = path.join(dir, 'CLIP0001.MP4');
    // Larger than a small file, so it is read a chunk at a time while the camera writes more.
    fs.writeFileSync(src, randomBytes(40 * 1024 * 1024));
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
    const got = await ingest({ absPath: src, relPath: 'CLIP0001.MP4', walked: seen }, key, CONTEXT, tmp, 4096);
    expect(grown).toBe(true);
    const now = fs.readFileSync(src);
    expect(now.length).toBe(seen.size + 512 * 1024);
    // Whether the read saw the new bytes depends on when they came; what was read is what is recorded.
    expect([seen.size, now.length]).toContain(got.size);
    expect(got.sha256).toBe(sha(now.subarray(0, got.size)));
    if (got.size === now.length)
      expect(got.changed).toMatch(/^changed while it was read \(41943040 bytes at the start, 42467328 at the end\)/);
    expect(await hashStored(tmp, key, CONTEXT)).toEqual({ sha256: got.sha256, size: got.size });
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
    expect(got).toMatchObject({ size: 3000, sha256: sha(fs.readFileSync(src)), changed: undefined, verified: true });
    expect(got.sniff).toBeUndefined(); // random bytes: not media, and no EXIF read
    expect(got.meta).toBeUndefined();
  });

  it('sniffs a camera frame and reads its EXIF on the worker (the main thread gets the answer, not the head)', async () => {
    const dir = tmpDir('custody-ingest-');
    const manifest = await makeFixtureDrive(path.join(dir, 'drive'), {
      seed: 3,
      camera: { make: 'Acme', model: 'LPR-2', serial: 'AC-9' },
      start: new Date('2026-11-01T12:00:00Z'),
      days: 1,
      perDay: 1,
      timeZone: 'America/Los_Angeles',
    });
    const frame = manifest.files.find((f) => f.kind === 'image' && f.captureTime)!;
    const src = path.join(dir, 'drive', ...frame.relPath.split('/'));
    const got = await ingest(
      { absPath: src, relPath: frame.relPath, walked: walked(src) },
      randomKey(),
      CONTEXT,
      path.join(dir, 't'),
      128 * 1024,
    );
    expect(got).toMatchObject({ sha256: frame.sha256, verified: true, sniff: { kind: 'image', mime: 'image/jpeg' } });
    expect(got.meta).toMatchObject({ captureTime: frame.captureTime, make: 'Acme', model: 'LPR-2', serial: 'AC-9' });
    expect(got).not.toHaveProperty('head');
  }, 60_000);

  it.each([
    ['empty', 0],
    ['one byte', 1],
    ['exactly one chunk', 1024 * 1024],
    ['one chunk and a byte', 1024 * 1024 + 1],
    ['a large file, streamed a chunk at a time', 16 * 1024 * 1024 + 3 * 1024 * 1024 + 7],
  ])('stores %s so the stream reader decrypts it to the same bytes, and verifies it', async (_what, n) => {
    const dir = tmpDir('custody-ingest-');
    const src = path.join(dir, 'f.jpg');
    const data = randomBytes(n);
    fs.writeFileSync(src, data);
    const key = randomKey();
    const tmp = path.join(dir, 't');
    const got = await ingest({ absPath: src, relPath: 'f.jpg', walked: walked(src) }, key, CONTEXT, tmp, 128 * 1024);
    expect(got).toMatchObject({ size: n, sha256: sha(data), verified: true });
    expect(got.tail.equals(data.subarray(Math.max(0, n - 2)))).toBe(true);
    expect(await hashStored(tmp, key, CONTEXT)).toEqual({ sha256: sha(data), size: n });
    expect(fs.statSync(tmp).mode & 0o777).toBe(0o600);
  });

  it('hashes the drive file a second time when asked (--verify source)', async () => {
    const dir = tmpDir('custody-ingest-');
    const src = path.join(dir, 'a.jpg');
    fs.writeFileSync(src, randomBytes(5000));
    const out = await pool.run({
      absPath: src,
      relPath: 'a.jpg',
      walked: walked(src),
      key: randomKey(),
      context: CONTEXT,
      tmpPath: path.join(dir, 't'),
      headBytes: 64,
      verifySource: true,
    });
    expect(out).toMatchObject({ ok: true, sourceSha256: sha(fs.readFileSync(src)) });
  });

  it('reports a write of the home that fails as a write failure with its errno code (the full disk is test/e2e/home-full)', async () => {
    const dir = tmpDir('custody-ingest-');
    const src = path.join(dir, 'a.jpg');
    fs.writeFileSync(src, randomBytes(5000));
    const out = await pool.run({
      absPath: src,
      relPath: 'a.jpg',
      walked: walked(src),
      key: randomKey(),
      context: CONTEXT,
      tmpPath: path.join(dir, 'no-such-folder', 't'),
      headBytes: 64,
    });
    expect(out).toMatchObject({ ok: false, kind: 'write', code: 'ENOENT' });
  });

  it('reports a read of the drive that fails as a read failure', async () => {
    const dir = tmpDir('custody-ingest-');
    const out = await pool.run({
      absPath: path.join(dir, 'gone.jpg'),
      relPath: 'gone.jpg',
      key: randomKey(),
      context: CONTEXT,
      tmpPath: path.join(dir, 't'),
      headBytes: 64,
    });
    expect(out).toMatchObject({ ok: false, kind: 'read', code: 'ENOENT' });
    expect(fs.existsSync(path.join(dir, 't'))).toBe(false);
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
    await expect(attempt()).rejects.toMatchObject({ kind: 'changed', change: 'replaced' });
    expect(fs.existsSync(tmp)).toBe(false);
  });
});

describe('provesChunk (the proof of a write from the sealed bytes as written)', () => {
  const key = randomKey();
  const seal = () => {
    const sealer = fileSealer(key, CONTEXT, 1024);
    return { sealer, opener: fileOpener(key, CONTEXT, sealer.header)! };
  };

  it('accepts every chunk of a file sealed as written, in order, the last flagged last', () => {
    const { sealer, opener } = seal();
    const chunks = [randomBytes(1024), randomBytes(1024), randomBytes(10)];
    chunks.forEach((c, i) => {
      const last = i === chunks.length - 1;
      expect(provesChunk(opener, sealer.sealParts(c, last), c, last)).toBe(true);
    });
  });

  it('refuses a flipped bit of the ciphertext or the tag, other plaintext, a wrong last flag, or a chunk out of order', () => {
    const plain = randomBytes(1024);
    let { sealer, opener } = seal();
    const [body, tag] = sealer.sealParts(plain, true);
    const flipped = Buffer.from(body);
    flipped[7]! ^= 1;
    expect(provesChunk(opener, [flipped, tag], plain, true)).toBe(false);
    ({ sealer, opener } = seal());
    const parts = sealer.sealParts(plain, true);
    const badTag = Buffer.from(parts[1]);
    badTag[0]! ^= 1;
    expect(provesChunk(opener, [parts[0], badTag], plain, true)).toBe(false);
    ({ sealer, opener } = seal());
    const other = Buffer.from(plain);
    other[0]! ^= 1;
    expect(provesChunk(opener, sealer.sealParts(plain, true), other, true)).toBe(false);
    ({ sealer, opener } = seal());
    expect(provesChunk(opener, sealer.sealParts(plain, false), plain, true)).toBe(false);
    ({ sealer, opener } = seal());
    sealer.sealParts(plain, false); // chunk 0 sealed but not proved: the opener expects chunk 0 next
    expect(provesChunk(opener, sealer.sealParts(plain, true), plain, true)).toBe(false);
  });

  it('refuses a chunk sealed under another file header (another nonce prefix) or another key', () => {
    const plain = randomBytes(100);
    const a = seal();
    const b = seal();
    expect(provesChunk(b.opener, a.sealer.sealParts(plain, true), plain, true)).toBe(false);
    const sealer = fileSealer(randomKey(), CONTEXT, 1024);
    const opener = fileOpener(key, CONTEXT, sealer.header)!;
    expect(provesChunk(opener, sealer.sealParts(plain, true), plain, true)).toBe(false);
  });
});
