/**
 * The ledger's share of retention and destruction (policy §8: 60 days from the date of
 * recordation, then destroyed), health checks and problems (policy §7: checked at least every 30
 * days, each problem logged with when it was found and how long the system was down): migration
 * version 5, derived tables, reducers.
 *
 * Destruction of a batch is three events, so a purge can be interrupted anywhere and finished by
 * running it again: `batch.destruction_started` (the intent), `batch.key_destroyed` (the key is
 * gone: every copy of the data is unreadable), `batch.destroyed` (its files and segment are gone).
 * A purge as a whole is `purge.started` … `purge.finished`.
 *
 * Policy §8 counts each image's sixty days from its own date of recordation, so a batch is kept
 * and destroyed by recording day (migration 8): `batch.days` records what each day of a batch
 * holds; a day's destruction is `day.destruction_started`, `day.key_destroyed` (its key is gone:
 * its files are unreadable wherever a copy lies), `day.destroyed` (its files and index rows are
 * gone; the batch's segment, hash list, readings and index re-written without it under a new batch
 * key, `metadataRekeyed`, migration 9). When a batch's last day is destroyed, the batch's own key and
 * files follow as above.
 */
import type { Database, SqlValue } from 'sql.js';
import type { LedgerEvent, Reducer } from '../reducers.js';
import type { LedgerFeature } from '../schema.js';

function str(v: unknown): string | null {
  return v === undefined || v === null ? null : String(v);
}
function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
function run(db: Database, sql: string, params: SqlValue[]): void {
  db.run(sql, params);
}

const reducers: Record<string, Reducer> = {
  'purge.started': (db: Database, e: LedgerEvent) => {
    run(db, 'INSERT INTO purges (id, started_at, actor, status, batches) VALUES (?,?,?,?,?)', [
      String(e.data.purge),
      e.at,
      e.actor,
      'started',
      JSON.stringify(e.data.batches ?? []),
    ]);
  },
  'purge.finished': (db, e) => {
    run(db, "UPDATE purges SET status = 'finished', finished_at = ?, batches = ? WHERE id = ?", [
      e.at,
      JSON.stringify(e.data.batches ?? []),
      String(e.data.purge),
    ]);
  },
  'batch.days': (db, e) => {
    const d = e.data;
    for (const x of (d.days ?? []) as Record<string, unknown>[])
      run(
        db,
        'INSERT OR REPLACE INTO batch_days (batch_id, day, files, recorded_first, recorded_last, keyed) VALUES (?,?,?,?,?,?)',
        [String(d.batch), String(x.day), num(x.files) ?? 0, str(x.recordedFirst), str(x.recordedLast), x.keyed ? 1 : 0],
      );
  },
  'day.destruction_started': (db, e) => {
    run(
      db,
      'UPDATE batch_days SET purge_id = ?, started_at = ?, cancelled_at = NULL, stored = ?, bytes = ?, manifest_sha256 = ?, file_ids = ? WHERE batch_id = ? AND day = ?',
      [
        String(e.data.purge),
        e.at,
        num(e.data.stored),
        num(e.data.bytes),
        str(e.data.manifestSha256),
        str(e.data.fileIds),
        String(e.data.batch),
        String(e.data.day),
      ],
    );
  },
  'day.destruction_cancelled': (db, e) => {
    run(db, 'UPDATE batch_days SET cancelled_at = ? WHERE batch_id = ? AND day = ?', [
      e.at,
      String(e.data.batch),
      String(e.data.day),
    ]);
  },
  'day.key_destroyed': (db, e) => {
    run(db, 'UPDATE batch_days SET key_destroyed_at = ? WHERE batch_id = ? AND day = ?', [
      e.at,
      String(e.data.batch),
      String(e.data.day),
    ]);
  },
  'day.destroyed': (db, e) => {
    const d = e.data;
    run(db, 'UPDATE batch_days SET destroyed_at = ?, metadata_rekeyed = ? WHERE batch_id = ? AND day = ?', [
      e.at,
      d.metadataRekeyed === undefined ? null : d.metadataRekeyed ? 1 : 0,
      String(d.batch),
      String(d.day),
    ]);
    // The batch's plate index as the purge re-wrote it without the day (the record a search holds it to).
    if (typeof d.plateIndexSha256 === 'string')
      run(db, 'UPDATE ocr_batches SET index_sha256 = ? WHERE batch = ?', [d.plateIndexSha256, String(d.batch)]);
    if (typeof d.plateReadingsSha256 === 'string')
      run(db, 'UPDATE ocr_batches SET readings_sha256 = ? WHERE batch = ?', [d.plateReadingsSha256, String(d.batch)]);
  },
  'purge.certificate': (db, e) => {
    run(db, 'UPDATE purges SET certificate_sha256 = ? WHERE id = ?', [str(e.data.sha256), String(e.data.purge)]);
  },
  'batch.destruction_started': (db, e) => {
    const d = e.data;
    run(
      db,
      'INSERT OR REPLACE INTO destructions (batch_id, purge_id, camera_id, drive_id, started_at, actor) VALUES (?,?,?,?,?,?)',
      [String(d.batch), String(d.purge), str(d.camera), str(d.drive), e.at, e.actor],
    );
  },
  'batch.destruction_cancelled': (db, e) => {
    run(db, 'UPDATE destructions SET cancelled_at = ? WHERE batch_id = ?', [e.at, String(e.data.batch)]);
  },
  'batch.key_destroyed': (db, e) => {
    run(db, 'UPDATE destructions SET key_destroyed_at = ? WHERE batch_id = ?', [e.at, String(e.data.batch)]);
    run(db, 'UPDATE batches SET key_destroyed_at = ? WHERE id = ?', [e.at, String(e.data.batch)]);
  },
  'batch.destroyed': (db, e) => {
    const d = e.data;
    run(
      db,
      'UPDATE destructions SET destroyed_at = ?, files = ?, stored = ?, bytes = ?, recorded_first = ?, recorded_last = ?, manifest_sha256 = ? WHERE batch_id = ?',
      [
        e.at,
        num(d.files),
        num(d.stored),
        num(d.bytes),
        str(d.recordedFirst),
        str(d.recordedLast),
        str(d.manifestSha256),
        String(d.batch),
      ],
    );
    run(db, 'UPDATE batches SET destroyed_at = ? WHERE id = ?', [e.at, String(d.batch)]);
  },
  'health.checked': (db, e) => {
    const d = e.data;
    const s = (d.summary ?? {}) as Record<string, unknown>;
    run(
      db,
      'INSERT INTO health_checks (seq, at, actor, critical, warning, info, full_fixity, files_checked, findings) VALUES (?,?,?,?,?,?,?,?,?)',
      [
        e.seq,
        e.at,
        e.actor,
        num(s.critical) ?? 0,
        num(s.warning) ?? 0,
        num(s.info) ?? 0,
        d.full ? 1 : 0,
        num(d.filesChecked) ?? 0,
        JSON.stringify(d.findings ?? []),
      ],
    );
  },
  'problem.logged': (db, e) => {
    const d = e.data;
    run(
      db,
      'INSERT INTO problems (id, camera_id, part, description, discovered_at, down_from, down_to, action, fixed_at, status, logged_by, logged_at, health_check_seq, finding) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)',
      [
        String(d.problem),
        str(d.camera),
        str(d.part),
        String(d.description),
        String(d.discoveredAt ?? e.at),
        str(d.from),
        str(d.to),
        null,
        null,
        'open',
        e.actor,
        e.at,
        num(d.healthCheck),
        num(d.finding),
      ],
    );
  },
  'problem.resolved': (db, e) => {
    const d = e.data;
    run(
      db,
      "UPDATE problems SET status = 'resolved', action = ?, fixed_at = ?, down_to = COALESCE(?, down_to), resolved_by = ? WHERE id = ?",
      [String(d.action), String(d.fixedAt ?? e.at), str(d.to), e.actor, String(d.problem)],
    );
  },
};

export const retentionFeature: LedgerFeature = {
  name: 'retention',
  migrations: [
    {
      version: 5,
      sql: `
CREATE TABLE purges (
  id TEXT PRIMARY KEY, started_at TEXT NOT NULL, actor TEXT NOT NULL, status TEXT NOT NULL,
  batches TEXT NOT NULL, finished_at TEXT, certificate_sha256 TEXT);
CREATE TABLE destructions (
  batch_id TEXT PRIMARY KEY, purge_id TEXT NOT NULL, camera_id TEXT, drive_id TEXT, started_at TEXT NOT NULL, actor TEXT NOT NULL,
  key_destroyed_at TEXT, destroyed_at TEXT, cancelled_at TEXT, files INTEGER, stored INTEGER, bytes INTEGER,
  recorded_first TEXT, recorded_last TEXT, manifest_sha256 TEXT);
CREATE TABLE health_checks (
  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, critical INTEGER NOT NULL, warning INTEGER NOT NULL,
  info INTEGER NOT NULL, full_fixity INTEGER NOT NULL, files_checked INTEGER NOT NULL, findings TEXT NOT NULL);
CREATE TABLE problems (
  id TEXT PRIMARY KEY, camera_id TEXT, part TEXT, description TEXT NOT NULL, discovered_at TEXT NOT NULL,
  down_from TEXT, down_to TEXT, action TEXT, fixed_at TEXT, status TEXT NOT NULL, logged_by TEXT NOT NULL,
  logged_at TEXT NOT NULL, resolved_by TEXT, health_check_seq INTEGER, finding INTEGER);
`,
    },
    {
      version: 8,
      sql: `
CREATE TABLE batch_days (
  batch_id TEXT NOT NULL, day TEXT NOT NULL, files INTEGER NOT NULL, recorded_first TEXT, recorded_last TEXT,
  keyed INTEGER NOT NULL, purge_id TEXT, started_at TEXT, key_destroyed_at TEXT, destroyed_at TEXT, cancelled_at TEXT,
  stored INTEGER, bytes INTEGER, manifest_sha256 TEXT, PRIMARY KEY (batch_id, day));
`,
    },
    {
      // Whether a destroyed day's names, times, hashes and readings were re-written away under a new
      // batch key (1), or left under the batch key until its last day (0; null: before this was recorded).
      version: 9,
      sql: 'ALTER TABLE batch_days ADD COLUMN metadata_rekeyed INTEGER;',
    },
    {
      // The image ids (file ids in the batch's segment, as ranges "1-40,43") a day's destruction
      // took, so that an image asked for later is named as destroyed, with when and by which purge.
      version: 10,
      sql: 'ALTER TABLE batch_days ADD COLUMN file_ids TEXT;',
    },
  ],
  derivedTables: {
    purges: 'id',
    destructions: 'batch_id',
    batch_days: 'batch_id, day',
    health_checks: 'seq',
    problems: 'id',
  },
  reducers,
};
