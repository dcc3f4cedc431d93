/**
 * One file of a drive into the evidence store, synchronously and without streams: what each
 * worker thread of the import pool runs (src/media/ingest-pool.ts). The source is opened without
 * following a link (O_NOFOLLOW, O_NONBLOCK) and checked with fstat against the walk; its bytes
 * are read once and feed the SHA-256, the head and tail kept for sniffing and EXIF, and the
 * chunked AES-256-GCM into a temporary file of the store. A small file is read (into this
 * thread's buffer, reused from file to file) and written whole; a large one a chunk at a time
 * (memory stays at a few chunks whatever its size). The worker then sniffs the head and reads its
 * EXIF (`ingestAndDescribe`), so the main thread only names, renames and records.
 *
 * The write is proved from the bytes just written, not by reading them back: each sealed chunk,
 * as written, is opened with an opener made from the file's header as written (so the header,
 * every nonce, the last-chunk flag and every tag are checked), and its plaintext compared with the
 * bytes hashed; every write must have written all its bytes, and the finished file must be exactly
 * the header and the sealed chunks long. A re-read would come from the page cache (what the kernel
 * holds, not the disk), so it proved no more than the write's own count; what makes the copy
 * durable is the sync of the stored file before the journal line that names it
 * (src/ledger/batches.ts JournalWriter). Errors come back as data (they cross a thread): a read of
 * the drive that failed, a file that is no longer the one the walk saw, or a write of the home
 * that failed.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { DEFAULT_CHUNK, type FileOpener, fileOpener, fileSealer } from '../ledger/crypto.js';
import { type CaptureMeta, readCaptureMeta } from './exif.js';
import { type SniffResult, sniffMedia } from './sniff.js';

/** Files up to this size are read, encrypted and written whole (a larger one a chunk at a time). */
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
      /**
       * Every sealed chunk as written authenticates under the file's key and header and decrypts
       * to exactly the bytes hashed, every write wrote all its bytes, and the file is exactly their length.
       */
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

/** Write every byte of `bufs` (a short write is continued); the number of bytes written. */
function writeAll(fd: number, bufs: Buffer[]): number {
  let total = 0;
  for (const b of bufs) total += b.length;
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
  return total;
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

/** This thread's buffer for whole-file reads, reused from file to file (grown when a file needs more). */
let wholeBuf: Buffer | undefined;

/** Read up to `len` bytes from the start of the source into this thread's buffer; fewer only at its end. */
function readWhole(fd: number, len: number): Buffer {
  if (!wholeBuf || wholeBuf.length < len) wholeBuf = Buffer.allocUnsafeSlow(Math.max(len, 1024 * 1024));
  let got = 0;
  while (got < len) {
    const n = readSafe(fd, wholeBuf, got, len - got, got);
    if (n === 0) break;
    got += n;
  }
  return wholeBuf.subarray(0, got);
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
 * Prove one sealed chunk from the bytes just written: opened with an opener made from the header
 * as written (its own chunk counter), it authenticates and decrypts to exactly `plain`.
 */
export function provesChunk(opener: FileOpener, parts: [Buffer, Buffer], plain: Uint8Array, last: boolean): boolean {
  const back = opener.openParts(parts[0], parts[1], last);
  return back?.equals(plain) === true;
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
    const sealer = fileSealer(job.key, job.context, DEFAULT_CHUNK);
    const opener = fileOpener(job.key, job.context, sealer.header)!;
    const hash = createHash('sha256');
    let proved = true;
    let size = 0;
    let tail = Buffer.alloc(0);
    let head: Buffer | undefined;
    const frames: Buffer[] = [sealer.header];
    // A small file is read whole (one read of its size and a byte more, which finds its end) and
    // written whole; a large one (or one that grew) is read, sealed and written a chunk at a time.
    let whole = st.size <= SMALL_FILE_BYTES ? readWhole(fd, st.size + 1) : Buffer.alloc(0);
    if (whole.length > st.size) whole = Buffer.alloc(0); // it grew: read it a chunk at a time
    let cur = whole.length ? whole.subarray(0, DEFAULT_CHUNK) : readPiece(fd, 0, DEFAULT_CHUNK);
    let written = 0;
    for (;;) {
      const at = size + cur.length;
      const next = whole.length
        ? whole.subarray(at, at + DEFAULT_CHUNK)
        : cur.length === DEFAULT_CHUNK
          ? readPiece(fd, at, DEFAULT_CHUNK)
          : Buffer.alloc(0);
      const last = next.length === 0;
      hash.update(cur);
      head ??= Buffer.from(cur.subarray(0, job.headBytes)); // a copy: the read buffer is reused
      tail = Buffer.concat([tail, cur.subarray(Math.max(0, cur.length - 2))]).subarray(-2);
      size += cur.length;
      const parts = sealer.sealParts(cur, last);
      proved &&= provesChunk(opener, parts, cur, last);
      frames.push(...parts);
      if (!whole.length) written += writeAll(out, frames.splice(0));
      if (last) break;
      cur = next;
    }
    if (frames.length) written += writeAll(out, frames.splice(0));
    const after = (() => {
      try {
        return fs.fstatSync(fd);
      } catch {
        return st;
      }
    })();
    try {
      // Nothing else wrote to the temporary file: it is exactly the header and the sealed chunks.
      proved &&= fs.fstatSync(out).size === written;
      fs.closeSync(out);
    } catch (e) {
      throw new Fail(errnoFailure('write', e));
    }
    out = undefined;
    return {
      ok: true,
      sha256: hash.digest('hex'),
      size,
      head: head ?? Buffer.alloc(0),
      tail,
      changed: describeChange(job.walked?.size, st, after, size),
      verified: proved,
      sourceSha256: job.verifySource ? hashSourceSync(job) : undefined,
    };
  } finally {
    if (out !== undefined) fs.closeSync(out);
    fs.closeSync(fd);
  }
}

/** What the worker sends back: the outcome, and for a stored file what its first bytes say it is. */
export type IngestReply =
  | (Omit<Extract<IngestOutcome, { ok: true }>, 'head'> & {
      /** The media type by the first bytes (undefined: not an image or video). */
      sniff?: SniffResult;
      /** The EXIF read from the head (exifr) when it is media; the main thread tries exiftool after. */
      meta?: CaptureMeta;
    })
  | Extract<IngestOutcome, { ok: false }>;

/** Ingest one file, then sniff its head and read its EXIF (on the worker, so the main thread does not). */
export async function ingestAndDescribe(job: IngestJob): Promise<IngestReply> {
  const out = ingestFile(job);
  if (!out.ok) return out;
  const { head, ...rest } = out;
  const sniff = (out.size > 0 && sniffMedia(head)) || undefined;
  return { ...rest, sniff, meta: sniff ? await readCaptureMeta(head) : undefined };
}
