/**
 * The agency register (policy §4, §5; Cal. Civ. Code 1798.90.55): who may ask for data. An agency
 * the statute excludes (federal, another state's, private, not law enforcement or prosecutorial)
 * is refused at registration, unless the custodian registers it only to record its requests and
 * their refusal (a recorded reason); it still never receives data. An agency without an ORI is
 * registered and stays unconfirmed until the custodian's override (`confirmAgency`).
 */
import { statutoryRefusal } from '../core/eligibility.js';
import { CustodyError } from '../core/errors.js';
import {
  agencyOverrideOf,
  agencyOverrides,
  type AgencyJson,
  type AgencyKind,
  agencyExists,
  agencyJson,
  allAgencies,
  findAgency,
  keepDocument,
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
  /**
   * The custodian's reason for registering an agency the statute excludes, only to record its
   * requests and their refusal; without it such an agency is refused.
   */
  recordOnly?: string;
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

/**
 * Register an agency. One the statute excludes is refused (exit 2) unless the custodian records why
 * it is registered anyway (`recordOnly`); `refusal` then says why no data will be released to it.
 */
export function addAgency(s: Session, a: AgencyInput): AgencyJson {
  checkNewAgencyId(s, a.id);
  const statutory = statutoryRefusal({ ...a });
  const recordOnly = a.recordOnly?.trim();
  if (statutory && !recordOnly)
    throw new CustodyError(
      'usage',
      `Refused: ${statutory} It is not registered.`,
      'Only to record a request it made and its refusal, the custodian may register it with --record-ineligible "REASON"; it will still never receive data. Nothing was recorded.',
    );
  if (!statutory && a.recordOnly !== undefined)
    throw new CustodyError(
      'usage',
      `--record-ineligible is only for an agency the statute excludes; ${a.name} (${a.id}) is not one.`,
      'Leave out --record-ineligible.',
    );
  if (recordOnly && s.operator.role !== 'custodian')
    throw new CustodyError(
      'denied',
      `Only the custodian registers an agency the statute excludes (policy §4/§5, §6); ${s.operator.username} is a ${s.operator.role}.`,
      'Nothing was recorded.',
    );
  s.append('agency.added', {
    agency: a.id,
    name: a.name,
    kind: a.kind,
    jurisdiction: a.jurisdiction,
    identifier: a.identifier,
    contact: a.contact,
    ...(recordOnly ? { recordOnly: { reason: recordOnly, refusal: statutory } } : {}),
  });
  s.commit();
  return agencyJson(s, findAgency(s, a.id));
}

export function listAgencies(s: Session): AgencyJson[] {
  return allAgencies(s).map((a) => agencyJson(s, a));
}

export interface AgencyDetails extends AgencyJson {
  requests: { id: string; caseNumber: string; status: string; receivedAt: string }[];
}

export function showAgency(s: Session, id: string): AgencyDetails {
  const a = agencyJson(s, findAgency(s, id));
  const requests = requestsOfAgency(s, id).map((r) => ({
    id: r.id,
    caseNumber: r.case_number,
    status: r.status,
    receivedAt: r.received_at,
  }));
  return { ...a, requests };
}

export interface ConfirmAgencyInput {
  id: string;
  /** Why the city confirms this agency (e.g. what stands for its ORI). */
  reason: string;
  /** The signed confirmation, kept in the home under its SHA-256. */
  document: string;
  /** Purposes other than a criminal investigation allowed for this agency (policy §5), if any. */
  purposes: string[];
}

/**
 * The custodian's signed override (policy §4/§5): an agency whose facts cannot be checked by form
 * (no ORI, or a documented equivalent) is confirmed, or purposes beyond a criminal investigation
 * are allowed for it. It shows on every receipt of the agency and in the transparency report.
 * Only the custodian signs it, and never for a federal, other-state or private recipient.
 */
export function confirmAgency(s: Session, o: ConfirmAgencyInput): AgencyJson {
  if (s.operator.role !== 'custodian')
    throw new CustodyError(
      'denied',
      `Only the custodian signs an override of an agency's eligibility (policy §4/§5, §6); ${s.operator.username} is a ${s.operator.role}.`,
    );
  const a = findAgency(s, o.id);
  const statutory = statutoryRefusal(a);
  if (statutory)
    throw new CustodyError(
      'denied',
      `No override can make this agency eligible: ${statutory}`,
      'The statute, not the city, excludes federal, other-state and private recipients.',
    );
  if (!o.reason.trim()) throw new CustodyError('usage', 'An override needs its reason (--reason).');
  const unknown = o.purposes.filter((p) => !s.settings.purposes.includes(p));
  if (unknown.length)
    throw new CustodyError(
      'usage',
      `"${unknown[0]}" is not one of the purposes this city allows (policy §1).`,
      `Purposes: ${s.settings.purposes.map((p) => `"${p}"`).join(', ')}.`,
    );
  const doc = keepDocument(s, o.document);
  const override = `OVR-${String(agencyOverrides(s).length + 1).padStart(4, '0')}`;
  s.append('agency.confirmed', {
    override,
    agency: a.id,
    reason: o.reason.trim(),
    purposes: o.purposes,
    documentSha256: doc.sha256,
    documentName: doc.name,
  });
  s.commit();
  return agencyJson(s, findAgency(s, a.id));
}

/**
 * Revoke the custodian's override of an agency (policy §4/§5): a signed event; from it on the
 * agency rests on its facts alone (releases to an agency that needed the override are refused,
 * naming the revocation), and the transparency report counts it.
 */
export function revokeAgencyConfirmation(s: Session, o: { id: string; reason: string }): AgencyJson {
  if (s.operator.role !== 'custodian')
    throw new CustodyError(
      'denied',
      `Only the custodian revokes an override of an agency's eligibility (policy §4/§5, §6); ${s.operator.username} is a ${s.operator.role}.`,
    );
  const a = findAgency(s, o.id);
  const standing = agencyOverrideOf(s, a.id);
  if (!standing)
    throw new CustodyError(
      'conflict',
      `Agency ${a.id} has no standing override to revoke.`,
      'See `custody agency show`.',
    );
  if (!o.reason.trim()) throw new CustodyError('usage', 'A revocation needs its reason (--reason).');
  const overrides = agencyOverrides(s)
    .filter((x) => x.agency === a.id)
    .map((x) => x.id);
  s.append('agency.confirmation_revoked', { agency: a.id, overrides, reason: o.reason.trim() });
  s.commit();
  return agencyJson(s, findAgency(s, a.id));
}
