/**
 * The access record (Civil Code 1798.90.52; policy §1, §4): every search, view and export names
 * a purpose and a case number or request id, and is recorded in the hash-chained ledger with
 * the date and time, the data used to query, the username and organisation, and the purpose.
 */
import { CustodyError } from '../core/errors.js';
import type { AuditedRequest, AuditedSearch } from '../core/health.js';
import { parseIsoWithOffset } from '../core/time.js';
import { accessRowOf } from './features/access.js';
import type { Session } from './session.js';

export interface AccessReason {
  purpose?: string;
  caseRef?: string;
  requestId?: string;
}

export function requireAccessReason(
  s: Session,
  r: AccessReason,
  what: string,
): { purpose: string; caseRef: string | null; requestId: string | null } {
  const purposes = s.settings.purposes;
  if (!r.purpose || !(r.caseRef || r.requestId)) {
    throw new CustodyError(
      'usage',
      `Every ${what} needs a purpose and a case number or request id (Civil Code 1798.90.52): pass --purpose and --case or --request.`,
      `Purposes: ${purposes.map((p) => `"${p}"`).join(', ')}.`,
    );
  }
  if (!purposes.includes(r.purpose)) {
    throw new CustodyError(
      'denied',
      `"${r.purpose}" is not one of the purposes this city allows (policy §1).`,
      `Purposes: ${purposes.map((p) => `"${p}"`).join(', ')}.`,
    );
  }
  if (
    r.requestId &&
    s.ledger.one("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'requests'") &&
    !s.ledger.one('SELECT id FROM requests WHERE id = ?', [r.requestId])
  ) {
    throw new CustodyError('notFound', `No request ${r.requestId}.`, 'See `custody request list`.');
  }
  return { purpose: r.purpose, caseRef: r.caseRef ?? null, requestId: r.requestId ?? null };
}

export function recordAccess(
  s: Session,
  action: 'search' | 'view' | 'export',
  query: string,
  reason: { purpose: string; caseRef: string | null; requestId: string | null },
  results: number,
  details?: Record<string, unknown>,
): void {
  s.append('access.recorded', {
    action,
    query,
    purpose: reason.purpose,
    caseRef: reason.caseRef,
    requestId: reason.requestId,
    organization: s.operator.organization,
    results,
    details: details ?? null,
  });
  s.commit();
}

export interface AccessLogRow {
  seq: number;
  at: string;
  operator: string;
  organization: string;
  action: string;
  query: string;
  purpose: string;
  case_ref: string | null;
  request_id: string | null;
  results: number | null;
}

/**
 * The access rows of the events the archive holds (their rows left the live file with them,
 * archive.ts), oldest first; `where` filters them as the SQL of the live rows does.
 */
function archivedAccessRows(s: Session, where: (r: AccessLogRow) => boolean = () => true): AccessLogRow[] {
  const upTo = s.ledger.archivedHead.seq;
  const out: AccessLogRow[] = [];
  if (upTo === 0) return out;
  s.ledger.forEachEvent((e) => {
    if (e.seq > upTo) return false;
    if (e.type !== 'access.recorded') return;
    const r = accessRowOf({ seq: e.seq, at: e.at, type: e.type, actor: e.actor, data: JSON.parse(e.data) });
    if (where(r)) out.push(r);
  });
  return out;
}

/** The whole access record, oldest first: the archive's, then the live file's. */
export function accessLog(s: Session): AccessLogRow[] {
  return [...archivedAccessRows(s), ...s.ledger.rows<AccessLogRow>('SELECT * FROM access_log ORDER BY seq')];
}

export type AccessJson = ReturnType<typeof accessJson>;

export function accessJson(r: AccessLogRow) {
  return {
    event: r.seq,
    at: r.at,
    operator: r.operator,
    organization: r.organization,
    action: r.action,
    query: r.query,
    purpose: r.purpose,
    case: r.case_ref,
    request: r.request_id,
    results: r.results,
  };
}

/** The searches of the access record, for the search audit (ids are the events' numbers). */
export function auditedSearches(s: Session): AuditedSearch[] {
  return [
    ...archivedAccessRows(s, (r) => r.action === 'search'),
    ...s.ledger.rows<AccessLogRow>("SELECT * FROM access_log WHERE action = 'search' ORDER BY seq"),
  ].map((r) => ({
    id: `#${r.seq}`,
    at: parseIsoWithOffset(r.at) ?? new Date(r.at),
    operatorId: r.operator,
    requestId: r.request_id ?? undefined,
    purpose: r.purpose,
  }));
}

/** Every request with how many releases answered it (none when the requests feature is absent). */
export function auditedRequests(s: Session): AuditedRequest[] {
  if (!s.ledger.one("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'releases'")) return [];
  return s.ledger
    .rows<{ id: string; agency_id: string; received_at: string; status: string; n: number }>(
      'SELECT q.id, q.agency_id, q.received_at, q.status, (SELECT count(*) FROM releases r WHERE r.request_id = q.id) AS n FROM requests q ORDER BY q.received_at, q.id',
    )
    .map((q) => ({
      id: q.id,
      agency: q.agency_id,
      receivedAt: parseIsoWithOffset(q.received_at) ?? new Date(q.received_at),
      status: q.status,
      releases: Number(q.n),
    }));
}
