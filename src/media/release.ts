/**
 * A release as an export (policy §5): the original files of a request's scope, decrypted from
 * the store and hash-checked on the way out, written as a BagIt bag (RFC 8493) and validated
 * after writing. Duplicates are read from the batch that stores their content.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { bagPaths } from '../core/bag-names.js';
import { CustodyError } from '../core/errors.js';
import { BatchFiles, loadBatchKey, openSegment, StoreKeys, segmentRecords, storeContext } from '../ledger/batches.js';
import { decryptStream } from '../ledger/crypto.js';
import type { Session } from '../ledger/session.js';
import type { OutputMode } from '../ledger/fsutil.js';
import { partialOf } from '../ledger/pending-outputs.js';
import { validateBag, writeBag, type BagFile, type BagSummary } from './bagit.js';
import { storeProblem } from './store.js';

export interface ReleaseItem {
  /** The image id (`<batch>:<file id>`), as the plate search and `image show` name it. */
  image: string;
  /**
   * Path inside data/: `<camera>/<batch>/<path on the drive>`, each segment made safe and no two
   * a disk takes for one (core/bag-names.ts; `relPath` keeps the path on the drive).
   */
  bagPath: string;
  batch: string;
  camera: string | null;
  relPath: string;
  sha256: string;
  size: number;
  recordedAt?: string;
  /** Its capture-time flags (an unbelievable date counts from the import, policy §8). */
  flags?: string[];
  /** Where the encrypted content is: the batch that stores it and its store name. */
  from: { batch: string; storeName: string };
}

/** The recorded segments a bag path is made of: camera, batch, then the path on the drive. */
function bagSegments(camera: string | null, batch: string, relPath: string): string[] {
  return [camera ?? 'no-camera', batch, ...relPath.split('/')];
}

/** The path on the drive of an item whose bag path is not `<camera>/<batch>/<path on the drive>` verbatim. */
export function renamedFrom(it: Pick<ReleaseItem, 'bagPath' | 'camera' | 'batch' | 'relPath'>): string | undefined {
  return it.bagPath === bagSegments(it.camera, it.batch, it.relPath).join('/') ? undefined : it.relPath;
}

/**
 * The stored files of `batches` (each with its camera), those recorded within [from, to] when
 * a range is given (files with no date of recordation are left out of a ranged selection), and
 * only the images named in `only` when it is given.
 */
export async function collectReleaseItems(
  s: Session,
  batches: readonly { id: string; camera_id: string | null }[],
  range: { from?: Date; to?: Date } = {},
  /** Only these images (`<batch>:<file id>`, as the plate search names them). */
  only?: ReadonlySet<string>,
): Promise<ReleaseItem[]> {
  const out: ReleaseItem[] = [];
  const ranged = !!(range.from || range.to);
  for (const b of batches) {
    const bf = new BatchFiles(s.home, b.id);
    const key = loadBatchKey(bf, s.master);
    const db = await openSegment(bf, key);
    try {
      for (const r of segmentRecords(db)) {
        if ((r.outcome !== 'stored' && r.outcome !== 'duplicate') || !r.sha256) continue;
        if (only && !only.has(`${b.id}:${r.id}`)) continue;
        if (ranged) {
          const t = r.recordedAt ? Date.parse(r.recordedAt) : NaN;
          if (Number.isNaN(t)) continue;
          if (range.from && t < range.from.getTime()) continue;
          if (range.to && t > range.to.getTime()) continue;
        }
        let from: ReleaseItem['from'];
        if (r.outcome === 'stored' && r.storeName) from = { batch: b.id, storeName: r.storeName };
        else {
          const [batch, storeName] = (r.duplicateOf ?? '').split('/');
          if (!batch || !storeName) continue;
          from = { batch, storeName };
        }
        out.push({
          image: `${b.id}:${r.id}`,
          bagPath: '', // named below, all together
          batch: b.id,
          camera: b.camera_id,
          relPath: r.relPath,
          sha256: r.sha256,
          size: r.size,
          recordedAt: r.recordedAt,
          flags: r.flags,
          from,
        });
      }
    } finally {
      db.close();
    }
  }
  const names = bagPaths(out.map((it) => bagSegments(it.camera, it.batch, it.relPath)));
  out.forEach((it, i) => {
    it.bagPath = names[i]!;
  });
  return out;
}

export interface BagExport extends BagSummary {
  dir: string;
  recordedFrom?: string;
  recordedTo?: string;
}

/**
 * Write the bag at `dir` (with `leavePartial`, complete in `<dir>.partial`, for the caller to move
 * into place once the release is recorded) and validate it. Each file is decrypted from the store as a stream and
 * writeBag refuses it unless its SHA-256 is the one recorded at import. The bag is built in a
 * folder next to `dir` and moved into place only when complete (writeBag); a stored copy missing
 * or damaged is a store problem naming its image (exit 8), and then nothing is left at `dir`.
 */
export async function exportBag(
  s: Session,
  dir: string,
  items: readonly ReleaseItem[],
  info: Record<string, string>,
  now: Date,
  mode?: OutputMode,
  o: { leavePartial?: boolean } = {},
): Promise<BagExport> {
  if (items.length === 0)
    throw new CustodyError(
      'notFound',
      'Nothing in the store matches the request; no bag was written.',
      'Check the request scope with `custody request show`.',
    );
  const keys = new StoreKeys(s.home, s.master);
  const fileOf = (it: ReleaseItem) => new BatchFiles(s.home, it.from.batch).storeFile(it.from.storeName);
  // Every stored copy is there before a byte is decrypted.
  for (const it of items) {
    try {
      fs.accessSync(fileOf(it), fs.constants.R_OK);
    } catch (e) {
      throw storeProblem(e, it.image, fileOf(it)) ?? e;
    }
  }
  const keyOf = new Map<ReleaseItem, Buffer>();
  for (const it of items) keyOf.set(it, await keys.forStored(it.from.batch, it.from.storeName));
  const files: BagFile[] = items.map((it) => ({
    relPath: it.bagPath,
    sha256: it.sha256,
    open: (): Readable => {
      const file = fileOf(it);
      const src = fs.createReadStream(file);
      const dec = decryptStream(keyOf.get(it)!, storeContext(it.from.batch));
      const out = new PassThrough();
      const fail = (e: unknown) => out.destroy(storeProblem(e, it.image, file) ?? (e as Error));
      src.on('error', fail);
      dec.on('error', fail);
      return src.pipe(dec).pipe(out);
    },
  }));
  const target = path.resolve(dir);
  let summary: BagSummary;
  try {
    summary = await writeBag(target, files, info, {
      now,
      mode,
      timeZone: s.settings.timeZone,
      leavePartial: o.leavePartial,
    });
  } catch (e) {
    // writeBag names a hash mismatch by the bag path: say which image's stored copy it was.
    const bad =
      e instanceof CustodyError && e.code === 'integrity' && items.find((i) => e.message.startsWith(`${i.bagPath}:`));
    if (bad) throw storeProblem(e, bad.image, fileOf(bad)) ?? e;
    throw e;
  }
  const written = o.leavePartial ? partialOf(target) : target;
  const check = await validateBag(written);
  if (!check.valid) {
    fs.rmSync(written, { recursive: true, force: true });
    throw new CustodyError(
      'integrity',
      `The bag written at ${written} does not validate (${check.problems.join('; ')}); it was removed.`,
    );
  }
  const dates = items
    .map((i) => i.recordedAt)
    .filter((x): x is string => !!x)
    .sort((a, b) => Date.parse(a) - Date.parse(b));
  return { ...summary, dir: target, recordedFrom: dates[0], recordedTo: dates[dates.length - 1] };
}
