/**
 * Versioned schema of the main ledger. The `events` table is the record; every other table is
 * derived from it by the reducers in `reducers.ts`, so `custody verify` can rebuild them from
 * the chain and compare.
 */
import { FEATURES } from './features/index.js';

export interface Migration {
  version: number;
  sql: string;
}

/** A later feature's share of the ledger: its migrations, derived tables and reducers. */
export interface LedgerFeature {
  name: string;
  /** Versions: 3 ocr/search, 4 requests, 5 retention and health, 6+ later. */
  migrations: Migration[];
  /** Derived tables rebuilt by `verify`, with the columns that order them. */
  derivedTables: Record<string, string>;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL,
  data TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
  camera_id TEXT, drive_id TEXT);
CREATE INDEX events_type ON events(type);
CREATE INDEX events_camera ON events(camera_id);
CREATE INDEX events_drive ON events(drive_id);
CREATE INDEX events_actor ON events(actor);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE operators (
  username TEXT PRIMARY KEY, display_name TEXT NOT NULL, role TEXT NOT NULL, organization TEXT NOT NULL,
  status TEXT NOT NULL, created_at TEXT NOT NULL, disabled_at TEXT,
  trained_on TEXT, course TEXT, trainer TEXT, failed_logins INTEGER NOT NULL DEFAULT 0, last_failed_at TEXT);
CREATE TABLE cameras (
  id TEXT PRIMARY KEY, location TEXT NOT NULL, description TEXT, make TEXT, model TEXT, serial TEXT,
  status TEXT NOT NULL, in_service_since TEXT NOT NULL, retired_at TEXT, swap_cadence_days INTEGER);
CREATE TABLE drives (
  id TEXT PRIMARY KEY, label TEXT, serial TEXT, capacity_bytes INTEGER, fs_type TEXT, state TEXT NOT NULL,
  camera_id TEXT, location TEXT, enrolled_at TEXT NOT NULL, state_since TEXT NOT NULL,
  installed_at TEXT, removed_at TEXT, stored_at TEXT, released_to TEXT, retired_at TEXT,
  recorded_first TEXT, recorded_last TEXT, note TEXT);
CREATE TABLE drive_history (
  seq INTEGER NOT NULL, drive_id TEXT NOT NULL, action TEXT NOT NULL, at TEXT NOT NULL,
  camera_id TEXT, location TEXT, note TEXT);
CREATE INDEX drive_history_drive ON drive_history(drive_id);
`,
  },
  {
    version: 2,
    sql: `
CREATE TABLE batches (
  id TEXT PRIMARY KEY, drive_id TEXT NOT NULL, camera_id TEXT, operator TEXT NOT NULL, status TEXT NOT NULL,
  started_at TEXT NOT NULL, finished_at TEXT, removed_at TEXT,
  files INTEGER, stored INTEGER, duplicates INTEGER, skipped INTEGER, failed INTEGER, flagged INTEGER, bytes INTEGER,
  recorded_first TEXT, recorded_last TEXT, manifest_sha256 TEXT, verified_at TEXT, source_verified INTEGER,
  key_destroyed_at TEXT, destroyed_at TEXT);
CREATE INDEX batches_drive ON batches(drive_id);
CREATE INDEX batches_camera ON batches(camera_id);
`,
  },
];

for (const f of FEATURES) MIGRATIONS.push(...f.migrations);
MIGRATIONS.sort((a, b) => a.version - b.version);
for (let i = 1; i < MIGRATIONS.length; i++) {
  if (MIGRATIONS[i]!.version === MIGRATIONS[i - 1]!.version)
    throw new Error(`two ledger migrations have version ${MIGRATIONS[i]!.version}`);
}

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Tables rebuilt from the events by `verify`, with the column that orders them. */
export const DERIVED_TABLES: Record<string, string> = {
  settings: 'key',
  operators: 'username',
  cameras: 'id',
  drives: 'id',
  drive_history: 'seq, drive_id',
  batches: 'id',
  ...Object.assign({}, ...FEATURES.map((f) => f.derivedTables)),
};
