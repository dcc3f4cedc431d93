/**
 * The city's ALPR contractor (policy §2, §5). The contractor holds data of its own: requests for
 * it are logged like the city's own, and the contractor may look at footage only under the city's
 * explicit written permission, recorded by the document's SHA-256, scope and end date.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  CONTRACTOR_PERMIT_MAX_DAYS,
  CONTRACTOR_PURPOSE,
  contractorPermitRefusal,
  nameRefusal,
  purposeRefusal,
  RECIPIENT_CITE,
} from '../core/eligibility.js';
import { CustodyError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { localDate } from '../core/time.js';
import {
  agencyForContractorRequest,
  allContractorRequests,
  allPermits,
  type ContractorRequestJson,
  type ContractorRequestRow,
  contractorRequestJson,
  findContractorRequest,
  findPermit,
  nextId,
  type PermitJson,
  permitJson,
} from '../ledger/breach.js';
import type { Session } from '../ledger/session.js';

export type { ContractorRequestJson, PermitJson };
export type ContractorRequestStatus = ContractorRequestRow['status'];

const today = (s: Session) => localDate(s.clock(), s.settings.timeZone);

/** The signed permission, as recorded: its name, SHA-256 and size (the file stays outside the home). */
export interface PermissionDocument {
  name: string;
  sha256: string;
  bytes: number;
}

export function readPermissionDocument(file: string): PermissionDocument {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new CustodyError(
      'notFound',
      `Cannot read the permission document ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
    );
  }
  return { name: path.basename(file), sha256: sha256Hex(bytes), bytes: bytes.length };
}

export interface PermitInput {
  contractor: string;
  document: PermissionDocument;
  /** What footage the contractor may access (cameras, days). */
  scope: string;
  /** Policy §2: only "evidence of a crime". */
  purpose: string;
  /** The case or incident number the evidence is for. */
  caseNumber: string;
  /** The first day in force (default: today) and the last, YYYY-MM-DD. */
  from?: string;
  until: string;
  /** Who signed it for the city (default: the custodian's title). */
  signedBy?: string;
}

/**
 * Record the city's written permission for the contractor to access footage — only to help
 * collect evidence of a crime, for a case or incident number, for at most
 * CONTRACTOR_PERMIT_MAX_DAYS days (policy §2); anything else is refused.
 */
export function contractorPermit(s: Session, o: PermitInput): PermitJson {
  const from = o.from ?? today(s);
  if (o.until < from) throw new CustodyError('usage', `--until ${o.until} is before --from ${from}.`);
  const refusal = contractorPermitRefusal({ purpose: o.purpose, caseNumber: o.caseNumber, from, until: o.until });
  if (refusal)
    throw new CustodyError(
      'denied',
      `Permission refused: ${refusal}.`,
      `Only --purpose "${CONTRACTOR_PURPOSE}" with --case, until at most ${CONTRACTOR_PERMIT_MAX_DAYS} days from --from. Nothing was recorded.`,
    );
  const id = nextId(s, 'contractor_permits', 'CP');
  s.append('contractor.permitted', {
    permit: id,
    contractor: o.contractor,
    // The scope as the permit lists it names its purpose and case (policy §2).
    scope: `${CONTRACTOR_PURPOSE}, case ${o.caseNumber.trim()}: ${o.scope}`,
    purpose: CONTRACTOR_PURPOSE,
    caseNumber: o.caseNumber.trim(),
    startsOn: from,
    endsOn: o.until,
    documentName: o.document.name,
    documentSha256: o.document.sha256,
    documentBytes: o.document.bytes,
    signedBy: o.signedBy ?? s.settings.custodianTitle,
  });
  s.commit();
  return permitJson(findPermit(s, id), today(s));
}

/** The permission to revoke: it must exist and not be revoked already. */
export function permitToRevoke(s: Session, id: string): PermitJson {
  const p = findPermit(s, id);
  if (p.revoked_at)
    throw new CustodyError('conflict', `Permission ${id} was already revoked on ${p.revoked_at.slice(0, 10)}.`);
  return permitJson(p, today(s));
}

export function contractorRevoke(s: Session, o: { id: string; reason: string }): PermitJson {
  permitToRevoke(s, o.id);
  s.append('contractor.permit_revoked', { permit: o.id, reason: o.reason });
  s.commit();
  return permitJson(findPermit(s, o.id), today(s));
}

/** The written permissions (or only those in force today), with today's date to judge them by. */
export function contractorPermits(s: Session, o: { active?: boolean } = {}): { today: string; permits: PermitJson[] } {
  const t = today(s);
  const permits = allPermits(s)
    .map((p) => permitJson(p, t))
    .filter((p) => !o.active || p.active);
  return { today: t, permits };
}

export interface ContractorRequestInput {
  contractor: string;
  /** An agency id from the register, or a name. */
  agency: string;
  officer: string;
  badge?: string;
  caseNumber: string;
  purpose: string;
  /** The day the request was made (default: today), YYYY-MM-DD. */
  date?: string;
  status: ContractorRequestStatus;
  reason?: string;
}

export interface ContractorRequestResult {
  request: ContractorRequestJson;
  /** Why the register says the agency may not receive ALPR data, when it says so. */
  refusal?: string;
}

/**
 * Policy §4/§5 and Civ. Code 1798.90.55(b) bind the contractor's data too: why the agency may not
 * receive it, judged on the register's facts (an unregistered name only by what it says).
 */
async function contractorRefusal(
  s: Session,
  agency: { agencyId: string | null; name: string },
): Promise<string | undefined> {
  if (!agency.agencyId) {
    const byName = nameRefusal(agency.name);
    return byName
      ? `${agency.name} ${byName}; ALPR data may be shared only with a California public law-enforcement or prosecutorial agency (${RECIPIENT_CITE})`
      : `${agency.name} is not in the agency register, so its eligibility cannot be checked (${RECIPIENT_CITE})`;
  }
  const { findAgency, releaseRefusal } = await import('../ledger/features/requests.js');
  return releaseRefusal(s, findAgency(s, agency.agencyId));
}

/** A request recorded as fulfilled must be to an eligible agency for a criminal purpose (policy §5). */
async function checkFulfilled(s: Session, agency: { agencyId: string | null; name: string }, purpose: string) {
  const refusal = (await contractorRefusal(s, agency)) ?? purposeRefusal(purpose);
  if (refusal)
    throw new CustodyError(
      'denied',
      `Refused: a request fulfilled by the contractor would share ALPR data it may not share: ${refusal}.`,
      'Record it as denied (--status denied --reason …) or register the agency first (`custody agency add`). Nothing was recorded.',
    );
}

/** Log a law-enforcement request for data held by the contractor's ALPR system. */
export async function contractorRequest(s: Session, o: ContractorRequestInput): Promise<ContractorRequestResult> {
  const agency = agencyForContractorRequest(s, o.agency);
  const date = o.date ?? today(s);
  if (date > today(s)) throw new CustodyError('usage', `--date ${date} is in the future.`);
  if (o.status === 'denied' && !o.reason) throw new CustodyError('usage', 'A denied request needs --reason.');
  if (o.status === 'fulfilled') await checkFulfilled(s, agency, o.purpose);
  const id = nextId(s, 'contractor_requests', 'CR');
  s.append('contractor.request_recorded', {
    request: id,
    contractor: o.contractor,
    agency: agency.name,
    agencyId: agency.agencyId,
    agencyKind: agency.agencyKind,
    officer: o.officer,
    badge: o.badge ?? null,
    caseNumber: o.caseNumber,
    purpose: o.purpose,
    requestedOn: date,
    status: o.status,
    reason: o.reason ?? null,
  });
  s.commit();
  const request = contractorRequestJson(findContractorRequest(s, id));
  // Policy §4/§5 and Civ. Code 1798.90.55(b) bind the contractor's data too: say so when the register's agency may not receive it.
  const refusal = await contractorRefusal(s, agency);
  return refusal ? { request, refusal } : { request };
}

export interface ContractorResolveInput {
  id: string;
  status: 'fulfilled' | 'denied' | 'withdrawn';
  reason?: string;
}

export async function contractorResolve(s: Session, o: ContractorResolveInput): Promise<ContractorRequestJson> {
  if (o.status === 'denied' && !o.reason) throw new CustodyError('usage', 'A denied request needs --reason.');
  const r = findContractorRequest(s, o.id);
  if (r.status !== 'open') throw new CustodyError('conflict', `Contractor request ${o.id} is already ${r.status}.`);
  if (o.status === 'fulfilled') await checkFulfilled(s, { agencyId: r.agency_id, name: r.agency }, r.purpose);
  s.append('contractor.request_resolved', { request: o.id, status: o.status, reason: o.reason ?? null });
  s.commit();
  return contractorRequestJson(findContractorRequest(s, o.id));
}

/** The log of requests for data held by the contractor. */
export function contractorRequests(s: Session): ContractorRequestJson[] {
  return allContractorRequests(s).map(contractorRequestJson);
}

/**
 * One permission (CP…) or contractor request (CR…). The request log names officers and cases, so
 * a request needs the permission to manage requests.
 */
export function contractorShow(
  s: Session,
  id: string,
): { kind: 'request'; request: ContractorRequestJson } | { kind: 'permit'; permit: PermitJson } {
  if (id.startsWith('CR')) {
    s.require('requests.manage');
    return { kind: 'request', request: contractorRequestJson(findContractorRequest(s, id)) };
  }
  return { kind: 'permit', permit: permitJson(findPermit(s, id), today(s)) };
}
