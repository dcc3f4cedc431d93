/**
 * Looking at images: one image's metadata and readings, or decrypted copies of images. Both pass
 * the one gate (operations/gate.ts); every look is recorded in the access record (Civil Code
 * 1798.90.52), and an export is a release with its receipt.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CustodyError } from '../core/errors.js';
import { type AccessReason, requireAccessReason } from '../ledger/access.js';
import type { FileRecord } from '../ledger/batches.js';
import type { OutputMode } from '../ledger/fsutil.js';
import { loadBatch, parseImageId, recordedPlateFiles } from '../ledger/images.js';
import { refuseDestroyed } from '../ledger/purge.js';
import type { Session } from '../ledger/session.js';
import type { StoredReading } from '../ocr/queue.js';
import { admit, checkItems, checkRetention, recordView, requireSignedRecords } from './gate.js';
import { requestPlateHits } from './search.js';
import { checkRelease, defaultReceiptFile, planImagesRelease, type ReleaseResult, releaseRequest } from './release.js';

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

/**
 * A look at one image, through the gate (operations/gate.ts): under a request (its scope, its
 * agency's eligibility and purpose), or as the custodian's or a designee's own viewing for a
 * purpose of the city's list; never past its destruction date. Recorded either way.
 */
export async function showImage(s: Session, o: { id: string; reason: AccessReason }): Promise<ImageDetails> {
  const ref = parseImageId(o.id);
  refuseDestroyed(s, ref.batch, ref.fileId);
  if (o.reason.requestId) await requireSignedRecords(s);
  const pass = o.reason.requestId ? admit(s, o.reason.requestId, 'view') : undefined;
  if (pass && o.reason.purpose && o.reason.purpose !== pass.request.purpose)
    throw new CustodyError(
      'usage',
      `Request ${pass.request.id} was made for "${pass.request.purpose}", not "${o.reason.purpose}".`,
      'Under a request, its own purpose is recorded: leave out --purpose.',
    );
  const own = pass ? undefined : requireAccessReason(s, o.reason, 'view of an image');
  const b = await loadBatch(s, ref.batch);
  const rec = b.records.get(ref.fileId);
  if (!rec) throw new CustodyError('notFound', `No image ${o.id}.`);
  const item = { image: o.id, batch: ref.batch, camera: b.camera, recordedAt: rec.recordedAt, flags: rec.flags };
  if (pass) {
    // A plate request reaches only the images its plate search finds (the gate's one scope rule).
    const hits = pass.scope.plate && !pass.scope.drive ? await requestPlateHits(s, pass.request, 'view') : undefined;
    checkItems(s, pass, [item], hits);
  } else checkRetention(s, [item]);
  const { loadReadings } = await import('../ocr/queue.js');
  // The readings the ledger records (a file put back from before a re-read is refused, exit 8).
  const readings = loadReadings(b.bf, b.key, recordedPlateFiles(s, ref.batch));
  const rd = readings?.files[String(ref.fileId)];
  recordView(s, { image: o.id, pass, own: own && { purpose: own.purpose, caseRef: own.caseRef } });
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

export interface ExportInput {
  ids: string[];
  dir: string;
  reason: AccessReason;
  /** Where to write the receipt (default: next to the bag, named by its number). */
  receipt?: string;
  /** The permissions of the bag and the receipt (default: 0600 files, 0700 folders). */
  mode?: OutputMode;
}

/**
 * Decrypted copies of images leave the home only as a release (policy §5; Civ. Code
 * 1798.90.55): under an open request from an eligible agency, exactly the images named, each
 * within the request's scope and not past its destruction date, written as a BagIt bag with a
 * signed receipt. Without a request it is refused and nothing is written.
 */
export async function exportImages(s: Session, o: ExportInput): Promise<ReleaseResult> {
  const dir = exportTarget(o.ids, o.dir);
  if (!o.reason.requestId)
    throw new CustodyError(
      'denied',
      'Refused: decrypted images leave the home only as a release on an open request from an eligible agency (policy §5; Cal. Civ. Code § 1798.90.55(b)); `image export` needs --request.',
      `Record the request with \`custody request new\`, then \`custody image export ${o.ids.join(' ')} --request REQ-… --to DIR\`. Nothing was written.`,
    );
  const t = checkRelease(s, { request: o.reason.requestId, via: 'image export' });
  if (o.reason.purpose && o.reason.purpose !== t.request.purpose)
    throw new CustodyError(
      'usage',
      `Request ${t.request.id} was made for "${t.request.purpose}", not "${o.reason.purpose}".`,
      'Under a request, its own purpose is recorded: leave out --purpose.',
    );
  const plan = await planImagesRelease(s, t, o.ids);
  const receipt = o.receipt ?? defaultReceiptFile(plan, dir);
  return releaseRequest(s, plan, { to: dir, receipt, mode: o.mode });
}
