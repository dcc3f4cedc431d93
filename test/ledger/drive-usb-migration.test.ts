/**
 * Schema 14: the USB device a drive was enrolled on (usb_serial, usb_vendor, usb_model on
 * `drives`). A ledger written at 13 — drives enrolled by events that carry no USB facts — opens,
 * gains the columns empty, and its derived tables still match a replay of its events; a drive
 * enrolled after carries them, from its event.
 */
import path from 'node:path';
import type { Database, SqlValue } from 'sql.js';
import { describe, expect, it } from 'vitest';
import { randomKey } from '../../src/ledger/crypto.js';
import { LEDGER_SCHEMA } from '../../src/ledger/features/index.js';
import { Ledger } from '../../src/ledger/ledger.js';
import type { LedgerSchema } from '../../src/ledger/schema.js';
import { tmpDir } from './helpers.js';

const AT = '2026-09-01T09:00:00.000-07:00';

/** The ledger as custody wrote it before schema 14: no USB columns, and `drive.enrolled` reduced without them. */
const SCHEMA_13: LedgerSchema = {
  ...LEDGER_SCHEMA,
  migrations: LEDGER_SCHEMA.migrations.filter((m) => m.version <= 13),
  version: 13,
  reducers: {
    ...LEDGER_SCHEMA.reducers,
    'drive.enrolled': (db: Database, e) => {
      const d = e.data as Record<string, SqlValue>;
      db.run(
        'INSERT INTO drives (id, label, serial, capacity_bytes, fs_type, state, enrolled_at, state_since, note, files_unimported) VALUES (?,?,?,?,?,?,?,?,?,?)',
        [
          d.drive!,
          d.label ?? null,
          d.serial ?? null,
          d.capacityBytes ?? null,
          d.fsType ?? null,
          'spare',
          e.at,
          e.at,
          null,
          null,
        ],
      );
      db.run('INSERT INTO drive_history (seq, drive_id, action, at) VALUES (?,?,?,?)', [
        e.seq,
        d.drive!,
        'enrol',
        e.at,
      ]);
    },
  },
};

describe('schema 14: the USB device of a drive', () => {
  it('an older ledger opens with its drives’ USB facts empty, replays the same, and records them for a new drive', async () => {
    expect(LEDGER_SCHEMA.version).toBeGreaterThanOrEqual(14);
    const file = path.join(tmpDir(), 'ledger.enc');
    const key = randomKey();
    const old = await Ledger.createEmpty(SCHEMA_13);
    old.append('drive.enrolled', 'asd', AT, {
      drive: 'D001',
      label: 'CAMDRIVE',
      serial: '1A2B-3C4D',
      capacityBytes: 16e9,
    });
    expect(old.rows("SELECT name FROM pragma_table_info('drives') WHERE name LIKE 'usb_%'")).toEqual([]);
    old.save(file, key);
    old.close();

    const l = await Ledger.load(file, key);
    expect(l.one<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'")!.value).toBe(
      String(LEDGER_SCHEMA.version),
    );
    expect(l.one("SELECT usb_serial, usb_vendor, usb_model FROM drives WHERE id = 'D001'")).toEqual({
      usb_serial: null,
      usb_vendor: null,
      usb_model: null,
    });
    expect(await l.verifyDerived()).toEqual([]);
    l.append('drive.enrolled', 'asd', AT, {
      drive: 'D002',
      serial: '0BAD-F00D',
      usbSerial: '4C530001230101115383',
      usbVendor: 'SanDisk',
      usbModel: 'Cruzer Blade',
    });
    expect(l.one("SELECT usb_serial, usb_vendor, usb_model FROM drives WHERE id = 'D002'")).toEqual({
      usb_serial: '4C530001230101115383',
      usb_vendor: 'SanDisk',
      usb_model: 'Cruzer Blade',
    });
    expect(await l.verifyDerived()).toEqual([]);
    // The column is derived: set by hand, the replay names it.
    l.db.run("UPDATE drives SET usb_serial = '4C530001250607109912' WHERE id = 'D002'");
    expect(await l.verifyDerived()).toEqual([
      'table drives does not match what the events say (it was edited outside the chain)',
    ]);
    l.close();
  });
});
