/**
 * Destruction of what is past its date and not held (policy §8: keep 60 days from the date of
 * recordation, then destroy; longer only under a hold). Per batch: the intent is recorded, the
 * key is crypto-shredded (every copy of the data, backups included, becomes unreadable), the
 * segment and stored files are removed, the destruction is recorded. Each step is committed
 * before the next, so a purge interrupted anywhere is finished by running it again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sha256Hex } from '../core/hash.js';
import { isoInZone } from '../core/time.js';
import { BatchFiles, destroyBatchKey } from '../ledger/batches.js';
import {
  batchRow,
  custodianName,
  destroyedBatchIds,
  newPurgeId,
  openPurgeId,
  planPurge,
  purgeExists,
  purgeIsOpen,
  purgeRecords,
  retentionReport,
  type BatchRetention,
  type BatchRow,
  type DestroyedRecord,
} from '../ledger/purge.js';
import type { Session } from '../ledger/session.js';

export interface DueBatch {
  batch: string;
  camera: string | null;
  drive: string;
  files: number | null;
  recordedFirst: string | null;
  recordedLast: string | null;
  destructionDate: string | null;
}

export interface HeldBatch {
  batch: string;
  heldBy: string[];
}

export interface PurgePlanView {
  /** Batches past their date, not held, not destroyed: what a purge would destroy. */
  due: DueBatch[];
  /** Batches past their date that a hold keeps. */
  held: HeldBatch[];
  /** Destructions an earlier purge began and did not finish. */
  unfinished: { batch: string; purge: string; keyDestroyed: boolean }[];
}

/** What a purge would do now (nothing is changed). */
export async function purgePlan(s: Session): Promise<PurgePlanView> {
  const tz = s.settings.timeZone;
  const plan = await planPurge(s);
  return {
    due: plan.due.map((b) => ({
      batch: b.batch.id,
      camera: b.batch.camera_id,
      drive: b.batch.drive_id,
      files: b.batch.stored,
      recordedFirst: b.batch.recorded_first,
      recordedLast: b.batch.recorded_last,
      destructionDate: b.entry.dueDate ? isoInZone(b.entry.dueDate, tz) : null,
    })),
    held: plan.held.map((b) => ({ batch: b.batch.id, heldBy: b.entry.heldBy })),
    unfinished: plan.unfinished,
  };
}

export function nothingToPurge(p: PurgePlanView): boolean {
  return !p.due.length && !p.unfinished.length;
}

export interface PurgeInput {
  /** Write a certificate of destruction (policy §8). */
  certificate: boolean;
  /** Where to write it (absolute); default `certificateDir`/destruction-<purge>.pdf. */
  certificateFile?: string;
  /** The folder for the certificate when no file is named (absolute). */
  certificateDir: string;
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
}

/** Destroy what is due and not held, finish what an earlier purge left half-done, and certify it. */
export async function purge(s: Session, o: PurgeInput): Promise<PurgeOutcome> {
  const plan = await purgePlan(s);
  if (nothingToPurge(plan)) return { done: true, purge: null, destroyed: [], held: plan.held, certificate: null };
  const result = await executePurge(s);
  let certificate: string | null = null;
  if (o.certificate && result.purge) {
    const recs = purgeRecords(s, result.purge);
    if (recs.length) {
      const file = o.certificateFile ?? path.join(o.certificateDir, `destruction-${result.purge}.pdf`);
      certificate = await writeDestructionCertificate(
        s,
        result.purge,
        recs,
        file,
        result.held.map((h) => ({ id: h.entry.heldBy.join(', '), files: h.batch.stored ?? 0 })),
      );
    }
  }
  return {
    done: true,
    purge: result.purge,
    destroyed: result.destroyed,
    cancelled: result.cancelled,
    held: plan.held,
    certificate,
  };
}

/**
 * Carry out a purge: finish what an earlier one left half-done, then destroy every batch that
 * is due and not held. `afterStep` is for tests (interrupting between steps).
 */
export async function executePurge(
  s: Session,
  o: { afterStep?: (step: string, batch: string) => void } = {},
): Promise<{ purge: string; destroyed: DestroyedRecord[]; held: BatchRetention[]; cancelled: string[] }> {
  const plan = await planPurge(s);
  const step = o.afterStep ?? (() => {});
  const destroyed: DestroyedRecord[] = [];
  const cancelled: string[] = [];
  const row = (id: string): BatchRow => batchRow(s, id)!;

  const finish = (purge: string, id: string, keyAlreadyGone: boolean): void => {
    const b = row(id);
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
    step('files', id);
    s.append('batch.destroyed', {
      ...ref,
      files: b.files ?? 0,
      stored: b.stored ?? 0,
      bytes: b.bytes ?? 0,
      recordedFirst: b.recorded_first,
      recordedLast: b.recorded_last,
      manifestSha256: b.manifest_sha256,
    });
    s.commit();
    const after = row(id);
    destroyed.push({
      batch: id,
      camera: b.camera_id,
      drive: b.drive_id,
      files: b.files ?? 0,
      stored: b.stored ?? 0,
      bytes: b.bytes ?? 0,
      recordedFirst: b.recorded_first ?? '',
      recordedLast: b.recorded_last ?? '',
      manifestSha256: b.manifest_sha256,
      keyDestroyedAt: after.key_destroyed_at ?? after.destroyed_at ?? '',
      destroyedAt: after.destroyed_at ?? '',
    });
  };

  // An interrupted purge first: a batch whose key is gone is finished whatever else is true;
  // one whose key still exists is finished only if it is still due and not held.
  const dueIds = new Set([
    ...plan.due.map((b) => b.batch.id),
    ...retentionReport(s)
      .batches.filter((b) => b.entry.eligibleToPurge && !plan.held.some((h) => h.batch.id === b.batch.id))
      .map((b) => b.batch.id),
  ]);
  let purge: string | undefined;
  for (const u of plan.unfinished) {
    if (!u.keyDestroyed && !fs.existsSync(new BatchFiles(s.home, u.batch).keyFile)) {
      // The key went but its event did not make it to disk: record it now.
      const b = row(u.batch);
      s.append('batch.key_destroyed', {
        batch: u.batch,
        camera: b.camera_id,
        drive: b.drive_id,
        purge: u.purge,
        recovered: true,
      });
      s.commit();
      u.keyDestroyed = true;
    }
    if (!u.keyDestroyed && !dueIds.has(u.batch)) {
      const b = row(u.batch);
      s.append('batch.destruction_cancelled', {
        batch: u.batch,
        camera: b.camera_id,
        drive: b.drive_id,
        purge: u.purge,
        reason: 'no longer due or now held',
      });
      s.commit();
      cancelled.push(u.batch);
      continue;
    }
    purge ??= u.purge;
    finish(u.purge, u.batch, u.keyDestroyed);
  }
  const open = openPurgeId(s);
  if (plan.due.length) {
    const id = purge ?? open ?? newPurgeId(s);
    if (!purgeExists(s, id)) {
      s.append('purge.started', { purge: id, batches: plan.due.map((b) => b.batch.id) });
      s.commit();
    }
    purge = id;
    for (const b of plan.due) {
      s.append('batch.destruction_started', {
        batch: b.batch.id,
        camera: b.batch.camera_id,
        drive: b.batch.drive_id,
        purge: id,
        dueDate: b.entry.dueDate?.toISOString(),
      });
      s.commit();
      step('intent', b.batch.id);
      finish(id, b.batch.id, false);
    }
  }
  purge ??= open;
  if (purge && purgeIsOpen(s, purge)) {
    s.append('purge.finished', { purge, batches: destroyedBatchIds(s, purge) });
    s.commit();
  }
  return { purge: purge ?? '', destroyed, held: plan.held, cancelled };
}

/** The signed certificate of destruction (policy §8), written to `file`; its hash goes into the ledger. */
export async function writeDestructionCertificate(
  s: Session,
  purge: string,
  records: DestroyedRecord[],
  file: string,
  held: { id: string; files: number }[],
): Promise<string> {
  const { renderDestructionCertificate } = await import('../documents/index.js');
  const settings = s.settings;
  const last = records.reduce((a, r) => (r.destroyedAt > a ? r.destroyedAt : a), records[0]!.destroyedAt);
  const pdf = await renderDestructionCertificate(
    {
      certificateNumber: purge,
      organization: settings.agencyName,
      custodian: { title: settings.custodianTitle, name: custodianName(s) ?? s.operator.displayName },
      destroyedAt: last,
      destroyedBy: `${s.operator.displayName} (${s.operator.username})`,
      retentionRule: `${settings.retentionDays} days from the date of recordation (policy §8)`,
      batches: records.map((r) => ({
        id: r.batch,
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
    s.home.loadIdentity(s.master),
    { signedAt: s.clock() },
  );
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, pdf);
  s.append('purge.certificate', { purge, sha256: sha256Hex(pdf) });
  s.commit();
  return file;
}
