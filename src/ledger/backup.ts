/**
 * The files of a backup location (issue 20). A backup is a folder on another disk:
 *
 *   manifest.json          the current generation, signed by the operator who made it (Ed25519, a
 *                          key the home's ledger records; the manifest names nobody): the home id, the generation number, the
 *                          ledger head, every file of the home by path, SHA-256 and size, and the
 *                          key file's name and SHA-256. Written last (temporary file, fsync, rename,
 *                          fsync of the folder): until it is renamed into place the previous
 *                          generation is the backup, whole.
 *   objects/<aa>/<sha256>  the home's files, content-addressed, so an unchanged file (every stored
 *                          image: they never change) is copied once; each copied object is re-read
 *                          and re-hashed before it takes its name.
 *   keys/<generation>.enc  the one key file: every key file the home holds in keys/ (batch keys and
 *                          recording-day keys, still sealed as in the home), sealed together under a
 *                          key derived from the evidence key. A home's keys/ folder is never copied
 *                          as it is; each backup writes a new key file and then overwrites and
 *                          removes every older one, so a destroyed key leaves the backup when the
 *                          next backup to it completes (or the purge that destroyed it reaches it).
 *
 * After the new manifest is in place, objects it does not name (files of destroyed recording days,
 * old versions of segments and of the ledger) are removed. This module reads and writes those
 * files; src/operations/backup.ts decides what goes in.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CustodyError } from '../core/errors.js';
import { ARCHIVE_DIR, type ArchiveAccess, segmentLabel } from './archive.js';
import { canonicalJson } from './canonical.js';
import { openBlobAny, sealBlob, subkey } from './crypto.js';
import { fsyncDir, sha256OfFile } from './fsutil.js';
import type { Ledger } from './ledger.js';
import { type SigningKey, signWithKey, verifyWithKey } from './signing.js';

export const BACKUP_FORMAT = 'custody-backup';
export const BACKUP_VERSION = 1;
export const MANIFEST = 'manifest.json';

export interface BackupEntry {
  /** The path inside the home ('/' separators). */
  path: string;
  sha256: string;
  size: number;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: number;
  /** The home's id (home.json): a backup of another home is refused. */
  home: string;
  generation: number;
  createdAt: string;
  ledgerHead: { seq: number; hash: string };
  files: BackupEntry[];
  keyFile: { name: string; sha256: string; size: number; keys: number };
  /** The signer's public key (Ed25519, SPKI DER base64), as the ledger records it. */
  publicKey: string;
  signature: string;
}

export type ManifestBody = Omit<BackupManifest, 'signature'>;

export function manifestFile(dir: string): string {
  return path.join(dir, MANIFEST);
}

export function objectPath(dir: string, sha256: string): string {
  return path.join(dir, 'objects', sha256.slice(0, 2), sha256);
}

export function keyFilePath(dir: string, name: string): string {
  return path.join(dir, 'keys', name);
}

/** The manifest of the backup in `dir`, or undefined when there is none; one that is not a custody backup is an integrity error. */
export function readManifest(dir: string): BackupManifest | undefined {
  let raw: string;
  try {
    raw = fs.readFileSync(manifestFile(dir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let m: BackupManifest;
  try {
    m = JSON.parse(raw) as BackupManifest;
  } catch {
    throw new CustodyError('integrity', `${manifestFile(dir)} is not valid JSON: the backup's manifest is damaged.`);
  }
  if (m.format !== BACKUP_FORMAT || !Array.isArray(m.files) || !m.keyFile || typeof m.home !== 'string')
    throw new CustodyError('integrity', `${manifestFile(dir)} is not the manifest of a custody backup.`);
  if (m.version > BACKUP_VERSION)
    throw new CustodyError('conflict', `The backup in ${dir} has format version ${m.version}; upgrade custody.`);
  return m;
}

export function signManifest(body: ManifestBody, key: SigningKey): BackupManifest {
  return { ...body, signature: signWithKey(key, canonicalJson(body)) };
}

export function manifestSignatureValid(m: BackupManifest): boolean {
  const { signature, ...body } = m;
  return verifyWithKey(m.publicKey, canonicalJson(body), signature);
}

/** Write the manifest last and atomically: until the rename, the previous one is the backup. */
/** The manifest's bytes as written, and their SHA-256 (what `backup.completed` records). */
export function manifestBytes(m: BackupManifest): { text: Buffer; sha256: string } {
  const text = Buffer.from(`${JSON.stringify(m, null, 1)}\n`);
  return { text, sha256: createHash('sha256').update(text).digest('hex') };
}

export function writeManifest(dir: string, m: BackupManifest): string {
  const { text, sha256 } = manifestBytes(m);
  writeDurable(manifestFile(dir), text);
  return sha256;
}

/**
 * Make one folder whose parent must exist: never `mkdir -p`, so a backup folder removed (or a disk
 * unmounted) while a backup runs is not silently made again on the disk beneath it.
 */
export function mkdirOne(d: string): void {
  try {
    fs.mkdirSync(d, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

let tmpCounter = 0;
/** A temporary name beside `file`, removed by `removeTemps` if the process dies before its rename. */
function tmpName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${tmpCounter++}.tmp`);
}

/** Write bytes to a temporary file, fsync, rename onto `file`, fsync the folder (which must exist). */
export function writeDurable(file: string, data: Buffer): void {
  const tmp = tmpName(file);
  try {
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    fsyncDir(path.dirname(file));
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Copy `src` into the backup as the object named `sha256`: written under a temporary name,
 * fsynced, read back and hashed (it must be `sha256`), then renamed into place. The folder's own
 * fsync is left to the caller (`syncObjectDirs`, once, before the manifest names the object).
 */
export async function copyObject(src: string, dir: string, sha256: string): Promise<void> {
  const dest = objectPath(dir, sha256);
  mkdirOne(path.join(dir, 'objects'));
  mkdirOne(path.dirname(dest));
  const tmp = tmpName(dest);
  try {
    await fs.promises.copyFile(src, tmp);
    const fh = await fs.promises.open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    const got = await sha256OfFile(tmp);
    if (got !== sha256)
      throw new CustodyError(
        'integrity',
        `The copy of ${src} in the backup does not match (SHA-256 ${got.slice(0, 16)}…, expected ${sha256.slice(0, 16)}…).`,
        'The backup disk may be failing; the previous backup is untouched.',
      );
    await fs.promises.rename(tmp, dest);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** fsync the object folders (after the copies, before the manifest that names them). */
export function syncObjectDirs(dir: string, shas: Iterable<string>): void {
  const dirs = new Set([...shas].map((h) => path.dirname(objectPath(dir, h))));
  for (const d of dirs) fsyncDir(d);
  fsyncDir(path.join(dir, 'objects'));
}

/** Whether the object is present with the size it should have (a quick check; `verifyObjects` re-hashes). */
export function hasObject(dir: string, sha256: string, size: number): boolean {
  try {
    return fs.statSync(objectPath(dir, sha256)).size === size;
  } catch {
    return false;
  }
}

const keyFileContext = (home: string, generation: number) => `custody-backup-keys:${home}:${generation}`;

/** The key a backup's key file is sealed with: derived from the evidence key, so only custodian and designees open it. */
export function backupKeysKey(evidence: Buffer): Buffer {
  return subkey(evidence, 'backup-keys');
}

/** The key file's contents: each key file of the home's keys/ folder by name, its sealed bytes as they are in the home. */
export type KeySet = Record<string, Buffer>;

export function sealKeyFile(evidence: Buffer, home: string, generation: number, keys: KeySet): Buffer {
  const json = JSON.stringify({
    version: 1,
    keys: Object.fromEntries(Object.entries(keys).map(([n, b]) => [n, b.toString('base64')])),
  });
  return sealBlob(backupKeysKey(evidence), Buffer.from(json), keyFileContext(home, generation));
}

/** Open a key file; undefined when it does not authenticate (wrong home, wrong generation, edited). */
export function openKeyFile(evidence: Buffer, home: string, generation: number, blob: Buffer): KeySet | undefined {
  // A key file sealed before a key rotation opens with the evidence key that rotation replaced.
  const plain = openBlobAny(evidence, 'backup-keys', blob, keyFileContext(home, generation));
  if (!plain) return undefined;
  const j = JSON.parse(plain.toString('utf8')) as { keys: Record<string, string> };
  return Object.fromEntries(Object.entries(j.keys).map(([n, b]) => [n, Buffer.from(b, 'base64')]));
}

/** Overwrite a file with random bytes, fsync, remove it (as the home's keys are destroyed). */
export function shredFile(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r+');
  } catch {
    return;
  }
  try {
    fs.writeSync(fd, randomBytes(fs.fstatSync(fd).size), 0);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.rmSync(file, { force: true });
}

/** Remove the temporary files a killed backup left (the lock of the home is held: no backup of ours is running). */
export function removeTemps(dir: string): number {
  let n = 0;
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/^\..+\.tmp$/.test(e.name)) {
        // A key file's temporary copy holds keys: overwrite it before it goes.
        if (d === path.join(dir, 'keys')) shredFile(p);
        else fs.rmSync(p, { force: true });
        n++;
      }
    }
  };
  walk(dir);
  return n;
}

/**
 * After a new manifest is in place: remove every object it does not name and shred every other
 * key file. Returns how many objects and key files were removed.
 */
export function collectGarbage(dir: string, m: BackupManifest): { objects: number; keyFiles: number } {
  const keep = new Set(m.files.map((f) => f.sha256));
  let objects = 0;
  let keyFiles = 0;
  const objRoot = path.join(dir, 'objects');
  for (const sub of safeList(objRoot)) {
    const d = path.join(objRoot, sub);
    for (const name of safeList(d)) {
      if (keep.has(name)) continue;
      fs.rmSync(path.join(d, name), { force: true });
      objects++;
    }
    if (!safeList(d).length) fs.rmSync(d, { recursive: true, force: true });
  }
  for (const name of safeList(path.join(dir, 'keys'))) {
    if (name === m.keyFile.name) continue;
    shredFile(keyFilePath(dir, name));
    keyFiles++;
  }
  fsyncDir(path.join(dir, 'keys'));
  return { objects, keyFiles };
}

function safeList(d: string): string[] {
  try {
    return fs.readdirSync(d);
  } catch {
    return [];
  }
}

/** Every file the manifest names and its key file, re-read and re-hashed: the problems, one sentence each. */
export async function verifyObjects(dir: string, m: BackupManifest): Promise<{ problems: string[]; bytes: number }> {
  const problems: string[] = [];
  let bytes = 0;
  const seen = new Map<string, string>();
  for (const f of m.files) {
    const known = seen.get(f.sha256);
    if (known !== undefined) {
      if (known) problems.push(known.replace(/^[^:]+/, f.path));
      continue;
    }
    const p = objectPath(dir, f.sha256);
    let problem = '';
    try {
      const got = await sha256OfFile(p);
      if (got !== f.sha256) problem = `${f.path}: its copy in the backup has been changed (SHA-256 does not match)`;
      else bytes += f.size;
    } catch {
      problem = `${f.path}: its copy in the backup is missing`;
    }
    seen.set(f.sha256, problem);
    if (problem) problems.push(problem);
  }
  try {
    const got = await sha256OfFile(keyFilePath(dir, m.keyFile.name));
    if (got !== m.keyFile.sha256) problems.push(`the key file keys/${m.keyFile.name} has been changed`);
  } catch {
    problems.push(`the key file keys/${m.keyFile.name} is missing`);
  }
  return { problems, bytes };
}

/**
 * The ledger's archive in a backup: every segment the backup's ledger names must be among the
 * manifest's files with the SHA-256 that ledger records (`verifyObjects` re-hashes each copy).
 */
export function archiveProblems(ledger: Ledger, m: BackupManifest): string[] {
  const byPath = new Map(m.files.map((f) => [f.path, f.sha256]));
  const problems: string[] = [];
  for (const r of ledger.segments()) {
    const sha = byPath.get(`${ARCHIVE_DIR}/${r.name}`);
    if (!sha) problems.push(`it lacks the ledger's archive segment ${segmentLabel(r)}`);
    else if (sha !== r.sha256)
      problems.push(`its archive segment ${segmentLabel(r)} is not the one its ledger records`);
  }
  return problems;
}

/** Where a backup's copy of each archive segment is (its object), for a ledger read from the backup. */
export function backupArchiveAccess(dir: string, m: BackupManifest, keys: Buffer[]): ArchiveAccess {
  const byPath = new Map(m.files.map((f) => [f.path, f.sha256]));
  return {
    locate: (name) => {
      const sha = byPath.get(`${ARCHIVE_DIR}/${name}`);
      return sha ? objectPath(dir, sha) : path.join(dir, ARCHIVE_DIR, name);
    },
    keys,
  };
}

/** A one-line error for a backup location that failed (full disk, folder gone), keeping the cause. */
export function backupIoError(e: unknown, dir: string): CustodyError {
  if (e instanceof CustodyError) return e;
  const err = e as NodeJS.ErrnoException;
  const untouched = 'the previous backup there is untouched and still usable';
  if (err?.code === 'ENOSPC' || err?.code === 'EDQUOT')
    return new CustodyError(
      'io',
      `The backup disk at ${dir} is full; ${untouched}.`,
      'Free space there (or use a larger disk), then run `custody backup` again; only new files are copied.',
      { cause: e },
    );
  if (err?.code === 'ENOENT' || err?.code === 'ENOTDIR' || err?.code === 'EIO' || err?.code === 'ENODEV')
    return new CustodyError(
      'io',
      `The backup folder ${dir} went away while the backup was written (${err.code}); ${untouched}.`,
      'Check that the backup disk is mounted, then run `custody backup` again.',
      { cause: e },
    );
  if (err?.code === 'EACCES' || err?.code === 'EPERM' || err?.code === 'EROFS')
    return new CustodyError('io', `Cannot write to the backup folder ${dir} (${err.code}).`, 'Check its permissions.', {
      cause: e,
    });
  return new CustodyError('io', `The backup to ${dir} failed: ${err?.message ?? String(e)}; ${untouched}.`, undefined, {
    cause: e,
  });
}

/** What a backup event records (`backup.completed`, `backup.failed`, `backup.verified`). */
export interface BackupEventData {
  location: string;
  generation?: number;
  files?: number;
  copied?: number;
  bytesCopied?: number;
  bytes?: number;
  keys?: number;
  removedObjects?: number;
  removedKeyFiles?: number;
  manifestSha256?: string;
  /** Why it ran: 'backup' (the command), 'purge' (a purge reaching its backups). */
  reason?: string;
  purge?: string;
  error?: string;
}

export interface BackupEvent {
  seq: number;
  at: string;
  type: 'backup.completed' | 'backup.failed' | 'backup.verified';
  actor: string;
  data: BackupEventData;
}

/** Every backup event of the ledger, oldest first. */
export function backupEvents(ledger: Ledger): BackupEvent[] {
  return ledger
    .rows<{ seq: number; at: string; type: BackupEvent['type']; actor: string; data: string }>(
      "SELECT seq, at, type, actor, data FROM events WHERE type IN ('backup.completed','backup.failed','backup.verified') ORDER BY seq",
    )
    .map((r) => ({ ...r, data: JSON.parse(r.data) as BackupEventData }));
}

/** A backup location as the health check and log-in report it. */
export interface BackupLocationStatus {
  location: string;
  /** The last backup completed (verified after writing) or verified there. */
  lastVerifiedAt: string | null;
  generation: number | null;
  /** The last thing that happened there: made, verified, or failed (with why). */
  lastResult: 'completed' | 'verified' | 'failed';
  lastAt: string;
  lastError: string | null;
  /** Whole days since lastVerifiedAt (null: never). */
  ageDays: number | null;
}
