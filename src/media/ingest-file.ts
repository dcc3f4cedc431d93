/**
 * One file of a drive into the evidence store, synchronously and without streams: what each
 * worker thread of the import pool runs (src/media/ingest-pool.ts). The source is opened without
 * following a link (O_NOFOLLOW, O_NONBLOCK) and checked with fstat against the walk; its bytes
 * are read once and feed the SHA-256, the head and tail kept for sniffing and EXIF, and the
 * chunked AES-256-GCM into a temporary file of the store. A small file is read and written
 * whole; a large one a chunk at a time (memory stays at a few chunks whatever its size).
 *
 * The write is then proved: the temporary file is read back, each chunk authenticated and
 * decrypted, and the plaintext compared with the bytes hashed (kept for a small file) or hashed
 * again (a large one). Errors come back as data (they cross a thread): a read of the drive that
 * failed, a file that is no longer the one the walk saw, or a write of the home that failed.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { DEFAULT_CHUNK, FILE_HEADER_BYTES, fileOpener, fileSealer } from '../ledger/crypto.js';

/** Files up to this size are read, encrypted and written whole, and verified against the bytes kept. */
export const SMALL_FILE_BYTES = 16 * 1024 * 1024;

export interface IngestJob {
  /** A Buffer for a name that is not valid UTF-8. */
  absPath: string | Buffer;
  relPath: string;
  walked?: { dev: number; ino: number; size: number };
  /** The file's own key (AES-256). */
  key: Buffer;
  context: string;
  tmpPath: string;
  headBytes: number;
  /** Also read the drive's file a second time and hash it (`--verify source`). */
  verifySource?: boolean;
}

export type SourceChange = 'symlink' | 'not-a-file' | 'replaced';

export type IngestOutcome =
  | {
      ok: true;
      sha256: string;
      size: number;
      head: Buffer;
      tail: Buffer;
      changed?: string;
      /** The stored copy read back authenticates and holds exactly the bytes hashed. */
      verified: boolean;
      /** The hash of the second read of the drive (with `verifySource`), or `unreadable`. */
      sourceSha256?: string;
    }
  | { ok: false; kind: 'changed'; change: SourceChange }
  | { ok: false; kind: 'read' | 'write'; code?: string; message: string; path?: string; syscall?: string };

type Failure = Extract<IngestOutcome, { ok: false }>;

class Fail extends Error {
  constructor(readonly failure: Failure) {
    super(failure.kind);
  }
}

function errnoFailure(kind: 'read' | 'write', e: unknown): Failure {
  const err = e as NodeJS.ErrnoException;
  return {
    ok: false,
    kind,
    code: err?.code,
    message: err?.message ?? String(e),
    path: err?.path,
    syscall: err?.syscall,
  };
}

function readSafe(fd: number, buf: Buffer, off: number, len: number, pos: number): number {
  try {
    return fs.readSync(fd, buf, off, len, pos);
  } catch (e) {
    throw new Fail(errnoFailure('read', e));
  }
}

function writeAll(fd: number, bufs: Buffer[]): void {
  try {
    let pending = bufs;
    while (pending.length) {
      let n = fs.writevSync(fd, pending);
      const rest: Buffer[] = [];
      for (const b of pending) {
        if (n >= b.length) n -= b.length;
        else {
          rest.push(n > 0 ? b.subarray(n) : b);
          n = 0;
        }
      }
      pending = rest;
    }
  } catch (e) {
    throw new Fail(errnoFailure('write', e));
  }
}

/** Open the drive's file as the walk saw it (same device and inode, a regular file, no link followed). */
function openWalkedSync(job: Pick<IngestJob, 'absPath' | 'walked'>): { fd: number; st: fs.Stats } {
  let fd: number;
  try {
    fd = fs.openSync(job.absPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP')
      throw new Fail({ ok: false, kind: 'changed', change: 'symlink' });
    throw new Fail(errnoFailure('read', e));
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Fail({ ok: false, kind: 'changed', change: 'not-a-file' });
    if (job.walked && (st.dev !== job.walked.dev || st.ino !== job.walked.ino))
      throw new Fail({ ok: false, kind: 'changed', change: 'replaced' });
    return { fd, st };
  } catch (e) {
    fs.closeSync(fd);
    if (e instanceof Fail) throw e;
    throw new Fail(errnoFailure('read', e));
  }
}

/** Read the next piece of the source: up to `len` bytes from `pos`, fewer only at its end. */
function readPiece(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const n = readSafe(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got === len ? buf : buf.subarray(0, got);
}

/** Words for a file that changed between the walk and the end of its read; undefined if it did not. */
export function describeChange(
  walkedSize: number | undefined,
  opened: { size: number; mtimeMs: number },
  after: { size: number; mtimeMs: number },
  hashed: number,
): string | undefined {
  const sizes = [walkedSize ?? opened.size, opened.size, after.size, hashed];
  if (sizes.every((n) => n === hashed) && opened.mtimeMs === after.mtimeMs) return undefined;
  if (walkedSize !== undefined && walkedSize !== opened.size)
    return `changed after the scan (${walkedSize} bytes then ${opened.size}); the ${hashed} bytes read are what was hashed and stored`;
  return `changed while it was read (${opened.size} bytes at the start, ${after.size} at the end); the ${hashed} bytes read are what was hashed and stored`;
}

/**
 * Read the stored copy back and prove it: every chunk authenticates, the last is flagged last,
 * nothing follows it, and the plaintext is the bytes hashed (`kept`) or hashes to `sha256`.
 */
function verifyStored(tmpPath: string, key: Buffer, context: string, kept: Buffer[] | undefined, sha256: string) {
  let fd: number;
  try {
    fd = fs.openSync(tmpPath, 'r');
  } catch (e) {
    throw new Fail(errnoFailure('write', e));
  }
  try {
    const size = fs.fstatSync(fd).size;
    const header = readPiece(fd, 0, FILE_HEADER_BYTES);
    const opener = fileOpener(key, context, header);
    if (!opener) return false;
    const hash = kept ? undefined : createHash('sha256');
    let pos = FILE_HEADER_BYTES;
    let i = 0;
    for (;;) {
      const frame = readPiece(fd, pos, Math.min(opener.frameBytes, size - pos));
      pos += frame.length;
      const last = pos >= size;
      const plain = opener.open(frame, last);
      if (!plain) return false;
      if (kept) {
        if (!plain.equals(kept[i] ?? Buffer.alloc(0))) return false;
      } else hash!.update(plain);
      i++;
      if (last) break;
    }
    if (kept && i !== Math.max(1, kept.length)) return false;
    return kept ? true : hash!.digest('hex') === sha256;
  } finally {
    fs.closeSync(fd);
  }
}

function hashSourceSync(job: IngestJob): string {
  try {
    const { fd } = openWalkedSync(job);
    try {
      const hash = createHash('sha256');
      let pos = 0;
      for (;;) {
        const piece = readPiece(fd, pos, DEFAULT_CHUNK);
        if (piece.length === 0) break;
        hash.update(piece);
        pos += piece.length;
      }
      return hash.digest('hex');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return 'unreadable';
  }
}

/** Read, hash, encrypt, write and verify one file; never throws (failures are data). */
export function ingestFile(job: IngestJob): IngestOutcome {
  try {
    return ingestOrFail(job);
  } catch (e) {
    try {
      fs.rmSync(job.tmpPath, { force: true });
    } catch {
      // the failure reported is the first one
    }
    if (e instanceof Fail) return e.failure;
    return errnoFailure('write', e);
  }
}

function ingestOrFail(job: IngestJob): IngestOutcome {
  const { fd, st } = openWalkedSync(job);
  let out: number | undefined;
  try {
    try {
      out = fs.openSync(job.tmpPath, 'w', 0o600);
    } catch (e) {
      throw new Fail(errnoFailure('write', e));
    }
    const small = st.size <= SMALL_FILE_BYTES;
    const sealer = fileSealer(job.key, job.context, DEFAULT_CHUNK);
    const hash = createHash('sha256');
    let kept: Buffer[] | undefined = small ? [] : undefined;
    let size = 0;
    let tail = Buffer.alloc(0);
    let head: Buffer | undefined;
    const frames: Buffer[] = [sealer.header];
    // A small file is read whole (one read of its size and a byte more, which finds its end) and
    // written whole; a large one (or one that grew) is read, sealed and written a chunk at a time.
    let whole = small ? readPiece(fd, 0, st.size + 1) : Buffer.alloc(0);
    if (whole.length > st.size) whole = Buffer.alloc(0); // it grew: read it a chunk at a time
    let cur = whole.length ? whole.subarray(0, DEFAULT_CHUNK) : readPiece(fd, 0, DEFAULT_CHUNK);
    for (;;) {
      const at = size + cur.length;
      const next = whole.length
        ? whole.subarray(at, at + DEFAULT_CHUNK)
        : cur.length === DEFAULT_CHUNK
          ? readPiece(fd, at, DEFAULT_CHUNK)
          : Buffer.alloc(0);
      const last = next.length === 0;
      hash.update(cur);
      head ??= Buffer.from(cur.subarray(0, job.headBytes)); // a copy, moved to the main thread
      tail = Buffer.concat([tail, cur.subarray(Math.max(0, cur.length - 2))]).subarray(-2);
      size += cur.length;
      frames.push(...sealer.sealParts(cur, last));
      if (kept && size <= SMALL_FILE_BYTES) kept.push(cur);
      else kept = undefined; // it grew past a small file while read: verified by its hash
      if (!whole.length) writeAll(out, frames.splice(0));
      if (last) break;
      cur = next;
    }
    if (frames.length) writeAll(out, frames.splice(0));
    const after = (() => {
      try {
        return fs.fstatSync(fd);
      } catch {
        return st;
      }
    })();
    try {
      fs.closeSync(out);
    } catch (e) {
      throw new Fail(errnoFailure('write', e));
    }
    out = undefined;
    const sha256 = hash.digest('hex');
    const verified = verifyStored(job.tmpPath, job.key, job.context, kept, sha256);
    return {
      ok: true,
      sha256,
      size,
      head: head ?? Buffer.alloc(0),
      tail,
      changed: describeChange(job.walked?.size, st, after, size),
      verified,
      sourceSha256: job.verifySource ? hashSourceSync(job) : undefined,
    };
  } finally {
    if (out !== undefined) fs.closeSync(out);
    fs.closeSync(fd);
  }
}
