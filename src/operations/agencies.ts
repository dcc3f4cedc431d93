/**
 * The agency register (policy §4, §5; Cal. Civ. Code 1798.90.55): who may ask for data. An
 * agency that may not receive data can be registered (its requests are then refused at release).
 */
import { CustodyError } from '../core/errors.js';
import {
  type AgencyJson,
  type AgencyKind,
  agencyExists,
  agencyJson,
  allAgencies,
  findAgency,
  type Jurisdiction,
  nextAgencyId,
  requestsOfAgency,
} from '../ledger/features/requests.js';
import type { Session } from '../ledger/session.js';

const AGENCY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface AgencyInput {
  id: string;
  name: string;
  kind: AgencyKind;
  jurisdiction: Jurisdiction;
  identifier: string | null;
  contact: string | null;
}

/** The id offered when none is given: A001, A002 … */
export function suggestAgencyId(s: Session): string {
  return nextAgencyId(s);
}

/** An id a new agency may take: well-formed and not yet used. */
export function checkNewAgencyId(s: Session, id: string): void {
  if (!AGENCY_ID.test(id))
    throw new CustodyError('usage', `"${id}" is not a valid agency id (letters, digits, . _ -).`);
  if (agencyExists(s, id)) throw new CustodyError('conflict', `Agency ${id} already exists.`);
}

/** Register an agency; `refusal` says why no data will be released to it, if that is so. */
export function addAgency(s: Session, a: AgencyInput): AgencyJson {
  checkNewAgencyId(s, a.id);
  s.append('agency.added', {
    agency: a.id,
    name: a.name,
    kind: a.kind,
    jurisdiction: a.jurisdiction,
    identifier: a.identifier,
    contact: a.contact,
  });
  s.commit();
  return agencyJson(findAgency(s, a.id));
}

export function listAgencies(s: Session): AgencyJson[] {
  return allAgencies(s).map(agencyJson);
}

export interface AgencyDetails extends AgencyJson {
  requests: { id: string; caseNumber: string; status: string; receivedAt: string }[];
}

export function showAgency(s: Session, id: string): AgencyDetails {
  const a = agencyJson(findAgency(s, id));
  const requests = requestsOfAgency(s, id).map((r) => ({
    id: r.id,
    caseNumber: r.case_number,
    status: r.status,
    receivedAt: r.received_at,
  }));
  return { ...a, requests };
}
