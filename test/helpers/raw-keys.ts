/**
 * The raw attack's first step, shared by every test that plays an operator outside the CLI: an
 * operator's keyring slot opened with scrypt and AES-GCM from the keyring file, `home.json`'s KDF
 * settings and the password alone — no code of the home's session, so a test of what a role's secret
 * reaches cannot be fooled by what the CLI chooses to do.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import initSqlJs, { type Database } from 'sql.js';
import { expect } from 'vitest';
import { deriveKek, openBlob, sealBlob, subkey } from '../../src/ledger/crypto.js';
import { Home, operatorKeyId } from '../../src/ledger/home.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { readMark, type SignedStateMark, writeMark } from '../../src/ledger/signed-mark.js';

/** The texts a slot is opened from: by default the home's own files, or a backup's or a copy's. */
export interface RawKeyringFiles {
  keyring: string;
  homeJson: string;
}

export function homeKeyringFiles(home: string): RawKeyringFiles {
  return {
    keyring: fs.readFileSync(path.join(home, 'keyring.json'), 'utf8'),
    homeJson: fs.readFileSync(path.join(home, 'home.json'), 'utf8'),
  };
}

/** The decrypted slot of `username` (its JSON fields: record, evidence, box, signingKey, epochs…). */
export async function openRawSlot(
  files: RawKeyringFiles,
  username: string,
  password: string,
): Promise<Record<string, string> & { recordEpoch?: number; evidenceEpoch?: number }> {
  const keyring = JSON.parse(files.keyring) as { operators: Record<string, { salt: string; wrapped: string }> };
  const kdf = (JSON.parse(files.homeJson) as { kdf: never }).kdf;
  const slot = keyring.operators[operatorKeyId(username)];
  expect(slot, `${username} has a slot in the keyring`).toBeDefined();
  const kek = await deriveKek(password, Buffer.from(slot!.salt, 'base64'), kdf);
  const plain = openBlob(kek, Buffer.from(slot!.wrapped, 'base64'), `custody-keyring-slot-v2:${username}`);
  expect(plain, `${username}'s slot opens with the password`).toBeDefined();
  return JSON.parse(plain!.toString('utf8')) as Record<string, string>;
}

/** Every 32-byte key a slot holds (base64 fields of exactly 32 bytes). */
export function slotSecrets(slot: Record<string, unknown>): Buffer[] {
  return Object.values(slot)
    .filter((v): v is string => typeof v === 'string' && /^[A-Za-z0-9+/]{43}=$/.test(v))
    .map((v) => Buffer.from(v, 'base64'));
}

/** The purposes the home derives keys for (crypto.ts subkey); an attacker tries them all. */
export const KEY_PURPOSES = [
  'batch-keys',
  'backup-keys',
  'signing',
  'documents',
  'ledger',
  'evidence',
  'plate-index',
  'anchor',
];

/** Each key and every purpose-derived key from it. */
export function withDerivedKeys(keys: Buffer[]): Buffer[] {
  return keys.flatMap((k) => [k, ...KEY_PURPOSES.map((p) => subkey(k, p))]);
}

/**
 * The auditor's edit of the derived tables: open `ledger.enc` with a record key (as every role holds
 * one), run `sql` on it with sql.js, seal it again in place — no code of the home's session.
 */
export async function editRawLedger(home: string, record: Buffer, sql: string[]): Promise<void> {
  await editRawLedgerDb(home, record, (db) => {
    for (const q of sql) db.run(q);
    expect(db.getRowsModified()).toBeGreaterThan(0);
  });
}

/** {@link editRawLedger} with any change `edit` makes to the opened database (sql.js), sealed again in place. */
export async function editRawLedgerDb(home: string, record: Buffer, edit: (db: Database) => void): Promise<void> {
  const req = createRequire(import.meta.url);
  const SQL = await initSqlJs({
    locateFile: (f: string) => path.join(path.dirname(req.resolve('sql.js/dist/sql-wasm.wasm')), f),
  });
  const file = path.join(home, 'ledger.enc');
  const key = subkey(record, 'ledger');
  const plain = openBlob(key, fs.readFileSync(file), 'custody-ledger');
  expect(plain, 'the record key opens the ledger').toBeDefined();
  const db = new SQL.Database(plain!);
  edit(db);
  fs.writeFileSync(file, sealBlob(key, Buffer.from(db.export()), 'custody-ledger'));
  db.close();
}

/**
 * The auditor's forged signed-state mark (src/ledger/signed-mark.ts): the mark of the ledger as it
 * is now (their edits included) with its own derived tables as the replay, sealed with what the
 * auditor holds — the record key in place of the evidence key. The home's own functions build it
 * (the format is no secret: an auditor reads the source); returns its content, to show what only
 * the seal keeps out.
 */
export async function forgeSignedStateMark(
  home: string,
  record: Buffer,
  /** The key it is sealed with in place of the evidence key (the record key by default). */
  sealWith: Buffer = record,
): Promise<{ mark: SignedStateMark; state: Buffer }> {
  const h = Home.open(home);
  const ledger = await Ledger.load(h.ledgerFile, subkey(record, 'ledger'));
  const req = createRequire(import.meta.url);
  const SQL = await initSqlJs({
    locateFile: (f: string) => path.join(path.dirname(req.resolve('sql.js/dist/sql-wasm.wasm')), f),
  });
  const tables = new SQL.Database(ledger.db.export());
  tables.run('DELETE FROM events');
  tables.run('DELETE FROM event_sigs');
  tables.run('DELETE FROM archive_segments');
  const copy = await Ledger.fromState(tables.export());
  tables.close();
  try {
    const mark = writeMark(h, sealWith, ledger, copy);
    const opened = readMark(h, sealWith);
    expect(opened?.mark).toEqual(mark);
    return opened!;
  } finally {
    copy.close();
    ledger.close();
  }
}
