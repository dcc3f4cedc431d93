/**
 * The evidence store's write path: each source file is read once, and the same bytes feed the
 * SHA-256, the head kept for sniffing and EXIF, and the encryption into a temporary file, which
 * is fsynced and renamed into place. The stored copy is then decrypted and hashed again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CustodyError } from '../core/errors.js';
import { decryptStream, encryptStream } from '../ledger/crypto.js';

export interface Ingested {
  sha256: string;
  size: number;
  /** The first `headBytes` of the file (sniffing, EXIF). */
  head: Buffer;
  /** The last two bytes (a JPEG ends with FF D9 unless it was cut short). */
  tail: Buffer;
  tmpPath: string;
}

export class SourceReadError extends Error {
  constructor(
    readonly errno: NodeJS.ErrnoException,
    readonly relPath: string,
  ) {
    super(`cannot read ${relPath}: ${errno.code ?? errno.message}`);
  }
}

export async function fsyncFile(file: string): Promise<void> {
  const fh = await fsp.open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Read `absPath` once: hash, keep its head and tail, and encrypt it into `tmpPath`. */
export async function ingest(
  absPath: string,
  relPath: string,
  key: Buffer,
  context: string,
  tmpPath: string,
  headBytes: number,
): Promise<Ingested> {
  const hash = createHash('sha256');
  const headParts: Buffer[] = [];
  let headLen = 0;
  let tail = Buffer.alloc(0);
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      size += chunk.length;
      if (headLen < headBytes) {
        const part = chunk.subarray(0, headBytes - headLen);
        headParts.push(Buffer.from(part));
        headLen += part.length;
      }
      tail = Buffer.concat([tail, chunk.subarray(Math.max(0, chunk.length - 2))]).subarray(-2);
      cb(null, chunk);
    },
  });
  const source = fs.createReadStream(absPath, { highWaterMark: 1024 * 1024 });
  let sourceError: NodeJS.ErrnoException | undefined;
  source.on('error', (e) => (sourceError = e as NodeJS.ErrnoException));
  try {
    // Not synced here: the journal syncs stored files in groups before it records them.
    await pipeline(source, tap, encryptStream(key, context), fs.createWriteStream(tmpPath, { mode: 0o600 }));
  } catch (e) {
    await fsp.rm(tmpPath, { force: true });
    if (sourceError) throw new SourceReadError(sourceError, relPath);
    throw e;
  }
  return { sha256: hash.digest('hex'), size, head: Buffer.concat(headParts), tail, tmpPath };
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
