/**
 * `custody ocr`: plate reading as a queue, never a wait for the swap. Every stored image of
 * every imported batch not yet read (or read by another engine/model, with --reread) is
 * decrypted in memory, read, and its readings kept with its batch (sealed with the batch key,
 * so they are destroyed with it). Progress is saved as it goes: a killed run resumes.
 */
import fs from 'node:fs';
import { PlateIndex } from '../core/plate-match.js';
import { CustodyError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import {
  BatchFiles,
  batchWriteKey,
  loadBatchKey,
  openBatchBlob,
  openSegment,
  StoreKeys,
  segmentRecords,
  storeContext,
} from '../ledger/batches.js';
import { decryptStream, sealBlob } from '../ledger/crypto.js';
import { writeFileAtomic } from '../ledger/fsutil.js';
import type { Session } from '../ledger/session.js';
import { mergedFile, refreshMergedIndex } from './merged.js';
import type { PlateReader, PlateResult } from './reader.js';

export interface StoredReading {
  best: { text: string; confidence: number } | null;
  alternatives: { text: string; confidence: number }[];
  box: { x: number; y: number; width: number; height: number } | null;
  ms: number;
  readAt: string;
}

export interface BatchReadings {
  version: 1;
  engine: string;
  model: string;
  /** Keyed by the file's id in the batch segment. */
  files: Record<string, StoredReading>;
}

const readingsContext = (batch: string) => `custody-readings:${batch}`;
const indexContext = (batch: string) => `custody-index:${batch}`;

/**
 * The batch's plate readings. With `recorded` (a batch the ledger says was read): the file must be
 * there and be the one `custody ocr` (or a purge) recorded, by its SHA-256 — one put back from before
 * a re-read still opens, and a purge would build the batch's index again from it.
 */
export function loadReadings(bf: BatchFiles, key: Buffer, recorded?: RecordedIndex): BatchReadings | undefined {
  const sealed = recorded?.done ? requireRecordedReadings(bf, recorded) : readIfExists(bf.readingsFile);
  if (!sealed) return undefined;
  const plain = openBatchBlob(key, sealed, readingsContext(bf.batch));
  if (!plain)
    throw new CustodyError(
      'integrity',
      `The plate readings of batch ${bf.batch} do not authenticate.`,
      'Run `custody ocr --reread` for that batch.',
    );
  return JSON.parse(plain.toString('utf8')) as BatchReadings;
}

/** Save the readings (to `file`: another name, for a re-key's new version of them); their SHA-256. */
export function saveReadings(bf: BatchFiles, key: Buffer, r: BatchReadings, file = bf.readingsFile): string {
  const sealed = sealBlob(batchWriteKey(key), Buffer.from(JSON.stringify(r)), readingsContext(bf.batch));
  writeFileAtomic(file, sealed);
  return sha256Hex(sealed);
}

export interface BatchIndex {
  index: PlateIndex;
  /** Capture time (ms since the epoch, NaN when unknown) by the file's id in the segment. */
  capturedAt(fileId: number): number;
}

/**
 * What the ledger records of a batch's plate index: whether `custody ocr` finished it, and the
 * SHA-256 of the sealed `.idx` it wrote (null before custody recorded it).
 */
export interface RecordedIndex {
  done: boolean;
  sha256: string | null;
  /** The SHA-256 of the sealed readings file (`.ocr`) it wrote, or null. */
  readingsSha256?: string | null;
}

/**
 * The batch's search index: the PlateIndex and each image's capture time, so a search needs
 * neither the segment nor the readings. Layout: u32 index length | index | f64 times by file id.
 *
 * With `recorded` (a batch the ledger says was read): the index must be there and be the file
 * `custody ocr` (or a purge) recorded, by its SHA-256 — one deleted, or put back from before a
 * re-read (it still opens: a batch keeps its older keys), would hide a plate or find one no reading
 * of today holds (`requireRecordedIndex`).
 */
export function loadIndex(bf: BatchFiles, key: Buffer, recorded?: RecordedIndex): BatchIndex | undefined {
  const sealed = recorded?.done ? requireRecordedIndex(bf, recorded) : readIfExists(bf.indexFile);
  if (!sealed) return undefined;
  const plain = openBatchBlob(key, sealed, indexContext(bf.batch));
  if (!plain || plain.length < 4)
    throw new CustodyError(
      'integrity',
      `The plate index of batch ${bf.batch} does not authenticate.`,
      'Run `custody ocr --reread` for that batch.',
    );
  const n = plain.readUInt32LE(0);
  // In place (no copy): the decrypted buffer is this index's alone and is never written.
  const index = PlateIndex.deserialize(plain.subarray(4, 4 + n), { copy: false });
  const timesBuf = plain.subarray(4 + n);
  const times = new Float64Array(
    timesBuf.buffer.slice(timesBuf.byteOffset, timesBuf.byteOffset + timesBuf.length - (timesBuf.length % 8)),
  );
  return { index, capturedAt: (id) => (id >= 0 && id < times.length ? times[id]! : Number.NaN) };
}

function readIfExists(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** What is wrong with a read batch's index file against the ledger's record of it (undefined: nothing). */
export function recordedIndexProblem(bf: BatchFiles, recorded: RecordedIndex, sealed?: Buffer): string | undefined {
  if (!recorded.done) return undefined;
  const bytes = sealed ?? readIfExists(bf.indexFile);
  if (!bytes)
    return `The plate index of batch ${bf.batch} is missing: the ledger records the batch's plates read (\`custody ocr\`), so a search would not find them.`;
  if (recorded.sha256 && sha256Hex(bytes) !== recorded.sha256)
    return `The plate index of batch ${bf.batch} is not the one the ledger records (SHA-256 ${recorded.sha256.slice(0, 12)}…, found ${sha256Hex(bytes).slice(0, 12)}…): it was changed or put back from an older copy, so a search could miss a plate or find one no reading holds.`;
  return undefined;
}

/** What is wrong with a read batch's readings file against the ledger's record of it (undefined: nothing). */
export function recordedReadingsProblem(bf: BatchFiles, recorded: RecordedIndex, sealed?: Buffer): string | undefined {
  if (!recorded.done) return undefined;
  const bytes = sealed ?? readIfExists(bf.readingsFile);
  if (!bytes)
    return `The plate readings of batch ${bf.batch} are missing: the ledger records the batch's plates read (\`custody ocr\`).`;
  const want = recorded.readingsSha256;
  if (want && sha256Hex(bytes) !== want)
    return `The plate readings of batch ${bf.batch} are not the one the ledger records (SHA-256 ${want.slice(0, 12)}…, found ${sha256Hex(bytes).slice(0, 12)}…): they were changed or put back from an older copy, and a plate index built from them could find a plate no reading of today holds.`;
  return undefined;
}

function requireRecordedReadings(bf: BatchFiles, recorded: RecordedIndex): Buffer {
  const sealed = readIfExists(bf.readingsFile);
  const problem = recordedReadingsProblem(bf, recorded, sealed);
  if (problem)
    throw new CustodyError(
      'integrity',
      `${problem} Nothing was changed.`,
      'Run `custody verify`; `custody ocr --reread --batch BATCH` reads the batch again and records what it reads.',
    );
  return sealed!;
}

/** The sealed index of a read batch, refused (exit 8) unless it is the one the ledger records. */
function requireRecordedIndex(bf: BatchFiles, recorded: RecordedIndex): Buffer {
  const sealed = readIfExists(bf.indexFile);
  const problem = recordedIndexProblem(bf, recorded, sealed);
  if (problem)
    throw new CustodyError(
      'integrity',
      `${problem} Nothing was searched or disclosed.`,
      'Run `custody verify`. If `custody ocr --reread` or `custody purge` was running, search again once it has ended; a run cut short is finished by running it again.',
    );
  return sealed!;
}

export function saveIndex(
  bf: BatchFiles,
  key: Buffer,
  r: BatchReadings,
  capturedAt: Map<number, string | undefined>,
  file = bf.indexFile,
): string {
  const idx = new PlateIndex();
  for (const [id, f] of Object.entries(r.files)) {
    if (!f.best) continue;
    idx.add({ imageId: Number(id), readings: [f.best, ...f.alternatives] });
  }
  const ser = idx.serialize();
  const maxId = Math.max(0, ...capturedAt.keys());
  const times = new Float64Array(maxId + 1).fill(Number.NaN);
  for (const [id, t] of capturedAt) times[id] = t ? Date.parse(t) : Number.NaN;
  const head = Buffer.alloc(4);
  head.writeUInt32LE(ser.length, 0);
  const sealed = sealBlob(
    batchWriteKey(key),
    Buffer.concat([head, ser, Buffer.from(times.buffer)]),
    indexContext(bf.batch),
  );
  writeFileAtomic(file, sealed);
  // What the ledger records of it (`ocr.finished`, `day.destroyed`), so a search takes no other file.
  return sha256Hex(sealed);
}

async function decryptToBuffer(file: string, key: Buffer, context: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const d = decryptStream(key, context);
  const done = new Promise<void>((resolve, reject) => {
    d.on('data', (c: Buffer) => chunks.push(c));
    d.on('end', resolve);
    d.on('error', reject);
  });
  fs.createReadStream(file)
    .on('error', (e) => d.destroy(e))
    .pipe(d);
  await done;
  return Buffer.concat(chunks);
}

export interface OcrProgress {
  batch: string;
  done: number;
  total: number;
  overallDone: number;
  overallTotal: number;
}

export interface OcrSummary {
  engine: string;
  model: string;
  batches: { batch: string; images: number; read: number; readable: number; resumed: boolean }[];
  images: number;
  readable: number;
  seconds: number;
}

/**
 * Read every image not yet read. `reader` is created by the caller (so tests and the command
 * decide how many workers) and is not ended here.
 */
export async function runOcr(
  s: Session,
  reader: PlateReader,
  o: {
    reread?: boolean;
    batch?: string;
    onProgress?: (p: OcrProgress) => void;
    signal?: AbortSignal;
    saveEvery?: number;
    concurrency?: number;
  } = {},
): Promise<OcrSummary> {
  const t0 = Date.now();
  const batches = s.ledger.rows<{ id: string }>(
    `SELECT b.id FROM batches b LEFT JOIN ocr_batches o ON o.batch = b.id
     WHERE b.status = 'imported' AND b.key_destroyed_at IS NULL AND b.stored > 0 ${o.batch ? 'AND b.id = ?' : ''}
       AND (? OR o.batch IS NULL OR o.status != 'done' OR o.engine != ? OR o.model != ?)
     ORDER BY b.finished_at`,
    [...(o.batch ? [o.batch] : []), o.reread ? 1 : 0, reader.engine, reader.model],
  );
  if (o.batch && batches.length === 0 && !s.ledger.one('SELECT id FROM batches WHERE id = ?', [o.batch]))
    throw new CustodyError('notFound', `No batch ${o.batch}.`);
  // Work out every batch's images first, so progress can say how much is left overall.
  const work: {
    bf: BatchFiles;
    key: Buffer;
    images: { id: number; storeName: string; recordedAt?: string; keyDay?: string; wrappedKey?: string }[];
    readings: BatchReadings;
    resumed: boolean;
  }[] = [];
  for (const b of batches) {
    const bf = new BatchFiles(s.home, b.id);
    // Its readings and index are written: with a key no replaced evidence key opens ("Write keys").
    const key = loadBatchKey(bf, s.master, { forWriting: true });
    const db = await openSegment(bf, key);
    const images = segmentRecords(db)
      .filter((r) => r.outcome === 'stored' && r.kind === 'image' && r.storeName)
      .map((r) => ({
        id: r.id,
        storeName: r.storeName!,
        recordedAt: r.recordedAt,
        keyDay: r.keyDay,
        wrappedKey: r.wrappedKey,
      }));
    db.close();
    const prior = loadReadings(bf, key);
    const same = prior && prior.engine === reader.engine && prior.model === reader.model && !o.reread;
    // A reread after an upgrade starts afresh, but resumes its own interrupted run.
    const state = s.ledger.one<{ status: string; engine: string; model: string }>(
      'SELECT status, engine, model FROM ocr_batches WHERE batch = ?',
      [b.id],
    );
    const resumingReread =
      o.reread &&
      prior &&
      state?.status === 'reading' &&
      state.engine === reader.engine &&
      state.model === reader.model &&
      prior.engine === reader.engine &&
      prior.model === reader.model;
    const readings: BatchReadings =
      same || resumingReread ? prior! : { version: 1, engine: reader.engine, model: reader.model, files: {} };
    work.push({ bf, key, images, readings, resumed: Object.keys(readings.files).length > 0 });
  }
  const storeKeys = new StoreKeys(s.home, s.master);
  const overallTotal = work.reduce((a, w) => a + w.images.length, 0);
  let overallDone = work.reduce((a, w) => a + w.images.filter((i) => w.readings.files[i.id]).length, 0);
  const summary: OcrSummary = {
    engine: reader.engine,
    model: reader.model,
    batches: [],
    images: 0,
    readable: 0,
    seconds: 0,
  };

  for (const w of work) {
    const batch = w.bf.batch;
    const state = s.ledger.one<{ status: string; engine: string; model: string }>(
      'SELECT status, engine, model FROM ocr_batches WHERE batch = ?',
      [batch],
    );
    if (state?.status !== 'reading' || state.engine !== reader.engine || state.model !== reader.model) {
      s.append('ocr.started', {
        batch,
        engine: reader.engine,
        model: reader.model,
        images: w.images.length,
        reread: Boolean(o.reread),
      });
      s.commit();
    }
    const todo = w.images.filter((i) => !w.readings.files[i.id]);
    let sinceSave = 0;
    let lastSave = Date.now();
    let read = 0;
    // As many images in flight as the reader has workers; results are kept in memory and saved in groups.
    let next = 0;
    const inFlight = Math.max(1, o.concurrency ?? 2);
    const one = async () => {
      while (next < todo.length) {
        if (o.signal?.aborted) return;
        const img = todo[next++]!;
        const buf = await decryptToBuffer(
          w.bf.storeFile(img.storeName),
          storeKeys.forFile(batch, img),
          storeContext(batch),
        );
        const r: PlateResult = await reader.read(buf, 'frame');
        w.readings.files[img.id] = {
          best: r.best,
          alternatives: r.alternatives.slice(0, 10),
          box: r.box,
          ms: Math.round(r.ms),
          readAt: s.now(),
        };
        read++;
        overallDone++;
        sinceSave++;
        o.onProgress?.({
          batch,
          done: Object.keys(w.readings.files).length,
          total: w.images.length,
          overallDone,
          overallTotal,
        });
        if (sinceSave >= (o.saveEvery ?? 100) || Date.now() - lastSave > 15_000) {
          saveReadings(w.bf, w.key, w.readings);
          sinceSave = 0;
          lastSave = Date.now();
        }
      }
    };
    await Promise.all(Array.from({ length: inFlight }, one));
    const readingsSha256 = saveReadings(w.bf, w.key, w.readings);
    if (o.signal?.aborted)
      throw new CustodyError(
        'interrupted',
        `Plate reading stopped in batch ${batch}; what was read is kept.`,
        'Run `custody ocr` again to go on.',
      );
    const indexSha256 = saveIndex(w.bf, w.key, w.readings, new Map(w.images.map((i) => [i.id, i.recordedAt])));
    const readable = Object.values(w.readings.files).filter((f) => f.best).length;
    s.append('ocr.finished', {
      batch,
      engine: reader.engine,
      model: reader.model,
      images: w.images.length,
      readable,
      indexSha256,
      readingsSha256,
    });
    s.commit();
    // The merged plate index takes the batch's new rows (and any batch changed since it was written).
    await refreshMergedIndex(s, [batch]);
    summary.batches.push({ batch, images: w.images.length, read, readable, resumed: w.resumed });
    summary.images += w.images.length;
    summary.readable += readable;
  }
  // A merged index of an older version is written again (search reads each batch alone until then).
  if (fs.existsSync(mergedFile(s.home))) await refreshMergedIndex(s);
  summary.seconds = (Date.now() - t0) / 1000;
  return summary;
}
