/**
 * The access record as an auditor reads it (Civil Code 1798.90.52; policy §4): every search,
 * view and export, with who, when, the query, the purpose and the case or request.
 */
import { type AccessJson, accessJson, accessLog } from '../ledger/access.js';
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
