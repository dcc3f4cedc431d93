/**
 * The ledger's share of plate reading (which batches have been read, so a search knows what it
 * covers) and of the access record (Civil Code 1798.90.52: date and time, the data used to query,
 * the username and organisation, the purpose).
 */
import type { LedgerEvent, Reducer } from '../reducers.js';
import type { LedgerFeature } from '../schema.js';

const reducers: Record<string, Reducer> = {
  'ocr.started': (db, e) => {
    const d = e.data;
    db.run(
      `INSERT INTO ocr_batches (batch, engine, model, images, readable, started_at, status) VALUES (?,?,?,?,?,?, 'reading')
       ON CONFLICT(batch) DO UPDATE SET engine = excluded.engine, model = excluded.model, images = excluded.images, readable = 0, started_at = excluded.started_at, done_at = NULL, status = 'reading'`,
      [String(d.batch), String(d.engine), String(d.model), Number(d.images), 0, e.at],
    );
  },
  'ocr.finished': (db, e) => {
    const d = e.data;
    // The SHA-256 of the sealed index it wrote (none before custody recorded it): a search takes no other file.
    db.run(
      "UPDATE ocr_batches SET readable = ?, done_at = ?, status = 'done', index_sha256 = ?, readings_sha256 = ? WHERE batch = ?",
      [
        Number(d.readable),
        e.at,
        typeof d.indexSha256 === 'string' ? d.indexSha256 : null,
        typeof d.readingsSha256 === 'string' ? d.readingsSha256 : null,
        String(d.batch),
      ],
    );
  },
  'access.recorded': (db, e) => {
    const r = accessRowOf(e);
    db.run(
      'INSERT INTO access_log (seq, at, operator, organization, action, query, purpose, case_ref, request_id, results, details) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
      [
        r.seq,
        r.at,
        r.operator,
        r.organization,
        r.action,
        r.query,
        r.purpose,
        r.case_ref,
        r.request_id,
        r.results,
        r.details,
      ],
    );
  },
};

/**
 * The `access_log` row of an `access.recorded` event: what the reducer inserts, and what the audit
 * reads for an event the archive holds (its row left the live file with it: archive.ts).
 */
export function accessRowOf(e: LedgerEvent) {
  const d = e.data;
  return {
    seq: e.seq,
    at: e.at,
    operator: e.actor,
    organization: String(d.organization),
    action: String(d.action),
    query: String(d.query),
    purpose: String(d.purpose),
    case_ref: d.caseRef == null ? null : String(d.caseRef),
    request_id: d.requestId == null ? null : String(d.requestId),
    results: typeof d.results === 'number' ? d.results : null,
    details: d.details == null ? null : JSON.stringify(d.details),
  };
}

export const accessFeature: LedgerFeature = {
  name: 'access',
  migrations: [
    {
      version: 3,
      sql: `
CREATE TABLE ocr_batches (
  batch TEXT PRIMARY KEY, engine TEXT NOT NULL, model TEXT NOT NULL, images INTEGER NOT NULL,
  readable INTEGER NOT NULL, started_at TEXT NOT NULL, done_at TEXT, status TEXT NOT NULL);
CREATE TABLE access_log (
  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, operator TEXT NOT NULL, organization TEXT NOT NULL,
  action TEXT NOT NULL, query TEXT NOT NULL, purpose TEXT NOT NULL, case_ref TEXT, request_id TEXT,
  results INTEGER, details TEXT);
CREATE INDEX access_log_operator ON access_log(operator);
CREATE INDEX access_log_case ON access_log(case_ref);
`,
    },
    {
      // The SHA-256 of the batch's sealed plate index (`segments/<batch>.idx`) as `custody ocr` wrote it
      // (`ocr.finished`) or a purge re-wrote it (`day.destroyed`): a search refuses any other file.
      version: 12,
      sql: 'ALTER TABLE ocr_batches ADD COLUMN index_sha256 TEXT;',
    },
    {
      // The SHA-256 of the batch's sealed plate readings (`segments/<batch>.ocr`), recorded as the
      // index's is: a purge builds the index again from them and refuses any other file.
      version: 13,
      sql: 'ALTER TABLE ocr_batches ADD COLUMN readings_sha256 TEXT;',
    },
  ],
  derivedTables: { ocr_batches: 'batch', access_log: 'seq' },
  reducers,
};
