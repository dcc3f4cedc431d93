/**
 * The ledger's share of breaches (policy §10; Cal. Civ. Code 1798.29), the contractor's ALPR
 * system (policy §2, §5: its requests and the city's written permissions) and the public
 * transparency report (counts only, Civ. Code 1798.90.51; which reports were issued, and their
 * hashes): migration version 6, derived tables, reducers.
 *
 * The words of a breach (what happened, what was involved) stay in the encrypted ledger; only the
 * notice the city chooses to publish leaves it.
 */
import type { Database, SqlValue } from 'sql.js';
import type { LedgerEvent, Reducer } from '../reducers.js';
import type { LedgerFeature } from '../schema.js';

const str = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));
const run = (db: Database, sql: string, p: SqlValue[]) => db.run(sql, p);

/** Fields of a breach that `breach.opened` sets and `breach.updated` may change (event key → column). */
export const BREACH_FIELDS: Record<string, string> = {
  discoveredAt: 'discovered_at',
  occurredDate: 'occurred_date',
  occurredFrom: 'occurred_from',
  occurredTo: 'occurred_to',
  whatHappened: 'what_happened',
  informationInvolved: 'information_involved',
  whatWeAreDoing: 'what_we_are_doing',
  whatYouCanDo: 'what_you_can_do',
  moreInformation: 'more_information',
  delayedUntil: 'delayed_until',
};

function fieldValue(k: string, v: unknown): SqlValue {
  if (k === 'informationTypes') return JSON.stringify(Array.isArray(v) ? v.map(String) : []);
  if (k === 'contact') return JSON.stringify(v ?? {});
  if (k === 'delayedByLawEnforcement' || k === 'occurredEstimated') return v ? 1 : 0;
  return str(v);
}

const reducers: Record<string, Reducer> = {
  'breach.opened': (db, e: LedgerEvent) => {
    const d = e.data;
    run(
      db,
      `INSERT INTO breaches (id, status, opened_at, opened_by, discovered_at, occurred_date, occurred_from, occurred_to, occurred_estimated,
       what_happened, information_involved, information_types, what_we_are_doing, what_you_can_do, more_information, delayed_by_law_enforcement, delayed_until, contact)
       VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      [
        String(d.breach),
        'open',
        e.at,
        e.actor,
        String(d.discoveredAt),
        str(d.occurredDate),
        str(d.occurredFrom),
        str(d.occurredTo),
        d.occurredEstimated ? 1 : 0,
        String(d.whatHappened),
        String(d.informationInvolved),
        fieldValue('informationTypes', d.informationTypes),
        String(d.whatWeAreDoing),
        str(d.whatYouCanDo),
        str(d.moreInformation),
        d.delayedByLawEnforcement ? 1 : 0,
        str(d.delayedUntil),
        fieldValue('contact', d.contact),
      ],
    );
  },
  'breach.updated': (db, e) => {
    const changes = (e.data.changes ?? {}) as Record<string, unknown>;
    const cols: Record<string, string> = {
      ...BREACH_FIELDS,
      informationTypes: 'information_types',
      contact: 'contact',
      delayedByLawEnforcement: 'delayed_by_law_enforcement',
      occurredEstimated: 'occurred_estimated',
    };
    for (const [k, v] of Object.entries(changes)) {
      const col = cols[k];
      if (col) run(db, `UPDATE breaches SET ${col} = ? WHERE id = ?`, [fieldValue(k, v), String(e.data.breach)]);
    }
  },
  'breach.notice_written': (db, e) => {
    const d = e.data;
    run(
      db,
      'UPDATE breaches SET notice_date = ?, notice_pdf_sha256 = ?, notice_html_sha256 = ?, notice_written_at = ? WHERE id = ?',
      [String(d.noticeDate), str(d.pdfSha256), str(d.htmlSha256), e.at, String(d.breach)],
    );
  },
  'breach.duty_done': (db, e) => {
    const d = e.data;
    const id = String(d.breach);
    if (d.duty === 'posted')
      run(db, 'UPDATE breaches SET posted_on = ?, posted_url = COALESCE(?, posted_url) WHERE id = ?', [
        String(d.on),
        str(d.url),
        id,
      ]);
    else if (d.duty === 'media')
      run(db, 'UPDATE breaches SET media_on = ?, media_outlets = ? WHERE id = ?', [
        String(d.on),
        JSON.stringify(Array.isArray(d.outlets) ? d.outlets.map(String) : []),
        id,
      ]);
    else if (d.duty === 'ois') run(db, 'UPDATE breaches SET ois_on = ? WHERE id = ?', [String(d.on), id]);
  },
  'breach.closed': (db, e) => {
    run(db, "UPDATE breaches SET status = 'closed', closed_at = ?, closed_by = ?, close_note = ? WHERE id = ?", [
      e.at,
      e.actor,
      str(e.data.note),
      String(e.data.breach),
    ]);
  },
  'contractor.permitted': (db, e) => {
    const d = e.data;
    run(
      db,
      `INSERT INTO contractor_permits (id, contractor, scope, starts_on, ends_on, document_name, document_sha256, document_bytes, signed_by, recorded_at, recorded_by)
       VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
      [
        String(d.permit),
        String(d.contractor),
        String(d.scope),
        String(d.startsOn),
        String(d.endsOn),
        String(d.documentName),
        String(d.documentSha256),
        Number(d.documentBytes ?? 0),
        str(d.signedBy),
        e.at,
        e.actor,
      ],
    );
  },
  'contractor.permit_revoked': (db, e) => {
    run(db, 'UPDATE contractor_permits SET revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE id = ?', [
      e.at,
      e.actor,
      str(e.data.reason),
      String(e.data.permit),
    ]);
  },
  'contractor.request_recorded': (db, e) => {
    const d = e.data;
    run(
      db,
      `INSERT INTO contractor_requests (id, contractor, agency, agency_id, agency_kind, officer, badge, case_number, purpose, requested_on, status, status_at, status_reason, recorded_at, recorded_by)
       VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      [
        String(d.request),
        String(d.contractor),
        String(d.agency),
        str(d.agencyId),
        str(d.agencyKind),
        String(d.officer),
        str(d.badge),
        String(d.caseNumber),
        String(d.purpose),
        String(d.requestedOn),
        String(d.status ?? 'open'),
        e.at,
        str(d.reason),
        e.at,
        e.actor,
      ],
    );
  },
  'contractor.request_resolved': (db, e) => {
    run(db, 'UPDATE contractor_requests SET status = ?, status_at = ?, status_reason = ? WHERE id = ?', [
      String(e.data.status),
      e.at,
      str(e.data.reason),
      String(e.data.request),
    ]);
  },
  'transparency.reported': (db, e) => {
    const d = e.data;
    run(
      db,
      'INSERT INTO transparency_reports (seq, at, actor, period_from, period_to, json_sha256, pdf_sha256) VALUES (?,?,?,?,?,?,?)',
      [e.seq, e.at, e.actor, String(d.from), String(d.to), str(d.jsonSha256), str(d.pdfSha256)],
    );
  },
};

export const breachFeature: LedgerFeature = {
  name: 'breach',
  migrations: [
    {
      version: 6,
      sql: `
CREATE TABLE breaches (
  id TEXT PRIMARY KEY, status TEXT NOT NULL, opened_at TEXT NOT NULL, opened_by TEXT NOT NULL,
  discovered_at TEXT NOT NULL, occurred_date TEXT, occurred_from TEXT, occurred_to TEXT, occurred_estimated INTEGER NOT NULL DEFAULT 0,
  what_happened TEXT NOT NULL, information_involved TEXT NOT NULL, information_types TEXT NOT NULL,
  what_we_are_doing TEXT NOT NULL, what_you_can_do TEXT, more_information TEXT,
  delayed_by_law_enforcement INTEGER NOT NULL, delayed_until TEXT, contact TEXT NOT NULL,
  notice_date TEXT, notice_pdf_sha256 TEXT, notice_html_sha256 TEXT, notice_written_at TEXT,
  posted_on TEXT, posted_url TEXT, media_on TEXT, media_outlets TEXT, ois_on TEXT,
  closed_at TEXT, closed_by TEXT, close_note TEXT);
CREATE TABLE contractor_permits (
  id TEXT PRIMARY KEY, contractor TEXT NOT NULL, scope TEXT NOT NULL, starts_on TEXT NOT NULL, ends_on TEXT NOT NULL,
  document_name TEXT NOT NULL, document_sha256 TEXT NOT NULL, document_bytes INTEGER NOT NULL, signed_by TEXT,
  recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL, revoked_at TEXT, revoked_by TEXT, revoke_reason TEXT);
CREATE TABLE contractor_requests (
  id TEXT PRIMARY KEY, contractor TEXT NOT NULL, agency TEXT NOT NULL, agency_id TEXT, agency_kind TEXT,
  officer TEXT NOT NULL, badge TEXT, case_number TEXT NOT NULL, purpose TEXT NOT NULL, requested_on TEXT NOT NULL,
  status TEXT NOT NULL, status_at TEXT NOT NULL, status_reason TEXT, recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL);
CREATE TABLE transparency_reports (
  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, period_from TEXT NOT NULL, period_to TEXT NOT NULL,
  json_sha256 TEXT, pdf_sha256 TEXT);
`,
    },
  ],
  derivedTables: { breaches: 'id', contractor_permits: 'id', contractor_requests: 'id', transparency_reports: 'seq' },
  reducers,
};
