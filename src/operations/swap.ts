/**
 * The drive swap (policy §2 and §8) as one resumable transaction of named steps, each committed
 * on its own so that an interruption leaves what was done on the record:
 *   recognise the drive (./import.ts) → `startSwap` (the removal, with the swap's id)
 *   → import (./import.ts `importMedia`; its batch is the swap's) → `recordStorage`
 *   → `replacementCandidates` → `finishSwap` (the replacement) → `swapSummary`.
 * An unfinished swap is found by `swapInProgress` and resumed from the step it stopped at, with
 * the times already given. The command asks its questions between the steps; nothing here
 * prompts or prints.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CustodyError } from '../core/errors.js';
import { BatchFiles } from '../ledger/batches.js';
import { listCameras } from '../ledger/cameras.js';
import {
  checkInstallable,
  type DriveRow,
  driveInCamera,
  findDrive,
  type InstallVerdict,
  spareOrStoredDrives,
} from '../ledger/drives.js';
import { acquireLock, type HeldLock, isStale, readLock } from '../ledger/lock.js';
import type { Session } from '../ledger/session.js';
import {
  findSwap,
  importFacts,
  nextSwapId,
  openSwapOf,
  openSwaps,
  type SwapBatchRow,
  type SwapRow,
  swapBatch,
} from '../ledger/swaps.js';
import type { ImportSummary } from '../media/import.js';
import { driveContents, requireSignedDriveRecords } from './drives.js';

/** The cameras a drive can come out of: the active ones (an error when there is none yet). */
export function swapCameras(s: Session): { id: string; location: string }[] {
  const cameras = listCameras(s).map((c) => ({ id: c.id, location: c.location }));
  if (cameras.length === 0)
    throw new CustodyError('notFound', 'There is no camera yet.', 'Add one with `custody camera add`.');
  return cameras;
}

/** The ledger must not place the drive in another camera than the one it is said to come out of. */
export function checkSwapCamera(drive: DriveRow, camera: string): void {
  if (drive.state === 'in_camera' && drive.camera_id !== camera)
    throw new CustodyError(
      'conflict',
      `The ledger says drive ${drive.id} is in camera ${drive.camera_id}, not ${camera}.`,
      `Check the camera; if the ledger is wrong, record the move with \`custody drive remove ${drive.id}\` first.`,
    );
}

export interface StartedSwap {
  swap: SwapRow;
  drive: DriveRow;
}

/**
 * The removal is on the record before anything is read (committed), as the first step of a new
 * swap. A spare or stored drive found in a camera first gets its placement recorded, as found. A
 * drive already recorded as taken out keeps the removal time on the record.
 */
export function startSwap(s: Session, o: { drive: DriveRow; camera: string; removedAt: string }): StartedSwap {
  const { drive, camera } = o;
  checkSwapCamera(drive, camera);
  if (openSwapOf(s, drive.id)) throw new Error(`drive ${drive.id} already has an unfinished swap`);
  const id = nextSwapId(s);
  let removedAt = o.removedAt;
  if (drive.state === 'spare' || drive.state === 'stored') {
    const other = driveInCamera(s, camera, drive.id);
    if (other)
      throw new CustodyError(
        'conflict',
        `The ledger says drive ${other.id} is in camera ${camera}, not drive ${drive.id}.`,
        `Check camera ${camera}. If ${drive.id} came out of another camera, name it with --camera; if ${other.id} was never put in ${camera}, correct the record with \`custody drive remove ${other.id}\` and run the swap again.`,
      );
    s.append('drive.installed', {
      drive: drive.id,
      camera,
      at: removedAt,
      note: 'placement not recorded before; found in the camera at the swap',
    });
  }
  if (drive.state === 'removed') removedAt = drive.removed_at ?? removedAt;
  else s.append('drive.removed', { drive: drive.id, camera, at: removedAt, swap: id });
  s.append('swap.started', { swap: id, drive: drive.id, camera, removedAt });
  s.commit();
  return { swap: findSwap(s, id)!, drive: findDrive(s, drive.id) };
}

/** What an unfinished swap has recorded so far, and what is left. */
export interface SwapProgress {
  swap: SwapRow;
  batch?: SwapBatchRow;
  imported: boolean;
  stored: boolean;
  replaced: boolean;
}

export function swapProgress(s: Session, swap: SwapRow): SwapProgress {
  const fresh = findSwap(s, swap.id) ?? swap;
  const batch = swapBatch(s, fresh.id);
  return {
    swap: fresh,
    batch,
    imported: batch?.status === 'imported',
    stored: fresh.location !== null,
    replaced: fresh.replacement !== null || fresh.status === 'finished',
  };
}

/** The steps of a swap on the record, in words: "the removal of D001 from CAM-01 at …; …". */
export function recordedSteps(p: SwapProgress): string[] {
  const out = [`the removal of drive ${p.swap.drive_id} from camera ${p.swap.camera_id} at ${p.swap.removed_at}`];
  if (p.batch)
    out.push(
      p.imported
        ? `its import (batch ${p.batch.id}, ${p.batch.files ?? 0} files)`
        : `part of its import (batch ${p.batch.id}, not finished)`,
    );
  if (p.stored) out.push(`where it is kept (${p.swap.location})`);
  if (p.swap.replacement) out.push(`drive ${p.swap.replacement} going into camera ${p.swap.camera_id}`);
  return out;
}

/** The step an unfinished swap resumes at, in words. */
export function nextStep(p: SwapProgress): string {
  if (!p.imported) return p.batch ? 'the rest of the import (same batch)' : 'the import';
  if (!p.stored) return 'where the drive is kept';
  return 'which drive went into the camera';
}

/**
 * The swap to resume for this drive, if it has an unfinished one; with no drive, the one
 * unfinished swap whose import is done (it needs no drive plugged in to be finished).
 */
export function swapInProgress(s: Session, driveId?: string): SwapProgress | undefined {
  if (driveId) {
    const own = openSwapOf(s, driveId);
    return own ? swapProgress(s, own) : undefined;
  }
  const ready = openSwaps(s)
    .map((w) => swapProgress(s, w))
    .filter((p) => p.imported);
  return ready.length === 1 ? ready[0] : undefined;
}

const driveLockName = (drive: string) => `swap-${drive}.lock`;

/**
 * A swap holds its drive while it runs (other commands go on: the ledger's write lock is taken
 * only to commit): a second swap of the same drive at once is refused before it asks anything.
 */
export function claimDrive(s: Session, drive: string): Promise<HeldLock> {
  return acquireLock(s.home.dir, 'swap', 0, {
    name: driveLockName(drive),
    busyMessage: `Drive ${drive} is being swapped now by`,
    timeZone: s.settings.timeZone,
    // A swap that was killed is resumed by the next one: its steps are on the record.
    breakStale: true,
  });
}

/** Whether a running process (a swap in another terminal) holds the drive now. */
function driveHeld(s: Session, drive: string): boolean {
  const holder = readLock(path.join(s.home.dir, driveLockName(drive)));
  return holder !== undefined && !isStale(holder);
}

/**
 * Every unfinished swap, for the log-in line: "swap S… of D001 (CAM-01) stopped before …"; not
 * one that a swap in another terminal is doing now.
 */
export function unfinishedSwapLines(s: Session): string[] {
  return openSwaps(s)
    .filter((w) => !driveHeld(s, w.drive_id))
    .map((w) => {
      const p = swapProgress(s, w);
      return `Due: swap ${w.id} of drive ${w.drive_id} (camera ${w.camera_id}) is unfinished: recorded ${recordedSteps(p).join('; ')}. Run \`custody swap\` with the drive to finish it from ${nextStep(p)}.`;
    });
}

/**
 * A drive that was already imported and holds nothing new is not imported again (a second batch
 * would count every image twice); the refusal names its batch and where it is kept.
 */
export async function checkNotAlreadyImported(s: Session, drive: DriveRow, source: string): Promise<void> {
  if (drive.state !== 'stored' && drive.state !== 'removed') return;
  const c = await driveContents(s, drive.id, source);
  if (!c.lastImport || c.unimported !== 0) return;
  const where =
    drive.state === 'stored'
      ? `it is stored: ${drive.location ?? 'place not recorded'}`
      : 'it is recorded as taken out and not yet stored';
  throw new CustodyError(
    'conflict',
    `Drive ${drive.id} was already imported (batch ${c.lastImport.id}, ${c.lastImport.files ?? 0} files, on ${(c.lastImport.finished_at ?? c.lastImport.started_at).slice(0, 10)}) and holds nothing new; ${where}.`,
    drive.state === 'stored'
      ? `Nothing to do for it. The drive to swap is the one that came out of the camera; see \`custody drive show ${drive.id}\`.`
      : `Record where it is kept with \`custody drive store ${drive.id}\`.`,
  );
}

/** Where the drive is kept now, and since when (committed). */
export function recordStorage(s: Session, o: { drive: string; location: string; swap?: string }): void {
  s.append('drive.stored', { drive: o.drive, location: o.location, at: s.now(), swap: o.swap ?? null });
  s.commit();
}

export interface ReplacementCandidate {
  drive: DriveRow;
  verdict: InstallVerdict;
}

/** The drives that could go into the camera instead, each with whether it may now (policy §8). */
export function replacementCandidates(s: Session, removed: string): ReplacementCandidate[] {
  return spareOrStoredDrives(s, removed).map((d) => ({ drive: d, verdict: checkInstallable(s, d) }));
}

/** The ids of the candidates that may go in now, for a hint: "D002, D004" or "none". */
export function eligibleNow(candidates: ReplacementCandidate[]): string {
  return (
    candidates
      .filter((c) => c.verdict.eligible)
      .map((c) => c.drive.id)
      .join(', ') || 'none'
  );
}

/**
 * The last step: the drive that went into the camera in its place (never one whose data may not
 * yet be recorded over, policy §8), or none; the swap is then finished (one commit).
 */
export async function finishSwap(
  s: Session,
  o: { swap: SwapRow; replacement?: string; installedAt?: string; candidates: ReplacementCandidate[] },
): Promise<void> {
  const { swap } = o;
  if (o.replacement && !swap.replacement) {
    await requireSignedDriveRecords(s);
    const v = checkInstallable(s, findDrive(s, o.replacement));
    if (!v.eligible)
      throw new CustodyError(
        'denied',
        v.reason,
        `Eligible now: ${eligibleNow(o.candidates)}. The swap so far (removal, import, storage) is recorded; run \`custody swap\` again to finish it.`,
      );
    s.append('drive.installed', {
      drive: o.replacement,
      camera: swap.camera_id,
      at: o.installedAt ?? s.now(),
      swap: swap.id,
    });
  }
  s.append('swap.finished', { swap: swap.id, replacement: o.replacement ?? swap.replacement ?? null });
  s.commit();
}

/** The summary of a swap's import already on the record (a resumed swap does not import again). */
export function recordedImport(s: Session, batch: SwapBatchRow, drive: string): ImportSummary {
  // A run killed right after the import was recorded may have left its journal behind.
  fs.rmSync(new BatchFiles(s.home, batch.id).journalFile, { force: true });
  const facts = importFacts(s, batch.id);
  return {
    batch: batch.id,
    drive,
    camera: batch.camera_id,
    resumed: true,
    nothingNew: (batch.stored ?? 0) === 0 && (batch.failed ?? 0) === 0,
    files: batch.files ?? 0,
    stored: batch.stored ?? 0,
    duplicates: batch.duplicates ?? 0,
    skipped: batch.skipped ?? 0,
    failed: batch.failed ?? 0,
    bytes: batch.bytes ?? 0,
    storedBytes: 0,
    recordedFirst: batch.recorded_first,
    recordedLast: batch.recorded_last,
    manifestSha256: batch.manifest_sha256 ?? '',
    startedAt: batch.started_at,
    finishedAt: batch.finished_at ?? '',
    attention: [],
    failures: facts.problemFiles,
    folders: facts.folders,
    notImported: facts.notImportedEntries,
  };
}

export interface NotYetEligible {
  drive: string;
  eligibleFrom: string | null;
  reason: string;
}

export type SwapSummary = ImportSummary & {
  swap: string;
  /** True when this run finished a swap an earlier run began. */
  swapResumed: boolean;
  removedAt: string;
  storedAt: string;
  replacement: string | null;
  drivesNotYetEligible: NotYetEligible[];
};

/** What the swap did, with the drives that may not yet go back into a camera. */
export function swapSummary(
  sum: ImportSummary,
  o: {
    swap: string;
    swapResumed: boolean;
    removedAt: string;
    location: string;
    replacement?: string;
    candidates: ReplacementCandidate[];
  },
): SwapSummary {
  return {
    ...sum,
    swap: o.swap,
    swapResumed: o.swapResumed,
    removedAt: o.removedAt,
    storedAt: o.location,
    replacement: o.replacement ?? null,
    drivesNotYetEligible: o.candidates
      .filter((c) => !c.verdict.eligible)
      .map((c) => ({ drive: c.drive.id, eligibleFrom: c.verdict.eligibleFrom ?? null, reason: c.verdict.reason })),
  };
}
