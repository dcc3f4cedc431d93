/**
 * The access record as an auditor reads it (Civil Code 1798.90.52; policy §4): every search,
 * view and export, with who, when, the query, the purpose and the case or request.
 */
import { searchAudit } from '../core/health.js';
import { isoInZone } from '../core/time.js';
import { type AccessJson, accessJson, accessLog, auditedRequests, auditedSearches } from '../ledger/access.js';
import { writeOutput } from '../ledger/outputs.js';
import type { Session } from '../ledger/session.js';

export interface AuditFilter {
  operator?: string;
  /** From / up to (ISO-8601 with offset). */
  since?: string;
  until?: string;
  /** Queries that mention this plate (spacing, dashes and case ignored). */
  plate?: string;
  caseRef?: string;
}

export function accessRecord(s: Session, f: AuditFilter = {}): AccessJson[] {
  const plate = f.plate?.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const since = f.since === undefined ? undefined : Date.parse(f.since);
  const until = f.until === undefined ? undefined : Date.parse(f.until);
  return accessLog(s)
    .filter(
      (r) =>
        (!f.operator || r.operator === f.operator) &&
        (!f.caseRef || r.case_ref === f.caseRef) &&
        (!plate ||
          r.query
            .toUpperCase()
            .replace(/[^A-Z0-9 ]/g, '')
            .includes(plate)) &&
        (since === undefined || Date.parse(r.at) >= since) &&
        (until === undefined || Date.parse(r.at) <= until),
    )
    .map(accessJson);
}

/**
 * `audit --csv FILE`: the access record's CSV (made by the CLI) written to a new file, readable by
 * its owner only, held to the one output rule (outside the home by real paths, exit 2; never over
 * an existing file, exit 6). Returns the file, absolute.
 */
export function writeAccessCsv(s: Session, file: string, text: string): string {
  return writeOutput(s.home.dir, file, text, { what: 'the access record CSV', flag: '--csv' });
}

export interface SearchReview {
  period: { from: string | null; to: string };
  searches: number;
  /** Searches tied to no request. */
  untied: { event: string; at: string; operator: string | null; purpose: string | null }[];
  byOperatorPurpose: { operator: string; purpose: string; searches: number; untied: number }[];
  requestsWithoutRelease: { id: string; agency: string | null; receivedAt: string; status: string }[];
}

/**
 * The search audit of a period (policy §1; Civ. Code 1798.90.52): searches tied to no request,
 * searches by operator and purpose, and requests that had no release — what the health check
 * lists, for any period an auditor names.
 */
export function searchReview(s: Session, o: { from?: string; to?: string } = {}): SearchReview {
  const tz = s.settings.timeZone;
  const to = o.to ?? s.now();
  const a = searchAudit(auditedSearches(s), auditedRequests(s), {
    from: o.from === undefined ? undefined : new Date(Date.parse(o.from)),
    to: new Date(Date.parse(to)),
  });
  return {
    period: { from: o.from ?? null, to },
    searches: a.searches,
    untied: a.untied.map((x) => ({
      event: x.id,
      at: isoInZone(x.at, tz),
      operator: x.operatorId ?? null,
      purpose: x.purpose ?? null,
    })),
    byOperatorPurpose: a.byOperatorPurpose,
    requestsWithoutRelease: a.requestsWithoutRelease.map((q) => ({
      id: q.id,
      agency: q.agency ?? null,
      receivedAt: isoInZone(q.receivedAt, tz),
      status: q.status,
    })),
  };
}
