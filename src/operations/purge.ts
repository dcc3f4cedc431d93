/**
 * Destruction of what is past its date and not held (policy §8: keep 60 days from the date of
 * recordation, then destroy; longer only under a hold). Per recording day: the intent is recorded,
 * the day's key is crypto-shredded (its files' keys can no longer be unwrapped with any key the
 * home holds), its stored files are removed, the batch's metadata is re-written without it under a
 * new batch key (the old one shredded), the destruction is recorded; a batch's own key, segment
 * and folder go with its last day. Each step is committed before the next, so a purge interrupted
 * anywhere is finished by running it again. A backup made by `custody backup` loses the destroyed
 * keys when the purge reaches it (operations/backup.ts); a copy of the home that kept its own keys
 * is not reached: the certificate says so.
 */
import { CustodyError, isCustodyError } from '../core/errors.js';
import { requireSignedState } from '../ledger/verify.js';
import fs from 'node:fs';
import path from 'node:path';
import { sha256Hex } from '../core/hash.js';
import { DAY_MS, isoInZone } from '../core/time.js';
import {
  abandonRekey,
  BatchFiles,
  canRekey,
  commitRekey,
  dayOfRecord,
  daySummaries,
  destroyBatchKey,
  destroyDayKey,
  type FileRecord,
  loadBatchKey,
  openSegment,
  rekeyedSegmentWithout,
  rekeyTarget,
  rewriteSegmentWithout,
  segmentRecords,
  settleRekey,
} from '../ledger/batches.js';
import { recordedPlateFiles } from '../ledger/images.js';
import { randomKey } from '../ledger/crypto.js';
import {
  batchRow,
  type DayRetention,
  dayRecord,
  dayRows,
  type DestroyedRecord,
  destroyedBatchIds,
  idRanges,
  newPurgeId,
  openPurgeId,
  type PendingDestruction,
  planPurge,
  purgeExists,
  purgeIsOpen,
  purgeRecords,
  retentionReport,
  uncertifiedPurges,
  unitLabel,
  unsplitBatches,
} from '../ledger/purge.js';
import { encodeManifestPath } from '../media/bagit.js';
import { type OutputMode, writeOutputFile } from '../ledger/fsutil.js';
import { checkWritable, writeOutput } from '../ledger/outputs.js';
import { refreshMergedIndex } from '../ocr/merged.js';
import type { Session } from '../ledger/session.js';
import { purgeBackupFacts, reachBackups, type ReachedBackup } from './backup.js';
import { documentIdentity } from './document-signer.js';
import { officeOf } from '../core/roles.js';

export interface DueBatch {
  batch: string;
  /** The recording day (YYYY-MM-DD); '' for a batch imported before days were recorded. */
  day: string;
  camera: string | null;
  drive: string;
  files: number | null;
  recordedFirst: string | null;
  recordedLast: string | null;
  destructionDate: string | null;
}

export interface HeldBatch {
  batch: string;
  day: string;
  heldBy: string[];
}

export interface PurgePlanView {
  /** Recording days past their date, not held, not destroyed: what a purge would destroy. */
  due: DueBatch[];
  /** Recording days past their date that a hold keeps. */
  held: HeldBatch[];
  /** Destructions an earlier purge began and did not finish. */
  unfinished: { batch: string; day: string; purge: string; keyDestroyed: boolean }[];
  /** Earlier purges that destroyed data and have no certificate: `purge --yes` certifies them. */
  uncertified: string[];
}

const iso = (s: string | null, tz: string): string | null => (s ? isoInZone(new Date(Date.parse(s)), tz) : null);

/**
 * The plan `custody purge` shows without --yes: like the purge itself, only once the holds and
 * retention records it reads are what the signed events give (exit 8, nothing changed), so a plan
 * never lists held data as due because someone holding the record key deleted a hold row. The
 * check replays the whole ledger (npm run bench:signed-state): a plan costs what a purge's check does.
 */
export async function checkedPurgePlan(s: Session): Promise<PurgePlanView> {
  await requireSignedState(s, 'holds and retention records');
  return purgePlan(s);
}

/** What a purge would do now (nothing is changed). */
export async function purgePlan(s: Session): Promise<PurgePlanView> {
  const tz = s.settings.timeZone;
  const plan = await planPurge(s);
  return {
    due: plan.due.map((u) => ({
      batch: u.batch.id,
      day: u.day,
      camera: u.batch.camera_id,
      drive: u.batch.drive_id,
      files: u.row ? u.row.files : u.batch.stored,
      recordedFirst: u.row ? iso(u.row.recorded_first, tz) : u.batch.recorded_first,
      recordedLast: u.row ? iso(u.row.recorded_last, tz) : u.batch.recorded_last,
      destructionDate: u.entry.dueDate ? isoInZone(u.entry.dueDate, tz) : null,
    })),
    held: plan.held.map((u) => ({ batch: u.batch.id, day: u.day, heldBy: u.entry.heldBy })),
    unfinished: [
      ...plan.unfinished.map((u) => ({ ...u, day: '' })),
      ...plan.unfinishedDays.map((u) => ({ batch: u.batch, day: u.day, purge: u.purge, keyDestroyed: u.keyDestroyed })),
    ],
    uncertified: uncertifiedPurges(s).map((p) => p.id),
  };
}

/** How many recording days are past their date and not held, now (cheap: no segment is opened). */
export function dueDays(s: Session): number {
  return retentionReport(s)
    .batches.flatMap((b) => b.days)
    .filter((d) => d.entry.state === 'due').length;
}

export function nothingToPurge(p: PurgePlanView): boolean {
  return !p.due.length && !p.unfinished.length;
}

export interface PurgeInput {
  /** Write a certificate of destruction (policy §8). */
  certificate: boolean;
  /** Where to write it (absolute); default `certificateDir`/destruction-<purge>.pdf. */
  certificateFile?: string;
  /**
   * The folder for the certificate when no file is named (absolute); without either, the home's
   * own certificates/ folder (the purge run from the log-in prompt). A folder or file named is
   * checked before anything is destroyed (ledger/outputs.ts: never inside the home, never over a file).
   */
  certificateDir?: string;
  /** The certificate's permissions (default: 0600; its folder 0700). */
  mode?: OutputMode;
  /** Ctrl-C: the purge stops before the next recording day (what it destroyed stays destroyed, and says so). */
  signal?: AbortSignal;
}

export interface PurgeOutcome {
  done: true;
  /** The purge's id; null when nothing was due. */
  purge: string | null;
  destroyed: DestroyedRecord[];
  /** Destructions an earlier purge began that are no longer due (absent when nothing was due). */
  cancelled?: string[];
  held: HeldBatch[];
  certificate: string | null;
  /** Earlier purges that destroyed data uncertified, certified by this run (absent when none). */
  certified?: { purge: string; certificate: string }[];
  /** Each backup folder the home knows, and whether this purge reached it (absent when nothing was due). */
  backups?: ReachedBackup[];
}

/** Destroy what is due and not held, finish what an earlier purge left half-done, and certify it. */
export async function purge(s: Session, o: PurgeInput): Promise<PurgeOutcome> {
  // What is held and what is due come from the derived tables: they must be what the signed events
  // say (an operator holding the record key can rewrite them), or nothing is destroyed (exit 8).
  await requireSignedState(s, 'holds and retention records');
  if (o.certificate) certificatePlace(s, o);
  await splitByDay(s);
  const plan = await purgePlan(s);
  // Earlier purges that destroyed and were never certified (the certificate failed, or the run was
  // cut off after its destruction was recorded) are certified by this one, from the recorded facts.
  const earlier = o.certificate ? await certifyEarlier(s, o) : [];
  if (nothingToPurge(plan))
    return {
      done: true,
      purge: null,
      destroyed: [],
      held: plan.held,
      certificate: null,
      ...(earlier.length ? { certified: earlier } : {}),
    };
  if (o.signal?.aborted)
    throw new CustodyError('interrupted', 'Purge stopped before it destroyed anything; nothing was destroyed.');
  let began = false;
  let days = 0;
  let result: Awaited<ReturnType<typeof executePurge>>;
  try {
    result = await executePurge(s, {
      checked: true,
      afterStep: (step, unit) => {
        began = true;
        if (step === 'files' && unit.includes('@')) days++;
        // Between recording days only: the next one's intent is recorded, nothing of it destroyed yet.
        if (step === 'intent' && o.signal?.aborted)
          throw new CustodyError(
            'interrupted',
            `Purge stopped: ${days} recording day(s) destroyed so far stay destroyed and are recorded; the next one was begun (recorded) and not destroyed; no certificate of destruction was written yet.`,
            'Run `custody purge --yes` again: it finishes the destruction it began and certifies it.',
          );
      },
    });
  } catch (e) {
    // Once a destruction was recorded as begun (or a key shredded), a failure does not undo it:
    // say so, not the generic "nothing stored was lost".
    if (began && isCustodyError(e, 'io'))
      throw new CustodyError(
        'io',
        `${e.message.replace(/\.$/, '')}: the purge is part-done (what it destroyed stays destroyed).`,
        'Fix the cause (free some space), then run `custody purge` again: it finishes this purge and certifies it.',
        { cause: e },
      );
    throw e;
  }
  // Destruction reaches the backups (issue 20): every backup folder this home knows, where reachable.
  const backups = result.purge ? await reachBackups(s, result.purge) : [];
  let certificate: string | null = null;
  const recs = o.certificate && result.purge ? purgeRecords(s, result.purge) : [];
  if (recs.length)
    certificate = await writeDestructionCertificate(
      s,
      result.purge,
      recs,
      o.certificateFile ?? path.join(o.certificateDir ?? certificatesFolder(s), `destruction-${result.purge}.pdf`),
      result.held.map((h) => ({ id: h.entry.heldBy.join(', '), files: h.row?.files ?? h.batch.stored ?? 0 })),
      o.mode,
    );
  return {
    done: true,
    purge: result.purge,
    destroyed: result.destroyed,
    cancelled: result.cancelled,
    held: plan.held,
    certificate,
    ...(earlier.length ? { certified: earlier } : {}),
    backups,
  };
}

/**
 * Certify each finished purge that destroyed data and has no `purge.certificate` event, from what
 * the ledger recorded of it (its destroyed days and batches, the backups it reached). Written to
 * the folder of this run's certificate as destruction-<purge>.pdf (the next free name if that file
 * is there from a run cut off between writing it and recording it). What was kept under a hold then
 * is not recorded per purge, so these certificates list no holds.
 */
async function certifyEarlier(s: Session, o: PurgeInput): Promise<{ purge: string; certificate: string }[]> {
  const out: { purge: string; certificate: string }[] = [];
  const dir = o.certificateFile ? path.dirname(o.certificateFile) : (o.certificateDir ?? certificatesFolder(s));
  for (const p of uncertifiedPurges(s)) {
    const recs = purgeRecords(s, p.id);
    if (!recs.length) continue;
    let file = path.join(dir, `destruction-${p.id}.pdf`);
    for (let n = 2; fs.existsSync(file); n++) file = path.join(dir, `destruction-${p.id}-${n}.pdf`);
    out.push({ purge: p.id, certificate: await writeDestructionCertificate(s, p.id, recs, file, [], o.mode) });
  }
  return out;
}

/**
 * Batches imported before recording days were recorded are split by day (from their segments)
 * before a purge, so each of their images is destroyed on its own date too (policy §8).
 */
export async function splitByDay(s: Session): Promise<string[]> {
  const tz = s.settings.timeZone;
  const split: string[] = [];
  const now = s.clock().getTime();
  for (const b of unsplitBatches(s)) {
    // Only once some of it may be due: a purge with nothing due changes nothing.
    const first = Math.min(Date.parse(b.started_at), b.recorded_first ? Date.parse(b.recorded_first) : Infinity);
    if (first + s.settings.retentionDays * DAY_MS > now) continue;
    const bf = new BatchFiles(s.home, b.id);
    if (!fs.existsSync(bf.keyFile) || !fs.existsSync(bf.segmentFile)) continue;
    const db = await openSegment(bf, loadBatchKey(bf, s.master));
    let recs: FileRecord[];
    try {
      recs = segmentRecords(db);
    } finally {
      db.close();
    }
    const days = daySummaries(recs, new Date(Date.parse(b.started_at)), tz);
    if (!days.length) continue;
    s.append('batch.days', { batch: b.id, drive: b.drive_id, camera: b.camera_id, days, splitLater: true });
    s.commit();
    split.push(b.id);
  }
  return split;
}

type Step = (step: string, unit: string) => void;

/**
 * Carry out a purge: finish what an earlier one left half-done, then destroy every recording day
 * that is due and not held; a batch whose last day goes loses its own key and files too.
 * `afterStep` is for tests (interrupting between steps).
 */
export async function executePurge(
  s: Session,
  o: { afterStep?: Step; checked?: boolean } = {},
): Promise<{ purge: string; destroyed: DestroyedRecord[]; held: DayRetention[]; cancelled: string[] }> {
  if (!o.checked) await requireSignedState(s, 'holds and retention records');
  await splitByDay(s);
  const plan = await planPurge(s);
  const step = o.afterStep ?? (() => {});
  const destroyed: DestroyedRecord[] = [];
  const cancelled: string[] = [];
  const heldKeys = new Set(plan.held.map((h) => `${h.batch.id}@${h.day}`));
  const stillDue = new Set(
    retentionReport(s)
      .batches.flatMap((b) => b.days)
      .filter((u) => u.entry.eligibleToPurge && !heldKeys.has(`${u.batch.id}@${u.day}`))
      .map((u) => `${u.batch.id}@${u.day}`),
  );
  let purge: string | undefined;

  for (const u of plan.unfinishedDays) {
    const bf = new BatchFiles(s.home, u.batch);
    if (u.keyed && !u.keyDestroyed && !fs.existsSync(bf.dayKeyFile(u.day))) {
      // The key went but its event did not make it to disk: record it now.
      s.append('day.key_destroyed', { ...unitRef(s, u.batch, u.day, u.purge), recovered: true });
      s.commit();
      u.keyDestroyed = true;
    }
    if (!u.keyDestroyed && !stillDue.has(`${u.batch}@${u.day}`)) {
      s.append('day.destruction_cancelled', {
        ...unitRef(s, u.batch, u.day, u.purge),
        reason: 'no longer due or now held',
      });
      s.commit();
      cancelled.push(unitLabel(u.batch, u.day));
      continue;
    }
    purge ??= u.purge;
    destroyed.push(await finishDay(s, u.purge, u.batch, u.day, step));
    destroyed.push(...(await finishBatchIfEmpty(s, u.purge, u.batch, step)));
  }
  for (const u of plan.unfinished) {
    const r = resumeBatch(s, u, stillDue.has(`${u.batch}@`));
    if (r === 'cancelled') {
      cancelled.push(u.batch);
      continue;
    }
    purge ??= u.purge;
    const split = dayRows(s, u.batch).length > 0; // its data was certified day by day
    const rec = await finishBatch(s, u.purge, u.batch, u.keyDestroyed, step);
    if (!split) destroyed.push(rec);
  }

  const open = openPurgeId(s);
  if (plan.due.length) {
    await refuseAlteredReadings(s, [...new Set(plan.due.filter((u) => u.day).map((u) => u.batch.id))]);
    const id = purge ?? open ?? newPurgeId(s);
    if (!purgeExists(s, id)) {
      s.append('purge.started', {
        purge: id,
        batches: [...new Set(plan.due.map((u) => u.batch.id))],
        days: plan.due.map((u) => unitLabel(u.batch.id, u.day)),
      });
      s.commit();
    }
    purge = id;
    for (const u of plan.due) {
      // A turn of the event loop between recording days: a Ctrl-C is seen here, not only once all is done.
      await new Promise((r) => setImmediate(r));
      if (!u.day) {
        startBatch(s, id, u.batch.id, u.entry.dueDate);
        step('intent', u.batch.id);
        destroyed.push(await finishBatch(s, id, u.batch.id, false, step));
        continue;
      }
      await startDay(s, id, u);
      step('intent', `${u.batch.id}@${u.day}`);
      destroyed.push(await finishDay(s, id, u.batch.id, u.day, step));
      destroyed.push(...(await finishBatchIfEmpty(s, id, u.batch.id, step)));
    }
  }
  purge ??= open;
  if (purge && purgeIsOpen(s, purge)) {
    s.append('purge.finished', { purge, batches: destroyedBatchIds(s, purge) });
    s.commit();
  }
  return { purge: purge ?? '', destroyed, held: plan.held, cancelled };
}

function unitRef(s: Session, batch: string, day: string, purge: string) {
  const b = batchRow(s, batch)!;
  return { batch, day, camera: b.camera_id, drive: b.drive_id, purge };
}

/** The day's records, read from its batch's segment (the day's share of the files and index). */
async function dayRecords(s: Session, batch: string, day: string): Promise<(FileRecord & { id: number })[]> {
  const bf = new BatchFiles(s.home, batch);
  if (!fs.existsSync(bf.segmentFile)) return [];
  const db = await openSegment(bf, loadBatchKey(bf, s.master));
  try {
    const importedAt = new Date(Date.parse(batchRow(s, batch)!.started_at));
    return segmentRecords(db).filter((r) => dayOfRecord(r, importedAt, s.settings.timeZone).day === day);
  } finally {
    db.close();
  }
}

/** The intent, with what will be destroyed (so a run finished later still certifies the counts). */
async function startDay(s: Session, purge: string, u: DayRetention): Promise<void> {
  const recs = await dayRecords(s, u.batch.id, u.day);
  const manifest = recs
    .filter((r) => r.sha256)
    .map((r) => `${r.sha256}  ${encodeManifestPath(r.relPath)}`)
    .sort()
    .join('\n');
  const stored = recs.filter((r) => r.outcome === 'stored');
  s.append('day.destruction_started', {
    ...unitRef(s, u.batch.id, u.day, purge),
    dueDate: u.entry.dueDate?.toISOString(),
    files: u.row?.files ?? recs.length,
    stored: stored.length,
    bytes: stored.reduce((a, r) => a + r.size, 0),
    manifestSha256: sha256Hex(`${manifest}\n`),
    fileIds: idRanges(recs.map((r) => r.id)),
  });
  s.commit();
}

/**
 * Destroy one recording day: its key (crypto-shredding), then its stored files, then what names
 * it (file names, capture times, hashes, plate readings): the batch's segment, hash list, readings
 * and index are re-written without it under a new batch key and the old batch key is destroyed, so
 * no key the home holds opens a copy of them made before (a batch imported before day keys, whose
 * files are under the batch key itself, keeps its key until its last day: rows dropped only).
 */
async function finishDay(s: Session, purge: string, batch: string, day: string, step: Step): Promise<DestroyedRecord> {
  const unit = `${batch}@${day}`;
  const bf = new BatchFiles(s.home, batch);
  settleRekey(bf); // a re-key committed by a run cut short
  const row = dayRows(s, batch).find((r) => r.day === day)!;
  if (row.keyed && !row.key_destroyed_at) {
    destroyDayKey(bf, day);
    step('key', unit);
    s.append('day.key_destroyed', unitRef(s, batch, day, purge));
    s.commit();
  }
  const all = await batchRecords(s, batch);
  const recs = all.filter((r) => r.day === day);
  for (const r of recs)
    if (r.storeName && r.outcome !== 'duplicate') fs.rmSync(bf.storeFile(r.storeName), { force: true });
  const ids = new Set(recs.map((r) => r.id));
  // Whether the batch key can be replaced: none of the records kept is stored under it.
  const rekey = all.length > 0 && canRekey(all.filter((r) => !ids.has(r.id)));
  if (recs.length) {
    const key = loadBatchKey(bf, s.master, { forWriting: !rekey });
    if (rekey)
      await rekeyWithout(
        s,
        bf,
        key,
        ids,
        () => step('rekey', unit),
        () => step('metadata', unit),
      );
    else {
      await dropReadings(bf, key, ids);
      await rewriteSegmentWithout(bf, key, ids);
    }
    // The merged plate index loses the day's readings before the day is recorded destroyed.
    await refreshMergedIndex(s, [batch]);
  }
  step('files', unit);
  s.append('day.destroyed', {
    ...unitRef(s, batch, day, purge),
    files: row.files,
    stored: row.stored ?? 0,
    bytes: row.bytes ?? 0,
    recordedFirst: row.recorded_first,
    recordedLast: row.recorded_last,
    manifestSha256: row.manifest_sha256,
    keyed: !!row.keyed,
    // The day's names, times, hashes and readings: re-written away under a new batch key (the old one
    // destroyed), or left under the batch key until its last day.
    metadataRekeyed: rekey,
    // The plate index as re-written without the day: a search holds the batch to it (ocr/queue.ts loadIndex).
    ...plateIndexRecord(bf),
  });
  s.commit();
  return dayRecord(s, batch, day);
}

/** The SHA-256s of the batch's plate index and readings as they are now (none when its plates were never read). */
function plateIndexRecord(bf: BatchFiles): { plateIndexSha256?: string; plateReadingsSha256?: string } {
  return {
    ...(fs.existsSync(bf.indexFile) ? { plateIndexSha256: sha256Hex(fs.readFileSync(bf.indexFile)) } : {}),
    ...(fs.existsSync(bf.readingsFile) ? { plateReadingsSha256: sha256Hex(fs.readFileSync(bf.readingsFile)) } : {}),
  };
}

/**
 * A purge builds a batch's plate index again from its readings file: one that is not the file the
 * ledger records (put back from before a re-read) is refused before any day now due is destroyed.
 */
async function refuseAlteredReadings(s: Session, batches: readonly string[]): Promise<void> {
  const { recordedReadingsProblem } = await import('../ocr/queue.js');
  for (const batch of batches) {
    const problem = recordedReadingsProblem(new BatchFiles(s.home, batch), recordedPlateFiles(s, batch));
    if (problem)
      throw new CustodyError(
        'integrity',
        `${problem} The purge stopped before destroying any recording day now due.`,
        `Run \`custody verify\`; \`custody ocr --reread --batch ${batch}\` reads the batch again and records what it reads; then run the purge again.`,
      );
  }
}

/** Every record of a batch's segment with its recording day ([] when the segment or key is gone). */
async function batchRecords(s: Session, batch: string): Promise<(FileRecord & { id: number; day: string })[]> {
  const bf = new BatchFiles(s.home, batch);
  if (!fs.existsSync(bf.segmentFile) || !fs.existsSync(bf.keyFile)) return [];
  const db = await openSegment(bf, loadBatchKey(bf, s.master));
  try {
    const importedAt = new Date(Date.parse(batchRow(s, batch)!.started_at));
    return segmentRecords(db).map((r) => ({ ...r, day: dayOfRecord(r, importedAt, s.settings.timeZone).day }));
  } finally {
    db.close();
  }
}

/**
 * The batch's segment, hash list, plate readings and index without the records `ids`, under a new
 * batch key; the old key is destroyed (src/ledger/batches.ts, "Re-keying": old or new state, never
 * neither). `prepared` runs once the new files are written, `committed` once the new key is.
 */
async function rekeyWithout(
  s: Session,
  bf: BatchFiles,
  oldKey: Buffer,
  ids: ReadonlySet<number>,
  committed: () => void,
  prepared: () => void,
): Promise<void> {
  const { loadReadings, saveIndex, saveReadings } = await import('../ocr/queue.js');
  abandonRekey(bf);
  const newKey = randomKey();
  const kept = await rekeyedSegmentWithout(bf, oldKey, newKey, ids);
  const readings = loadReadings(bf, oldKey);
  if (readings) {
    for (const id of ids) delete readings.files[String(id)];
    saveReadings(bf, newKey, readings, rekeyTarget(bf.readingsFile));
    const images = kept.filter((r) => r.outcome === 'stored' && r.kind === 'image');
    saveIndex(bf, newKey, readings, new Map(images.map((r) => [r.id, r.recordedAt])), rekeyTarget(bf.indexFile));
  }
  prepared();
  commitRekey(bf, s.master, newKey, committed);
}

/** The day's plate readings and search index lose the destroyed images (ids stay stable; same key). */
async function dropReadings(bf: BatchFiles, key: Buffer, ids: ReadonlySet<number>): Promise<void> {
  const { loadReadings, saveIndex, saveReadings } = await import('../ocr/queue.js');
  const readings = loadReadings(bf, key);
  if (!readings) return;
  for (const id of ids) delete readings.files[String(id)];
  saveReadings(bf, key, readings);
  const db = await openSegment(bf, key);
  let left: (FileRecord & { id: number })[];
  try {
    left = segmentRecords(db).filter((r) => !ids.has(r.id) && r.outcome === 'stored' && r.kind === 'image');
  } finally {
    db.close();
  }
  saveIndex(bf, key, readings, new Map(left.map((r) => [r.id, r.recordedAt])));
}

/** When every recording day of a batch is destroyed, its own key, segment and folder go too. */
async function finishBatchIfEmpty(s: Session, purge: string, batch: string, step: Step): Promise<DestroyedRecord[]> {
  const rows = dayRows(s, batch);
  if (!rows.length || rows.some((r) => !r.destroyed_at)) return [];
  if (batchRow(s, batch)?.destroyed_at) return [];
  startBatch(s, purge, batch, undefined, true);
  await finishBatch(s, purge, batch, false, step);
  return [];
}

function startBatch(s: Session, purge: string, batch: string, dueDate?: Date, lastDay = false): void {
  const b = batchRow(s, batch)!;
  s.append('batch.destruction_started', {
    batch,
    camera: b.camera_id,
    drive: b.drive_id,
    purge,
    dueDate: dueDate?.toISOString(),
    ...(lastDay ? { afterLastDay: true } : {}),
  });
  s.commit();
}

function resumeBatch(s: Session, u: PendingDestruction, due: boolean): 'finish' | 'cancelled' {
  const b = batchRow(s, u.batch)!;
  const ref = { batch: u.batch, camera: b.camera_id, drive: b.drive_id, purge: u.purge };
  if (!u.keyDestroyed && !fs.existsSync(new BatchFiles(s.home, u.batch).keyFile)) {
    s.append('batch.key_destroyed', { ...ref, recovered: true });
    s.commit();
    u.keyDestroyed = true;
  }
  const allDaysGone = dayRows(s, u.batch).length > 0 && dayRows(s, u.batch).every((r) => r.destroyed_at);
  if (!u.keyDestroyed && !due && !allDaysGone) {
    s.append('batch.destruction_cancelled', { ...ref, reason: 'no longer due or now held' });
    s.commit();
    return 'cancelled';
  }
  return 'finish';
}

/** Destroy a batch's own key (crypto-shredding), then its segment and stored files. */
async function finishBatch(
  s: Session,
  purge: string,
  id: string,
  keyAlreadyGone: boolean,
  step: Step,
): Promise<DestroyedRecord> {
  const b = batchRow(s, id)!;
  const bf = new BatchFiles(s.home, id);
  const ref = { batch: id, camera: b.camera_id, drive: b.drive_id, purge };
  if (!keyAlreadyGone) {
    destroyBatchKey(bf);
    step('key', id);
    s.append('batch.key_destroyed', ref);
    s.commit();
  }
  for (const f of bf.dataFiles) fs.rmSync(f, { force: true });
  fs.rmSync(bf.storeDir, { recursive: true, force: true });
  // Its index gone, the merged plate index drops the batch's readings.
  await refreshMergedIndex(s);
  step('files', id);
  const split = dayRows(s, id).length > 0;
  s.append('batch.destroyed', {
    ...ref,
    // A batch split by day has had its files counted day by day.
    files: split ? 0 : (b.files ?? 0),
    stored: split ? 0 : (b.stored ?? 0),
    bytes: split ? 0 : (b.bytes ?? 0),
    recordedFirst: b.recorded_first,
    recordedLast: b.recorded_last,
    manifestSha256: b.manifest_sha256,
    ...(split ? { afterLastDay: true } : {}),
  });
  s.commit();
  const after = batchRow(s, id)!;
  return {
    batch: id,
    day: '',
    camera: b.camera_id,
    drive: b.drive_id,
    files: split ? 0 : (b.files ?? 0),
    stored: split ? 0 : (b.stored ?? 0),
    bytes: split ? 0 : (b.bytes ?? 0),
    recordedFirst: b.recorded_first ?? '',
    recordedLast: b.recorded_last ?? '',
    manifestSha256: b.manifest_sha256,
    keyDestroyedAt: after.key_destroyed_at ?? after.destroyed_at ?? '',
    destroyedAt: after.destroyed_at ?? '',
    keyed: true,
    metadataRekeyed: true,
    batchKeyDestroyed: true,
  };
}

const CERTIFICATE = { what: 'the certificate of destruction', flag: '--certificate or --out' };

/** The home's own folder of certificates (a purge run from the log-in prompt writes there). */
function certificatesFolder(s: Session): string {
  return path.join(s.home.dir, 'certificates');
}

/**
 * The certificate's place, when one was named: checked before anything is destroyed (never inside
 * the home, never over a file, and a place this process can write: a file in the way of its folder
 * or a folder it may not write in refuses the purge, exit 2, nothing destroyed).
 */
function certificatePlace(s: Session, o: PurgeInput): void {
  if (o.certificateFile) checkWritable(s.home.dir, o.certificateFile, { ...CERTIFICATE, kind: 'file' });
  else if (o.certificateDir) checkWritable(s.home.dir, o.certificateDir, { ...CERTIFICATE, kind: 'dir' });
}

/**
 * The signed certificate of destruction (policy §8), written to `file` (a new file; outside the
 * home unless it is the home's certificates/ folder); its hash goes into the ledger.
 */
export async function writeDestructionCertificate(
  s: Session,
  purge: string,
  records: DestroyedRecord[],
  file: string,
  held: { id: string; files: number }[],
  mode?: OutputMode,
): Promise<string> {
  const { renderDestructionCertificate } = await import('../documents/index.js');
  const settings = s.settings;
  const last = records.reduce((a, r) => (r.destroyedAt > a ? r.destroyedAt : a), records[0]!.destroyedAt);
  const pdf = await renderDestructionCertificate(
    {
      certificateNumber: purge,
      organization: settings.agencyName,
      // The custodian who ran the purge: the certificate is signed with their own certificate.
      custodian: { title: officeOf(s.operator.role, settings.custodianTitle), name: s.operator.displayName },
      destroyedAt: last,
      destroyedBy: destroyer(s, purge),
      retentionRule: `${settings.retentionDays} days from each image's own date of recordation (policy §8)`,
      method: destructionMethod(records, purgeBackupFacts(s, purge)),
      batches: records.map((r) => ({
        id: r.day ? `${r.batch} · ${r.day}` : r.batch,
        source:
          [r.camera ? `camera ${r.camera}` : undefined, r.drive ? `drive ${r.drive}` : undefined]
            .filter(Boolean)
            .join(', ') || undefined,
        files: r.stored,
        bytes: r.bytes,
        recordedFrom: r.recordedFirst,
        recordedTo: r.recordedLast,
        manifestSha256: r.manifestSha256 ?? '0'.repeat(64),
        keyDestroyedAt: r.keyDestroyedAt,
      })),
      holdsExcluded: held.length ? held : undefined,
      ledgerHead: s.ledger.head.hash,
    },
    await documentIdentity(s),
    { signedAt: s.clock() },
  );
  if (path.dirname(path.resolve(file)) === certificatesFolder(s)) writeOutputFile(file, pdf, mode, { replace: true });
  else writeOutput(s.home.dir, file, pdf, CERTIFICATE, mode);
  s.append('purge.certificate', { purge, sha256: sha256Hex(pdf) });
  s.commit();
  return file;
}

/** Who ran the purge, as recorded (a purge certified by a later run names its own operator). */
function destroyer(s: Session, purge: string): string {
  const actor = s.ledger.one<{ actor: string }>('SELECT actor FROM purges WHERE id = ?', [purge])?.actor;
  const op = actor ? s.findOperator(actor) : undefined;
  return op ? `${op.displayName} (${op.username})` : `${s.operator.displayName} (${s.operator.username})`;
}

/**
 * How the listed data was destroyed, in sentences built from what was recorded: which keys went,
 * what names the files went with them, and what a copy of the home made before the purge still
 * reaches.
 */
export function destructionMethod(records: readonly DestroyedRecord[], backups: readonly ReachedBackup[] = []): string {
  const whole = records.filter((r) => !r.day);
  const days = records.filter((r) => r.day);
  const full = days.filter((r) => r.metadataRekeyed);
  const contentOnly = days.filter((r) => r.keyed && !r.metadataRekeyed);
  const unkeyed = days.filter((r) => !r.keyed && !r.metadataRekeyed);
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const list = (rs: readonly DestroyedRecord[]) => rs.map((r) => `${r.batch} ${r.day}`).join(', ');
  const out: string[] = [];
  if (full.length)
    out.push(
      `Cryptographic erasure of ${count(full.length, 'recording day', 'recording days')}: ${full.length === 1 ? 'its' : "each day's"} files were deleted and the key that sealed them destroyed (the day's own key${full.some((r) => !r.keyed) ? ', or for a batch imported before day keys the batch key' : ''}); ${full.length === 1 ? 'its' : 'their'} file names, capture times, hashes and plate readings were removed from the batch's segment, hash list, readings and index, which were re-written under a new batch key, and the old batch key was destroyed.`,
    );
  if (whole.length)
    out.push(
      `Cryptographic erasure of ${count(whole.length, 'whole batch', 'whole batches')}: the batch key, which sealed its files, names, times and readings, was destroyed, then its encrypted files deleted.`,
    );
  if (contentOnly.length)
    out.push(
      `For ${count(contentOnly.length, 'recording day', 'recording days')} (${list(contentOnly)}) the day's key was destroyed and its files deleted, but ${contentOnly.length === 1 ? 'its' : 'their'} file names, capture times, hashes and readings stay in the batch's segment under the batch key until the batch's last day is destroyed.`,
    );
  if (unkeyed.length)
    out.push(
      `${count(unkeyed.length, 'recording day', 'recording days')} (${list(unkeyed)}) ${unkeyed.length === 1 ? 'comes' : 'come'} from ${unkeyed.length === 1 ? 'a batch' : 'batches'} imported before each day had its own key: ${unkeyed.length === 1 ? 'its' : 'their'} files and index rows were deleted, and the batch key that sealed them is destroyed with the batch's last recording day.`,
    );
  // What the home's keys still open of a copy made before: what stayed under a batch key not yet destroyed.
  const live = (rs: readonly DestroyedRecord[]) => rs.filter((r) => !r.batchKeyDestroyed);
  const reach = [
    ...(live(contentOnly).length ? [`the file names, times, hashes and readings of ${list(live(contentOnly))}`] : []),
    ...(live(unkeyed).length ? [`the files, names, times and readings of ${list(live(unkeyed))}`] : []),
  ];
  out.push(
    reach.length
      ? `No key the home now holds opens a copy of the listed data made before this purge, except ${reach.join(', and ')}, which the batch key the home still holds opens.`
      : 'No key the home now holds opens a copy of the listed data made before this purge.',
  );
  out.push(...backupSentences(backups));
  return out.join(' ');
}

/**
 * What the purge did to the backups, from the recorded backup events: each folder reached (its key
 * file rewritten without the destroyed keys, the older ones overwritten and removed, the destroyed
 * files deleted), each not reached (readable there until the next backup to it completes), and what
 * no purge reaches.
 */
export function backupSentences(backups: readonly ReachedBackup[]): string[] {
  const out: string[] = [];
  const reached = backups.filter((b) => b.reached);
  const missed = backups.filter((b) => !b.reached);
  if (!backups.length) out.push('No backup made by `custody backup` is on record for this home.');
  for (const b of reached)
    out.push(
      `The backup at ${b.location} was rewritten by this purge at ${b.at} (backup ${b.generation}): its key file no longer holds the destroyed keys, its earlier key files were overwritten and removed, and the destroyed files were deleted from it.`,
    );
  for (const b of missed)
    out.push(
      `The backup at ${b.location} could not be reached by this purge (${(b.error ?? 'not reachable').replace(/\.$/, '')}): until the next \`custody backup --to ${b.location}\` completes, that backup still holds the keys of the listed data and can read it.`,
    );
  out.push(
    'A copy of the home made by other means (a plain copy of the home folder with its keys/ and keyring.json, a disk image or snapshot) keeps the keys it copied: with a password valid then it still opens everything it copied, and no purge reaches it; such copies must be destroyed too.',
  );
  return out;
}
