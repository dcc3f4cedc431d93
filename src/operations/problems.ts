/**
 * The problem log (policy §7: log each problem with a camera or part, when it was discovered,
 * how long the system was not working, and the corrective action). A problem may be taken from a
 * finding of the last health check, which supplies its camera or part, period and description.
 */
import { CustodyError } from '../core/errors.js';
import type { Finding } from '../core/health.js';
import { findCamera } from '../ledger/cameras.js';
import {
  findProblem,
  isCamera,
  listProblems,
  nextProblemId,
  problemJson,
  type ProblemJson,
  type ProblemRow,
} from '../ledger/problems.js';
import { lastHealthCheck } from '../ledger/purge.js';
import type { Session } from '../ledger/session.js';

export interface ProblemDefaults {
  /** The finding taken, and the health check it came from. */
  finding?: Finding;
  check?: { seq: number; at: string };
  camera?: string;
  part?: string;
  description?: string;
  from?: string;
  to?: string;
}

/**
 * What finding `fromFinding` of the last health check says (nothing without one), with the
 * operator's `part` in place of the finding's: the command asks for what is still missing.
 */
export function problemDefaults(s: Session, o: { fromFinding?: number; part?: string }): ProblemDefaults {
  let finding: Finding | undefined;
  let check: { seq: number; at: string } | undefined;
  if (o.fromFinding !== undefined) {
    const last = lastHealthCheck(s);
    if (!last) throw new CustodyError('notFound', 'No health check has been run.', 'Run `custody health` first.');
    const findings = JSON.parse(last.findings) as Finding[];
    if (!Number.isInteger(o.fromFinding) || o.fromFinding < 1 || o.fromFinding > findings.length)
      throw new CustodyError(
        'usage',
        `The last health check (${last.at}) has findings 1 to ${findings.length}; there is no finding ${o.fromFinding}.`,
      );
    finding = findings[o.fromFinding - 1];
    // Only what is wrong becomes a problem: an informational note is not one (policy §7's log).
    if (finding.severity === 'info')
      throw new CustodyError(
        'usage',
        `Finding ${o.fromFinding} of the last health check is informational, not a problem: ${finding.message}`,
        'Only a warning or a critical finding goes into the problem log; see `custody health`.',
      );
    check = { seq: last.seq, at: last.at };
  }
  const camera = finding?.area === 'camera' && isCamera(s, finding.subject) ? finding.subject : undefined;
  // A finding about storage, the ledger or a drive names its part instead of a camera.
  const part = o.part ?? (finding && !camera ? `${finding.area} ${finding.subject}` : undefined);
  return {
    finding,
    check,
    camera,
    part,
    description: finding?.message,
    from: finding?.period?.from,
    to: finding?.period?.to,
  };
}

/** A camera named for a problem must exist. */
export function checkProblemCamera(s: Session, camera: string | undefined): void {
  if (camera) findCamera(s, camera);
}

export interface ProblemInput {
  /** Take camera, period and description from this finding of the last health check. */
  fromFinding?: number;
  camera?: string;
  part?: string;
  description?: string;
  /** When it was discovered (ISO-8601 with offset); default: the health check's time, or now. */
  discoveredAt?: string;
  /** Not working from / until (ISO-8601 with offset); default: the finding's period. */
  from?: string;
  to?: string;
}

/** Log a problem; what the input leaves out comes from the finding. */
export function logProblem(s: Session, o: ProblemInput): ProblemJson {
  const d = problemDefaults(s, o);
  const camera = o.camera ?? d.camera;
  checkProblemCamera(s, camera);
  const description = o.description ?? d.description;
  if (!description) throw new CustodyError('usage', 'Missing the description: pass --description.');
  const from = o.from ?? d.from;
  const to = o.to ?? d.to;
  if (from && to && Date.parse(to) < Date.parse(from)) throw new CustodyError('usage', '--to is before --from.');
  const id = nextProblemId(s);
  s.append('problem.logged', {
    problem: id,
    camera: camera ?? null,
    part: d.part ?? null,
    description,
    discoveredAt: o.discoveredAt ?? d.check?.at ?? s.now(),
    from: from ?? null,
    to: to ?? null,
    healthCheck: d.check?.seq ?? null,
    finding: o.fromFinding ?? null,
  });
  s.commit();
  return problemJson(findProblem(s, id));
}

export function problems(s: Session, o: { open?: boolean; camera?: string } = {}): ProblemJson[] {
  return listProblems(s, o).map(problemJson);
}

export function problem(s: Session, id: string): ProblemJson {
  return problemJson(findProblem(s, id));
}

/** The problem to resolve, checked: it exists and is still open. */
export function problemToResolve(s: Session, id: string): ProblemRow {
  const p = findProblem(s, id);
  if (p.status === 'resolved') throw new CustodyError('conflict', `Problem ${id} is already resolved (${p.fixed_at}).`);
  return p;
}

export interface ResolveInput {
  id: string;
  /** The corrective action. */
  action: string;
  /** When it was fixed (ISO-8601 with offset); default now. */
  fixedAt?: string;
  /** Not working until; default: unchanged, or when fixed if the outage had no end. */
  to?: string;
}

/** Record the corrective action and when it was fixed. */
export function resolveProblem(s: Session, o: ResolveInput): ProblemJson {
  const p = problemToResolve(s, o.id);
  const fixedAt = o.fixedAt ?? s.now();
  const to = o.to !== undefined ? o.to : p.down_from && !p.down_to ? fixedAt : null;
  s.append('problem.resolved', { problem: o.id, camera: p.camera_id, action: o.action, fixedAt, to });
  s.commit();
  return problemJson(findProblem(s, o.id));
}
