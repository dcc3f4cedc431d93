/**
 * The drive swap (policy §2 and §8) as named steps, each committed on its own so that an
 * interruption leaves what was done on the record:
 *   recognise the drive (./import.ts) → `recordRemoval` → import (./import.ts `importMedia`)
 *   → `recordStorage` → `replacementCandidates` → `installReplacement` → `swapSummary`.
 * The command asks its questions between the steps; nothing here prompts or prints.
 */
import { CustodyError } from '../core/errors.js';
import { listCameras } from '../ledger/cameras.js';
import {
  checkInstallable,
  type DriveRow,
  driveInCamera,
  findDrive,
  type InstallVerdict,
  spareOrStoredDrives,
} from '../ledger/drives.js';
import type { Session } from '../ledger/session.js';
import type { ImportSummary } from '../media/import.js';

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

/**
 * The removal is on the record before anything is read (committed). A spare or stored drive
 * found in a camera first gets its placement recorded, as found. Returns the drive as it is now.
 */
export function recordRemoval(s: Session, o: { drive: DriveRow; camera: string; removedAt: string }): DriveRow {
  const { drive, camera, removedAt } = o;
  checkSwapCamera(drive, camera);
  if (drive.state === 'spare' || drive.state === 'stored') {
    const other = driveInCamera(s, camera, drive.id);
    if (other)
      throw new CustodyError(
        'conflict',
        `The ledger says drive ${other.id} is in camera ${camera}, not drive ${drive.id}.`,
        `Check the camera. If ${other.id} is not in it, record that with \`custody drive remove ${other.id}\` and run the swap again.`,
      );
    s.append('drive.installed', {
      drive: drive.id,
      camera,
      at: removedAt,
      note: 'placement not recorded before; found in the camera at the swap',
    });
  }
  if (drive.state !== 'removed') s.append('drive.removed', { drive: drive.id, camera, at: removedAt });
  s.commit();
  return findDrive(s, drive.id);
}

/** Where the drive is kept now (committed). */
export function recordStorage(s: Session, o: { drive: string; location: string }): void {
  s.append('drive.stored', { drive: o.drive, location: o.location });
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
 * Record the drive that went into the camera in its place (committed); never one whose data may
 * not yet be recorded over (policy §8).
 */
export function installReplacement(
  s: Session,
  o: { replacement: string; camera: string; installedAt?: string; candidates: ReplacementCandidate[] },
): void {
  const v = checkInstallable(s, findDrive(s, o.replacement));
  if (!v.eligible)
    throw new CustodyError(
      'denied',
      v.reason,
      `Eligible now: ${eligibleNow(o.candidates)}. The swap so far (removal, import, storage) is recorded.`,
    );
  s.append('drive.installed', { drive: o.replacement, camera: o.camera, at: o.installedAt ?? s.now() });
  s.commit();
}

export interface NotYetEligible {
  drive: string;
  eligibleFrom: string | null;
  reason: string;
}

export type SwapSummary = ImportSummary & {
  removedAt: string;
  storedAt: string;
  replacement: string | null;
  drivesNotYetEligible: NotYetEligible[];
};

/** What the swap did, with the drives that may not yet go back into a camera. */
export function swapSummary(
  sum: ImportSummary,
  o: { removedAt: string; location: string; replacement?: string; candidates: ReplacementCandidate[] },
): SwapSummary {
  return {
    ...sum,
    removedAt: o.removedAt,
    storedAt: o.location,
    replacement: o.replacement ?? null,
    drivesNotYetEligible: o.candidates
      .filter((c) => !c.verdict.eligible)
      .map((c) => ({ drive: c.drive.id, eligibleFrom: c.verdict.eligibleFrom ?? null, reason: c.verdict.reason })),
  };
}
