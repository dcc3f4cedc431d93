import { type HealthOptions, type HealthResult, healthCheckCount, runHealthCheck } from '../ledger/health.js';
import type { OutputMode } from '../ledger/fsutil.js';
import { checkOutput, writeOutput } from '../ledger/outputs.js';
import { BatchFiles } from '../ledger/batches.js';
import { searchableBatches } from '../ledger/images.js';
import type { Session } from '../ledger/session.js';
import { type Finding, summarize } from '../core/health.js';
import { backupIntervalDays, backupStatus } from './backup.js';
import { documentIdentity } from './document-signer.js';
import { officeOf } from '../core/roles.js';

export interface HealthInput extends HealthOptions {
  /** Also write the signed PDF report here (absolute). */
  pdf?: string;
  /** Its permissions (default: 0600). */
  mode?: OutputMode;
}

export interface HealthOutcome {
  /** The check's event in the ledger. */
  seq: number;
  /** Which health check of the home this is: 1 for the first (a count of checks, not an event number). */
  number: number;
  result: HealthResult;
  /** The report written, or null. */
  pdf: string | null;
}

const REPORT = { what: 'the health report', flag: '--pdf' };

export async function healthCheck(s: Session, o: HealthInput = {}): Promise<HealthOutcome> {
  // Where the report goes is checked before anything is run or recorded.
  if (o.pdf) checkOutput(s.home.dir, o.pdf, { ...REPORT, kind: 'file' });
  const { hashStored } = await import('../media/store.js');
  // Plate readings, where plate reading has run; without them that finding is skipped.
  const loadReadings = await import('../ocr/queue.js').then((m) => m.loadReadings).catch(() => undefined);
  const checked = await runHealthCheck(
    s,
    { hashStored, loadReadings },
    { full: o.full, sampleSize: o.sampleSize, windowDays: o.windowDays },
  );
  // Each backup location's age and last result (issue 20); the merged plate index's header.
  const findings = [
    ...checked.findings,
    ...backupFindings(s),
    ...(await plateFileFindings(s)),
    ...(await mergedIndexFindings(s)),
  ];
  const result: HealthResult = { ...checked, findings, summary: summarize(findings), backups: backupStatus(s) };
  const seq = recordHealthCheck(s, result);
  const pdf = o.pdf ? await writeHealthReport(s, result, seq, o.pdf, o.mode) : null;
  return { seq, number: healthCheckCount(s), result, pdf };
}

/** Record the check in the ledger (who ran it, when, what it found). */
function recordHealthCheck(s: Session, r: HealthResult): number {
  s.append('health.checked', {
    summary: { critical: r.summary.critical, warning: r.summary.warning, info: r.summary.info },
    findings: r.findings.map((f) => ({
      severity: f.severity,
      area: f.area,
      subject: f.subject,
      message: f.message,
      ...(f.period ? { period: f.period } : {}),
    })),
    full: r.storage.full,
    filesChecked: r.storage.filesChecked,
    filesInStore: r.storage.filesInStore,
    fixityFailures: r.storage.fixityFailures,
    ledgerOk: r.ledger.ok,
    ledgerHead: r.ledger.head,
  });
  s.commit();
  return s.ledger.head.seq;
}

async function writeHealthReport(
  s: Session,
  result: HealthResult,
  seq: number,
  file: string,
  mode: OutputMode | undefined,
): Promise<string> {
  const { renderHealthReport } = await import('../documents/health-report.js');
  const settings = s.settings;
  const bytesOut = await renderHealthReport(
    {
      result,
      organization: settings.agencyName,
      custodianTitle: settings.custodianTitle,
      ranBy: `${s.operator.displayName} (${s.operator.username}), ${officeOf(s.operator.role, settings.custodianTitle)}`,
      ledgerHead: s.ledger.head.hash,
      checkSeq: seq,
      timeZone: settings.timeZone,
    },
    await documentIdentity(s),
    s.clock(),
  );
  return writeOutput(s.home.dir, file, bytesOut, REPORT, mode);
}

/** One finding per backup location: its age and last result; a warning when it failed or is older than the setting. */
export function backupFindings(s: Session): Finding[] {
  const days = backupIntervalDays(s);
  const st = backupStatus(s);
  if (!st.length)
    return [
      {
        severity: 'warning',
        area: 'storage',
        subject: 'backup',
        message:
          'No backup of the home has been made (custody backup --to DIR): a failed disk would lose every record.',
      },
    ];
  return st.map((b) => {
    const age = b.ageDays === null ? 'never verified' : `last verified ${b.ageDays} day(s) ago (${b.lastVerifiedAt})`;
    const last =
      b.lastResult === 'failed'
        ? `; the last attempt failed (${b.lastAt}): ${b.lastError}`
        : `; last result: ${b.lastResult}`;
    const stale = b.ageDays === null || b.ageDays > days;
    return {
      severity: stale || b.lastResult === 'failed' ? 'warning' : 'info',
      area: 'storage',
      subject: 'backup',
      message: `Backup at ${b.location}: ${age}${last}${stale ? `; older than ${days} days` : ''}.`,
    };
  });
}

/**
 * Each read batch's plate index and readings against the SHA-256s the ledger records (critical: a
 * search or a plate request refuses the batch until it is put right). No key needed.
 */
export async function plateFileFindings(s: Session): Promise<Finding[]> {
  const { recordedIndexProblem, recordedReadingsProblem } = await import('../ocr/queue.js');
  return searchableBatches(s).flatMap((b) => {
    const bf = new BatchFiles(s.home, b.id);
    const recorded = { done: b.ocr === 'done', sha256: b.index_sha256, readingsSha256: b.readings_sha256 };
    return [recordedIndexProblem(bf, recorded), recordedReadingsProblem(bf, recorded)]
      .filter((m): m is string => !!m)
      .map((message) => ({ severity: 'critical' as const, area: 'ledger' as const, subject: b.id, message }));
  });
}

/**
 * The merged plate index (for an operator who holds the evidence key): its header opens, it lists
 * no batch that may not be searched (critical), and none is behind its batch's index (a warning:
 * search reads such a batch alone). Its rows are left to `custody verify`.
 */
export async function mergedIndexFindings(s: Session): Promise<Finding[]> {
  if (!s.keys.evidence) return [];
  const { checkMergedHeader, searchableSources } = await import('../ocr/merged.js');
  const c = checkMergedHeader(s.home, s.master, searchableSources(s));
  const finding = (severity: Finding['severity'], message: string): Finding => ({
    severity,
    area: 'ledger',
    subject: 'plates.idx',
    message,
  });
  return [...c.problems.map((m) => finding('critical', m)), ...c.warnings.map((m) => finding('warning', m))];
}
