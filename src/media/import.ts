/**
 * `custody import` (and the import step of `custody swap`): walk the drive, store every image
 * and clip with its hash, verify the stored copy, read the date of recordation, and record the
 * batch. Interrupted at any point, a rerun resumes from the batch's journal: no file is counted
 * twice or missed. The drive is only read.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { judgeCaptureTime, type CaptureTimeFlag } from '../core/capture-time.js';
import { CustodyError } from '../core/errors.js';
import { localDate, parseIsoWithOffset } from '../core/time.js';
import { sha256Hex } from '../core/hash.js';
import {
  BatchFiles,
  createBatchKey,
  dayKey,
  dayOfRecord,
  daySummaries,
  type EntryRecord,
  type FileRecord,
  JournalWriter,
  loadBatchKey,
  newBatchId,
  openBatchOf,
  readJournal,
  storeContext,
  storeName,
  wrapFileKey,
  writeSegment,
} from '../ledger/batches.js';
import { randomKey } from '../ledger/crypto.js';
import { ioError } from '../ledger/fsutil.js';
import type { Session } from '../ledger/session.js';
import { EXIF_HEAD_BYTES, readCaptureMetaExiftool, type CaptureMeta } from './exif.js';
import { KnownContent } from './known.js';
import { isEscapedName } from './names.js';
import type { IngestReply } from './ingest-file.js';
import { IngestPool } from './ingest-pool.js';
import { type DriveWalk, walkDrive, type WalkEntry } from './walk.js';

export interface ImportProgress {
  /** `scan` is reported once, when the walk is done and before any file is read. */
  phase: 'scan' | 'import' | 'finish';
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
  current?: string;
}

export interface ImportOptions {
  source: string;
  driveId: string;
  cameraId: string | null;
  /** When the drive was taken out of the camera (recorded with the batch). */
  removedAt?: string;
  /** Re-read each file from the drive after storing it and compare. @default false */
  verifySource?: boolean;
  onProgress?: (p: ImportProgress) => void;
  /** Checked between files; an aborted import stops cleanly and resumes next time. */
  signal?: AbortSignal;
}

export interface ImportSummary {
  batch: string;
  drive: string;
  camera: string | null;
  resumed: boolean;
  /** True when every file was already in the store: nothing new was imported. */
  nothingNew: boolean;
  files: number;
  stored: number;
  duplicates: number;
  skipped: number;
  failed: number;
  bytes: number;
  storedBytes: number;
  recordedFirst: string | null;
  recordedLast: string | null;
  manifestSha256: string;
  startedAt: string;
  finishedAt: string;
  attention: { relPath: string; what: string }[];
  failures: { relPath: string; problem: string }[];
  /** Folders walked (each recorded in the batch's segment). */
  folders: number;
  /**
   * Entries of the drive that are not files to import, each with why: symbolic links (never
   * followed), FIFOs, sockets and device nodes, operating system files, other file systems.
   * Recorded in the batch's segment and in the ledger's `import.finished` event.
   */
  notImported: { relPath: string; kind: string; reason: string }[];
}

const VIDEO_EXIF_FALLBACK = new Set(['video']);
/** At most this many entries are listed in an event (the segment holds them all). */
const EVENT_LIST_MAX = 1000;
/** Files in hand beyond those the workers hold: their EXIF and records are done on the main thread meanwhile. */
const MAIN_THREAD_SLACK = 6;

function flagWords(f: string): string {
  return (
    (
      {
        'no-capture-time': 'no capture time in the file; the file time was used',
        future: 'capture time is in the future (camera clock?)',
        'before-camera': 'capture time is before the camera was installed',
        absurd: 'capture time is not believable (clock reset?)',
        truncated: 'the image is cut short (truncated)',
        'not-media': 'not an image or video (skipped)',
        empty: 'empty file (skipped)',
        changed: 'the file changed between the scan and the end of its read; the size recorded is the size hashed',
        'name-escaped': 'the name is not valid UTF-8; recorded with \\xHH escapes for its raw bytes',
        'os-name':
          "named like an operating system's file or inside such a folder (lost+found, .Trashes, ._x, Thumbs.db); judged by its own bytes",
      } as Record<string, string>
    )[f] ?? f
  );
}

/** The drive's root, which must be a folder. */
function checkRoot(source: string): string {
  const root = path.resolve(source);
  try {
    if (!fs.statSync(root).isDirectory()) throw new Error('not a folder');
  } catch {
    throw new CustodyError(
      'notFound',
      `The drive or folder ${root} is not there.`,
      'Is the drive plugged in and mounted? Give its mount point with --source.',
    );
  }
  return root;
}

interface OpenBatch {
  batch: string;
  key: Buffer;
  startedAt: string;
  resumed: boolean;
}

/** Resume the unfinished batch of this drive, or start one (its key is on disk before the event). */
function openOrStartBatch(s: Session, o: ImportOptions): OpenBatch {
  const open = openBatchOf(s, o.driveId);
  if (open)
    return {
      batch: open.id,
      startedAt: open.started_at,
      key: loadBatchKey(new BatchFiles(s.home, open.id), s.master, { forWriting: true }),
      resumed: true,
    };
  const batch = newBatchId(localDate(s.clock(), s.settings.timeZone));
  const key = createBatchKey(new BatchFiles(s.home, batch), s.master);
  const startedAt = s.now();
  s.append('import.started', { batch, drive: o.driveId, camera: o.cameraId, removedAt: o.removedAt ?? null });
  s.commit();
  return { batch, key, startedAt, resumed: false };
}

/** Scan first (names and sizes only) so progress can say how much is left. */
async function scanDrive(root: string): Promise<{ entries: WalkEntry[]; walk: DriveWalk }> {
  const entries: WalkEntry[] = [];
  const walk = walkDrive(root);
  for await (const e of walk) entries.push(e);
  return { entries, walk };
}

/** True when the drive the walk read is no longer mounted there (pulled out, lazily unmounted). */
async function driveGone(walk: DriveWalk): Promise<boolean> {
  try {
    const st = await fsp.stat(walk.root.path);
    return st.dev !== walk.root.dev || st.ino !== walk.root.ino;
  } catch {
    return true;
  }
}

function driveVanished(driveId: string, where: string): CustodyError {
  return new CustodyError(
    'io',
    `The drive ${driveId} vanished ${where}; the batch is kept open.`,
    'Plug it back in (and mount it) and run the same command again; the import resumes where it stopped.',
  );
}

/** Run (or resume) the import of one drive into one batch. */
export async function importDrive(s: Session, o: ImportOptions): Promise<ImportSummary> {
  const root = checkRoot(o.source);
  const { batch, key, startedAt, resumed } = openOrStartBatch(s, o);
  const bf = new BatchFiles(s.home, batch);
  fs.mkdirSync(bf.storeDir, { recursive: true, mode: 0o700 });
  for (const f of fs.readdirSync(bf.storeDir))
    if (f.endsWith('.tmp')) fs.rmSync(path.join(bf.storeDir, f), { force: true });

  const done = new Map<string, FileRecord>();
  for (const r of readJournal(bf, key)) done.set(r.relPath, r);
  // Content already in the store: every batch of every drive, and this batch so far.
  const known = KnownContent.load(s, batch);
  for (const r of done.values())
    if (r.outcome === 'stored' && r.sha256) known.claim(r.sha256, `${batch}/${r.storeName}`);

  const { entries, walk } = await scanDrive(root);
  if (walk.problems.some((p) => p.relPath === '') || (await driveGone(walk)))
    throw new CustodyError(
      'io',
      `The drive at ${root} could not be read.`,
      'Was it pulled out? Plug it back in and run the command again; it resumes.',
    );
  const totalBytes = entries.reduce((a, e) => a + e.size, 0);
  const progress: ImportProgress = { phase: 'scan', files: 0, totalFiles: entries.length, bytes: 0, totalBytes };
  o.onProgress?.({ ...progress });
  progress.phase = 'import';
  const camera = o.cameraId
    ? s.ledger.one<{ in_service_since: string }>('SELECT in_service_since FROM cameras WHERE id = ?', [o.cameraId])
    : undefined;
  const ctx: Omit<OneContext, 'e' | 'seq' | 'pool'> = {
    bf,
    key,
    dayKeys: new Map(),
    known,
    importedAt: parseIsoWithOffset(startedAt) ?? new Date(startedAt),
    tz: s.settings.timeZone,
    cameraSince: camera ? parseIsoWithOffset(camera.in_service_since) : undefined,
    verifySource: o.verifySource ?? false,
    walk,
    driveId: o.driveId,
  };
  await importFiles(s, o, ctx, entries, done, progress);
  // Checked before the batch is closed: a drive gone now may have answered the last reads with nothing.
  if (await driveGone(walk)) throw driveVanished(o.driveId, 'before the import finished');

  progress.phase = 'finish';
  o.onProgress?.(progress);
  const recs = entries.map((e) => done.get(e.relPath)!).filter(Boolean);
  return finishBatch(s, o, { bf, key, batch, startedAt, resumed }, recs, walk);
}

/**
 * The files in flight: the worker pool reads, hashes, encrypts, writes, verifies and reads EXIF
 * (one worker per core, each holding two files), while this thread judges the dates, names,
 * renames and journals the files the workers hand back. The journal is written and synced in groups.
 */
async function importFiles(
  s: Session,
  o: ImportOptions,
  base: Omit<OneContext, 'e' | 'seq' | 'pool'>,
  entries: WalkEntry[],
  done: Map<string, FileRecord>,
  progress: ImportProgress,
): Promise<void> {
  const pool = new IngestPool();
  const ctx = { ...base, pool };
  const journal = new JournalWriter(ctx.bf, ctx.key);
  const queue = entries.map((e, i) => ({ e, seq: i + 1 }));
  let next = 0;
  const drain = async () => {
    while (next < queue.length) {
      const { e, seq } = queue[next++]!;
      if (o.signal?.aborted)
        throw new CustodyError(
          'interrupted',
          `Import of ${o.driveId} stopped; ${done.size} of ${entries.length} files are done.`,
          'Run the same command again to resume.',
        );
      const prev = done.get(e.relPath);
      if (!(prev && prev.size === e.size && prev.outcome !== 'failed')) {
        progress.current = e.relPath;
        const rec = await importOne(s, { ...ctx, e, seq });
        await journal
          .append(rec, rec.outcome === 'stored' && rec.storeName ? ctx.bf.storeFile(rec.storeName) : undefined)
          .catch((err: unknown) => {
            throw ioError(err, 'recording the import journal');
          });
        done.set(e.relPath, rec);
      }
      progress.files++;
      progress.bytes += e.size;
      o.onProgress?.(progress);
    }
  };
  const worker = async () => {
    try {
      await drain();
    } catch (err) {
      next = queue.length; // the other workers stop after their current file
      throw err;
    }
  };
  // Every worker settles before the journal closes: none writes after the command has failed.
  const settled = await Promise.allSettled(Array.from({ length: pool.size * 2 + MAIN_THREAD_SLACK }, worker));
  await pool.close();
  const closing = await journal.close().then(
    () => undefined,
    (err: unknown) => ioError(err, 'recording the import journal'),
  );
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  if (closing) throw closing;
}

/** Words for an entry of the drive that was not imported, by kind. */
function entryRecords(walk: DriveWalk): EntryRecord[] {
  return [
    ...walk.problems.map((p) => ({
      relPath: p.relPath || '.',
      kind: p.kind,
      reason: p.target !== undefined ? `${p.message} (it points to ${JSON.stringify(p.target)})` : p.message,
      ...(p.code ? { code: p.code } : {}),
      ...(p.target !== undefined ? { target: p.target } : {}),
    })),
    ...walk.notes.map((n) => ({ relPath: n.relPath, kind: n.kind, reason: n.message })),
  ].sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
}

/** Entries that keep the files under them out of the batch: failures of the import. */
const FAILED_ENTRY = new Set(['unreadable-folder', 'unreadable-file', 'too-deep']);
/** Entries recorded but not listed: folders entered and custody's own id file. */
const QUIET_ENTRY = new Set(['folder', 'drive-id']);

/** Finish: the segment, then the event that names its manifest and every entry not imported. */
async function finishBatch(
  s: Session,
  o: ImportOptions,
  b: OpenBatch & { bf: BatchFiles },
  recs: FileRecord[],
  walk: DriveWalk,
): Promise<ImportSummary> {
  const manifest = recs
    .filter((r) => r.sha256)
    .map((r) => `${r.sha256}  ${encodeManifestPath(r.relPath)}`)
    .sort()
    .join('\n');
  const manifestSha256 = sha256Hex(`${manifest}\n`);
  const good = recs.filter(
    (r) =>
      (r.outcome === 'stored' || r.outcome === 'duplicate') &&
      r.recordedAt &&
      !r.flags.some((f) => f === 'future' || f === 'absurd'),
  );
  const times = good.map((r) => r.recordedAt!).sort((a, b) => Date.parse(a) - Date.parse(b));
  const entries = entryRecords(walk);
  const failures = [
    ...recs.filter((r) => r.outcome === 'failed').map((r) => ({ relPath: r.relPath, problem: r.problem ?? 'failed' })),
    ...entries.filter((e) => FAILED_ENTRY.has(e.kind)).map((e) => ({ relPath: e.relPath, problem: e.reason })),
  ];
  const notImported = entries
    .filter((e) => !FAILED_ENTRY.has(e.kind) && !QUIET_ENTRY.has(e.kind))
    .map((e) => ({ relPath: e.relPath, kind: e.kind, reason: e.reason }));
  const attention = recs.flatMap((r) => r.flags.map((f) => ({ relPath: r.relPath, what: flagWords(f) })));
  const finishedAt = s.now();
  const counts = {
    files: recs.length,
    stored: recs.filter((r) => r.outcome === 'stored').length,
    duplicates: recs.filter((r) => r.outcome === 'duplicate').length,
    skipped: recs.filter((r) => r.outcome === 'skipped').length,
    failed: failures.length,
    flagged: recs.filter((r) => r.flags.length > 0).length,
    bytes: recs.reduce((a, r) => a + r.size, 0),
    folders: entries.filter((e) => e.kind === 'folder').length,
  };
  await writeSegment(
    b.bf,
    b.key,
    { drive: o.driveId, camera: o.cameraId ?? '', startedAt: b.startedAt, finishedAt },
    recs,
    entries,
  );
  s.append('import.finished', {
    batch: b.batch,
    drive: o.driveId,
    camera: o.cameraId,
    ...counts,
    recordedFirst: times[0] ?? null,
    recordedLast: times[times.length - 1] ?? null,
    manifestSha256,
    verifiedAt: finishedAt,
    sourceVerified: o.verifySource ?? false,
    notImported: notImported.length,
    problemFiles: failures.slice(0, EVENT_LIST_MAX),
    // The main ledger outlives the batch's segment (destroyed with its key): what was on the
    // drive and not imported stays on record after the drive is recorded over.
    notImportedEntries: notImported.slice(0, EVENT_LIST_MAX),
  });
  // Policy §8: what each recording day holds, so each day is kept and destroyed on its own clock.
  const importedAt = parseIsoWithOffset(b.startedAt) ?? new Date(b.startedAt);
  s.append('batch.days', {
    batch: b.batch,
    drive: o.driveId,
    camera: o.cameraId,
    days: daySummaries(recs, importedAt, s.settings.timeZone),
  });
  s.commit();
  fs.rmSync(b.bf.journalFile, { force: true });

  return {
    batch: b.batch,
    drive: o.driveId,
    camera: o.cameraId,
    resumed: b.resumed,
    nothingNew: counts.stored === 0 && counts.failed === 0,
    ...counts,
    storedBytes: recs.filter((r) => r.outcome === 'stored').reduce((a, r) => a + r.size, 0),
    recordedFirst: times[0] ?? null,
    recordedLast: times[times.length - 1] ?? null,
    manifestSha256,
    startedAt: b.startedAt,
    finishedAt,
    attention,
    failures,
    notImported,
  };
}

/** RFC 8493 §2.1.3: CR, LF and % in a manifest path are percent-encoded. */
export function encodeManifestPath(p: string): string {
  return p.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

interface OneContext {
  bf: BatchFiles;
  key: Buffer;
  pool: IngestPool;
  /** Recording days' keys, loaded (or made) once per import. */
  dayKeys: Map<string, Buffer>;
  e: WalkEntry;
  seq: number;
  known: KnownContent;
  /** When the batch's import began: the date of recordation of a file whose own date is not believable. */
  importedAt: Date;
  tz: string;
  cameraSince?: Date;
  verifySource: boolean;
  walk: DriveWalk;
  driveId: string;
}

/** Errors that mean the device itself stopped answering, not one file. */
const DEVICE_GONE = new Set(['EIO', 'ENXIO', 'ENODEV', 'ENOTCONN', 'ESHUTDOWN', 'ESTALE']);

type Ingested = Extract<IngestReply, { ok: true }>;

/**
 * A file that could not be read from the drive: the import stops (exit 10, batch kept open) when
 * the drive itself is gone, else the file is a failure with the reason.
 */
async function readFailure(
  c: OneContext,
  base: FileRecord,
  code: string | undefined,
  message: string,
): Promise<FileRecord> {
  if ((code && DEVICE_GONE.has(code)) || (await driveGone(c.walk)))
    throw driveVanished(c.driveId, `while reading ${c.e.relPath}`);
  const problem =
    code === 'ENOENT'
      ? 'no longer on the drive (removed after the scan)'
      : `cannot be read from the drive (${code ?? message})`;
  return { ...base, outcome: 'failed', problem };
}

const CHANGE_WORDS = {
  symlink: 'was replaced by a symbolic link after the scan; it was not followed',
  'not-a-file': 'is no longer a regular file; it was not read',
  replaced: 'was replaced by another file after the scan; it was not read',
};

/** Read, hash, encrypt, verify and describe one file into a temporary file of the store (in a worker); a record when it cannot be. */
async function ingestOne(
  c: OneContext,
  base: FileRecord,
  tmp: string,
  fileKey: Buffer,
): Promise<Ingested | FileRecord> {
  const { e } = c;
  let got: IngestReply;
  try {
    got = await c.pool.run({
      absPath: e.absPath,
      relPath: e.relPath,
      walked: { dev: e.dev, ino: e.ino, size: e.size },
      key: fileKey,
      context: storeContext(c.bf.batch),
      tmpPath: tmp,
      headBytes: EXIF_HEAD_BYTES,
      verifySource: c.verifySource,
    });
  } catch (err) {
    throw ioError(err, `storing ${e.relPath}`);
  }
  if (got.ok) return got;
  if (got.kind === 'changed')
    return { ...base, outcome: 'failed', problem: `${e.relPath} ${CHANGE_WORDS[got.change]}` };
  if (got.kind === 'read') return readFailure(c, base, got.code, got.message);
  // Writing the home failed (a full disk): stop; the batch stays open and resumes.
  const err = Object.assign(new Error(got.message), { code: got.code, path: got.path, syscall: got.syscall });
  throw ioError(err, `storing ${e.relPath}`);
}

async function importOne(s: Session, c: OneContext): Promise<FileRecord> {
  const { e, bf } = c;
  const base: FileRecord = {
    relPath: e.relPath,
    size: e.size,
    mtime: e.mtime.toISOString(),
    outcome: 'skipped',
    flags: [...(isEscapedName(e.relPath) ? ['name-escaped'] : []), ...(e.system ? ['os-name'] : [])],
  };
  if (e.size === 0) return { ...base, flags: [...base.flags, 'empty'] };
  const tmp = path.join(bf.storeDir, `.${process.pid}-${c.seq}.tmp`);
  // Each file has its own key, sealed with its recording day's key once EXIF has told the day.
  const fileKey = randomKey();
  const got = await ingestOne(c, base, tmp, fileKey);
  if (!('ok' in got)) return got;
  // The size recorded is the size hashed; a file that changed on the way is flagged.
  const sized: FileRecord = { ...base, size: got.size, flags: got.changed ? [...base.flags, 'changed'] : base.flags };
  if (!got.verified) {
    await fsp.rm(tmp, { force: true });
    return {
      ...sized,
      sha256: got.sha256,
      outcome: 'failed',
      problem: 'the stored copy did not verify against the hash read from the drive',
    };
  }
  if (got.size === 0) {
    await fsp.rm(tmp, { force: true });
    return { ...sized, flags: [...sized.flags, 'empty'] };
  }
  const sniff = got.sniff;
  if (!sniff) {
    await fsp.rm(tmp, { force: true });
    return { ...sized, sha256: got.sha256, flags: [...sized.flags, 'not-media'] };
  }
  const flags: string[] = [...sized.flags];
  if (sniff.mime === 'image/jpeg' && !(got.tail[0] === 0xff && got.tail[1] === 0xd9)) flags.push('truncated');
  let meta: CaptureMeta = got.meta!;
  if (!meta.captureTime && VIDEO_EXIF_FALLBACK.has(sniff.kind))
    meta = await readCaptureMetaExiftool(e.absPath).catch(() => meta);
  const judged = judgeCaptureTime(meta, {
    fileMtime: e.mtime,
    now: s.clock(),
    cameraSince: c.cameraSince,
    timeZone: c.tz,
  });
  flags.push(...(judged.flags as CaptureTimeFlag[]));
  const common: FileRecord = {
    ...sized,
    sha256: got.sha256,
    kind: sniff.kind,
    mime: sniff.mime,
    recordedAt: judged.recordedAt,
    recordedSource: judged.source,
    flags,
    make: meta.make,
    model: meta.model,
    serial: meta.serial,
    gps: meta.gps,
  };
  return storeOne(s, c, common, tmp, fileKey, got.sourceSha256);
}

/** Move the encrypted copy into the store (or record a duplicate of the first copy) and verify it. */
async function storeOne(
  s: Session,
  c: OneContext,
  common: FileRecord,
  tmp: string,
  fileKey: Buffer,
  sourceSha256: string | undefined,
): Promise<FileRecord> {
  const { e, bf, key } = c;
  const sha = common.sha256!;
  const name = storeName(key, sha);
  // Checked and claimed in one step (no await between), so two identical files in flight store once.
  const dup = c.known.find(sha);
  if (dup) {
    await fsp.rm(tmp, { force: true });
    return { ...common, outcome: 'duplicate', duplicateOf: dup };
  }
  c.known.claim(sha, `${bf.batch}/${name}`);
  // Policy §8 destroys by recording day: the file key is sealed with its day's key (made on first use).
  const { day } = dayOfRecord({ ...common, outcome: 'stored' }, c.importedAt, c.tz);
  let dk = c.dayKeys.get(day);
  if (!dk) {
    dk = dayKey(bf, s.master, day);
    c.dayKeys.set(day, dk);
  }
  const sealed = { keyDay: day, wrappedKey: wrapFileKey(bf, dk, day, fileKey) };
  const final = bf.storeFile(name);
  try {
    await fsp.rename(tmp, final);
  } catch (err) {
    c.known.release(sha);
    await fsp.rm(tmp, { force: true });
    throw ioError(err, `storing ${e.relPath}`);
  }
  // The stored copy was proved by the worker from the bytes it wrote (every chunk authenticates and holds the bytes hashed).
  let sourceVerified: boolean | undefined;
  if (c.verifySource) {
    sourceVerified = sourceSha256 === sha;
    if (!sourceVerified)
      return {
        ...common,
        outcome: 'failed',
        storeName: name,
        ...sealed,
        problem: 'reading the drive again gave a different hash',
      };
  }
  return { ...common, outcome: 'stored', storeName: name, ...sealed, verifiedAt: s.now(), sourceVerified };
}
