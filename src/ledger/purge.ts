/**
 * Retention and destruction (policy §8: keep 60 days from the date of recordation, then destroy;
 * longer only under a hold). What is due comes from src/core/retention.ts; holds from
 * holds.ts. A purge destroys, per batch: the intent is recorded first, then the key is
 * crypto-shredded (every copy of the data, backups included, becomes unreadable), then its
 * segment and stored files are removed, then the destruction is recorded. Each step is
 * committed before the next, so an interrupted purge is finished by running it again. This module
 * holds the queries; the steps themselves are src/operations/purge.ts.
 */
import fs from 'node:fs';
import type { DriveState } from '../core/drive-state.js';
import {
  retentionStatus,
  type HoldRef,
  type RetentionEntry,
  type DriveRetentionEntry,
  overdueDuties,
} from '../core/retention.js';
import { parseIsoWithOffset } from '../core/time.js';
import { BatchFiles, loadBatchKey, openSegment } from './batches.js';
import { rows } from './ledger.js';
import { holdsForBatch, holdsForDrive } from './holds.js';
import type { Session } from './session.js';

export interface BatchRow {
  id: string;
  drive_id: string;
  camera_id: string | null;
  status: string;
  started_at: string;
  finished_at: string | null;
  removed_at: string | null;
  recorded_first: string | null;
  recorded_last: string | null;
  manifest_sha256: string | null;
  files: number | null;
  stored: number | null;
  bytes: number | null;
  key_destroyed_at: string | null;
  destroyed_at: string | null;
}

export interface BatchRetention {
  batch: BatchRow;
  entry: RetentionEntry;
  holds: HoldRef[];
}

export interface DriveRetention {
  drive: {
    id: string;
    state: string;
    camera_id: string | null;
    location: string | null;
    released_to: string | null;
    recorded_first: string | null;
    recorded_last: string | null;
    wiped_at: string | null;
  };
  entry: DriveRetentionEntry;
}

const date = (s: string | null): Date | undefined => (s ? (parseIsoWithOffset(s) ?? new Date(s)) : undefined);

export function tableExists(s: Session, name: string): boolean {
  return !!s.ledger.one("SELECT name FROM sqlite_master WHERE type='table' AND name=?", [name]);
}

/** Every imported batch and every drive against the retention period, now. */
export function retentionReport(s: Session): { batches: BatchRetention[]; drives: DriveRetention[] } {
  const settings = s.settings;
  const now = s.clock();
  const batchRows = s.ledger.rows<BatchRow>(
    "SELECT * FROM batches WHERE status = 'imported' AND recorded_last IS NOT NULL ORDER BY recorded_last, id",
  );
  const holdsB = new Map(batchRows.map((b) => [b.id, holdsForBatch(s, b.id)]));
  const driveRows = s.ledger.rows<DriveRetention['drive']>(
    'SELECT id, state, camera_id, location, released_to, recorded_first, recorded_last, wiped_at FROM drives ORDER BY id',
  );
  const st = retentionStatus(
    {
      batches: batchRows.map((b) => ({
        id: b.id,
        newestRecordedAt: date(b.recorded_last)!,
        oldestRecordedAt: date(b.recorded_first) ?? date(b.recorded_last)!,
        destroyedAt: date(b.destroyed_at),
        holds: holdsB.get(b.id)!,
      })),
      drives: driveRows.map((d) => ({
        id: d.id,
        state: d.state as DriveState,
        newestRecordedAt: date(d.recorded_last),
        oldestRecordedAt: date(d.recorded_first),
        // A drive wiped (or destroyed) after its newest recording holds no data any more (policy §8).
        wipedAt: date(d.wiped_at),
        holds: holdsForDrive(s, d.id),
      })),
    },
    now,
    { retentionDays: settings.retentionDays, timeZone: settings.timeZone },
  );
  return {
    batches: batchRows.map((b, i) => ({ batch: b, entry: st.batches[i]!, holds: holdsB.get(b.id)! })),
    drives: driveRows.map((d, i) => ({ drive: d, entry: st.drives[i]! })),
  };
}

export interface PendingDestruction {
  batch: string;
  purge: string;
  keyDestroyed: boolean;
}

/** Destructions begun and not finished (an interrupted purge). */
export function pendingDestructions(s: Session): PendingDestruction[] {
  return s.ledger
    .rows<{ batch_id: string; purge_id: string; key_destroyed_at: string | null }>(
      'SELECT batch_id, purge_id, key_destroyed_at FROM destructions WHERE destroyed_at IS NULL AND cancelled_at IS NULL ORDER BY batch_id',
    )
    .map((r) => ({ batch: r.batch_id, purge: r.purge_id, keyDestroyed: !!r.key_destroyed_at }));
}

export interface PurgePlan {
  /** Batches past their date, not held, not destroyed: destroyed by this purge. */
  due: BatchRetention[];
  /** Batches past their date that a hold keeps. */
  held: BatchRetention[];
  /** Destructions an earlier purge began and did not finish. */
  unfinished: PendingDestruction[];
}

/**
 * Batches whose stored files a held batch still uses: an import records content already in the
 * store (from an earlier batch of the same drive) as a duplicate of that batch's file, so the
 * hold on the later batch must keep the earlier one's files too.
 */
async function referencedByHeld(s: Session, held: BatchRetention[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const h of held) {
    const bf = new BatchFiles(s.home, h.batch.id);
    if (!fs.existsSync(bf.segmentFile) || !fs.existsSync(bf.keyFile)) continue;
    const db = await openSegment(bf, loadBatchKey(bf, s.master));
    try {
      for (const r of rows<{ d: string }>(
        db,
        'SELECT DISTINCT duplicate_of AS d FROM files WHERE duplicate_of IS NOT NULL',
      )) {
        const batch = r.d.split('/')[0]!;
        if (batch !== h.batch.id) out.set(batch, [...new Set([...(out.get(batch) ?? []), ...h.entry.heldBy])]);
      }
    } finally {
      db.close();
    }
  }
  return out;
}

export async function planPurge(s: Session): Promise<PurgePlan> {
  const r = retentionReport(s);
  const unfinished = pendingDestructions(s);
  const pendingIds = new Set(unfinished.map((u) => u.batch));
  const pastDue = (e: RetentionEntry) => !!e.dueDate && e.dueDate.getTime() <= s.clock().getTime();
  const used = await referencedByHeld(
    s,
    r.batches.filter((b) => b.entry.state === 'held'),
  );
  const keep = (b: BatchRetention): BatchRetention => ({
    ...b,
    entry: { ...b.entry, state: 'held', heldBy: used.get(b.batch.id)!, eligibleToPurge: false },
  });
  return {
    // A batch whose destruction is on the record is never due again, whatever the clock says.
    due: r.batches.filter(
      (b) =>
        b.entry.eligibleToPurge &&
        !b.batch.destroyed_at &&
        !b.batch.key_destroyed_at &&
        !pendingIds.has(b.batch.id) &&
        !used.has(b.batch.id),
    ),
    held: [
      ...r.batches.filter((b) => b.entry.state === 'held' && pastDue(b.entry)),
      ...r.batches.filter((b) => b.entry.eligibleToPurge && used.has(b.batch.id)).map(keep),
    ],
    unfinished,
  };
}

export interface DestroyedRecord {
  batch: string;
  camera: string | null;
  drive: string;
  files: number;
  stored: number;
  bytes: number;
  recordedFirst: string;
  recordedLast: string;
  manifestSha256: string | null;
  keyDestroyedAt: string;
  destroyedAt: string;
}

/** A batch's row, whatever its state (`undefined` when there is none). */
export function batchRow(s: Session, id: string): BatchRow | undefined {
  return s.ledger.one<BatchRow>('SELECT * FROM batches WHERE id = ?', [id]);
}

/** A new purge id for today: X20261126-1, X20261126-2, … */
export function newPurgeId(s: Session): string {
  const day = s.now().slice(0, 10).replaceAll('-', '');
  const n =
    Number(s.ledger.one<{ n: number }>('SELECT count(*) AS n FROM purges WHERE id LIKE ?', [`X${day}-%`])?.n ?? 0) + 1;
  return `X${day}-${n}`;
}

export function purgeExists(s: Session, id: string): boolean {
  return !!s.ledger.one('SELECT id FROM purges WHERE id = ?', [id]);
}

/** The latest purge that was started and not finished, if any. */
export function openPurgeId(s: Session): string | undefined {
  return s.ledger.one<{ id: string }>("SELECT id FROM purges WHERE status = 'started' ORDER BY started_at DESC LIMIT 1")
    ?.id;
}

export function purgeIsOpen(s: Session, id: string): boolean {
  return !!s.ledger.one("SELECT id FROM purges WHERE id = ? AND status = 'started'", [id]);
}

/** The batches a purge has finished destroying, in id order. */
export function destroyedBatchIds(s: Session, purge: string): string[] {
  return s.ledger
    .rows<{ batch_id: string }>(
      'SELECT batch_id FROM destructions WHERE purge_id = ? AND destroyed_at IS NOT NULL ORDER BY batch_id',
      [purge],
    )
    .map((r) => r.batch_id);
}

/** The name of the custodian (the first active one), for certificates. */
export function custodianName(s: Session): string | undefined {
  return s.ledger.one<{ display_name: string }>(
    "SELECT display_name FROM operators WHERE role = 'custodian' AND status = 'active' ORDER BY created_at LIMIT 1",
  )?.display_name;
}

/** Everything a purge destroyed, as recorded (for a certificate). */
export function purgeRecords(s: Session, purge: string): DestroyedRecord[] {
  return s.ledger
    .rows<{
      batch_id: string;
      camera_id: string | null;
      drive_id: string | null;
      files: number;
      stored: number;
      bytes: number;
      recorded_first: string;
      recorded_last: string;
      manifest_sha256: string | null;
      key_destroyed_at: string;
      destroyed_at: string;
    }>('SELECT * FROM destructions WHERE purge_id = ? AND destroyed_at IS NOT NULL ORDER BY batch_id', [purge])
    .map((r) => ({
      batch: r.batch_id,
      camera: r.camera_id,
      drive: r.drive_id ?? '',
      files: r.files,
      stored: r.stored,
      bytes: r.bytes,
      recordedFirst: r.recorded_first,
      recordedLast: r.recorded_last,
      manifestSha256: r.manifest_sha256,
      keyDestroyedAt: r.key_destroyed_at ?? r.destroyed_at,
      destroyedAt: r.destroyed_at,
    }));
}

// ---------------------------------------------------------------------------------------------
// Overdue duties for the log-in line

interface GenericRow {
  [k: string]: unknown;
}

function firstDate(r: GenericRow, names: string[]): Date | undefined {
  for (const n of names) {
    const v = r[n];
    if (typeof v === 'string' && v) return date(v);
  }
  return undefined;
}

function columns(s: Session, table: string): Set<string> {
  return new Set(s.ledger.rows<{ name: string }>(`PRAGMA table_info(${table})`).map((r) => r.name));
}

/** Holds as the requests feature records them, if its table exists. */
export function allHolds(s: Session): HoldRef[] {
  if (!tableExists(s, 'holds')) return [];
  const cols = columns(s, 'holds');
  if (!cols.has('id')) return [];
  return s.ledger.rows<GenericRow>('SELECT * FROM holds').flatMap((r) => {
    const reviewDate = firstDate(r, ['review_date', 'review_on', 'review_at', 'reviewed_by', 'review_by']);
    if (!reviewDate) return [];
    return [
      {
        id: String(r.id),
        reviewDate,
        releasedAt: firstDate(r, ['released_at']),
        placedAt: firstDate(r, ['placed_at', 'created_at', 'at']),
      },
    ];
  });
}

/** Releases waiting for their written acknowledgement, if the requests feature's table exists. */
export function allReceipts(
  s: Session,
): { id: string; releasedAt: Date; acknowledgedAt?: Date; agency?: string; ackDays?: number }[] {
  const table = ['releases', 'receipts'].find((t) => tableExists(s, t));
  if (!table) return [];
  const cols = columns(s, table);
  if (!cols.has('id')) return [];
  return s.ledger.rows<GenericRow>(`SELECT * FROM ${table}`).flatMap((r) => {
    const releasedAt = firstDate(r, ['released_at', 'at', 'created_at']);
    if (!releasedAt) return [];
    const ack =
      typeof r.ack_days === 'number'
        ? r.ack_days
        : typeof r.acknowledgement_days === 'number'
          ? r.acknowledgement_days
          : undefined;
    return [
      {
        id: String(r.id),
        releasedAt,
        acknowledgedAt: firstDate(r, ['acknowledged_at', 'ack_at', 'ack_date']),
        agency: r.agency_id ? String(r.agency_id) : r.agency ? String(r.agency) : undefined,
        ackDays: ack,
      },
    ];
  });
}

export function lastHealthCheck(s: Session): { seq: number; at: string; actor: string; findings: string } | undefined {
  return s.ledger.one<{ seq: number; at: string; actor: string; findings: string }>(
    'SELECT seq, at, actor, findings FROM health_checks ORDER BY seq DESC LIMIT 1',
  );
}

/** The duties that are overdue now, as sentences (empty when none is). */
export function currentOverdueDuties(s: Session): string[] {
  const settings = s.settings;
  const r = retentionReport(s);
  const last = lastHealthCheck(s);
  return overdueDuties(
    {
      batchesPastDestruction: r.batches
        .filter((b) => b.entry.state === 'due')
        .map((b) => ({ id: b.batch.id, dueDate: b.entry.dueDate! })),
      drivesPastDestruction: r.drives
        .filter((d) => d.entry.state === 'due')
        .map((d) => ({ id: d.drive.id, dueDate: d.entry.dueDate! })),
      lastHealthCheckAt: last ? date(last.at) : undefined,
      healthIntervalDays: settings.healthIntervalDays,
      homeCreatedAt: date(s.home.json.createdAt),
      holdsPastReview: allHolds(s),
      unacknowledgedReceipts: allReceipts(s),
      ackDays: settings.acknowledgementDays,
      timeZone: settings.timeZone,
    },
    s.clock(),
  );
}
