/**
 * The ledger's share of agencies, requests, holds, releases and receipts (policy §4, §5, §8;
 * Cal. Civ. Code 1798.90.5–.55: data shared only on an agency's request, each transfer logged and
 * acknowledged, kept longer only under a hold): migration version 4, derived tables, reducers,
 * the hold rules that reinstall and purge ask, and the queries and JSON forms the use cases share.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Database, SqlValue } from 'sql.js';
import { type AgencyOverride, agencyEligibility, type Eligibility } from '../../core/eligibility.js';
import { CustodyError } from '../../core/errors.js';
import { loadDocument, sealDocument } from '../documents.js';
import type { HoldRef } from '../../core/retention.js';
import { localDate, parseIsoWithOffset, startOfLocalDate } from '../../core/time.js';
import type { HoldProvider } from '../holds.js';
import type { LedgerEvent, Reducer } from '../reducers.js';
import type { LedgerFeature } from '../schema.js';
import type { DriveRow } from '../drives.js';
import type { Session } from '../session.js';

export const AGENCY_KINDS = ['law-enforcement', 'prosecutorial', 'other'] as const;
export type AgencyKind = (typeof AGENCY_KINDS)[number];
export const JURISDICTIONS = ['california-local', 'california-state', 'other-state', 'federal', 'private'] as const;
export type Jurisdiction = (typeof JURISDICTIONS)[number];
export const HOLD_REASONS = ['ongoing criminal investigation', 'court proceeding'] as const;
export type HoldReason = (typeof HOLD_REASONS)[number];
export type RequestStatus = 'open' | 'fulfilled' | 'denied' | 'withdrawn';

export interface AgencyRow {
  id: string;
  name: string;
  kind: AgencyKind;
  jurisdiction: Jurisdiction;
  identifier: string | null;
  contact: string | null;
  added_at: string;
  /** Registered though the statute excludes it, only to record its requests: the custodian's reason. */
  record_only_reason?: string | null;
  record_only_by?: string | null;
}

export interface RequestRow {
  id: string;
  agency_id: string;
  officer: string;
  badge: string;
  case_number: string;
  purpose: string;
  received_at: string;
  document_sha256: string | null;
  document_name: string | null;
  document_ref: string | null;
  scope_cameras: string | null;
  scope_from: string | null;
  scope_to: string | null;
  scope_plate: string | null;
  scope_drive: string | null;
  status: RequestStatus;
  status_at: string;
  status_reason: string | null;
  recorded_at: string;
  recorded_by: string;
}

export interface HoldRow {
  id: string;
  request_id: string;
  reason: string;
  document_sha256: string | null;
  document_name: string | null;
  document_ref: string | null;
  review_date: string;
  placed_at: string;
  placed_by: string;
  released_at: string | null;
  release_reason: string | null;
  batches: string;
  drives: string;
}

export interface ReleaseRow {
  id: string;
  request_id: string;
  agency_id: string;
  kind: 'bag' | 'drive';
  drive_id: string | null;
  released_at: string;
  released_by: string;
  officer: string;
  badge: string;
  destination: string | null;
  files: number;
  bytes: number;
  manifest_sha256: string | null;
  oxum: string | null;
  recorded_from: string | null;
  recorded_to: string | null;
  event_seq: number;
  receipt_sha256: string | null;
  receipt_file: string | null;
  /** Days within which this release's acknowledgement is expected (default: the setting). */
  ack_days: number | null;
  ack_date: string | null;
  ack_scan_sha256: string | null;
  ack_at: string | null;
}

const MIGRATION = `
CREATE TABLE agencies (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, jurisdiction TEXT NOT NULL, identifier TEXT, contact TEXT, added_at TEXT NOT NULL);
CREATE TABLE requests (
  id TEXT PRIMARY KEY, agency_id TEXT NOT NULL, officer TEXT NOT NULL, badge TEXT NOT NULL, case_number TEXT NOT NULL, purpose TEXT NOT NULL,
  received_at TEXT NOT NULL, document_sha256 TEXT, document_name TEXT, document_ref TEXT,
  scope_cameras TEXT, scope_from TEXT, scope_to TEXT, scope_plate TEXT, scope_drive TEXT,
  status TEXT NOT NULL, status_at TEXT NOT NULL, status_reason TEXT, recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL);
CREATE INDEX requests_agency ON requests(agency_id);
CREATE TABLE holds (
  id TEXT PRIMARY KEY, request_id TEXT NOT NULL, reason TEXT NOT NULL, document_sha256 TEXT, document_name TEXT, document_ref TEXT,
  review_date TEXT NOT NULL, placed_at TEXT NOT NULL, placed_by TEXT NOT NULL, released_at TEXT, release_reason TEXT,
  batches TEXT NOT NULL, drives TEXT NOT NULL);
CREATE TABLE hold_items (hold_id TEXT NOT NULL, kind TEXT NOT NULL, item_id TEXT NOT NULL);
CREATE INDEX hold_items_item ON hold_items(kind, item_id);
CREATE TABLE releases (
  id TEXT PRIMARY KEY, request_id TEXT NOT NULL, agency_id TEXT NOT NULL, kind TEXT NOT NULL, drive_id TEXT,
  released_at TEXT NOT NULL, released_by TEXT NOT NULL, officer TEXT NOT NULL, badge TEXT NOT NULL, destination TEXT,
  files INTEGER NOT NULL, bytes INTEGER NOT NULL, manifest_sha256 TEXT, oxum TEXT, recorded_from TEXT, recorded_to TEXT,
  event_seq INTEGER NOT NULL, receipt_sha256 TEXT, receipt_file TEXT, ack_days INTEGER, ack_date TEXT, ack_scan_sha256 TEXT, ack_at TEXT);
CREATE INDEX releases_request ON releases(request_id);
`;

const str = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const run = (db: Database, sql: string, p: SqlValue[]) => db.run(sql, p);

const reducers: Record<string, Reducer> = {
  // An override changes no table: agencyOverrides reads it from the event log.
  'agency.confirmed': () => {},
  /** `agency revoke-confirmation`: ends every override of the agency made before it (read from the log). */
  'agency.confirmation_revoked': () => {},
  'agency.added': (db, e: LedgerEvent) => {
    const d = e.data;
    run(
      db,
      'INSERT INTO agencies (id, name, kind, jurisdiction, identifier, contact, added_at) VALUES (?,?,?,?,?,?,?)',
      [
        String(d.agency),
        String(d.name),
        String(d.kind),
        String(d.jurisdiction),
        str(d.identifier),
        str(d.contact),
        e.at,
      ],
    );
    const only = d.recordOnly as { reason?: string } | undefined;
    if (only)
      run(db, 'UPDATE agencies SET record_only_reason = ?, record_only_by = ? WHERE id = ?', [
        str(only.reason),
        e.actor,
        String(d.agency),
      ]);
  },
  'request.recorded': (db, e) => {
    const d = e.data;
    const scope = (d.scope ?? {}) as Record<string, unknown>;
    run(
      db,
      `INSERT INTO requests (id, agency_id, officer, badge, case_number, purpose, received_at, document_sha256, document_name, document_ref,
       scope_cameras, scope_from, scope_to, scope_plate, scope_drive, status, status_at, recorded_at, recorded_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      [
        String(d.request),
        String(d.agency),
        String(d.officer),
        String(d.badge),
        String(d.caseNumber),
        String(d.purpose),
        String(d.receivedAt),
        str(d.documentSha256),
        str(d.documentName),
        str(d.documentRef),
        Array.isArray(scope.cameras) && scope.cameras.length ? JSON.stringify(scope.cameras) : null,
        str(scope.from),
        str(scope.to),
        str(scope.plate),
        str(scope.drive),
        'open',
        e.at,
        e.at,
        e.actor,
      ],
    );
  },
  'request.denied': (db, e) => {
    run(db, "UPDATE requests SET status = 'denied', status_at = ?, status_reason = ? WHERE id = ?", [
      e.at,
      str(e.data.reason),
      String(e.data.request),
    ]);
  },
  'request.withdrawn': (db, e) => {
    run(db, "UPDATE requests SET status = 'withdrawn', status_at = ?, status_reason = ? WHERE id = ?", [
      e.at,
      str(e.data.reason),
      String(e.data.request),
    ]);
  },
  'hold.placed': (db, e) => {
    const d = e.data;
    const batches = (d.batches ?? []) as string[];
    const drives = (d.drives ?? []) as string[];
    run(
      db,
      `INSERT INTO holds (id, request_id, reason, document_sha256, document_name, document_ref, review_date, placed_at, placed_by, batches, drives)
       VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
      [
        String(d.hold),
        String(d.request),
        String(d.reason),
        str(d.documentSha256),
        str(d.documentName),
        str(d.documentRef),
        String(d.reviewDate),
        e.at,
        e.actor,
        JSON.stringify(batches),
        JSON.stringify(drives),
      ],
    );
    for (const b of batches)
      run(db, 'INSERT INTO hold_items (hold_id, kind, item_id) VALUES (?,?,?)', [String(d.hold), 'batch', b]);
    for (const v of drives)
      run(db, 'INSERT INTO hold_items (hold_id, kind, item_id) VALUES (?,?,?)', [String(d.hold), 'drive', v]);
  },
  'hold.released': (db, e) => {
    run(db, 'UPDATE holds SET released_at = ?, release_reason = ? WHERE id = ?', [
      e.at,
      str(e.data.reason),
      String(e.data.hold),
    ]);
  },
  'release.recorded': (db, e) => {
    const d = e.data;
    run(
      db,
      `INSERT INTO releases (id, request_id, agency_id, kind, drive_id, released_at, released_by, officer, badge, destination, files, bytes,
       manifest_sha256, oxum, recorded_from, recorded_to, event_seq, ack_days) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      [
        String(d.receipt),
        String(d.request),
        String(d.agency),
        String(d.kind),
        str(d.drive),
        e.at,
        e.actor,
        String(d.officer),
        String(d.badge),
        str(d.destination),
        num(d.files),
        num(d.bytes),
        str(d.manifestSha256),
        str(d.oxum),
        str(d.recordedFrom),
        str(d.recordedTo),
        e.seq,
        typeof d.ackDays === 'number' ? d.ackDays : null,
      ],
    );
    run(db, "UPDATE requests SET status = 'fulfilled', status_at = ? WHERE id = ? AND status = 'open'", [
      e.at,
      String(d.request),
    ]);
  },
  'receipt.issued': (db, e) => {
    run(db, 'UPDATE releases SET receipt_sha256 = ?, receipt_file = ? WHERE id = ?', [
      String(e.data.sha256),
      str(e.data.file),
      String(e.data.receipt),
    ]);
  },
  'receipt.acknowledged': (db, e) => {
    run(db, 'UPDATE releases SET ack_date = ?, ack_scan_sha256 = ?, ack_at = ? WHERE id = ?', [
      String(e.data.date),
      str(e.data.scanSha256),
      e.at,
      String(e.data.receipt),
    ]);
  },
};

// ---------------------------------------------------------------------------------------------
// Policy

/**
 * Policy §4/§5 and Civ. Code 1798.90.55(b) as read by the Attorney General's bulletin
 * 2023-DLE-06, judged from the register's facts and the custodian's standing override
 * (core/eligibility.ts).
 */
export function agencyEligibilityOf(s: Session, a: AgencyRow): Eligibility {
  const e = agencyEligibility(a, agencyOverrideOf(s, a.id));
  const r = agencyRevocation(s, a.id);
  if (!e.refusal || !r || e.override) return e;
  return {
    ...e,
    refusal: `${e.refusal} (override ${r.overrides.join(', ')} was revoked by ${r.by} on ${r.at.slice(0, 10)}: ${r.reason})`,
  };
}

/** A revocation of an agency's overrides (`agency revoke-confirmation`). */
export interface AgencyRevocation {
  seq: number;
  agency: string;
  overrides: string[];
  reason: string;
  by: string;
  at: string;
}

/** The newest revocation of an agency's overrides, if any. */
export function agencyRevocation(s: Session, agencyId: string): AgencyRevocation | undefined {
  return agencyRevocations(s)
    .filter((r) => r.agency === agencyId)
    .pop();
}

/** Every revocation of an override, oldest first (signed events of the log). */
export function agencyRevocations(s: Session): AgencyRevocation[] {
  return s.ledger
    .rows<{ seq: number; at: string; actor: string; data: string }>(
      "SELECT seq, at, actor, data FROM events WHERE type = 'agency.confirmation_revoked' ORDER BY seq",
    )
    .map((e) => {
      const d = JSON.parse(e.data) as Record<string, unknown>;
      return {
        seq: e.seq,
        agency: String(d.agency),
        overrides: Array.isArray(d.overrides) ? d.overrides.map(String) : [],
        reason: String(d.reason),
        by: e.actor,
        at: e.at,
      };
    });
}

/** Why a release to this agency is refused, or undefined when it may go ahead. */
export function releaseRefusal(s: Session, a: AgencyRow): string | undefined {
  return agencyEligibilityOf(s, a).refusal;
}

/**
 * The custodian's signed overrides (`agency.confirmed`), newest last. They are read from the
 * event log itself: each is an event signed by the custodian who made it.
 */
export function agencyOverrides(s: Session): AgencyOverride[] {
  return s.ledger
    .rows<{ seq: number; at: string; actor: string; data: string }>(
      "SELECT seq, at, actor, data FROM events WHERE type = 'agency.confirmed' ORDER BY seq",
    )
    .map((e) => {
      const d = JSON.parse(e.data) as Record<string, unknown>;
      return {
        id: String(d.override),
        agency: String(d.agency),
        reason: String(d.reason),
        purposes: Array.isArray(d.purposes) ? d.purposes.map(String) : [],
        by: e.actor,
        at: e.at,
        documentSha256: str(d.documentSha256),
      };
    });
}

/** The override an agency's eligibility rests on: its newest, unless a revocation came after it. */
export function agencyOverrideOf(s: Session, agencyId: string): AgencyOverride | undefined {
  const revoked = new Set(
    agencyRevocations(s)
      .filter((r) => r.agency === agencyId)
      .flatMap((r) => r.overrides),
  );
  const newest = agencyOverrides(s)
    .filter((o) => o.agency === agencyId)
    .pop();
  return newest && !revoked.has(newest.id) ? newest : undefined;
}

// ---------------------------------------------------------------------------------------------
// Queries shared by the use cases

/** The next id of the form PREFIX-YYYY-NNNN (year of `now` in the home's time zone). */
export function nextNumber(s: Session, table: 'requests' | 'holds' | 'releases', prefix: string): string {
  const year = localDate(s.clock(), s.settings.timeZone).slice(0, 4);
  const like = `${prefix}-${year}-%`;
  const n = Number(s.ledger.one<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE id LIKE ?`, [like])?.n ?? 0);
  for (let i = n + 1; ; i++) {
    const id = `${prefix}-${year}-${String(i).padStart(4, '0')}`;
    if (!s.ledger.one(`SELECT id FROM ${table} WHERE id = ?`, [id])) return id;
  }
}

export function findAgency(s: Session, id: string): AgencyRow {
  const a = s.ledger.one<AgencyRow>('SELECT * FROM agencies WHERE id = ?', [id]);
  if (!a) throw new CustodyError('notFound', `No agency ${id}.`, 'See `custody agency list`.');
  return a;
}

export function findRequest(s: Session, id: string): RequestRow {
  const r = s.ledger.one<RequestRow>('SELECT * FROM requests WHERE id = ?', [id]);
  if (!r) throw new CustodyError('notFound', `No request ${id}.`, 'See `custody request list`.');
  return r;
}

export function findHold(s: Session, id: string): HoldRow {
  const h = s.ledger.one<HoldRow>('SELECT * FROM holds WHERE id = ?', [id]);
  if (!h) throw new CustodyError('notFound', `No hold ${id}.`, 'See `custody hold list`.');
  return h;
}

export function findRelease(s: Session, id: string): ReleaseRow {
  const r = s.ledger.one<ReleaseRow>('SELECT * FROM releases WHERE id = ?', [id]);
  if (!r) throw new CustodyError('notFound', `No receipt ${id}.`, 'See `custody request show REQUEST`.');
  return r;
}

/** Every agency, by id. */
export function allAgencies(s: Session): AgencyRow[] {
  return s.ledger.rows<AgencyRow>('SELECT * FROM agencies ORDER BY id');
}

export function agencyExists(s: Session, id: string): boolean {
  return !!s.ledger.one('SELECT id FROM agencies WHERE id = ?', [id]);
}

/** The first free id of the form A001, A002 … (counting from the number of agencies). */
export function nextAgencyId(s: Session): string {
  const n = Number(s.ledger.one<{ n: number }>('SELECT count(*) AS n FROM agencies')?.n ?? 0);
  let i = n + 1;
  while (agencyExists(s, `A${String(i).padStart(3, '0')}`)) i++;
  return `A${String(i).padStart(3, '0')}`;
}

/** Requests by id, all or those with one status. */
export function allRequests(s: Session, status?: string): RequestRow[] {
  return s.ledger.rows<RequestRow>(
    `SELECT * FROM requests ${status ? 'WHERE status = ?' : ''} ORDER BY id`,
    status ? [status] : [],
  );
}

export function requestsOfAgency(s: Session, agencyId: string): RequestRow[] {
  return s.ledger.rows<RequestRow>('SELECT * FROM requests WHERE agency_id = ? ORDER BY id', [agencyId]);
}

/** Requests that still stand (open or fulfilled), by id: what a release or a hold may name. */
export function standingRequests(s: Session): RequestRow[] {
  return s.ledger.rows<RequestRow>("SELECT * FROM requests WHERE status IN ('open', 'fulfilled') ORDER BY id");
}

/** Open requests, oldest first. */
export function openRequests(s: Session): RequestRow[] {
  return s.ledger.rows<RequestRow>("SELECT * FROM requests WHERE status = 'open' ORDER BY received_at");
}

export function allHolds(s: Session): HoldRow[] {
  return s.ledger.rows<HoldRow>('SELECT * FROM holds ORDER BY id');
}

export function holdsOfRequest(s: Session, requestId: string): HoldRow[] {
  return s.ledger.rows<HoldRow>('SELECT * FROM holds WHERE request_id = ? ORDER BY id', [requestId]);
}

/** Holds not released, by review date. */
export function unreleasedHolds(s: Session): HoldRow[] {
  return s.ledger.rows<HoldRow>('SELECT * FROM holds WHERE released_at IS NULL ORDER BY review_date');
}

export function releasesOfRequest(s: Session, requestId: string): ReleaseRow[] {
  return s.ledger.rows<ReleaseRow>('SELECT * FROM releases WHERE request_id = ? ORDER BY id', [requestId]);
}

/** Releases whose written acknowledgement is not recorded, oldest first. */
export function unacknowledgedReleases(s: Session): ReleaseRow[] {
  return s.ledger.rows<ReleaseRow>('SELECT * FROM releases WHERE ack_date IS NULL ORDER BY released_at');
}

/** The release with this receipt number, if there is one. */
export function releaseIfAny(s: Session, id: string): ReleaseRow | undefined {
  return s.ledger.one<ReleaseRow>('SELECT * FROM releases WHERE id = ?', [id]);
}

/** The hash of the event that recorded a release: the ledger head its receipt carries. */
export function releaseEventHash(s: Session, r: ReleaseRow): string | undefined {
  return s.ledger.eventAt(r.event_seq)?.hash;
}

/** The drives now recording in any of `cameras`. */
export function drivesRecordingIn(s: Session, cameras: readonly string[]): string[] {
  return s.ledger
    .rows<{ id: string; camera_id: string }>("SELECT id, camera_id FROM drives WHERE state = 'in_camera'")
    .filter((d) => cameras.includes(d.camera_id))
    .map((d) => d.id);
}

/** The drives a scope reaches: its drive, and the drives its batches were imported from. */
export function drivesInScope(s: Session, scope: RequestScope, batches: readonly BatchRow[]): DriveRow[] {
  return s.ledger
    .rows<DriveRow>('SELECT * FROM drives ORDER BY id')
    .filter((d) => scope.drive === d.id || batches.some((b) => b.drive_id === d.id));
}

/** Batches by id, with their camera (those that exist). */
export function batchCameras(s: Session, ids: readonly string[]): { id: string; camera_id: string | null }[] {
  return ids
    .map((id) =>
      s.ledger.one<{ id: string; camera_id: string | null }>('SELECT id, camera_id FROM batches WHERE id = ?', [id]),
    )
    .filter((b): b is { id: string; camera_id: string | null } => !!b);
}

// ---------------------------------------------------------------------------------------------
// The rows as --json shows them

export function agencyJson(s: Session, a: AgencyRow) {
  const e = agencyEligibilityOf(s, a);
  return {
    id: a.id,
    name: a.name,
    kind: a.kind,
    jurisdiction: a.jurisdiction,
    identifier: a.identifier,
    contact: a.contact,
    addedAt: a.added_at,
    mayReceiveData: e.eligible,
    refusal: e.refusal ?? null,
    override: e.override ?? null,
    /** Registered though excluded, only to record its requests: who and why (never makes it eligible). */
    recordOnly: a.record_only_reason ? { reason: a.record_only_reason, by: a.record_only_by } : null,
  };
}
export type AgencyJson = ReturnType<typeof agencyJson>;

export function requestJson(r: RequestRow) {
  return {
    id: r.id,
    agency: r.agency_id,
    officer: r.officer,
    badge: r.badge,
    caseNumber: r.case_number,
    purpose: r.purpose,
    receivedAt: r.received_at,
    document: { sha256: r.document_sha256, name: r.document_name, reference: r.document_ref },
    scope: requestScope(r),
    status: r.status,
    statusAt: r.status_at,
    statusReason: r.status_reason,
    recordedAt: r.recorded_at,
    recordedBy: r.recorded_by,
  };
}
export type RequestJson = ReturnType<typeof requestJson>;

/**
 * A hold; `standing` as of `now` (a hold released later than now still stands); `batches` the
 * batches it keeps now (`heldBatches`), by default those it named when placed.
 */
export function holdJson(h: HoldRow, now: Date, batches: string[] = JSON.parse(h.batches) as string[]) {
  return {
    id: h.id,
    request: h.request_id,
    reason: h.reason,
    document: { sha256: h.document_sha256, name: h.document_name, reference: h.document_ref },
    reviewDate: h.review_date,
    placedAt: h.placed_at,
    placedBy: h.placed_by,
    releasedAt: h.released_at,
    releaseReason: h.release_reason,
    batches,
    drives: JSON.parse(h.drives) as string[],
    standing: !h.released_at || Date.parse(h.released_at) > now.getTime(),
  };
}
export type HoldJson = ReturnType<typeof holdJson>;

export function releaseJson(r: ReleaseRow) {
  return {
    receipt: r.id,
    request: r.request_id,
    agency: r.agency_id,
    kind: r.kind,
    drive: r.drive_id,
    releasedAt: r.released_at,
    releasedBy: r.released_by,
    officer: r.officer,
    badge: r.badge,
    destination: r.destination,
    files: r.files,
    bytes: r.bytes,
    manifestSha256: r.manifest_sha256,
    payloadOxum: r.oxum,
    recordedFrom: r.recorded_from,
    recordedTo: r.recorded_to,
    ledgerEvent: r.event_seq,
    receiptSha256: r.receipt_sha256,
    receiptFile: r.receipt_file,
    acknowledgementDays: r.ack_days,
    acknowledged: r.ack_date ? { date: r.ack_date, scanSha256: r.ack_scan_sha256, recordedAt: r.ack_at } : null,
  };
}
export type ReleaseJson = ReturnType<typeof releaseJson>;

export interface RequestScope {
  cameras: string[];
  from?: string;
  to?: string;
  plate?: string;
  drive?: string;
  /** When the request was received: a drive scope means what the drive held then. */
  asOf?: string;
}

export function requestScope(r: RequestRow): RequestScope {
  return {
    cameras: r.scope_cameras ? (JSON.parse(r.scope_cameras) as string[]) : [],
    from: r.scope_from ?? undefined,
    to: r.scope_to ?? undefined,
    plate: r.scope_plate ?? undefined,
    drive: r.scope_drive ?? undefined,
    asOf: r.received_at,
  };
}

export function describeScope(sc: RequestScope): string {
  const parts: string[] = [];
  if (sc.drive) parts.push(`drive ${sc.drive}`);
  if (sc.plate) parts.push(`plate ${sc.plate}`);
  if (sc.cameras.length) parts.push(`camera${sc.cameras.length > 1 ? 's' : ''} ${sc.cameras.join(', ')}`);
  if (sc.from || sc.to) {
    // Whole days read as dates; other times as "YYYY-MM-DD HH:MM" (local, as recorded).
    const short = (v: string | undefined, end: boolean) => {
      if (!v) return '…';
      if (/T00:00(:00(\.0+)?)?([+-]\d\d:\d\d|Z)$/.test(v) && !end) return v.slice(0, 10);
      if (/T23:59:59\.999([+-]\d\d:\d\d|Z)$/.test(v) && end) return v.slice(0, 10);
      return `${v.slice(0, 10)} ${v.slice(11, 16)}`;
    };
    const a = short(sc.from, false);
    const b = short(sc.to, true);
    parts.push(a === b ? a : `${a} – ${b}`);
  }
  return parts.join('; ');
}

export interface BatchRow {
  id: string;
  drive_id: string;
  camera_id: string | null;
  recorded_first: string | null;
  recorded_last: string | null;
}

/**
 * The import batches a request's scope reaches: those imported from its drive, or those of its
 * cameras (every camera for a plate) whose recordings overlap its time range. Destroyed batches
 * are gone and not listed.
 */
export function scopeBatches(s: Session, sc: RequestScope): BatchRow[] {
  const all = s.ledger.rows<BatchRow>(
    "SELECT id, drive_id, camera_id, recorded_first, recorded_last FROM batches WHERE status = 'imported' AND destroyed_at IS NULL AND key_destroyed_at IS NULL ORDER BY id",
  );
  if (sc.drive) {
    // Drives are reused: the drive's data is the rotation it held when asked for — what it recorded
    // since its last installation before `asOf` (older rotations were recorded over on the drive
    // itself), imported before it next went into a camera (a later rotation was recorded after the
    // request, which never asked for it: policy §5).
    const mine = all.filter((b) => b.drive_id === sc.drive);
    const asOf = sc.asOf ? Date.parse(sc.asOf) : Infinity;
    const installs = s.ledger
      .rows<{ at: string }>("SELECT at FROM drive_history WHERE drive_id = ? AND action = 'install' ORDER BY seq", [
        sc.drive,
      ])
      .map((h) => Date.parse(h.at))
      .sort((a, b) => a - b);
    const since = installs.filter((t) => t <= asOf).at(-1) ?? -Infinity;
    const until = installs.find((t) => t > since) ?? Infinity;
    const started = new Map(
      s.ledger
        .rows<{ id: string; started_at: string }>('SELECT id, started_at FROM batches WHERE drive_id = ?', [sc.drive])
        .map((b) => [b.id, Date.parse(b.started_at)]),
    );
    return mine.filter((b) => {
      const at = started.get(b.id) ?? Number.NaN;
      return at >= since && at < until;
    });
  }
  if (!sc.cameras.length && !sc.from && !sc.to) return [];
  const from = sc.from ? (parseIsoWithOffset(sc.from)?.getTime() ?? -Infinity) : -Infinity;
  const to = sc.to ? (parseIsoWithOffset(sc.to)?.getTime() ?? Infinity) : Infinity;
  return all.filter((b) => {
    if (sc.cameras.length && !sc.cameras.includes(b.camera_id ?? '')) return false;
    const first = b.recorded_first ? Date.parse(b.recorded_first) : NaN;
    const last = b.recorded_last ? Date.parse(b.recorded_last) : NaN;
    if (Number.isNaN(first) || Number.isNaN(last)) return true;
    return first <= to && last >= from;
  });
}

// ---------------------------------------------------------------------------------------------
// Documents: written requests, hold letters and acknowledgement scans are kept in the home, sealed
// with the record key (every role reads them), under their SHA-256: see ../documents.ts.

/** Keep a copy of a document in the home (once per content); returns its SHA-256. */
export function keepDocument(s: Session, file: string): { sha256: string; name: string; bytes: number } {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (e) {
    throw new CustodyError(
      'usage',
      `Cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
    );
  }
  // Written by the commit of the event that names it, under the lock, if not there yet: a command
  // that fails leaves none, and never takes away one another command's event names.
  const d = sealDocument(s.home, s.keys, data);
  s.writeOnCommit(d.file, d.sealed);
  return { sha256: d.sha256, name: path.basename(file), bytes: data.length };
}

/** A kept document's bytes, checked against its SHA-256. */
export function readDocument(s: Session, sha256: string): Buffer {
  return loadDocument(s.home, s.keys, sha256);
}

// ---------------------------------------------------------------------------------------------
// Holds (policy §8): reinstall and purge ask which holds cover a drive or a batch.

function holdRef(h: HoldRow, timeZone: string): HoldRef {
  return {
    id: h.id,
    reviewDate: startOfLocalDate(h.review_date, timeZone),
    placedAt: parseIsoWithOffset(h.placed_at),
    releasedAt: h.released_at ? parseIsoWithOffset(h.released_at) : undefined,
  };
}

function holdsFor(s: Session, kind: 'batch' | 'drive', id: string): HoldRef[] {
  const tz = s.settings.timeZone;
  if (kind === 'batch') return holdRowsOnBatch(s, id).map((h) => holdRef(h, tz));
  return s.ledger
    .rows<HoldRow>(
      'SELECT h.* FROM holds h JOIN hold_items i ON i.hold_id = h.id WHERE i.kind = ? AND i.item_id = ? ORDER BY h.id',
      [kind, id],
    )
    .map((h) => holdRef(h, tz));
}

type HoldScopeRow = HoldRow & {
  scope_cameras: string | null;
  scope_from: string | null;
  scope_to: string | null;
  scope_plate: string | null;
  scope_drive: string | null;
  received_at: string;
  listed: number;
};

function holdScope(h: HoldScopeRow): RequestScope {
  return {
    cameras: h.scope_cameras ? (JSON.parse(h.scope_cameras) as string[]) : [],
    from: h.scope_from ?? undefined,
    to: h.scope_to ?? undefined,
    plate: h.scope_plate ?? undefined,
    drive: h.scope_drive ?? undefined,
    asOf: h.received_at,
  };
}

/**
 * The batches a hold's request scope reaches now, beyond those its `hold.placed` named: a drive
 * scope is the rotation the drive held when the request was received (`scopeBatches`); a scope of
 * cameras, a plate or a time range reaches only recordings made by its end — with no end, by the
 * request's receipt (a request never asks for what is recorded after it, and a hold on an
 * open-ended scope must not keep every later recording of its cameras).
 */
function scopeReachedBatches(s: Session, h: HoldScopeRow): string[] {
  // Asked for every image a release or export judges: computed once per hold and ledger head.
  const head = `${s.ledger.head.seq}:${s.ledger.head.hash}`;
  let cache = reachedCache.get(s.ledger);
  if (cache?.head !== head) {
    cache = { head, byHold: new Map() };
    reachedCache.set(s.ledger, cache);
  }
  const known = cache.byHold.get(h.id);
  if (known) return known;
  const out = computeReachedBatches(s, h);
  cache.byHold.set(h.id, out);
  return out;
}

const reachedCache = new WeakMap<object, { head: string; byHold: Map<string, string[]> }>();

function computeReachedBatches(s: Session, h: HoldScopeRow): string[] {
  const sc = holdScope(h);
  const reached = scopeBatches(s, sc);
  if (sc.drive) return reached.map((b) => b.id);
  const end = Date.parse(sc.to ?? sc.asOf ?? '');
  const started = new Map(
    s.ledger
      .rows<{ id: string; started_at: string }>('SELECT id, started_at FROM batches')
      .map((b) => [b.id, b.started_at]),
  );
  return reached.filter((b) => Date.parse(b.recorded_first ?? started.get(b.id) ?? '') <= end).map((b) => b.id);
}

/**
 * The holds on a batch (policy §8: a hold keeps exactly its request's scope): those whose
 * `hold.placed` named it, and those whose request's scope reaches it now (`scopeReachedBatches`) —
 * a batch imported after the hold was placed (its drive was still in the camera then, the usual
 * case) holds recordings the written request asked to keep just as well. Derived from the signed
 * requests and batches, so the check before a purge covers it as it covers the hold's own items.
 */
function holdRowsOnBatch(s: Session, batchId: string): HoldScopeRow[] {
  const rows = s.ledger.rows<HoldScopeRow>(
    `SELECT h.*, r.scope_cameras, r.scope_from, r.scope_to, r.scope_plate, r.scope_drive, r.received_at,
       EXISTS (SELECT 1 FROM hold_items i WHERE i.hold_id = h.id AND i.kind = 'batch' AND i.item_id = ?) AS listed
     FROM holds h JOIN requests r ON r.id = h.request_id ORDER BY h.id`,
    [batchId],
  );
  return rows.filter((h) => h.listed || scopeReachedBatches(s, h).includes(batchId));
}

/** The batches a hold keeps now: those it named when placed, and those its request's scope reaches since. */
export function heldBatches(s: Session, h: HoldRow): string[] {
  const named = JSON.parse(h.batches) as string[];
  const r = s.ledger.one<HoldScopeRow>(
    `SELECT h.*, r.scope_cameras, r.scope_from, r.scope_to, r.scope_plate, r.scope_drive, r.received_at, 1 AS listed
     FROM holds h JOIN requests r ON r.id = h.request_id WHERE h.id = ?`,
    [h.id],
  );
  return [...new Set([...named, ...(r ? scopeReachedBatches(s, r) : [])])].sort();
}

/**
 * The holds that keep one image (policy §8: a hold covers exactly its request's scope): those on
 * its batch whose request's cameras and time range (or drive) include it. An image of the same
 * batch outside the range is not held. Standing or not: ask `holdStands` with the time.
 */
export function holdsForImage(
  s: Session,
  img: { batch: string; camera: string | null; recordedAt?: string },
): HoldRef[] {
  const tz = s.settings.timeZone;
  const t = img.recordedAt ? Date.parse(img.recordedAt) : Number.NaN;
  return holdRowsOnBatch(s, img.batch)
    .filter((h) => {
      if (h.scope_drive) return true;
      const cams = h.scope_cameras ? (JSON.parse(h.scope_cameras) as string[]) : [];
      if (cams.length && !cams.includes(img.camera ?? '')) return false;
      if (!h.scope_from && !h.scope_to) return true;
      if (Number.isNaN(t)) return false;
      return (!h.scope_from || t >= Date.parse(h.scope_from)) && (!h.scope_to || t <= Date.parse(h.scope_to));
    })
    .map((h) => holdRef(h, tz));
}

/** The hold rules reinstall and purge ask (holds.ts): the holds whose items name the drive or batch. */
export const requestHolds: HoldProvider = {
  forDrive: (s, driveId) => holdsFor(s, 'drive', driveId),
  forBatch: (s, batchId) => holdsFor(s, 'batch', batchId),
};

export const requestsFeature: LedgerFeature = {
  name: 'requests',
  migrations: [
    { version: 4, sql: MIGRATION },
    {
      // An agency the statute excludes, registered by the custodian only to record its requests (and their refusal).
      version: 11,
      sql: 'ALTER TABLE agencies ADD COLUMN record_only_reason TEXT; ALTER TABLE agencies ADD COLUMN record_only_by TEXT;',
    },
  ],
  derivedTables: { agencies: 'id', requests: 'id', holds: 'id', hold_items: 'hold_id, kind, item_id', releases: 'id' },
  reducers,
  holds: requestHolds,
};
