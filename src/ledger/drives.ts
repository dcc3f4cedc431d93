/** Drives as the ledger's derived table holds them, and reinstall eligibility as the ledger sees it (policy §8); the rule itself is src/core/retention.ts. */
import type { DriveState } from '../core/drive-state.js';
import { CustodyError } from '../core/errors.js';
import {
  destructionEligibility,
  type ReinstallDrive,
  type ReinstallEligibility,
  reinstallEligibility,
} from '../core/retention.js';
import { holdsForDrive } from './holds.js';
import { isoInZone, parseIsoWithOffset } from '../core/time.js';
import type { Session } from './session.js';

export interface DriveRow {
  id: string;
  label: string | null;
  serial: string | null;
  capacity_bytes: number | null;
  fs_type: string | null;
  /** The USB device its volume was on at enrolment (schema 14; null before, or where not known). */
  usb_serial: string | null;
  usb_vendor: string | null;
  usb_model: string | null;
  state: DriveState;
  camera_id: string | null;
  location: string | null;
  enrolled_at: string;
  state_since: string;
  installed_at: string | null;
  removed_at: string | null;
  stored_at: string | null;
  released_to: string | null;
  retired_at: string | null;
  recorded_first: string | null;
  recorded_last: string | null;
  note: string | null;
  /** Media files seen on the drive that no import has taken in yet (null: not known). */
  files_unimported: number | null;
  wiped_at: string | null;
  wipe_method: string | null;
  destroyed_at: string | null;
}

export function findDrive(s: Session, id: string): DriveRow {
  const d = s.ledger.one<DriveRow>('SELECT * FROM drives WHERE id = ?', [id]);
  if (!d) throw new CustodyError('notFound', `No drive ${id}.`, 'See `custody drive list`.');
  return d;
}

/** The drive with this id, if there is one. */
export function getDrive(s: Session, id: string): DriveRow | undefined {
  return s.ledger.one<DriveRow>('SELECT * FROM drives WHERE id = ?', [id]);
}

export function driveExists(s: Session, id: string): boolean {
  return s.ledger.one('SELECT id FROM drives WHERE id = ?', [id]) !== undefined;
}

export function drivesBySerial(s: Session, serial: string): DriveRow[] {
  return s.ledger.rows<DriveRow>('SELECT * FROM drives WHERE serial = ?', [serial]);
}

/** Every drive in id order, or only those in one state. */
export function listDrives(s: Session, state?: string): DriveRow[] {
  return s.ledger.rows<DriveRow>(
    `SELECT * FROM drives ${state ? 'WHERE state = ?' : ''} ORDER BY id`,
    state ? [state] : [],
  );
}

/** Every drive, in the table's own order (as the forecast has always read them). */
export function allDrives(s: Session): DriveRow[] {
  return s.ledger.rows<DriveRow>('SELECT * FROM drives');
}

/** The drive the ledger says is in a camera (other than `except`), if any. */
export function driveInCamera(s: Session, camera: string, except?: string): { id: string } | undefined {
  return except === undefined
    ? s.ledger.one<{ id: string }>("SELECT id FROM drives WHERE state = 'in_camera' AND camera_id = ?", [camera])
    : s.ledger.one<{ id: string }>("SELECT id FROM drives WHERE state = 'in_camera' AND camera_id = ? AND id != ?", [
        camera,
        except,
      ]);
}

/** Which drive is in which camera, for every drive in a camera. */
export function drivesInCameras(s: Session): { id: string; camera_id: string }[] {
  return s.ledger.rows<{ id: string; camera_id: string }>("SELECT id, camera_id FROM drives WHERE state = 'in_camera'");
}

/** The drives that could go into a camera (spares and stored drives), other than `except`, in id order. */
export function spareOrStoredDrives(s: Session, except: string): DriveRow[] {
  return s.ledger.rows<DriveRow>("SELECT * FROM drives WHERE state IN ('spare', 'stored') AND id != ? ORDER BY id", [
    except,
  ]);
}

/** The next free id of the form D001, D002 … */
export function nextDriveId(s: Session): string {
  const n = Number(s.ledger.one<{ n: number }>('SELECT count(*) AS n FROM drives')?.n ?? 0) + 1;
  for (let i = n; ; i++) {
    const id = `D${String(i).padStart(3, '0')}`;
    if (!driveExists(s, id)) return id;
  }
}

export interface DriveHistoryRow {
  seq: number;
  action: string;
  /** When it happened (the `--at` given, or the prompt's answer). */
  at: string;
  /** When it was recorded (the event's own time). */
  recorded_at: string;
  actor: string;
  camera_id: string | null;
  location: string | null;
  note: string | null;
}

/** One drive's moves (policy §8: dates of storage and of reinstall), oldest first. */
export function driveHistory(s: Session, id: string): DriveHistoryRow[] {
  return s.ledger.rows<DriveHistoryRow>(
    `SELECT h.seq, h.action, h.at, e.at AS recorded_at, e.actor, h.camera_id, h.location, h.note
     FROM drive_history h JOIN events e ON e.seq = h.seq WHERE h.drive_id = ? ORDER BY h.seq`,
    [id],
  );
}

/** Every removal of a drive from a camera: the swaps, for the swap cadence. */
export function removalsFromCameras(s: Session): { camera_id: string; at: string }[] {
  return s.ledger.rows<{ camera_id: string; at: string }>(
    "SELECT camera_id, at FROM drive_history WHERE action = 'remove' AND camera_id IS NOT NULL",
  );
}

export function driveJson(d: DriveRow) {
  return {
    id: d.id,
    label: d.label,
    serial: d.serial,
    capacityBytes: d.capacity_bytes,
    fsType: d.fs_type,
    usbSerial: d.usb_serial,
    usbVendor: d.usb_vendor,
    usbModel: d.usb_model,
    state: d.state,
    camera: d.camera_id,
    location: d.location,
    enrolledAt: d.enrolled_at,
    stateSince: d.state_since,
    installedAt: d.installed_at,
    removedAt: d.removed_at,
    storedAt: d.stored_at,
    releasedTo: d.released_to,
    retiredAt: d.retired_at,
    recordedFirst: d.recorded_first,
    recordedLast: d.recorded_last,
    note: d.note,
    filesUnimported: d.files_unimported,
    wipedAt: d.wiped_at,
    wipeMethod: d.wipe_method,
    destroyedAt: d.destroyed_at,
  };
}

export interface InstallVerdict {
  eligible: boolean;
  reason: string;
  eligibleFrom?: string;
  blockingHolds: string[];
}

type EligibilityDrive = {
  id: string;
  state: string;
  recorded_last: string | null;
  files_unimported?: number | null;
  wiped_at?: string | null;
};

/** What the reinstall and destruction rules (core/retention.ts) need to know of a drive. */
function eligibilityInput(s: Session, d: EligibilityDrive): { drive: ReinstallDrive; unfinishedImport: boolean } {
  const verified = s.ledger.one<{ verified_at: string | null }>(
    "SELECT verified_at FROM batches WHERE drive_id = ? AND status = 'imported' ORDER BY finished_at DESC LIMIT 1",
    [d.id],
  );
  const removedSinceImport = s.ledger.one<{ n: number }>(
    "SELECT count(*) AS n FROM batches WHERE drive_id = ? AND status = 'importing'",
    [d.id],
  );
  const unfinishedImport = !!removedSinceImport?.n;
  return {
    unfinishedImport,
    drive: {
      id: d.id,
      state: d.state as DriveState,
      newestRecordedAt: d.recorded_last ? parseIsoWithOffset(d.recorded_last) : undefined,
      importVerifiedAt:
        verified?.verified_at && !unfinishedImport ? parseIsoWithOffset(verified.verified_at) : undefined,
      holds: holdsForDrive(s, d.id),
      unimportedFiles: d.files_unimported ?? undefined,
      wipedAt: d.wiped_at ? parseIsoWithOffset(d.wiped_at) : undefined,
    },
  };
}

function verdict(s: Session, d: { id: string }, v: ReinstallEligibility, unfinishedImport: boolean): InstallVerdict {
  // An import left unfinished means the drive's data is not yet safely in the store.
  if (v.eligible && unfinishedImport)
    return {
      eligible: false,
      reason: `Drive ${d.id} has an unfinished import; run \`custody import\` to finish it first.`,
      blockingHolds: v.blockingHolds,
    };
  // In the home's time zone, so its date part is the same day the reason names.
  return {
    eligible: v.eligible,
    reason: v.reason,
    eligibleFrom: v.eligibleFrom ? isoInZone(v.eligibleFrom, s.settings.timeZone) : undefined,
    blockingHolds: v.blockingHolds,
  };
}

function ruleOptions(s: Session) {
  const settings = s.settings;
  return {
    retentionDays: settings.retentionDays,
    reuseAfterVerifiedImport: settings.reuseAfterVerifiedImport,
    timeZone: settings.timeZone,
  };
}

/** May this drive go back into a camera now (policy §8)? */
export function checkInstallable(s: Session, d: EligibilityDrive): InstallVerdict {
  const { drive, unfinishedImport } = eligibilityInput(s, d);
  return verdict(s, d, reinstallEligibility(drive, s.clock(), ruleOptions(s)), unfinishedImport);
}

/** May this drive's data be destroyed (wiped, or the drive destroyed) at `at` (policy §8)? */
export function checkDestroyable(s: Session, d: EligibilityDrive, at: Date): InstallVerdict {
  const { drive, unfinishedImport } = eligibilityInput(s, d);
  return verdict(s, d, destructionEligibility(drive, at, ruleOptions(s)), unfinishedImport);
}
