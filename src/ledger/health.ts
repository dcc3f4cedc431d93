/**
 * The monthly health check (policy §7): gathers, from the ledger, the batch segments and the
 * disk, what the pure judgements in src/core/health.ts need, and returns their findings with
 * the figures behind them (for the report). Recording the check in the ledger is the caller's
 * (src/operations/health.ts).
 */
import type { BackupLocationStatus } from './backup.js';
import fs from 'node:fs';
import { activeContractorPermits, breachFindings } from './breach.js';
import {
  dutyFindings,
  findClockTrouble,
  findDriveFull,
  findPlateReadFall,
  findRecordingGaps,
  findStorageTrouble,
  planFixitySample,
  sortFindings,
  summarize,
  type ClockBatch,
  type Finding,
  type HealthSummary,
} from '../core/health.js';
import { addDays, DAY_MS, isoInZone, localDate, parseIsoWithOffset } from '../core/time.js';
import { BatchFiles, loadBatchKey, openSegment, StoreKeys, segmentRecords, storeContext } from './batches.js';
import { auditedRequests, auditedSearches } from './access.js';
import {
  allHolds,
  allReceipts,
  lastHealthCheck,
  retentionReport,
  retentionUnits,
  tableExists,
  type BatchRow,
  uncertifiedPurges,
} from './purge.js';
import type { Session } from './session.js';
import { verifyLedger } from './verify.js';

export interface HealthOptions {
  /** Re-hash every stored file (default: this month's sample). */
  full?: boolean;
  /** Files in the monthly sample. @default max(ceil(n/12), min(n, 500)): every file within a year, a small store whole */
  sampleSize?: number;
  /** How far back the cameras are examined. @default 90 */
  windowDays?: number;
}

/**
 * What the check needs from the outer layers (dependencies point inward: the ledger does not
 * import media or ocr): decrypt-and-hash a stored file, and a batch's plate readings.
 */
export interface HealthIo {
  hashStored(file: string, key: Buffer, context: string): Promise<{ sha256: string }>;
  /** Plate readings keyed by the file's id in the segment; undefined when the batch has none. */
  loadReadings?(bf: BatchFiles, key: Buffer): { files: Record<string, { best: unknown }> } | undefined;
}

export interface CameraHealth {
  camera: string;
  location: string;
  lastSwap: string | null;
  daysSinceSwap: number | null;
  window: { from: string; to: string } | null;
  /** Recordings per local day over the window. */
  perDay: { date: string; count: number }[];
  gaps: { from: string; to: string; severity: string }[];
  /** Problems logged for the camera (periods when it was not working). */
  outages: { id: string; from: string; to: string | null }[];
}

export interface HealthResult {
  at: string;
  findings: Finding[];
  summary: HealthSummary;
  cameras: CameraHealth[];
  storage: {
    freeBytes: number | null;
    bytesPerDay: number;
    daysLeft: number | null;
    filesInStore: number;
    filesChecked: number;
    fixityFailures: number;
    full: boolean;
  };
  ledger: { ok: boolean; events: number; head: { seq: number; hash: string }; problems: string[] };
  plateReads: 'judged' | 'no readings';
  /** Each backup location's age and last result (issue 20); added by operations/health.ts. */
  backups?: BackupLocationStatus[];
}

const date = (s: string | null | undefined): Date | undefined =>
  s ? (parseIsoWithOffset(s) ?? new Date(s)) : undefined;

/** Capture-time flags that make a capture time unfit for judging recording gaps. */
const UNRELIABLE = new Set(['no-capture-time', 'future', 'before-camera', 'absurd']);

interface StoredFile {
  batch: string;
  storeName: string;
  sha256: string;
  relPath: string;
  keyDay?: string;
  wrappedKey?: string;
}

export async function runHealthCheck(s: Session, io: HealthIo, o: HealthOptions = {}): Promise<HealthResult> {
  const settings = s.settings;
  const tz = settings.timeZone;
  const now = s.clock();
  const windowDays = o.windowDays ?? 90;
  const findings: Finding[] = [];

  const batches = s.ledger.rows<BatchRow>(
    "SELECT * FROM batches WHERE status = 'imported' AND destroyed_at IS NULL AND key_destroyed_at IS NULL ORDER BY recorded_first, id",
  );
  // One pass over the segments: capture times per camera, and the stored files for fixity.
  const captures = new Map<string, Date[]>();
  const stored: StoredFile[] = [];
  const keys = new Map<string, Buffer>();
  const plateDays = new Map<string, Map<string, { images: number; readable: number }>>();
  for (const b of batches) {
    const bf = new BatchFiles(s.home, b.id);
    let key: Buffer;
    try {
      key = loadBatchKey(bf, s.master);
    } catch (e) {
      findings.push({
        severity: 'critical',
        area: 'storage',
        subject: b.id,
        message: `The key of import batch ${b.id} cannot be read (${(e as Error).message}); its data is lost although its destruction was never recorded.`,
      });
      continue;
    }
    keys.set(b.id, key);
    let recs: ReturnType<typeof segmentRecords>;
    try {
      const db = await openSegment(bf, key);
      try {
        recs = segmentRecords(db);
      } finally {
        db.close();
      }
    } catch (e) {
      findings.push({
        severity: 'critical',
        area: 'storage',
        subject: b.id,
        message: `The segment of import batch ${b.id} cannot be read: ${(e as Error).message}`,
      });
      continue;
    }
    const times = captures.get(b.camera_id ?? '') ?? [];
    let readings: ReturnType<NonNullable<HealthIo['loadReadings']>>;
    try {
      readings = io.loadReadings?.(bf, key);
    } catch (e) {
      findings.push({
        severity: 'warning',
        area: 'camera',
        subject: b.id,
        message: `The plate readings of import batch ${b.id} cannot be read: ${(e as Error).message}`,
      });
    }
    if (readings && b.camera_id) {
      const days = plateDays.get(b.camera_id) ?? new Map<string, { images: number; readable: number }>();
      for (const r of recs) {
        if (r.outcome !== 'stored' || r.kind !== 'image' || !r.recordedAt) continue;
        const rd = readings.files[String(r.id)];
        if (!rd) continue;
        const d = localDate(date(r.recordedAt)!, settings.timeZone);
        const x = days.get(d) ?? { images: 0, readable: 0 };
        x.images++;
        if (rd.best) x.readable++;
        days.set(d, x);
      }
      plateDays.set(b.camera_id, days);
    }
    for (const r of recs) {
      if (
        r.recordedAt &&
        (r.outcome === 'stored' || r.outcome === 'duplicate') &&
        !r.flags.some((f) => UNRELIABLE.has(f))
      ) {
        const t = date(r.recordedAt);
        if (t) times.push(t);
      }
      if (r.outcome === 'stored' && r.storeName && r.sha256)
        stored.push({
          batch: b.id,
          storeName: r.storeName,
          sha256: r.sha256,
          relPath: r.relPath,
          keyDay: r.keyDay,
          wrappedKey: r.wrappedKey,
        });
    }
    if (b.camera_id) captures.set(b.camera_id, times);
  }

  // ---- cameras
  const cameras = s.ledger.rows<{
    id: string;
    location: string;
    status: string;
    in_service_since: string;
    swap_cadence_days: number | null;
  }>("SELECT * FROM cameras WHERE status = 'active' ORDER BY id");
  const cameraOut: CameraHealth[] = [];
  const clockBatches: ClockBatch[] = [];
  for (const c of cameras) {
    const mine = batches.filter((b) => b.camera_id === c.id);
    // The last swap: when the last drive was taken out (as recorded, not when it was recorded).
    const swap = s.ledger.one<{ at: string; data: string }>(
      "SELECT at, data FROM events WHERE type = 'drive.removed' AND camera_id = ? ORDER BY seq DESC LIMIT 1",
      [c.id],
    );
    const lastSwap = swap ? ((JSON.parse(swap.data) as { at?: string }).at ?? swap.at) : null;
    const daysSinceSwap = lastSwap ? Math.floor((now.getTime() - date(lastSwap)!.getTime()) / DAY_MS) : null;
    if (daysSinceSwap !== null && c.swap_cadence_days && daysSinceSwap > 2 * c.swap_cadence_days) {
      findings.push({
        severity: 'warning',
        area: 'camera',
        subject: c.id,
        message: `Camera ${c.id}'s drive was last swapped ${daysSinceSwap} days ago, more than twice its ${c.swap_cadence_days}-day cadence.`,
      });
    }
    const times = (captures.get(c.id) ?? []).sort((a, b) => a.getTime() - b.getTime());
    let window: CameraHealth['window'] = null;
    const perDay: CameraHealth['perDay'] = [];
    const gaps: CameraHealth['gaps'] = [];
    const firstHeld = mine
      .map((b) => date(b.recorded_first))
      .filter((d): d is Date => !!d)
      .sort((a, b) => a.getTime() - b.getTime())[0];
    const lastRemoved = mine
      .map((b) => date(b.removed_at) ?? date(b.recorded_last))
      .filter((d): d is Date => !!d)
      .sort((a, b) => b.getTime() - a.getTime())[0];
    if (firstHeld && lastRemoved && times.length) {
      const earliest = addDays(now, -windowDays);
      const from = new Date(
        Math.max(firstHeld.getTime(), earliest.getTime(), date(c.in_service_since)?.getTime() ?? 0),
      );
      const to = lastRemoved;
      if (to > from) {
        window = { from: isoInZone(from, tz), to: isoInZone(to, tz) };
        const gf = findRecordingGaps(times, { from, to, timeZone: tz, subject: c.id });
        // A gap already in the problem log is known: a note once resolved, a warning while open.
        const logged = s.ledger.rows<{ id: string; down_from: string; down_to: string | null; status: string }>(
          'SELECT id, down_from, down_to, status FROM problems WHERE camera_id = ? AND down_from IS NOT NULL',
          [c.id],
        );
        for (const g of gf) {
          const a = Date.parse(g.period.from);
          const b = Date.parse(g.period.to);
          const p = logged.find((x) => {
            const pa = Date.parse(x.down_from);
            const pb = x.down_to ? Date.parse(x.down_to) : Number.POSITIVE_INFINITY;
            return Math.min(b, pb) - Math.max(a, pa) >= 0.5 * (b - a);
          });
          const f: Finding = p
            ? {
                severity: p.status === 'resolved' ? 'info' : 'warning',
                area: g.area,
                subject: g.subject,
                message: `${g.message} Logged as problem ${p.id} (${p.status === 'resolved' ? 'resolved' : 'still open'}).`,
                period: g.period,
              }
            : { severity: g.severity, area: g.area, subject: g.subject, message: g.message, period: g.period };
          findings.push(f);
          gaps.push({ ...g.period, severity: f.severity });
        }
        const counts = new Map<string, number>();
        for (const t of times)
          if (t >= from && t < to) counts.set(localDate(t, tz), (counts.get(localDate(t, tz)) ?? 0) + 1);
        for (
          let d = localDate(from, tz);
          d <= localDate(to, tz);
          d = new Date(Date.parse(`${d}T12:00:00Z`) + DAY_MS).toISOString().slice(0, 10)
        )
          perDay.push({ date: d, count: counts.get(d) ?? 0 });
      }
    } else if (!mine.length) {
      findings.push({
        severity: 'info',
        area: 'camera',
        subject: c.id,
        message: `Camera ${c.id} has no imported recordings held to examine.`,
      });
    }
    for (const b of mine) {
      if (!b.removed_at) continue;
      const removedAt = date(b.removed_at)!;
      // When the drive went in: the last install before its removal, unless the swap only
      // recorded a placement it found (then the true time is not known).
      const installs = s.ledger
        .rows<{ data: string }>(
          "SELECT data FROM events WHERE type = 'drive.installed' AND drive_id = ? ORDER BY seq",
          [b.drive_id],
        )
        .map((r) => JSON.parse(r.data) as { at?: string; note?: string })
        .filter((d) => d.at && date(d.at)!.getTime() < removedAt.getTime());
      const inst = installs[installs.length - 1];
      const installedAt = inst && !inst.note ? date(inst.at) : undefined;
      const first = date(b.recorded_first);
      const last = date(b.recorded_last);
      clockBatches.push({
        id: b.drive_id,
        cameraId: c.id,
        installedAt,
        removedAt,
        captures: first && last ? { first, last } : null,
      });
      const drive = s.ledger.one<{ capacity_bytes: number | null }>('SELECT capacity_bytes FROM drives WHERE id = ?', [
        b.drive_id,
      ]);
      if (drive?.capacity_bytes && b.bytes)
        findings.push(
          ...findDriveFull({
            subject: b.drive_id,
            capacityBytes: drive.capacity_bytes,
            usedBytes: b.bytes,
            lastCaptureAt: last,
            removedAt,
            timeZone: tz,
          }),
        );
    }
    const outages = s.ledger
      .rows<{ id: string; down_from: string | null; down_to: string | null }>(
        'SELECT id, down_from, down_to FROM problems WHERE camera_id = ? AND down_from IS NOT NULL ORDER BY id',
        [c.id],
      )
      .map((p) => ({ id: p.id, from: p.down_from!, to: p.down_to }));
    cameraOut.push({ camera: c.id, location: c.location, lastSwap, daysSinceSwap, window, perDay, gaps, outages });
  }
  findings.push(...findClockTrouble(clockBatches, { timeZone: tz }));
  // A fall in the share of images with a readable plate (only where plates have been read).
  for (const [camera, days] of plateDays) {
    findings.push(
      ...findPlateReadFall(
        [...days].map(([d, x]) => ({ date: d, ...x })),
        { subject: camera },
      ),
    );
  }

  // ---- storage: free space and days of imports left
  let freeBytes: number | null = null;
  try {
    const st = fs.statfsSync(s.home.dir);
    freeBytes = Number(st.bavail) * Number(st.bsize);
  } catch {
    findings.push({
      severity: 'warning',
      area: 'storage',
      subject: 'home',
      message: "The free space of the home's disk could not be read.",
    });
  }
  const recent = s.ledger.rows<{ bytes: number | null; finished_at: string }>(
    "SELECT bytes, finished_at FROM batches WHERE status = 'imported' AND finished_at IS NOT NULL",
  );
  const monthAgo = addDays(now, -30).getTime();
  const bytesPerDay =
    recent.filter((b) => (date(b.finished_at)?.getTime() ?? 0) >= monthAgo).reduce((a, b) => a + (b.bytes ?? 0), 0) /
    30;
  if (freeBytes !== null) findings.push(...findStorageTrouble({ freeBytes, bytesPerDay }));
  const daysLeft = freeBytes !== null && bytesPerDay > 0 ? Math.floor(freeBytes / bytesPerDay) : null;

  // ---- fixity of the evidence store
  stored.sort((a, b) => a.batch.localeCompare(b.batch) || a.storeName.localeCompare(b.storeName));
  const n = stored.length;
  const sampleSize = o.sampleSize ?? Math.max(Math.ceil(n / 12), Math.min(n, 500));
  const monthIndex = now.getUTCFullYear() * 12 + now.getUTCMonth();
  const pick = o.full ? stored.map((_, i) => i) : planFixitySample(n, monthIndex, sampleSize);
  const bad: StoredFile[] = [];
  const storeKeys = new StoreKeys(s.home, s.master);
  for (const i of pick) {
    const f = stored[i]!;
    const bf = new BatchFiles(s.home, f.batch);
    try {
      const h = await io.hashStored(bf.storeFile(f.storeName), storeKeys.forFile(f.batch, f), storeContext(f.batch));
      if (h.sha256 !== f.sha256) bad.push(f);
    } catch {
      bad.push(f);
    }
  }
  for (const f of bad) {
    findings.push({
      severity: 'critical',
      area: 'storage',
      subject: f.batch,
      message: `Stored file ${f.relPath} of import batch ${f.batch} (store/${f.batch}/${f.storeName}) is missing, altered or damaged: it no longer matches the hash recorded at import.`,
    });
  }
  if (!bad.length && pick.length)
    findings.push({
      severity: 'info',
      area: 'storage',
      subject: 'store',
      message: `Fixity: ${pick.length} of ${n} stored files re-hashed${o.full ? ' (all)' : " (this month's sample)"}; all match.`,
    });

  // ---- the ledger
  const v = await verifyLedger(s);
  for (const p of v.problems) findings.push({ severity: 'critical', area: 'ledger', subject: 'ledger', message: p });
  for (const w of v.warnings) findings.push({ severity: 'warning', area: 'ledger', subject: 'ledger', message: w });

  // ---- duties
  const ops = s.ledger.rows<{ username: string; trained_on: string | null; status: string }>(
    'SELECT username, trained_on, status FROM operators',
  );
  findings.push(
    ...dutyFindings(
      {
        // Policy §8, by recording day: each day is due 60 days after its own recordings.
        batches: retentionUnits(s),
        retentionDays: settings.retentionDays,
        holds: allHolds(s),
        receipts: allReceipts(s),
        uncertifiedPurges: uncertifiedPurges(s).map((p) => ({ id: p.id, finishedAt: date(p.finishedAt)! })),
        ackDays: settings.acknowledgementDays,
        operators: ops.map((o2) => ({
          id: o2.username,
          trainedAt: date(o2.trained_on ? `${o2.trained_on}T00:00:00Z` : null),
          active: o2.status === 'active',
        })),
        openRequestDays: settings.openRequestDays,
        // The search audit covers the searches since the last check (or all, at the first).
        searches: tableExists(s, 'access_log') ? auditedSearches(s) : undefined,
        requestReleases: tableExists(s, 'requests') ? auditedRequests(s) : undefined,
        searchPeriod: { from: date(lastHealthCheck(s)?.at), to: now },
        requests: tableExists(s, 'requests')
          ? s.ledger
              .rows<{ id: string; agency_id: string; received_at: string; status: string; status_at: string }>(
                'SELECT id, agency_id, received_at, status, status_at FROM requests',
              )
              .map((q) => ({
                id: q.id,
                agency: q.agency_id,
                openedAt: date(q.received_at)!,
                closedAt: q.status === 'open' ? undefined : date(q.status_at),
              }))
          : undefined,
        timeZone: tz,
      },
      now,
    ),
  );

  // Stored drives whose data is past its date and not yet recorded over (policy §8: destroy by recording over).
  for (const d of retentionReport(s).drives) {
    if (d.entry.state !== 'due' || !d.entry.dueDate) continue;
    findings.push({
      severity: 'warning',
      area: 'duty',
      subject: d.drive.id,
      message: `Drive ${d.drive.id} (${d.drive.state}${d.drive.location ? `, ${d.drive.location}` : ''}) holds recordings past their destruction date of ${localDate(d.entry.dueDate, tz)}; put it back into a camera to be recorded over, or wipe it (policy §8).`,
    });
  }

  // Policy §10: an open breach's unmet duties; policy §2: the contractor's active permissions, listed.
  findings.push(...breachFindings(s));
  for (const p of activeContractorPermits(s)) {
    findings.push({
      severity: 'info',
      area: 'duty',
      subject: String(p.id),
      message: `The contractor ${p.contractor} may access footage under written permission ${p.id} (${p.scope}) until ${p.ends_on}.`,
    });
  }

  const sorted = sortFindings(findings);
  return {
    at: isoInZone(now, tz),
    findings: sorted,
    summary: summarize(sorted),
    cameras: cameraOut,
    storage: {
      freeBytes,
      bytesPerDay: Math.round(bytesPerDay),
      daysLeft,
      filesInStore: n,
      filesChecked: pick.length,
      fixityFailures: bad.length,
      full: !!o.full,
    },
    ledger: { ok: v.ok, events: v.events, head: v.head, problems: v.problems },
    plateReads: plateDays.size ? 'judged' : 'no readings',
  };
}

/** How many health checks the home has recorded (this one included, once recorded): the 3rd, the 12th… */
export function healthCheckCount(s: Session): number {
  return s.ledger.one<{ n: number }>('SELECT count(*) AS n FROM health_checks')?.n ?? 0;
}
