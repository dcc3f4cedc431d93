/**
 * Looking at images: one image's metadata and readings, or decrypted copies of images, each
 * hash checked on the way out. Every look names a purpose and a case and is recorded in the
 * access record (Civil Code 1798.90.52).
 */
import fs from 'node:fs';
import path from 'node:path';
import { CustodyError } from '../core/errors.js';
import { type AccessReason, recordAccess, requireAccessReason } from '../ledger/access.js';
import { type FileRecord, storeContext } from '../ledger/batches.js';
import { fsyncDir, ioError } from '../ledger/fsutil.js';
import { imageId, type LoadedBatch, loadBatch, parseImageId } from '../ledger/images.js';
import type { Session } from '../ledger/session.js';
import type { StoredReading } from '../ocr/queue.js';

export { parseImageId };

/** What `image show` tells of one image: its record from the import and its plate readings. */
export interface ImageDetails {
  image: string;
  batch: string;
  camera: string | null;
  drive: string;
  file: string;
  size: number;
  sha256: FileRecord['sha256'];
  mime: FileRecord['mime'];
  capturedAt: FileRecord['recordedAt'];
  captureSource: FileRecord['recordedSource'];
  flags: string[];
  make: FileRecord['make'];
  model: FileRecord['model'];
  serial: FileRecord['serial'];
  gps: FileRecord['gps'] | null;
  outcome: FileRecord['outcome'];
  duplicateOf: string | null;
  readings: ({ engine: string; model: string } & StoredReading) | null;
}

export async function showImage(s: Session, o: { id: string; reason: AccessReason }): Promise<ImageDetails> {
  const ref = parseImageId(o.id);
  const reason = requireAccessReason(s, o.reason, 'view of an image');
  const b = await loadBatch(s, ref.batch);
  const rec = b.records.get(ref.fileId);
  if (!rec) throw new CustodyError('notFound', `No image ${o.id}.`);
  const { loadReadings } = await import('../ocr/queue.js');
  const readings = loadReadings(b.bf, b.key);
  const rd = readings?.files[String(ref.fileId)];
  recordAccess(s, 'view', o.id, reason, 1);
  return {
    image: o.id,
    batch: ref.batch,
    camera: b.camera,
    drive: b.drive,
    file: rec.relPath,
    size: rec.size,
    sha256: rec.sha256,
    mime: rec.mime,
    capturedAt: rec.recordedAt,
    captureSource: rec.recordedSource,
    flags: rec.flags,
    make: rec.make,
    model: rec.model,
    serial: rec.serial,
    gps: rec.gps ?? null,
    outcome: rec.outcome,
    duplicateOf: rec.duplicateOf ?? null,
    readings: rd ? { engine: readings!.engine, model: readings!.model, ...rd } : null,
  };
}

/**
 * Where an export may write, checked before log-in: the folder (`--to`) must be named and new
 * or empty, and every id well formed. Returns the folder, absolute.
 */
export function exportTarget(ids: string[], to: string | undefined): string {
  if (!to) throw new CustodyError('usage', 'Missing the destination: pass --to DIR.');
  const dir = path.resolve(to);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0)
    throw new CustodyError('conflict', `${dir} is not empty.`, 'Export into a new or empty folder.');
  ids.forEach(parseImageId);
  return dir;
}

export interface ExportedImage {
  image: string;
  file: string;
  sha256: string;
}

/**
 * Decrypted copies of the images in `dir` (new or empty), each hash checked on the way out. They
 * are written into a temporary folder next to `dir` and moved into place only when every one is
 * written; the access is recorded only then. On any failure (a store file missing or damaged,
 * exit 8 naming the image; a full disk) the temporary folder and every decrypted byte in it are
 * removed, `dir` is left as it was, and nothing is recorded.
 */
export async function exportImages(
  s: Session,
  o: { ids: string[]; dir: string; reason: AccessReason },
): Promise<ExportedImage[]> {
  const dir = exportTarget(o.ids, o.dir);
  const refs = o.ids.map(parseImageId);
  const reason = requireAccessReason(s, o.reason, 'export of images');
  const { exportStored, storeProblem } = await import('../media/store.js');
  const cache = new Map<string, LoadedBatch>();
  const batch = async (id: string): Promise<LoadedBatch> => {
    const b = cache.get(id) ?? (await loadBatch(s, id));
    cache.set(id, b);
    return b;
  };
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const work = fs.mkdtempSync(path.join(path.dirname(dir), `.${path.basename(dir)}.custody-export-`));
  const written: ExportedImage[] = [];
  try {
    for (const ref of refs) {
      const b = await batch(ref.batch);
      const rec = b.records.get(ref.fileId);
      if (!rec?.sha256 || (rec.outcome !== 'stored' && rec.outcome !== 'duplicate'))
        throw new CustodyError('notFound', `No stored image ${imageId(ref)}.`);
      let src = b;
      let name = rec.storeName;
      if (rec.outcome === 'duplicate' && rec.duplicateOf) {
        const [db, dn] = rec.duplicateOf.split('/');
        src = await batch(db!);
        name = dn;
      }
      const ext = path.extname(rec.relPath) || `.${(rec.mime ?? 'application/octet-stream').split('/')[1]}`;
      const fileName = `${imageId(ref).replace(':', '_')}${ext.toLowerCase()}`;
      const stored = src.bf.storeFile(name!);
      try {
        await exportStored(stored, src.key, storeContext(src.bf.batch), path.join(work, fileName), rec.sha256);
      } catch (e) {
        throw storeProblem(e, imageId(ref), stored) ?? ioError(e, `exporting ${imageId(ref)}`);
      }
      written.push({ image: imageId(ref), file: path.join(dir, fileName), sha256: rec.sha256 });
    }
    if (fs.existsSync(dir)) fs.rmdirSync(dir); // empty (checked); rename cannot replace it everywhere
    fs.renameSync(work, dir);
    fsyncDir(path.dirname(dir));
  } catch (e) {
    fs.rmSync(work, { recursive: true, force: true });
    throw e;
  }
  try {
    recordAccess(s, 'export', o.ids.join(' '), reason, written.length, { to: dir });
  } catch (e) {
    // Not on the access record, so not handed over: the copies go.
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return written;
}
