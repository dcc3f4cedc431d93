/**
 * The evidence store's read paths and the opening of a drive's file as the walk saw it. The
 * write path (read once, hash, encrypt, write, prove from the sealed bytes) is src/media/ingest-file.ts,
 * run on the import's worker threads.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CustodyError } from '../core/errors.js';
import { decryptStream } from '../ledger/crypto.js';

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
