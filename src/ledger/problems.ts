/**
 * The problem log as the ledger's derived table holds it (policy §7: each problem with a camera
 * or part, when it was found, and how long the system was not working).
 */
import { CustodyError } from '../core/errors.js';
import type { Session } from './session.js';

export interface ProblemRow {
  id: string;
  camera_id: string | null;
  part: string | null;
  description: string;
  discovered_at: string;
  down_from: string | null;
  down_to: string | null;
  action: string | null;
  fixed_at: string | null;
  status: string;
  logged_by: string;
  logged_at: string;
  resolved_by: string | null;
  health_check_seq: number | null;
  finding: number | null;
}

export type ProblemJson = ReturnType<typeof problemJson>;

export function problemJson(p: ProblemRow) {
  return {
    id: p.id,
    camera: p.camera_id,
    part: p.part,
    description: p.description,
    discoveredAt: p.discovered_at,
    notWorkingFrom: p.down_from,
    notWorkingTo: p.down_to,
    correctiveAction: p.action,
    fixedAt: p.fixed_at,
    status: p.status,
    loggedBy: p.logged_by,
    loggedAt: p.logged_at,
    resolvedBy: p.resolved_by,
    healthCheck: p.health_check_seq,
    finding: p.finding,
  };
}

export function findProblem(s: Session, id: string): ProblemRow {
  const p = s.ledger.one<ProblemRow>('SELECT * FROM problems WHERE id = ?', [id]);
  if (!p) throw new CustodyError('notFound', `No problem ${id}.`, 'See `custody problem list`.');
  return p;
}

/** The problem log in id order: all, only the open ones, or one camera's. */
export function listProblems(s: Session, o: { open?: boolean; camera?: string } = {}): ProblemRow[] {
  const where: string[] = [];
  const params: string[] = [];
  if (o.open) where.push("status = 'open'");
  if (o.camera) {
    where.push('camera_id = ?');
    params.push(o.camera);
  }
  return s.ledger.rows<ProblemRow>(
    `SELECT * FROM problems ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`,
    params,
  );
}

/** The next free id: P001, P002, … */
export function nextProblemId(s: Session): string {
  const n = Number(s.ledger.one<{ n: number }>('SELECT count(*) AS n FROM problems')?.n ?? 0) + 1;
  for (let i = n; ; i++) {
    const id = `P${String(i).padStart(3, '0')}`;
    if (!s.ledger.one('SELECT id FROM problems WHERE id = ?', [id])) return id;
  }
}

/** Whether `id` names a camera (a health finding's subject may name a batch, a drive or the home). */
export function isCamera(s: Session, id: string): boolean {
  return !!s.ledger.one('SELECT id FROM cameras WHERE id = ?', [id]);
}
