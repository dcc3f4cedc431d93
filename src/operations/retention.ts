/**
 * What retention requires now (policy §8: keep 60 days from the date of recordation, then
 * destroy; longer only under a hold), per import batch and per drive, and the duties that are
 * overdue (policy §7, §8).
 */
import type { RetentionState } from '../core/retention.js';
import type { Permission } from '../core/roles.js';
import { isoInZone } from '../core/time.js';
import { currentOverdueDuties, retentionReport } from '../ledger/purge.js';
import type { Session } from '../ledger/session.js';

interface RetentionStatus {
  destructionDate: string | null;
  state: RetentionState;
  heldBy: string[];
  overdueDays: number;
  daysLeft: number;
}

export interface DayRetentionView extends RetentionStatus {
  /** YYYY-MM-DD; '' for a batch imported before days were recorded (split at its next purge). */
  day: string;
  files: number | null;
  recordedFirst: string | null;
  recordedLast: string | null;
}

export interface BatchRetentionView extends RetentionStatus {
  id: string;
  /** Its recording days, each with its own destruction date; the batch's date is its last day's. */
  days: DayRetentionView[];
  camera: string | null;
  drive: string;
  recordedFirst: string | null;
  recordedLast: string | null;
  destroyedAt: string | null;
  files: number | null;
}

export interface DriveRetentionView extends RetentionStatus {
  id: string;
  driveState: string;
  camera: string | null;
  location: string | null;
  releasedTo: string | null;
  recordedFirst: string | null;
  recordedLast: string | null;
}

export interface RetentionOverview {
  retentionDays: number;
  batches: BatchRetentionView[];
  drives: DriveRetentionView[];
  /** The duties overdue now, as sentences. */
  overdue: string[];
}

/** Each import batch and drive against the retention period: dates, destruction date, holds, what is overdue. */
export function retentionOverview(s: Session): RetentionOverview {
  const tz = s.settings.timeZone;
  const r = retentionReport(s);
  return {
    retentionDays: s.settings.retentionDays,
    batches: r.batches.map((b) => ({
      id: b.batch.id,
      camera: b.batch.camera_id,
      drive: b.batch.drive_id,
      recordedFirst: b.batch.recorded_first,
      recordedLast: b.batch.recorded_last,
      destructionDate: b.entry.dueDate ? isoInZone(b.entry.dueDate, tz) : null,
      state: b.entry.state,
      heldBy: b.entry.heldBy,
      overdueDays: b.entry.overdueDays,
      daysLeft: b.entry.daysLeft,
      destroyedAt: b.batch.destroyed_at,
      files: b.batch.stored,
      days: b.days.map((d) => ({
        day: d.day,
        files: d.row ? d.row.files : b.batch.stored,
        recordedFirst: isoInZone(d.first, tz),
        recordedLast: isoInZone(d.last, tz),
        destructionDate: d.entry.dueDate ? isoInZone(d.entry.dueDate, tz) : null,
        state: d.entry.state,
        heldBy: d.entry.heldBy,
        overdueDays: d.entry.overdueDays,
        daysLeft: d.entry.daysLeft,
      })),
    })),
    drives: r.drives.map((d) => ({
      id: d.drive.id,
      driveState: d.drive.state,
      camera: d.drive.camera_id,
      location: d.drive.location,
      releasedTo: d.drive.released_to,
      recordedFirst: d.drive.recorded_first,
      recordedLast: d.drive.recorded_last,
      destructionDate: d.entry.dueDate ? isoInZone(d.entry.dueDate, tz) : null,
      state: d.entry.state,
      heldBy: d.entry.heldBy,
      overdueDays: d.entry.overdueDays,
      daysLeft: d.entry.daysLeft,
    })),
    overdue: currentOverdueDuties(s),
  };
}

/**
 * The log-in line (policy §7, §8): every command that logs in says, in one line starting
 * `Overdue:`, which duties the operator may act on are overdue. Cheap and changes nothing; a home
 * whose tables cannot answer yet says nothing.
 */
export function overdueDutiesNotice(s: Session, may: (p: Permission) => boolean): string[] {
  let duties: string[];
  try {
    duties = currentOverdueDuties(s, may);
  } catch {
    return [];
  }
  if (!duties.length) return [];
  return [`Overdue: ${duties.join(' ')}`];
}
