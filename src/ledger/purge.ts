/**
 * Retention and destruction (policy §8: keep 60 days from the date of recordation, then destroy;
 * longer only under a hold). What is due comes from src/core/retention.ts; holds from
 * holds.ts. A purge destroys, per recording day: the intent is recorded first, then the day's key
 * is crypto-shredded (no key the home holds opens any copy of its files), then its stored files go
 * and its batch's metadata is re-keyed without it, then the destruction is recorded. Each step is
 * committed before the next, so an interrupted purge is finished by running it again. This module
 * holds the queries; the steps themselves are src/operations/purge.ts.
 */
import fs from 'node:fs';
import type { DriveState } from '../core/drive-state.js';
import { CustodyError } from '../core/errors.js';
import type { Permission } from '../core/roles.js';
import {
  type BatchRetentionInput,
  type ImageRetention,
  imageRetention,
  retentionStatus,
  type HoldRef,
  type RetentionEntry,
  type DriveRetentionEntry,
  overdueDuties,
} from '../core/retention.js';
import { localDate, parseIsoWithOffset, startOfLocalDate } from '../core/time.js';
import { BatchFiles, dayOfRecord, type FileRecord, loadBatchKey, openSegment, segmentRecords } from './batches.js';
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
  /** The batch as a whole: its destruction date is its last recording day's. */
  entry: RetentionEntry;
  holds: HoldRef[];
  /** Its recording days, oldest first (one unit named '' for a batch not yet split by day). */
  days: DayRetention[];
}

/** One recording day of a batch, the unit that is kept, held and destroyed (policy §8). */
export interface DayRetention {
  batch: BatchRow;
  /** YYYY-MM-DD; '' for a whole batch imported before days were recorded (split at its first purge). */
  day: string;
  row: DayRow | null;
  /** The first and last dates of recordation counted from. */
  first: Date;
  last: Date;
  entry: RetentionEntry;
}

export interface DayRow {
  batch_id: string;
  day: string;
  files: number;
  recorded_first: string | null;
  recorded_last: string | null;
  keyed: number;
  purge_id: string | null;
  started_at: string | null;
  key_destroyed_at: string | null;
  destroyed_at: string | null;
  cancelled_at: string | null;
  stored: number | null;
  bytes: number | null;
  manifest_sha256: string | null;
  /** 1: its metadata re-written away under a new batch key; 0: left under the batch key; null: not recorded. */
  metadata_rekeyed?: number | null;
  /** The file ids its destruction took, as ranges ("1-40,43"); null before they were recorded. */
  file_ids?: string | null;
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

/** A unit's name in sentences: the batch, and the day when the batch is split by day. */
export function unitLabel(batch: string, day: string): string {
  return day ? `${batch} (recordings of ${day})` : batch;
}

/**
 * The holds on a batch, each with the time range of its request (policy §8: a hold keeps the
 * recordings its written request reaches, not the whole batch).
 */
export function batchHolds(s: Session, batchId: string): HoldRef[] {
  const holds = holdsForBatch(s, batchId);
  if (!holds.length || !tableExists(s, 'requests')) return holds;
  return holds.map((h) => {
    if (h.scope) return h;
    const r = s.ledger.one<{ scope_from: string | null; scope_to: string | null }>(
      'SELECT q.scope_from, q.scope_to FROM holds h JOIN requests q ON q.id = h.request_id WHERE h.id = ?',
      [h.id],
    );
    if (!r || !(r.scope_from || r.scope_to)) return h;
    return { ...h, scope: { from: date(r.scope_from), to: date(r.scope_to) } };
  });
}

export function dayRows(s: Session, batchId: string): DayRow[] {
  if (!tableExists(s, 'batch_days')) return [];
  return s.ledger.rows<DayRow>('SELECT * FROM batch_days WHERE batch_id = ? ORDER BY day', [batchId]);
}

/** Every imported batch (by recording day) and every drive against the retention period, now. */
export function retentionReport(s: Session): { batches: BatchRetention[]; drives: DriveRetention[] } {
  const settings = s.settings;
  const now = s.clock();
  const batchRows = s.ledger.rows<BatchRow>(
    "SELECT * FROM batches WHERE status = 'imported' ORDER BY COALESCE(recorded_last, started_at), id",
  );
  const batches = batchRows.map((b) => batchRetention(s, b, now));
  const driveRows = s.ledger.rows<DriveRetention['drive']>(
    'SELECT id, state, camera_id, location, released_to, recorded_first, recorded_last, wiped_at FROM drives ORDER BY id',
  );
  const st = retentionStatus(
    {
      batches: [],
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
  return { batches, drives: driveRows.map((d, i) => ({ drive: d, entry: st.drives[i]! })) };
}

function batchRetention(s: Session, b: BatchRow, now: Date): BatchRetention {
  const holds = batchHolds(s, b.id);
  const rows = dayRows(s, b.id);
  const batchDestroyed = !!b.destroyed_at;
  // A batch imported before days were recorded is one unit until its first purge splits it; with no
  // believable date at all it counts from its import (never kept forever).
  const units = rows.length
    ? rows.map((r) => ({
        day: r.day,
        row: r as DayRow | null,
        first: date(r.recorded_first) ?? date(b.started_at)!,
        last: date(r.recorded_last) ?? date(b.started_at)!,
        destroyedAt: date(r.destroyed_at) ?? date(b.destroyed_at),
      }))
    : [
        {
          day: '',
          row: null,
          first: date(b.recorded_first) ?? date(b.started_at)!,
          last: date(b.recorded_last) ?? date(b.started_at)!,
          destroyedAt: date(b.destroyed_at),
        },
      ];
  const st = retentionStatus(
    {
      batches: units.map((u) => ({
        id: unitLabel(b.id, u.day),
        newestRecordedAt: u.last,
        oldestRecordedAt: u.first,
        // Destroyed is destroyed whatever the clock says now (a clock stepped back does not revive it).
        destroyedAt: atMost(batchDestroyed ? date(b.destroyed_at) : u.destroyedAt, now),
        holds,
      })),
      drives: [],
    },
    now,
    { retentionDays: s.settings.retentionDays, timeZone: s.settings.timeZone },
  );
  const days = units.map((u, i) => ({
    batch: b,
    day: u.day,
    row: u.row,
    first: u.first,
    last: u.last,
    entry: st.batches[i]!,
  }));
  return {
    batch: b,
    entry: wholeBatch(
      b.id,
      days.map((d) => d.entry),
    ),
    holds,
    days,
  };
}

function atMost(d: Date | undefined, now: Date): Date | undefined {
  return d && d.getTime() > now.getTime() ? now : d;
}

/** The batch as a whole from its days: destroyed when all are; due when any is; its date the last day's. */
function wholeBatch(id: string, es: RetentionEntry[]): RetentionEntry {
  const live = es.filter((e) => e.state !== 'destroyed');
  if (!live.length) return { ...es[es.length - 1]!, id, state: 'destroyed' };
  const last = live.reduce((a, e) => ((e.dueDate?.getTime() ?? 0) > (a.dueDate?.getTime() ?? 0) ? e : a));
  const state = live.some((e) => e.state === 'due')
    ? 'due'
    : live.some((e) => e.state === 'held')
      ? 'held'
      : 'retained';
  return {
    id,
    state,
    dueDate: last.dueDate,
    oldestDueDate: live[0]!.oldestDueDate,
    heldBy: [...new Set(live.flatMap((e) => e.heldBy))],
    overdueDays: Math.max(...live.map((e) => e.overdueDays)),
    daysLeft: Math.min(...live.map((e) => e.daysLeft)),
    eligibleToPurge: live.some((e) => e.eligibleToPurge),
  };
}

/** The units not destroyed, as the pure retention functions take them (for the health check's duties). */
export function retentionUnits(s: Session): BatchRetentionInput[] {
  return retentionReport(s).batches.flatMap((b) =>
    b.days
      .filter((d) => d.entry.state !== 'destroyed')
      .map((d) => ({
        id: unitLabel(b.batch.id, d.day),
        newestRecordedAt: d.last,
        oldestRecordedAt: d.first,
        holds: b.holds,
      })),
  );
}

export interface PendingDestruction {
  batch: string;
  purge: string;
  keyDestroyed: boolean;
}

/** Destructions of whole batches begun and not finished (an interrupted purge). */
export function pendingDestructions(s: Session): PendingDestruction[] {
  return s.ledger
    .rows<{ batch_id: string; purge_id: string; key_destroyed_at: string | null }>(
      'SELECT batch_id, purge_id, key_destroyed_at FROM destructions WHERE destroyed_at IS NULL AND cancelled_at IS NULL ORDER BY batch_id',
    )
    .map((r) => ({ batch: r.batch_id, purge: r.purge_id, keyDestroyed: !!r.key_destroyed_at }));
}

export interface PendingDay {
  batch: string;
  day: string;
  purge: string;
  keyDestroyed: boolean;
  keyed: boolean;
}

/** Destructions of recording days begun and not finished. */
export function pendingDays(s: Session): PendingDay[] {
  if (!tableExists(s, 'batch_days')) return [];
  return s.ledger
    .rows<DayRow>(
      'SELECT * FROM batch_days WHERE started_at IS NOT NULL AND destroyed_at IS NULL AND cancelled_at IS NULL ORDER BY batch_id, day',
    )
    .map((r) => ({
      batch: r.batch_id,
      day: r.day,
      purge: r.purge_id ?? '',
      keyDestroyed: !!r.key_destroyed_at,
      keyed: !!r.keyed,
    }));
}

export interface PurgePlan {
  /** Recording days (or unsplit batches) past their date, not held, not destroyed: destroyed by this purge. */
  due: DayRetention[];
  /** Recording days past their date that a hold keeps (or whose stored files a kept image uses). */
  held: DayRetention[];
  /** Whole-batch destructions an earlier purge began and did not finish. */
  unfinished: PendingDestruction[];
  /** Day destructions an earlier purge began and did not finish. */
  unfinishedDays: PendingDay[];
}

/**
 * The units whose stored files a kept image uses: an import records content already in the store
 * (from an earlier batch of the same drive, or an earlier day) as a duplicate of that file, so
 * the day holding the file is kept as long as any day that uses it.
 */
async function usedByKept(s: Session, kept: DayRetention[], dying: DayRetention[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const dyingBatches = new Set(dying.map((d) => d.batch.id));
  const byBatch = new Map<string, DayRetention[]>();
  for (const k of kept) byBatch.set(k.batch.id, [...(byBatch.get(k.batch.id) ?? []), k]);
  const tz = s.settings.timeZone;
  const segs = new Map<string, (FileRecord & { id: number })[]>();
  const records = async (batch: string) => {
    if (!segs.has(batch)) {
      const bf = new BatchFiles(s.home, batch);
      let recs: (FileRecord & { id: number })[] = [];
      if (fs.existsSync(bf.segmentFile) && fs.existsSync(bf.keyFile)) {
        const db = await openSegment(bf, loadBatchKey(bf, s.master));
        try {
          recs = segmentRecords(db);
        } finally {
          db.close();
        }
      }
      segs.set(batch, recs);
    }
    return segs.get(batch)!;
  };
  for (const [batch, units] of byBatch) {
    const importedAt = date(units[0]!.batch.started_at)!;
    const days = new Set(units.map((u) => u.day));
    const why = [...new Set(units.flatMap((u) => (u.entry.heldBy.length ? u.entry.heldBy : ['kept'])))];
    for (const r of await records(batch)) {
      if (r.outcome !== 'duplicate' || !r.duplicateOf) continue;
      if (!days.has('') && !days.has(dayOfRecord(r, importedAt, tz).day)) continue;
      const [target, name] = r.duplicateOf.split('/');
      if (!target || !dyingBatches.has(target)) continue;
      const tu = dying.filter((d) => d.batch.id === target);
      const orig = (await records(target)).find((x) => x.storeName === name && x.outcome === 'stored');
      const tImported = date(tu[0]!.batch.started_at)!;
      const unit = tu.find((d) => d.day === '' || (orig && d.day === dayOfRecord(orig, tImported, tz).day));
      if (unit) {
        const k = `${target}@${unit.day}`;
        out.set(k, [...new Set([...(out.get(k) ?? []), ...why.filter((w) => w !== 'kept')])]);
      }
    }
  }
  return out;
}

export async function planPurge(s: Session): Promise<PurgePlan> {
  const r = retentionReport(s);
  const unfinished = pendingDestructions(s);
  const unfinishedDays = pendingDays(s);
  const pending = new Set([
    ...unfinished.map((u) => `${u.batch}@`),
    ...unfinishedDays.map((u) => `${u.batch}@${u.day}`),
  ]);
  const units = r.batches.flatMap((b) => b.days);
  const eligible = units.filter((u) => u.entry.eligibleToPurge);
  const kept = units.filter((u) => u.entry.state === 'held' || u.entry.state === 'retained');
  const used = await usedByKept(s, kept, eligible);
  const key = (u: DayRetention) => `${u.batch.id}@${u.day}`;
  const gone = (u: DayRetention) =>
    !!(u.batch.destroyed_at || u.batch.key_destroyed_at || u.row?.destroyed_at || u.row?.key_destroyed_at);
  const pastDue = (e: RetentionEntry) => !!e.dueDate && e.dueDate.getTime() <= s.clock().getTime();
  return {
    // A day or batch whose destruction is on the record is never due again, whatever the clock says.
    due: eligible.filter((u) => !gone(u) && !pending.has(key(u)) && !used.has(key(u))),
    held: [
      ...units.filter((u) => u.entry.state === 'held' && pastDue(u.entry)),
      ...eligible
        .filter((u) => used.has(key(u)))
        .map((u) => ({
          ...u,
          entry: { ...u.entry, state: 'held' as const, heldBy: used.get(key(u))!, eligibleToPurge: false },
        })),
    ],
    unfinished,
    unfinishedDays,
  };
}

export interface DestroyedRecord {
  batch: string;
  /** The recording day destroyed; '' for a whole batch destroyed at once. */
  day: string;
  camera: string | null;
  drive: string;
  files: number;
  stored: number;
  bytes: number;
  recordedFirst: string;
  recordedLast: string;
  manifestSha256: string | null;
  /** When its key was destroyed (a day of an older batch, under the batch key: when its files went). */
  keyDestroyedAt: string;
  destroyedAt: string;
  /** Whether it had its own key (false: an older batch's day, under the batch key until its last day). */
  keyed: boolean;
  /**
   * Whether what names its files (names, times, hashes, readings) was re-written away under a new
   * batch key, the old one destroyed (a whole batch: its key is destroyed, so true).
   */
  metadataRekeyed: boolean;
  /** Whether its batch's key is destroyed (by now): what stayed under it is then gone too. */
  batchKeyDestroyed: boolean;
}

/** Imported batches not yet split by recording day (imported before days were recorded), not destroyed. */
export function unsplitBatches(s: Session): BatchRow[] {
  return s.ledger.rows<BatchRow>(
    "SELECT * FROM batches b WHERE status = 'imported' AND destroyed_at IS NULL AND key_destroyed_at IS NULL AND NOT EXISTS (SELECT 1 FROM batch_days d WHERE d.batch_id = b.id) ORDER BY id",
  );
}

/** A destroyed recording day as recorded. */
export function dayRecord(s: Session, batch: string, day: string): DestroyedRecord {
  const b = batchRow(s, batch)!;
  const r = dayRows(s, batch).find((x) => x.day === day)!;
  return {
    batch,
    day,
    camera: b.camera_id,
    drive: b.drive_id,
    files: r.files,
    stored: r.stored ?? 0,
    bytes: r.bytes ?? 0,
    recordedFirst: r.recorded_first ?? '',
    recordedLast: r.recorded_last ?? '',
    manifestSha256: r.manifest_sha256,
    keyDestroyedAt: r.key_destroyed_at ?? r.destroyed_at ?? '',
    destroyedAt: r.destroyed_at ?? '',
    keyed: !!r.keyed,
    metadataRekeyed: !!r.metadata_rekeyed,
    batchKeyDestroyed: !!b.key_destroyed_at,
  };
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

/**
 * Finished purges that destroyed something and have no `purge.certificate` event (the certificate
 * could not be written, or the run was cut off after its destruction was recorded): the next
 * `custody purge` certifies them from the recorded facts; the log-in line and health name them.
 */
export function uncertifiedPurges(s: Session): { id: string; finishedAt: string }[] {
  if (!tableExists(s, 'purges')) return [];
  const days = tableExists(s, 'batch_days')
    ? ' OR EXISTS (SELECT 1 FROM batch_days d WHERE d.purge_id = p.id AND d.destroyed_at IS NOT NULL)'
    : '';
  return s.ledger
    .rows<{ id: string; finished_at: string }>(
      `SELECT p.id, p.finished_at FROM purges p WHERE p.status = 'finished' AND p.certificate_sha256 IS NULL
       AND (EXISTS (SELECT 1 FROM destructions x WHERE x.purge_id = p.id AND x.destroyed_at IS NOT NULL)${days})
       ORDER BY p.finished_at, p.id`,
    )
    .map((r) => ({ id: r.id, finishedAt: r.finished_at }));
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

/** Everything a purge destroyed, as recorded (for a certificate): recording days, and batches destroyed whole. */
export function purgeRecords(s: Session, purge: string): DestroyedRecord[] {
  const days = tableExists(s, 'batch_days')
    ? s.ledger
        .rows<{ batch_id: string; day: string }>(
          'SELECT batch_id, day FROM batch_days WHERE purge_id = ? AND destroyed_at IS NOT NULL ORDER BY batch_id, day',
          [purge],
        )
        .map((r) => dayRecord(s, r.batch_id, r.day))
    : [];
  const split = new Set(days.map((d) => d.batch));
  const whole = s.ledger
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
    // A batch split by day is certified by its days; its own key going after its last day is no extra data.
    .filter((r) => !split.has(r.batch_id) && !(tableExists(s, 'batch_days') && dayRows(s, r.batch_id).length))
    .map((r) => ({
      batch: r.batch_id,
      day: '',
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
      keyed: true,
      metadataRekeyed: true,
      batchKeyDestroyed: true,
    }));
  return [...days, ...whole];
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
  const tz = s.settings.timeZone;
  return s.ledger.rows<GenericRow>('SELECT * FROM holds').flatMap((r) => {
    // A review date is a calendar date in the home's zone: due from its first minute there.
    const review = ['review_date', 'review_on', 'review_at', 'reviewed_by', 'review_by'].map((n) => r[n]).find(Boolean);
    const reviewDate =
      typeof review === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(review)
        ? startOfLocalDate(review, tz)
        : firstDate(r, ['review_date', 'review_on', 'review_at', 'reviewed_by', 'review_by']);
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

/**
 * The duties that are overdue now, as sentences (empty when none is). With `may`, only those the
 * operator may act on: purging (`purge`), recording over or wiping a drive (`drives.manage`), the
 * health check (`reports`), reviewing holds (`requests.manage`), acknowledgements (`release`).
 */
export function currentOverdueDuties(s: Session, may: (p: Permission) => boolean = () => true): string[] {
  const settings = s.settings;
  const r = retentionReport(s);
  const last = lastHealthCheck(s);
  return overdueDuties(
    {
      batchesPastDestruction: may('purge')
        ? r.batches
            .flatMap((b) => b.days)
            .filter((d) => d.entry.state === 'due')
            .map((d) => ({ id: unitLabel(d.batch.id, d.day), dueDate: d.entry.dueDate! }))
        : [],
      drivesPastDestruction: may('drives.manage')
        ? r.drives.filter((d) => d.entry.state === 'due').map((d) => ({ id: d.drive.id, dueDate: d.entry.dueDate! }))
        : [],
      // Without the permission, a check made now stands in for the last one: nothing is said.
      lastHealthCheckAt: may('reports') ? (last ? date(last.at) : undefined) : s.clock(),
      healthIntervalDays: settings.healthIntervalDays,
      homeCreatedAt: date(s.home.json.createdAt),
      holdsPastReview: may('requests.manage') ? allHolds(s) : [],
      unacknowledgedReceipts: may('release') ? allReceipts(s) : [],
      uncertifiedPurges: may('purge')
        ? uncertifiedPurges(s).map((p) => ({ id: p.id, finishedAt: date(p.finishedAt)! }))
        : [],
      ackDays: settings.acknowledgementDays,
      timeZone: settings.timeZone,
    },
    s.clock(),
  );
}

// ---------------------------------------------------------------------------------------------
// What may be served (policy §8: data past its destruction date is destroyed, so never served)

/** One image against its own destruction date: its date of recordation + the retention period. */
export function imageRetentionOf(
  s: Session,
  batchId: string,
  rec: Pick<FileRecord, 'recordedAt' | 'flags' | 'outcome' | 'keyDay'>,
): ImageRetention {
  const judge = batchRetentionJudge(s, batchId);
  const d = dayOfRecord(rec, judge.importedAt, s.settings.timeZone);
  return judge.of(d);
}

/**
 * `imageRetentionOf` for many images of one batch (the batch's row, days and holds read once):
 * `of` takes an image's recording day and date of recordation (`dayOfRecord`), `importedAt` is
 * the date of recordation of an image whose own date is not believed.
 */
export function batchRetentionJudge(
  s: Session,
  batchId: string,
): { importedAt: Date; of(d: { day: string; at: Date; fromImport: boolean }): ImageRetention } {
  const b = batchRow(s, batchId);
  if (!b) throw new CustodyError('notFound', `No batch ${batchId}.`);
  const days = new Map<string, DayRow>();
  for (const r of dayRows(s, batchId)) if (!days.has(r.day)) days.set(r.day, r);
  const holds = batchHolds(s, batchId);
  const now = s.clock();
  return {
    importedAt: date(b.started_at)!,
    of: (d) => {
      const row = days.get(d.day);
      const destroyed = !!(b.key_destroyed_at || b.destroyed_at || row?.key_destroyed_at || row?.destroyed_at);
      return imageRetention(
        { recordedAt: d.at, fromImport: d.fromImport, destroyed },
        holds,
        now,
        s.settings.retentionDays,
      );
    },
  };
}

/** The refusal of an image past its destruction date (one line naming the date and `custody purge`). */
export function unservableError(s: Session, image: string, r: ImageRetention): CustodyError {
  const tz = s.settings.timeZone;
  const when = r.fromImport
    ? `imported on ${localDate(r.recordedAt, tz)} with no believable date of recordation`
    : `recorded on ${localDate(r.recordedAt, tz)}`;
  return new CustodyError(
    'denied',
    r.state === 'destroyed'
      ? `Image ${image} was destroyed: ${when}, its destruction date was ${localDate(r.dueDate, tz)} (policy §8).`
      : `Image ${image}, ${when}, passed its destruction date on ${localDate(r.dueDate, tz)} (policy §8: ${s.settings.retentionDays} days from the date of recordation); it is no longer served.`,
    r.state === 'destroyed' ? undefined : 'Run `custody purge` to destroy it.',
  );
}

/** Refuse an image that is past its destruction date and not held, or destroyed. */
export function refuseUnservable(
  s: Session,
  image: string,
  batchId: string,
  rec: Pick<FileRecord, 'recordedAt' | 'flags' | 'outcome' | 'keyDay'>,
): ImageRetention {
  const r = imageRetentionOf(s, batchId, rec);
  if (r.state === 'due' || r.state === 'destroyed') throw unservableError(s, image, r);
  return r;
}

/**
 * Whether any image of the batch may be past its date now (false: every recording day still
 * inside its period, so a search need not open the segment to check each image).
 */
export function batchMayHoldUnservable(s: Session, batchId: string): boolean {
  const b = batchRow(s, batchId);
  if (!b) return false;
  const r = batchRetention(s, b, s.clock());
  const now = s.clock().getTime();
  return r.days.some(
    (d) => d.entry.state !== 'destroyed' && (d.entry.oldestDueDate ?? d.entry.dueDate)!.getTime() <= now,
  );
}

// ---------------------------------------------------------------------------------------------
// Destroyed images (policy §8): named as destroyed, with when and by which purge, when asked for

/** Ids as ranges: [1, 2, 3, 7] → "1-3,7". */
export function idRanges(ids: readonly number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** Whether `id` is among ranges written by `idRanges`. */
export function inIdRanges(ranges: string, id: number): boolean {
  return ranges.split(',').some((r) => {
    const [a, b] = r.split('-').map(Number);
    return b === undefined ? id === a : id >= a! && id <= b;
  });
}

export interface DestroyedImage {
  image: string;
  batch: string;
  /** Its recording day; '' when its whole batch was destroyed at once (or its day is not recorded). */
  day: string;
  /** The purge that destroyed it, and when (its key destroyed). */
  purge: string | null;
  destroyedAt: string;
  /** Whether that purge wrote a certificate of destruction. */
  certificate: boolean;
}

/** Image `batch:fileId` as destroyed on the record (its recording day or its batch), or undefined. */
export function destroyedImage(s: Session, batch: string, fileId: number): DestroyedImage | undefined {
  const b = batchRow(s, batch);
  if (!b) return undefined;
  const cert = (purge: string | null) =>
    !!purge &&
    !!s.ledger.one<{ c: string | null }>('SELECT certificate_sha256 AS c FROM purges WHERE id = ?', [purge])?.c;
  const image = `${batch}:${fileId}`;
  const day = dayRows(s, batch).find(
    (r) => (r.key_destroyed_at || r.destroyed_at) && r.file_ids && inIdRanges(r.file_ids, fileId),
  );
  if (day)
    return {
      image,
      batch,
      day: day.day,
      purge: day.purge_id,
      destroyedAt: (day.key_destroyed_at ?? day.destroyed_at)!,
      certificate: cert(day.purge_id),
    };
  if (!b.key_destroyed_at && !b.destroyed_at) return undefined;
  const d = s.ledger.one<{ purge_id: string }>('SELECT purge_id FROM destructions WHERE batch_id = ?', [batch]);
  return {
    image,
    batch,
    day: '',
    purge: d?.purge_id ?? null,
    destroyedAt: (b.key_destroyed_at ?? b.destroyed_at)!,
    certificate: cert(d?.purge_id ?? null),
  };
}

/** The one line for an image asked for after its destruction (exit 4, like data past its date). */
export function destroyedImageError(s: Session, d: DestroyedImage): CustodyError {
  const tz = s.settings.timeZone;
  const on = localDate(date(d.destroyedAt)!, tz);
  const by = d.purge
    ? ` by purge ${d.purge} (${d.certificate ? `certificate of destruction ${d.purge}` : 'no certificate was written for it'})`
    : '';
  const what = d.day
    ? `its recording day ${d.day} had passed its destruction date`
    : `its batch ${d.batch} had passed its destruction date`;
  return new CustodyError(
    'denied',
    `Image ${d.image} was destroyed on ${on}${by}: ${what} (policy §8: kept ${s.settings.retentionDays} days from the date of recordation, then destroyed).`,
    `Nothing of it is left to show or release; the ledger keeps the record (\`custody log --type ${d.day ? 'day.destroyed' : 'batch.destroyed'}\`).`,
  );
}

/** Refuse an image that was destroyed, naming when and by which purge. */
export function refuseDestroyed(s: Session, batch: string, fileId: number): void {
  const d = destroyedImage(s, batch, fileId);
  if (d) throw destroyedImageError(s, d);
}
