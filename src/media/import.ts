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
  JournalWriter,
  createBatchKey,
  loadBatchKey,
  newBatchId,
  readHashes,
  readJournal,
  storeContext,
  storeName,
  writeSegment,
  type FileRecord,
} from '../ledger/batches.js';
import { ioError, sha256OfFile } from '../ledger/fsutil.js';
import type { Session } from '../ledger/session.js';
import { EXIF_HEAD_BYTES, readCaptureMeta, readCaptureMetaExiftool, type CaptureMeta } from './exif.js';
import { sniffMedia } from './sniff.js';
import { hashStored, ingest, SourceReadError } from './store.js';
import { walkDrive, type WalkEntry } from './walk.js';
import { DRIVE_ID_FILE } from './drives.js';

export interface ImportProgress {
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
}

const VIDEO_EXIF_FALLBACK = new Set(['video']);
/** Files in flight at once. @default 3 — enough to overlap I/O waits with hashing on two cores. */
const IMPORT_CONCURRENCY = 3;

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
      } as Record<string, string>
    )[f] ?? f
  );
}

/** Run (or resume) the import of one drive into one batch. */
export async function importDrive(s: Session, o: ImportOptions): Promise<ImportSummary> {
  const root = path.resolve(o.source);
  try {
    if (!fs.statSync(root).isDirectory()) throw new Error('not a folder');
  } catch {
    throw new CustodyError(
      'notFound',
      `The drive or folder ${root} is not there.`,
      'Is the drive plugged in and mounted? Give its mount point with --source.',
    );
  }
  const settings = s.settings;
  const tz = settings.timeZone;

  // Resume an unfinished batch of this drive, or start one (its key is on disk before the event).
  const open = s.ledger.one<{ id: string; started_at: string }>(
    "SELECT id, started_at FROM batches WHERE drive_id = ? AND status = 'importing' ORDER BY started_at DESC LIMIT 1",
    [o.driveId],
  );
  let batch: string;
  let key: Buffer;
  let startedAt: string;
  const resumed = Boolean(open);
  if (open) {
    batch = open.id;
    startedAt = open.started_at;
    key = loadBatchKey(new BatchFiles(s.home, batch), s.master);
  } else {
    batch = newBatchId(localDate(s.clock(), tz));
    key = createBatchKey(new BatchFiles(s.home, batch), s.master);
    startedAt = s.now();
    s.append('import.started', { batch, drive: o.driveId, camera: o.cameraId, removedAt: o.removedAt ?? null });
    s.commit();
  }
  const bf = new BatchFiles(s.home, batch);
  fs.mkdirSync(bf.storeDir, { recursive: true, mode: 0o700 });
  for (const f of fs.readdirSync(bf.storeDir))
    if (f.endsWith('.tmp')) fs.rmSync(path.join(bf.storeDir, f), { force: true });

  const done = new Map<string, FileRecord>();
  for (const r of readJournal(bf, key)) done.set(r.relPath, r);

  // Content already in the store: every earlier batch of this drive, and this batch so far.
  const known = new Map<string, string>();
  const earlier = s.ledger.rows<{ id: string }>(
    "SELECT id FROM batches WHERE drive_id = ? AND status = 'imported' AND key_destroyed_at IS NULL AND id != ?",
    [o.driveId, batch],
  );
  for (const b of earlier) {
    const ebf = new BatchFiles(s.home, b.id);
    const ekey = loadBatchKey(ebf, s.master);
    for (const h of readHashes(ebf, ekey)) known.set(h, `${b.id}/${storeName(ekey, h)}`);
  }
  for (const r of done.values()) if (r.outcome === 'stored' && r.sha256) known.set(r.sha256, `${batch}/${r.storeName}`);

  // Scan first (names and sizes only) so progress can say how much is left.
  const entries: WalkEntry[] = [];
  const walk = walkDrive(root);
  for await (const e of walk) {
    if (e.relPath === DRIVE_ID_FILE || e.relPath.startsWith(`${DRIVE_ID_FILE}.`)) continue;
    entries.push(e);
  }
  const totalBytes = entries.reduce((a, e) => a + e.size, 0);
  const progress: ImportProgress = { phase: 'import', files: 0, totalFiles: entries.length, bytes: 0, totalBytes };
  const camera = o.cameraId
    ? s.ledger.one<{ in_service_since: string }>('SELECT in_service_since FROM cameras WHERE id = ?', [o.cameraId])
    : undefined;
  const cameraSince = camera ? parseIsoWithOffset(camera.in_service_since) : undefined;

  // A few files in flight at once: reading, hashing, encrypting and syncing overlap.
  const journal = new JournalWriter(bf, key);
  const queue = entries.map((e, i) => ({ e, seq: i + 1 }));
  let next = 0;
  const worker = async () => {
    try {
      await drain();
    } catch (err) {
      next = queue.length; // the other workers stop after their current file
      throw err;
    }
  };
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
        const rec = await importOne(s, {
          bf,
          key,
          e,
          seq,
          known,
          tz,
          cameraSince,
          verifySource: o.verifySource ?? false,
          root,
        });
        await journal.append(rec, rec.outcome === 'stored' && rec.storeName ? bf.storeFile(rec.storeName) : undefined);
        done.set(e.relPath, rec);
      }
      progress.files++;
      progress.bytes += e.size;
      o.onProgress?.(progress);
    }
  };
  try {
    await Promise.all(Array.from({ length: IMPORT_CONCURRENCY }, worker));
  } finally {
    await journal.close();
  }

  // Folders the walk could not read are failures too: their files were not imported.
  const walkFailures = walk.problems
    .filter((p) => p.kind === 'unreadable-folder' || p.kind === 'unreadable-file')
    .map((p) => ({ relPath: p.relPath || '.', problem: p.message }));
  if (walkFailures.some((f) => f.relPath === '.'))
    throw new CustodyError(
      'io',
      `The drive at ${root} could not be read.`,
      'Was it pulled out? Plug it back in and run the command again; it resumes.',
    );

  // Finish: the segment, then the event that names its manifest.
  progress.phase = 'finish';
  o.onProgress?.(progress);
  const recs = entries.map((e) => done.get(e.relPath)!).filter(Boolean);
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
  const failures = [
    ...recs.filter((r) => r.outcome === 'failed').map((r) => ({ relPath: r.relPath, problem: r.problem ?? 'failed' })),
    ...walkFailures,
  ];
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
  };
  await writeSegment(bf, key, { drive: o.driveId, camera: o.cameraId ?? '', startedAt, finishedAt }, recs);
  s.append('import.finished', {
    batch,
    drive: o.driveId,
    camera: o.cameraId,
    ...counts,
    recordedFirst: times[0] ?? null,
    recordedLast: times[times.length - 1] ?? null,
    manifestSha256,
    verifiedAt: finishedAt,
    sourceVerified: o.verifySource ?? false,
    problemFiles: failures.slice(0, 200),
  });
  s.commit();
  fs.rmSync(bf.journalFile, { force: true });

  return {
    batch,
    drive: o.driveId,
    camera: o.cameraId,
    resumed,
    nothingNew: counts.stored === 0 && counts.failed === 0,
    ...counts,
    storedBytes: recs.filter((r) => r.outcome === 'stored').reduce((a, r) => a + r.size, 0),
    recordedFirst: times[0] ?? null,
    recordedLast: times[times.length - 1] ?? null,
    manifestSha256,
    startedAt,
    finishedAt,
    attention,
    failures,
  };
}

/** RFC 8493 §2.1.3: CR, LF and % in a manifest path are percent-encoded. */
export function encodeManifestPath(p: string): string {
  return p.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

interface OneContext {
  bf: BatchFiles;
  key: Buffer;
  e: WalkEntry;
  seq: number;
  known: Map<string, string>;
  tz: string;
  cameraSince?: Date;
  verifySource: boolean;
  root: string;
}

async function importOne(s: Session, c: OneContext): Promise<FileRecord> {
  const { e, bf, key } = c;
  const base: FileRecord = {
    relPath: e.relPath,
    size: e.size,
    mtime: e.mtime.toISOString(),
    outcome: 'skipped',
    flags: [],
  };
  if (e.size === 0) return { ...base, flags: ['empty'] };
  const tmp = path.join(bf.storeDir, `.${process.pid}-${c.seq}.tmp`);
  let got: Awaited<ReturnType<typeof ingest>>;
  try {
    got = await ingest(e.absPath, e.relPath, key, storeContext(bf.batch), tmp, EXIF_HEAD_BYTES);
  } catch (err) {
    if (err instanceof SourceReadError) {
      // The whole drive gone is not one file's failure: stop, keep what is done, resume later.
      if (!fs.existsSync(c.root) || err.errno.code === 'ENXIO' || err.errno.code === 'ENODEV') {
        throw new CustodyError(
          'io',
          `The drive vanished while reading ${e.relPath}.`,
          'Plug it back in and run the same command again; the import resumes where it stopped.',
        );
      }
      return {
        ...base,
        outcome: 'failed',
        problem: `cannot be read from the drive (${err.errno.code ?? err.errno.message})`,
      };
    }
    throw ioError(err, `storing ${e.relPath}`);
  }
  const sniff = sniffMedia(got.head);
  if (!sniff) {
    await fsp.rm(tmp, { force: true });
    return { ...base, sha256: got.sha256, flags: ['not-media'] };
  }
  const flags: string[] = [];
  if (sniff.mime === 'image/jpeg' && !(got.tail[0] === 0xff && got.tail[1] === 0xd9)) flags.push('truncated');
  let meta: CaptureMeta = await readCaptureMeta(got.head);
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
    ...base,
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
  const name = storeName(key, got.sha256);
  // Checked and claimed in one step (no await between), so two identical files in flight store once.
  const dup = c.known.get(got.sha256);
  if (dup) {
    await fsp.rm(tmp, { force: true });
    return { ...common, outcome: 'duplicate', duplicateOf: dup };
  }
  c.known.set(got.sha256, `${bf.batch}/${name}`);
  const final = bf.storeFile(name);
  try {
    await fsp.rename(tmp, final);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw ioError(err, `storing ${e.relPath}`);
  }
  const check = await hashStored(final, key, storeContext(bf.batch)).catch((err: unknown) => ({
    sha256: `unreadable: ${(err as Error).message}`,
    size: -1,
  }));
  if (check.sha256 !== got.sha256) {
    c.known.delete(got.sha256);
    await fsp.rm(final, { force: true });
    return {
      ...common,
      outcome: 'failed',
      problem: 'the stored copy did not verify against the hash read from the drive',
    };
  }
  let sourceVerified: boolean | undefined;
  if (c.verifySource) {
    const again = await sha256OfFile(e.absPath).catch(() => 'unreadable');
    sourceVerified = again === got.sha256;
    if (!sourceVerified)
      return {
        ...common,
        outcome: 'failed',
        storeName: name,
        problem: 'reading the drive again gave a different hash',
      };
  }
  return { ...common, outcome: 'stored', storeName: name, verifiedAt: s.now(), sourceVerified };
}
