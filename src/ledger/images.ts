/** Finding images and their readings across batches (for search, image show and export). */
import { CustodyError } from '../core/errors.js';
import { BATCH_ID, BatchFiles, loadBatchKey, openSegment, segmentRecords, type FileRecord } from './batches.js';
import type { Session } from './session.js';

export interface ImageRef {
  batch: string;
  fileId: number;
}

export function parseImageId(id: string): ImageRef {
  const m = /^(B\d{8}-[0-9a-f]{6}):(\d+)$/.exec(id);
  if (!m || !BATCH_ID.test(m[1]!))
    throw new CustodyError(
      'usage',
      `"${id}" is not an image id.`,
      'Image ids look like B20261126-1a2b3c:17 (see `custody search`).',
    );
  return { batch: m[1]!, fileId: Number(m[2]) };
}

export const imageId = (r: ImageRef): string => `${r.batch}:${r.fileId}`;

export interface LoadedBatch {
  bf: BatchFiles;
  key: Buffer;
  camera: string | null;
  drive: string;
  records: Map<number, FileRecord & { id: number }>;
}

/** Open a batch that still exists (not destroyed); `notFound` otherwise. */
export async function loadBatch(s: Session, batch: string): Promise<LoadedBatch> {
  const b = s.ledger.one<{
    id: string;
    camera_id: string | null;
    drive_id: string;
    status: string;
    key_destroyed_at: string | null;
  }>('SELECT id, camera_id, drive_id, status, key_destroyed_at FROM batches WHERE id = ?', [batch]);
  if (!b) throw new CustodyError('notFound', `No batch ${batch}.`);
  if (b.key_destroyed_at) throw new CustodyError('notFound', `Batch ${batch} was destroyed on ${b.key_destroyed_at}.`);
  if (b.status !== 'imported')
    throw new CustodyError('conflict', `Batch ${batch} is still being imported.`, 'Finish it with `custody import`.');
  const bf = new BatchFiles(s.home, batch);
  const key = loadBatchKey(bf, s.master);
  const db = await openSegment(bf, key);
  const records = new Map(segmentRecords(db).map((r) => [r.id, r]));
  db.close();
  return { bf, key, camera: b.camera_id, drive: b.drive_id, records };
}

/** An import batch that a plate search opens: imported, not destroyed, with stored images. */
export interface SearchableBatch {
  id: string;
  camera_id: string | null;
  recorded_first: string | null;
  recorded_last: string | null;
  /** Plate reading's status for the batch ('done' once read), or null when it never ran. */
  ocr: string | null;
  /** The SHA-256 of the sealed plate index the ledger records (`ocr.finished`, `day.destroyed`). */
  index_sha256: string | null;
  /** The same of its sealed plate readings. */
  readings_sha256: string | null;
}

/** What the ledger records of a batch's plate reading: done, and the SHA-256s of its index and readings. */
export function recordedPlateFiles(
  s: Session,
  batch: string,
): { done: boolean; sha256: string | null; readingsSha256: string | null } {
  const r = s.ledger.one<{ status: string; index_sha256: string | null; readings_sha256: string | null }>(
    'SELECT status, index_sha256, readings_sha256 FROM ocr_batches WHERE batch = ?',
    [batch],
  );
  return { done: r?.status === 'done', sha256: r?.index_sha256 ?? null, readingsSha256: r?.readings_sha256 ?? null };
}

/** The batches a plate search opens (optionally one camera's), oldest import first. */
export function searchableBatches(s: Session, camera?: string): SearchableBatch[] {
  return s.ledger.rows<SearchableBatch>(
    `SELECT b.id, b.camera_id, b.recorded_first, b.recorded_last, o.status AS ocr, o.index_sha256, o.readings_sha256 FROM batches b LEFT JOIN ocr_batches o ON o.batch = b.id
     WHERE b.status = 'imported' AND b.key_destroyed_at IS NULL AND b.stored > 0 ${camera ? 'AND b.camera_id = ?' : ''} ORDER BY b.finished_at`,
    camera ? [camera] : [],
  );
}
