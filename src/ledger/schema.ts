/**
 * Versioned schema of the main ledger. The `events` table is the record; every other table is
 * derived from it by the reducers (`reducers.ts` for the core events, each feature's own for its
 * events), so `custody verify` can rebuild them from the chain and compare.
 *
 * The ledger a home uses is `composeSchema(FEATURES)` (features/index.ts): the core migrations,
 * derived tables and reducers plus every listed feature's. Nothing registers itself on import.
 */
import type { HoldProvider } from './holds.js';
import { CORE_REDUCERS, type Reducer } from './reducers.js';

export interface Migration {
  version: number;
  sql: string;
}

/** A later feature's share of the ledger: its migrations, derived tables and reducers. */
export interface LedgerFeature {
  name: string;
  /** Versions: 3 ocr/search, 4 requests, 5 retention and health, 6 breach, 7+ later. */
  migrations: Migration[];
  /** Derived tables rebuilt by `verify`, with the columns that order them. */
  derivedTables: Record<string, string>;
  /** How each of the feature's event types changes its derived tables. */
  reducers: Record<string, Reducer>;
  /** Which holds cover a drive or a batch (policy §8); at most one feature answers it. */
  holds?: HoldProvider;
}

/** Everything the ledger needs to know about its events: composed once from the feature list. */
export interface LedgerSchema {
  /** Every migration, core then features, in version order. */
  migrations: Migration[];
  /** The newest migration's version: a ledger with a higher one was written by a newer custody. */
  version: number;
  /** Tables rebuilt from the events by `verify`, with the columns that order them. */
  derivedTables: Record<string, string>;
  /** The reducer of every event type the ledger accepts. */
  reducers: Record<string, Reducer>;
  /** The hold rules that reinstall and purge ask; nothing is held when no feature provides them. */
  holds: HoldProvider;
}

const CORE_MIGRATIONS: Migration[] = [
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
  {
    // The drive's life recorded truly: a swap as one resumable transaction (its steps are the
    // rows of \`swaps\` and the batch that names it), the time each drive move happened beside the
    // time it was recorded, what a drive holds that was never imported, and its wipe or destruction.
    version: 7,
    sql: `
CREATE TABLE swaps (
  id TEXT PRIMARY KEY, drive_id TEXT NOT NULL, camera_id TEXT NOT NULL, status TEXT NOT NULL,
  started_at TEXT NOT NULL, removed_at TEXT NOT NULL, location TEXT, stored_at TEXT,
  replacement TEXT, installed_at TEXT, finished_at TEXT);
CREATE INDEX swaps_drive ON swaps(drive_id);
ALTER TABLE batches ADD COLUMN swap_id TEXT;
ALTER TABLE drives ADD COLUMN files_unimported INTEGER;
ALTER TABLE drives ADD COLUMN wiped_at TEXT;
ALTER TABLE drives ADD COLUMN wipe_method TEXT;
ALTER TABLE drives ADD COLUMN destroyed_at TEXT;
UPDATE drive_history SET at = COALESCE(
  (SELECT json_extract(e.data, '$.at') FROM events e WHERE e.seq = drive_history.seq), at);
`,
  },
  {
    // The USB device a drive's volume was on at its enrolment (its own serial, maker and product:
    // core/drive-identity.ts). Events before this version do not carry them: their drives stay NULL.
    version: 14,
    sql: `
ALTER TABLE drives ADD COLUMN usb_serial TEXT;
ALTER TABLE drives ADD COLUMN usb_vendor TEXT;
ALTER TABLE drives ADD COLUMN usb_model TEXT;
`,
  },
];

/** Tables the core events derive, with the columns that order them. */
const CORE_DERIVED_TABLES: Record<string, string> = {
  settings: 'key',
  operators: 'username',
  cameras: 'id',
  drives: 'id',
  drive_history: 'seq, drive_id',
  batches: 'id',
  swaps: 'id',
};

const NO_HOLDS: HoldProvider = { forDrive: () => [], forBatch: () => [] };

/**
 * The core schema plus `features`: their migrations (no two with one version), derived tables
 * and reducers (no event type twice), and the one hold provider among them.
 */
export function composeSchema(features: readonly LedgerFeature[]): LedgerSchema {
  const migrations = [...CORE_MIGRATIONS, ...features.flatMap((f) => f.migrations)].sort(
    (a, b) => a.version - b.version,
  );
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version)
      throw new Error(`two ledger migrations have version ${migrations[i]!.version}`);
  }
  const reducers: Record<string, Reducer> = { ...CORE_REDUCERS };
  const derivedTables: Record<string, string> = { ...CORE_DERIVED_TABLES };
  let holds: HoldProvider | undefined;
  for (const f of features) {
    for (const [type, r] of Object.entries(f.reducers)) {
      if (reducers[type]) throw new Error(`reducer for ${type} registered twice`);
      reducers[type] = r;
    }
    Object.assign(derivedTables, f.derivedTables);
    if (f.holds) {
      if (holds) throw new Error(`two ledger features provide hold rules (the second is ${f.name})`);
      holds = f.holds;
    }
  }
  return {
    migrations,
    version: migrations[migrations.length - 1]!.version,
    derivedTables,
    reducers,
    holds: holds ?? NO_HOLDS,
  };
}
