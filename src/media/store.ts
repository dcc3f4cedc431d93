/**
 * The evidence store's write path: each source file is read once, and the same bytes feed the
 * SHA-256, the head kept for sniffing and EXIF, and the encryption into a temporary file, which
 * is fsynced and renamed into place. The stored copy is then decrypted and hashed again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CustodyError } from '../core/errors.js';
import { decryptStream, encryptStream } from '../ledger/crypto.js';

export interface Ingested {
  sha256: string;
  /** The bytes hashed (and stored): the size recorded, whatever the walk saw. */
  size: number;
  /** The first `headBytes` of the file (sniffing, EXIF). */
  head: Buffer;
  /** The last two bytes (a JPEG ends with FF D9 unless it was cut short). */
  tail: Buffer;
  tmpPath: string;
  /** Set when the file was not the same size from the walk to the end of the read: what changed. */
  changed?: string;
}

/** A read of the drive failed (I/O error, drive gone): not the home's fault. */
export class SourceReadError extends Error {
  constructor(
    readonly errno: NodeJS.ErrnoException,
    readonly relPath: string,
  ) {
    super(`cannot read ${relPath}: ${errno.code ?? errno.message}`);
  }
}

/** What a file the walk saw has become by the time it is opened. */
export type SourceChange = 'symlink' | 'not-a-file' | 'replaced';

/**
 * The file at the walked path is no longer the file the walk saw: a symbolic link, something
 * that is not a regular file, or another file (other device or inode). It is not read at all.
 */
export class SourceChangedError extends Error {
  constructor(
    readonly change: SourceChange,
    readonly relPath: string,
  ) {
    super(
      {
        symlink: `${relPath} was replaced by a symbolic link after the scan; it was not followed`,
        'not-a-file': `${relPath} is no longer a regular file; it was not read`,
        replaced: `${relPath} was replaced by another file after the scan; it was not read`,
      }[change],
    );
  }
}

/** What the walk saw of a file: the open file must still be this one. */
export interface WalkedFile {
  dev: number;
  ino: number;
  size: number;
}

export async function fsyncFile(file: string): Promise<void> {
  const fh = await fsp.open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Open a file of a drive for reading without following a link at its last name (O_NOFOLLOW)
 * and without waiting on a FIFO swapped in (O_NONBLOCK), then check with fstat that it is the
 * regular file the walk saw (same device and inode): a link anywhere on the way to another
 * file gives another inode and is refused too.
 */
export async function openWalked(absPath: string | Buffer, relPath: string, walked?: WalkedFile) {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(absPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ELOOP') throw new SourceChangedError('symlink', relPath);
    throw new SourceReadError(err, relPath);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new SourceChangedError('not-a-file', relPath);
    if (walked && (st.dev !== walked.dev || st.ino !== walked.ino)) throw new SourceChangedError('replaced', relPath);
    return { fh, st };
  } catch (e) {
    await fh.close();
    if (e instanceof SourceChangedError) throw e;
    throw new SourceReadError(e as NodeJS.ErrnoException, relPath);
  }
}

const READ_CHUNK = 1024 * 1024;

/**
 * Read a file of a drive once: hash it, keep its head and tail, and encrypt it into `tmpPath`.
 * The file is opened by `openWalked`; the size returned is the number of bytes hashed, and a file
 * whose size or modification time moved between the walk, the open and the end of the read comes
 * back with `changed` saying how. Read errors are `SourceReadError`; errors writing the home
 * (a full disk) are thrown as they are.
 */
export async function ingest(
  source: { absPath: string | Buffer; relPath: string; walked?: WalkedFile },
  key: Buffer,
  context: string,
  tmpPath: string,
  headBytes: number,
): Promise<Ingested> {
  const { fh, st } = await openWalked(source.absPath, source.relPath, source.walked);
  const hash = createHash('sha256');
  const headParts: Buffer[] = [];
  let headLen = 0;
  let tail = Buffer.alloc(0);
  let size = 0;
  const enc = encryptStream(key, context);
  // Not synced here: the journal syncs stored files in groups before it records them.
  const written = pipeline(enc, fs.createWriteStream(tmpPath, { mode: 0o600 }));
  written.catch(() => {}); // awaited below; this only keeps an early failure from being unhandled
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      let n: number;
      try {
        n = (await fh.read(buf, 0, READ_CHUNK, size)).bytesRead;
      } catch (e) {
        throw new SourceReadError(e as NodeJS.ErrnoException, source.relPath);
      }
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      hash.update(chunk);
      size += n;
      if (headLen < headBytes) {
        const part = chunk.subarray(0, headBytes - headLen);
        headParts.push(Buffer.from(part));
        headLen += part.length;
      }
      tail = Buffer.concat([tail, chunk.subarray(Math.max(0, n - 2))]).subarray(-2);
      if (!enc.write(chunk)) await Promise.race([once(enc, 'drain'), written]);
    }
    enc.end();
    await written;
    const after = await fh.stat().catch(() => st);
    return {
      sha256: hash.digest('hex'),
      size,
      head: Buffer.concat(headParts),
      tail,
      tmpPath,
      changed: describeChange(source.walked?.size, st, after, size),
    };
  } catch (e) {
    enc.destroy();
    await written.catch(() => {});
    await fsp.rm(tmpPath, { force: true });
    throw e;
  } finally {
    await fh.close().catch(() => {});
  }
}

/** Words for a file that changed between the walk and the end of its read; undefined if it did not. */
function describeChange(
  walkedSize: number | undefined,
  opened: fs.Stats,
  after: fs.Stats,
  hashed: number,
): string | undefined {
  const sizes = [walkedSize ?? opened.size, opened.size, after.size, hashed];
  if (sizes.every((n) => n === hashed) && opened.mtimeMs === after.mtimeMs) return undefined;
  if (walkedSize !== undefined && walkedSize !== opened.size)
    return `changed after the scan (${walkedSize} bytes then ${opened.size}); the ${hashed} bytes read are what was hashed and stored`;
  return `changed while it was read (${opened.size} bytes at the start, ${after.size} at the end); the ${hashed} bytes read are what was hashed and stored`;
}

/** Decrypt a stored file and return its SHA-256 (and size). */
export async function hashStored(
  file: string,
  key: Buffer,
  context: string,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(
    fs.createReadStream(file, { highWaterMark: 1024 * 1024 }),
    decryptStream(key, context),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb();
      },
    }),
  );
  return { sha256: hash.digest('hex'), size };
}

/**
 * Hash a drive's file again (`--verify source`), opened as `ingest` opens it: not `sha256OfFile`,
 * which follows a link swapped in since the walk.
 */
export async function hashSource(file: string | Buffer, relPath: string, walked?: WalkedFile): Promise<string> {
  const { fh } = await openWalked(file, relPath, walked);
  try {
    const hash = createHash('sha256');
    await pipeline(fh.createReadStream({ highWaterMark: READ_CHUNK, autoClose: false }), hash);
    return hash.digest('hex');
  } finally {
    await fh.close().catch(() => {});
  }
}

/**
 * A stored copy that cannot be handed out, named as a store problem (exit 8) with the image it
 * belongs to: missing from the store, or damaged (it does not authenticate or does not match its
 * recorded hash). Other errors (the destination's disk) come back undefined.
 */
export function storeProblem(e: unknown, image: string, file: string): CustodyError | undefined {
  const code = (e as NodeJS.ErrnoException)?.code;
  const hint = 'Run `custody verify`, and restore the store from a backup of the home.';
  if (code === 'ENOENT' && (e as NodeJS.ErrnoException).path === file)
    return new CustodyError(
      'integrity',
      `The stored copy of image ${image} is missing from the store (${file}).`,
      hint,
      {
        cause: e,
      },
    );
  if (e instanceof CustodyError && e.code === 'integrity')
    return new CustodyError('integrity', `The stored copy of image ${image} is damaged: ${e.message}`, hint, {
      cause: e,
    });
  return undefined;
}

/** Decrypt a stored file to `dest`, checking its hash on the way; the file is removed on mismatch. */
export async function exportStored(
  file: string,
  key: Buffer,
  context: string,
  dest: string,
  expectedSha256: string,
): Promise<void> {
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  try {
    await pipeline(
      fs.createReadStream(file),
      decryptStream(key, context),
      tap,
      fs.createWriteStream(dest, { flags: 'wx', mode: 0o600 }),
    );
    await fsyncFile(dest);
  } catch (e) {
    await fsp.rm(dest, { force: true });
    throw e;
  }
  const got = hash.digest('hex');
  if (got !== expectedSha256) {
    await fsp.rm(dest, { force: true });
    throw new CustodyError(
      'integrity',
      `The stored copy of ${path.basename(dest)} does not match its recorded hash.`,
      'Run `custody verify`; the store may have been altered.',
    );
  }
}
