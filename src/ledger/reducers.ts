/**
 * How each event changes the derived tables. A reducer must be a pure function of the event and
 * the tables (no clock, no randomness), so replaying the chain rebuilds the same state.
 */
import type { Database, SqlValue } from 'sql.js';
import { nextDriveState, type DriveState } from '../core/drive-state.js';

export interface LedgerEvent {
  seq: number;
  at: string;
  type: string;
  actor: string;
  data: Record<string, unknown>;
}

export type Reducer = (db: Database, e: LedgerEvent) => void;

function run(db: Database, sql: string, params: SqlValue[]): void {
  db.run(sql, params);
}

function str(v: unknown): string | null {
  return v === undefined || v === null ? null : String(v);
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function driveState(db: Database, id: string): DriveState {
  const r = db.exec('SELECT state FROM drives WHERE id = ?', [id]);
  const s = r[0]?.values[0]?.[0];
  if (typeof s !== 'string') throw new Error(`event refers to unknown drive ${id}`);
  return s as DriveState;
}

/** When what an event records happened: its `at` when one was given, else when it was recorded. */
export function happenedAt(e: { at: string; data: Record<string, unknown> }): string {
  return typeof e.data.at === 'string' && e.data.at ? e.data.at : e.at;
}

function history(
  db: Database,
  e: LedgerEvent,
  action: string,
  extra: { camera?: unknown; location?: unknown; note?: unknown } = {},
): void {
  // The time the move happened (an --at, a prompt's answer); the event's own time is when it was recorded.
  run(db, 'INSERT INTO drive_history (seq, drive_id, action, at, camera_id, location, note) VALUES (?,?,?,?,?,?,?)', [
    e.seq,
    String(e.data.drive),
    action,
    happenedAt(e),
    str(extra.camera),
    str(extra.location),
    str(extra.note),
  ]);
}

/** The core events' reducers; each feature brings its own (`LedgerFeature.reducers`, composed in schema.ts). */
export const CORE_REDUCERS: Record<string, Reducer> = {
  'home.created': (db, e) => {
    const settings = e.data.settings as Record<string, unknown>;
    for (const [k, v] of Object.entries(settings))
      run(db, 'INSERT INTO settings (key, value) VALUES (?, ?)', [k, JSON.stringify(v)]);
  },
  'settings.changed': (db, e) => {
    run(db, 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [
      String(e.data.key),
      JSON.stringify(e.data.value),
    ]);
  },
  'operator.added': (db, e) => {
    const d = e.data;
    run(
      db,
      'INSERT INTO operators (username, display_name, role, organization, status, created_at) VALUES (?,?,?,?,?,?)',
      [String(d.username), String(d.displayName), String(d.role), String(d.organization), 'active', e.at],
    );
  },
  'operator.trained': (db, e) => {
    const d = e.data;
    run(db, 'UPDATE operators SET trained_on = ?, course = ?, trainer = ? WHERE username = ?', [
      String(d.date),
      String(d.course),
      String(d.trainer),
      String(d.username),
    ]);
  },
  'operator.disabled': (db, e) => {
    run(db, "UPDATE operators SET status = 'disabled', disabled_at = ? WHERE username = ?", [
      e.at,
      String(e.data.username),
    ]);
  },
  'operator.password_changed': () => {},
  /** An operator's own PDF signing certificate (src/ledger/document-signers.ts): nothing derived. */
  'operator.certificate': () => {},
  'ledger.restored': () => {},
  /** `custody upgrade` to format 2 (keys by role, signed events): it records the custodian's signing key. */
  'home.upgraded': () => {},
  'auth.failed': (db, e) => {
    run(db, 'UPDATE operators SET failed_logins = failed_logins + ?, last_failed_at = ? WHERE username = ?', [
      num(e.data.count) ?? 1,
      str(e.data.lastAt),
      String(e.data.username),
    ]);
  },
  'camera.added': (db, e) => {
    const d = e.data;
    run(
      db,
      'INSERT INTO cameras (id, location, description, make, model, serial, status, in_service_since, swap_cadence_days) VALUES (?,?,?,?,?,?,?,?,?)',
      [
        String(d.id),
        String(d.location),
        str(d.description),
        str(d.make),
        str(d.model),
        str(d.serial),
        'active',
        String(d.inServiceSince ?? e.at),
        num(d.swapCadenceDays),
      ],
    );
  },
  'camera.retired': (db, e) => {
    run(db, "UPDATE cameras SET status = 'retired', retired_at = ? WHERE id = ?", [
      String(e.data.retiredAt ?? e.at),
      String(e.data.id),
    ]);
  },
  'drive.enrolled': (db, e) => {
    const d = e.data;
    run(
      db,
      'INSERT INTO drives (id, label, serial, capacity_bytes, fs_type, state, enrolled_at, state_since, note, files_unimported, usb_serial, usb_vendor, usb_model) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)',
      [
        String(d.drive),
        str(d.label),
        str(d.serial),
        num(d.capacityBytes),
        str(d.fsType),
        'spare',
        e.at,
        e.at,
        str(d.note),
        num(d.mediaFiles),
        // Absent from events before schema 14.
        str(d.usbSerial),
        str(d.usbVendor),
        str(d.usbModel),
      ],
    );
    history(db, e, 'enrol', { note: d.note });
  },
  'drive.installed': (db, e) => {
    const id = String(e.data.drive);
    const to = nextDriveState(id, driveState(db, id), 'install');
    const at = String(e.data.at ?? e.at);
    run(
      db,
      'UPDATE drives SET state = ?, camera_id = ?, location = NULL, installed_at = ?, state_since = ? WHERE id = ?',
      [to, String(e.data.camera), at, at, id],
    );
    history(db, e, 'install', { camera: e.data.camera });
    // The drive that went into a camera left by an unfinished swap is that swap's replacement.
    run(
      db,
      "UPDATE swaps SET replacement = ?, installed_at = ? WHERE camera_id = ? AND status = 'open' AND drive_id != ? AND replacement IS NULL",
      [id, at, String(e.data.camera), id],
    );
  },
  'drive.removed': (db, e) => {
    const id = String(e.data.drive);
    const to = nextDriveState(id, driveState(db, id), 'remove');
    const at = String(e.data.at ?? e.at);
    run(db, 'UPDATE drives SET state = ?, removed_at = ?, state_since = ? WHERE id = ?', [to, at, at, id]);
    history(db, e, 'remove', { camera: e.data.camera });
  },
  'drive.stored': (db, e) => {
    const id = String(e.data.drive);
    const to = nextDriveState(id, driveState(db, id), 'store');
    const at = String(e.data.at ?? e.at);
    run(db, 'UPDATE drives SET state = ?, location = ?, stored_at = ?, state_since = ? WHERE id = ?', [
      to,
      String(e.data.location),
      at,
      at,
      id,
    ]);
    history(db, e, 'store', { location: e.data.location });
    run(db, "UPDATE swaps SET location = ?, stored_at = ? WHERE drive_id = ? AND status = 'open'", [
      String(e.data.location),
      at,
      id,
    ]);
  },
  'drive.released': (db, e) => {
    const id = String(e.data.drive);
    const to = nextDriveState(id, driveState(db, id), 'release');
    const at = String(e.data.at ?? e.at);
    run(db, 'UPDATE drives SET state = ?, released_to = ?, location = NULL, state_since = ? WHERE id = ?', [
      to,
      String(e.data.agency),
      at,
      id,
    ]);
    history(db, e, 'release', { note: e.data.request });
  },
  'drive.retired': (db, e) => {
    const id = String(e.data.drive);
    const to = nextDriveState(id, driveState(db, id), 'retire');
    const at = happenedAt(e);
    run(db, 'UPDATE drives SET state = ?, retired_at = ?, state_since = ?, note = ? WHERE id = ?', [
      to,
      at,
      at,
      str(e.data.reason),
      id,
    ]);
    history(db, e, 'retire', { note: e.data.reason });
  },
  // Policy §8: destroyed by recording over or wiping; who (the actor), when (at) and how (method).
  'drive.wiped': (db, e) => {
    const id = String(e.data.drive);
    nextDriveState(id, driveState(db, id), 'wipe');
    run(db, 'UPDATE drives SET wiped_at = ?, wipe_method = ?, files_unimported = 0 WHERE id = ?', [
      happenedAt(e),
      str(e.data.method),
      id,
    ]);
    history(db, e, 'wipe', { note: e.data.method });
  },
  'drive.destroyed': (db, e) => {
    const id = String(e.data.drive);
    const to = nextDriveState(id, driveState(db, id), 'destroy');
    const at = happenedAt(e);
    run(
      db,
      'UPDATE drives SET state = ?, destroyed_at = ?, wiped_at = ?, wipe_method = ?, files_unimported = 0, location = NULL, state_since = ? WHERE id = ?',
      [to, at, at, str(e.data.method), at, id],
    );
    history(db, e, 'destroy', { note: e.data.method });
  },
  // A swap as one transaction: its removal, its batch, where the drive is kept, its replacement.
  'swap.started': (db, e) => {
    const d = e.data;
    run(db, 'INSERT INTO swaps (id, drive_id, camera_id, status, started_at, removed_at) VALUES (?,?,?,?,?,?)', [
      String(d.swap),
      String(d.drive),
      String(d.camera),
      'open',
      e.at,
      String(d.removedAt),
    ]);
  },
  'swap.finished': (db, e) => {
    run(db, "UPDATE swaps SET status = 'finished', finished_at = ? WHERE id = ?", [e.at, String(e.data.swap)]);
  },
  'import.started': (db, e) => {
    const d = e.data;
    run(
      db,
      'INSERT INTO batches (id, drive_id, camera_id, operator, status, started_at, removed_at) VALUES (?,?,?,?,?,?,?)',
      [String(d.batch), String(d.drive), str(d.camera), e.actor, 'importing', e.at, str(d.removedAt)],
    );
    // The import of a drive with an unfinished swap is that swap's import (one batch per swap).
    run(db, "UPDATE batches SET swap_id = (SELECT id FROM swaps WHERE drive_id = ? AND status = 'open') WHERE id = ?", [
      String(d.drive),
      String(d.batch),
    ]);
  },
  'import.finished': (db, e) => {
    const d = e.data;
    run(
      db,
      `UPDATE batches SET status = 'imported', finished_at = ?, files = ?, stored = ?, duplicates = ?, skipped = ?, failed = ?, flagged = ?, bytes = ?,
       recorded_first = ?, recorded_last = ?, manifest_sha256 = ?, verified_at = ?, source_verified = ? WHERE id = ?`,
      [
        e.at,
        num(d.files),
        num(d.stored),
        num(d.duplicates),
        num(d.skipped),
        num(d.failed),
        num(d.flagged),
        num(d.bytes),
        str(d.recordedFirst),
        str(d.recordedLast),
        str(d.manifestSha256),
        str(d.verifiedAt),
        d.sourceVerified ? 1 : 0,
        String(d.batch),
      ],
    );
    // Every file the drive held was seen by the import: none is left un-imported.
    run(db, 'UPDATE drives SET files_unimported = 0 WHERE id = ?', [String(d.drive)]);
    if (d.recordedLast)
      run(db, 'UPDATE drives SET recorded_first = ?, recorded_last = ? WHERE id = ?', [
        str(d.recordedFirst),
        str(d.recordedLast),
        String(d.drive),
      ]);
  },
};
