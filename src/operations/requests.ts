/**
 * Law-enforcement requests (policy §5: a log of when data was requested, and when and to whom
 * it was provided): record, list, show, the kept written request, deny, withdraw, and what
 * needs the custodian's attention.
 */
import { CustodyError } from '../core/errors.js';
import { DAY_MS, startOfLocalDate } from '../core/time.js';
import { findCamera } from '../ledger/cameras.js';
import { findDrive } from '../ledger/drives.js';
import {
  agencyJson,
  allAgencies,
  allRequests,
  findAgency,
  findHold,
  findRelease,
  findRequest,
  type HoldJson,
  heldBatches,
  holdJson,
  holdsOfRequest,
  keepDocument,
  nextNumber,
  openRequests,
  type ReleaseJson,
  readDocument,
  releaseJson,
  releaseRefusal,
  releasesOfRequest,
  type RequestJson,
  type RequestScope,
  requestJson,
  scopeBatches,
  unacknowledgedReleases,
  unreleasedHolds,
} from '../ledger/features/requests.js';
import { writeOutput } from '../ledger/outputs.js';
import type { Session } from '../ledger/session.js';

/** The written request: a file (kept in the home, encrypted, under its SHA-256) or a reference. */
export interface WrittenDocument {
  /** A file to keep. */
  file?: string;
  /** A reference, e.g. a records-system number (kept beside a file when both are given). */
  reference?: string;
}

/** Keep the document's file, if any; the fields the events carry. */
export function keepWrittenDocument(
  s: Session,
  d: WrittenDocument,
): { documentSha256: string | null; documentName: string | null; documentRef: string | null } {
  if (d.file !== undefined) {
    const k = keepDocument(s, d.file);
    return { documentSha256: k.sha256, documentName: k.name, documentRef: d.reference ?? null };
  }
  return { documentSha256: null, documentName: null, documentRef: d.reference ?? null };
}

/** What a new request chooses from: the registered agencies and the official purposes. */
/** An agency to choose from: whether it may receive data now, and if not, why (first sentence). */
export interface AgencyChoice {
  id: string;
  name: string;
  mayReceiveData: boolean;
  refusal: string | null;
}

/** The agencies (those that may receive data first) and the purposes a new request may name. */
export function newRequestChoices(s: Session): { agencies: AgencyChoice[]; purposes: string[] } {
  const all = allAgencies(s).map((a) => {
    const j = agencyJson(s, a);
    return { id: j.id, name: j.name, mayReceiveData: j.mayReceiveData, refusal: j.refusal };
  });
  return {
    agencies: [...all.filter((a) => a.mayReceiveData), ...all.filter((a) => !a.mayReceiveData)],
    purposes: s.settings.purposes,
  };
}

export interface NewRequestInput {
  agency: string;
  officer: string;
  badge: string;
  caseNumber: string;
  purpose: string;
  /** ISO-8601 with an offset. */
  receivedAt: string;
  document: WrittenDocument;
  kind: 'cameras' | 'plate' | 'drive';
  /** For `cameras` and `plate`: the cameras (none: every camera, for a plate). */
  cameras?: string[];
  /** ISO-8601 with an offset: the range's first and last moment. */
  from?: string;
  to?: string;
  plate?: string;
  drive?: string;
}

export interface NewRequestResult {
  request: RequestJson;
  /** Why it cannot be fulfilled (the agency may not receive data), if so. */
  refusal?: string;
}

/** Record a request: who asks, for which case and purpose, with the written request, and what is asked for. */
export function recordRequest(s: Session, o: NewRequestInput): NewRequestResult {
  const agency = findAgency(s, o.agency);
  const scope: RequestScope = { cameras: [] };
  if (o.kind === 'drive') {
    scope.drive = findDrive(s, o.drive ?? '').id;
  } else {
    if (o.kind === 'plate') scope.plate = (o.plate ?? '').toUpperCase().replace(/\s+/g, '');
    scope.cameras = o.cameras ?? [];
    for (const c of scope.cameras) findCamera(s, c);
    if (o.kind === 'cameras' && !scope.cameras.length)
      throw new CustodyError('usage', 'Name at least one camera (--cameras CAM-01,CAM-02).');
    if (o.from) scope.from = o.from;
    if (o.to) scope.to = o.to;
    if (o.kind === 'cameras' && (!scope.from || !scope.to))
      throw new CustodyError('usage', 'A request over cameras needs --from and --to.');
    if (scope.from && scope.to && Date.parse(scope.from) > Date.parse(scope.to))
      throw new CustodyError('usage', `--from ${scope.from} is after --to ${scope.to}.`);
  }
  const doc = keepWrittenDocument(s, o.document);
  const id = nextNumber(s, 'requests', 'REQ');
  s.append('request.recorded', {
    request: id,
    agency: agency.id,
    officer: o.officer,
    badge: o.badge,
    caseNumber: o.caseNumber,
    purpose: o.purpose,
    receivedAt: o.receivedAt,
    ...doc,
    scope: {
      cameras: scope.cameras,
      from: scope.from ?? null,
      to: scope.to ?? null,
      plate: scope.plate ?? null,
      drive: scope.drive ?? null,
    },
    ...(scope.drive ? { drive: scope.drive } : {}),
    ...(scope.cameras.length === 1 ? { camera: scope.cameras[0] } : {}),
  });
  s.commit();
  return { request: requestJson(findRequest(s, id)), refusal: releaseRefusal(s, agency) };
}

export function listRequests(s: Session, o: { status?: string } = {}): RequestJson[] {
  return allRequests(s, o.status).map(requestJson);
}

export interface AttentionItem {
  what: string;
  id: string;
  since: string;
  note: string;
}

/** What needs the custodian's attention: receipts not acknowledged in time, old open requests, holds past review. */
export function listAttention(s: Session): AttentionItem[] {
  const st = s.settings;
  const now = s.clock().getTime();
  const out: AttentionItem[] = [];
  for (const r of unacknowledgedReleases(s)) {
    const days = Math.floor((now - Date.parse(r.released_at)) / DAY_MS);
    const within = r.ack_days ?? st.acknowledgementDays;
    if (days >= within)
      out.push({
        what: 'receipt not acknowledged',
        id: r.id,
        since: r.released_at,
        note: `request ${r.request_id}; released ${days} days ago (acknowledgement expected within ${within}); record it with \`custody receipt ack ${r.id}\``,
      });
  }
  for (const r of openRequests(s)) {
    const days = Math.floor((now - Date.parse(r.received_at)) / DAY_MS);
    if (days >= st.openRequestDays)
      out.push({
        what: 'request open',
        id: r.id,
        since: r.received_at,
        note: `open ${days} days (more than ${st.openRequestDays})`,
      });
  }
  for (const h of unreleasedHolds(s)) {
    if (startOfLocalDate(h.review_date, st.timeZone).getTime() <= now)
      out.push({
        what: 'hold due for review',
        id: h.id,
        since: h.review_date,
        note: `request ${h.request_id}; ${h.reason}`,
      });
  }
  return out;
}

export interface RequestDetails extends RequestJson {
  batchesInScope: string[];
  holds: HoldJson[];
  releases: ReleaseJson[];
}

/** A request with the batches its scope reaches, its holds and its releases. */
export function showRequest(s: Session, id: string): RequestDetails {
  const r = requestJson(findRequest(s, id));
  const now = s.clock();
  const holds = holdsOfRequest(s, id).map((h) => holdJson(h, now, heldBatches(s, h)));
  const releases = releasesOfRequest(s, id).map(releaseJson);
  const batchesInScope = scopeBatches(s, r.scope).map((b) => b.id);
  return { ...r, batchesInScope, holds, releases };
}

/**
 * The SHA-256 of a kept document: the written request of a request (REQ-…), of a hold (HOLD-…),
 * or the acknowledgement scan of a receipt (R-…).
 */
export function keptDocument(s: Session, id: string): string {
  const sha = id.startsWith('HOLD-')
    ? findHold(s, id).document_sha256
    : id.startsWith('R-')
      ? findRelease(s, id).ack_scan_sha256
      : findRequest(s, id).document_sha256;
  if (!sha) throw new CustodyError('notFound', `${id} has no document kept (only a reference, or none).`);
  return sha;
}

/** Write a kept document out to a new file (checked against its SHA-256 first). */
export function writeKeptDocument(
  s: Session,
  o: { id: string; out: string },
): { id: string; file: string; sha256: string; bytes: number } {
  const sha = keptDocument(s, o.id);
  const data = readDocument(s, sha);
  const out = writeOutput(s.home.dir, o.out, data, { what: 'a kept document', flag: '--out' });
  return { id: o.id, file: out, sha256: sha, bytes: data.length };
}

/** A request that may still be denied or withdrawn: open. */
export function checkOpenRequest(s: Session, id: string): void {
  const r = findRequest(s, id);
  if (r.status !== 'open') throw new CustodyError('conflict', `Request ${id} is ${r.status}, not open.`);
}

function closeRequest(s: Session, type: string, id: string, reason: string): RequestJson {
  checkOpenRequest(s, id);
  s.append(type, { request: id, reason: reason || null });
  s.commit();
  return requestJson(findRequest(s, id));
}

/** Deny an open request, with the reason. */
export function denyRequest(s: Session, o: { id: string; reason: string }): RequestJson {
  return closeRequest(s, 'request.denied', o.id, o.reason);
}

/** Record that the agency withdrew an open request (the reason may be empty). */
export function withdrawRequest(s: Session, o: { id: string; reason?: string }): RequestJson {
  return closeRequest(s, 'request.withdrawn', o.id, o.reason ?? '');
}
