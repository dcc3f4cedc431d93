/**
 * Backups that survive a dead disk and still honour destruction (issue 20).
 *
 * `backup` copies the home into a backup folder (src/ledger/backup.ts describes its files): only
 * files not already there are copied (the store never changes, so an incremental backup copies the
 * new imports, the ledger and what changed); every copied file is re-read and re-hashed; the signed
 * manifest goes in last, so a backup interrupted anywhere leaves the previous one whole. The home's
 * keys/ folder is never copied as it is: the live keys go into one key file per backup, sealed
 * under a key derived from the evidence key, and each backup overwrites and removes the key files
 * and the objects the new manifest no longer names. So once a recording day is purged, no backup
 * made by `custody backup` can read it after the next backup to that location completes — and a
 * purge runs that backup itself for every location it knows that is reachable (`reachBackups`).
 *
 * `verifyBackup` checks a backup against the home (same home, signed by an operator the ledger
 * records, its ledger head in the home's chain, every file re-hashed, the key file opens);
 * `verifyBackupAlone` the same against the backup's own ledger, when the home is gone.
 * `restoreFromBackup` makes a new home from a backup.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CustodyError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { localDate, parseIsoWithOffset, type Clock } from '../core/time.js';
import {
  type BackupEntry,
  type BackupEvent,
  type BackupLocationStatus,
  type BackupManifest,
  BACKUP_FORMAT,
  BACKUP_VERSION,
  backupEvents,
  backupIoError,
  collectGarbage,
  copyObject,
  hasObject,
  type KeySet,
  keyFilePath,
  MANIFEST,
  manifestFile,
  manifestSignatureValid,
  mkdirOne,
  objectPath,
  openKeyFile,
  readManifest,
  removeTemps,
  sealKeyFile,
  signManifest,
  syncObjectDirs,
  verifyObjects,
  archiveProblems,
  backupArchiveAccess,
  writeDurable,
  writeManifest,
  manifestBytes,
  type BackupEventData,
} from '../ledger/backup.js';
import { openBlob, sealBlob, subkey } from '../ledger/crypto.js';
import { fsyncDir, sha256OfFile, writeFileAtomic } from '../ledger/fsutil.js';
import {
  type HomeJson,
  homeFileMode,
  homeFiles,
  type Keyring,
  ledgerKeyOf,
  ledgerKeysOf,
  type OperatorKeys,
  unlockSlot,
} from '../ledger/home.js';
import { checkNewHome, checkOutput } from '../ledger/outputs.js';
import { Ledger } from '../ledger/ledger.js';
import { type Credentials, openSession, type Session } from '../ledger/session.js';
import { keyIdOf } from '../ledger/signing.js';
import { backupSignerProblem, recordedKeys } from '../ledger/verify.js';

const DAY_MS = 86_400_000;
/** Objects copied at once: their fsyncs overlap. */
const COPY_CONCURRENCY = 4;
/** The default of the `backupIntervalDays` setting: an overdue line at log-in after this many days without a verified backup. */
export const DEFAULT_BACKUP_INTERVAL_DAYS = 7;

export interface BackupInput {
  /** The backup folder (absolute or relative to the working folder). */
  to: string;
  /** 'purge' when a purge reaches its backups; recorded in the event. */
  reason?: 'backup' | 'purge';
  purge?: string;
  /** Called after each file of the home is dealt with (progress). */
  onFile?: (done: number, total: number) => void;
}

export interface BackupOutcome {
  location: string;
  /** The backup folder is on the file system the home is on: it does not survive that disk. */
  sameDiskAsHome: boolean;
  generation: number;
  createdAt: string;
  /** Files of the home in the backup (besides the key file). */
  files: number;
  bytes: number;
  /** Files copied by this backup (the others were there already). */
  copied: number;
  bytesCopied: number;
  /** Keys in the key file (batch and recording-day keys the home holds). */
  keys: number;
  /** Objects and key files of earlier generations removed. */
  removedObjects: number;
  removedKeyFiles: number;
  manifestSha256: string;
}

/** The backup folder made ready: the previous manifest (if any) of this home; anything else refused before a byte is written. */
function prepareLocation(s: Session, dir: string): BackupManifest | undefined {
  // Never inside the home nor holding it, by real paths (a link into the home does not slip by).
  checkOutput(s.home.dir, dir, { what: 'the backup folder', flag: '--to (a folder on another disk)', kind: 'dir' });
  if (!fs.existsSync(dir)) {
    if (!fs.existsSync(path.dirname(dir)))
      throw new CustodyError(
        'notFound',
        `The backup folder ${dir} cannot be made: ${path.dirname(dir)} does not exist.`,
        'Mount the backup disk (or create the folder that holds the backup), then run the command again.',
      );
    mkdirOne(dir);
  }
  if (!fs.statSync(dir).isDirectory()) throw new CustodyError('usage', `${dir} is not a folder.`);
  const prev = readManifest(dir);
  if (prev && prev.home !== s.home.json.homeId)
    throw new CustodyError(
      'integrity',
      `${dir} holds a backup of another home (home id ${prev.home}), not of this one (${s.home.json.homeId}); nothing was written.`,
      'Use an empty folder, or the folder that holds this home’s backup.',
    );
  if (!prev) {
    // A first backup killed before its manifest leaves objects/ and keys/ only.
    const other = fs.readdirSync(dir).filter((n) => n !== 'objects' && n !== 'keys' && !/^\..+\.tmp$/.test(n));
    if (other.length)
      throw new CustodyError(
        'conflict',
        `${dir} is not empty and holds no custody backup (it has ${other.slice(0, 3).join(', ')}${other.length > 3 ? ', …' : ''}); nothing was written.`,
        'Choose an empty folder (or a new one) for the backup.',
      );
  }
  removeTemps(dir);
  mkdirOne(path.join(dir, 'objects'));
  mkdirOne(path.join(dir, 'keys'));
  return prev;
}

/**
 * Back up the home to `o.to` (see the module comment). Needs the evidence key (custodian or
 * designee). A failure while writing (full disk, folder gone) is recorded as `backup.failed` and
 * leaves the previous backup as it was; a refused location records nothing.
 */
export async function backup(s: Session, o: BackupInput): Promise<BackupOutcome> {
  // The home is copied as one state: no commit (nor a purge) changes it while the backup is written.
  return s.exclusive(() => backupNow(s, o));
}

async function backupNow(s: Session, o: BackupInput): Promise<BackupOutcome> {
  const evidence = s.master;
  const dir = path.resolve(o.to);
  const reason = o.reason ?? 'backup';
  const prev = prepareLocation(s, dir);
  if (onHomeDisk(s, dir))
    s.warn(
      `the backup folder ${dir} is on the same disk as the home: it does not survive that disk's failure (policy §9); keep a backup on another disk (a second drive, a NAS share).`,
    );
  const older = prev && olderThanRecorded(dir, prev.generation, prev.createdAt, s.ledger);
  if (older) s.warn(`${older}; this backup replaces it.`);
  if (s.ledger.hasUnsavedChanges) s.commit();
  try {
    const out = await writeBackup(s, evidence, dir, prev, o);
    s.append('backup.completed', {
      location: dir,
      generation: out.generation,
      files: out.files,
      bytes: out.bytes,
      copied: out.copied,
      bytesCopied: out.bytesCopied,
      keys: out.keys,
      removedObjects: out.removedObjects,
      removedKeyFiles: out.removedKeyFiles,
      manifestSha256: out.manifestSha256,
      reason,
      ...(o.purge ? { purge: o.purge } : {}),
    });
    s.commit();
    clearStagedBackup(s);
    return out;
  } catch (e) {
    const err = backupIoError(e, dir);
    recordFailure(s, dir, reason, err.message, o.purge);
    throw err;
  }
}

function recordFailure(s: Session, location: string, reason: string, error: string, purge?: string): void {
  try {
    s.append('backup.failed', { location, reason, error, ...(purge ? { purge } : {}) });
    s.commit();
  } catch {
    /* the failure itself is what the operator sees */
  }
}

async function writeBackup(
  s: Session,
  evidence: Buffer,
  dir: string,
  prev: BackupManifest | undefined,
  o: BackupInput,
): Promise<BackupOutcome> {
  const all = homeFiles(s.home.dir);
  const before = new Map(prev?.files.map((f) => [f.path, f]) ?? []);
  const files: BackupEntry[] = [];
  const keys: KeySet = {};
  const copies = new Map<string, string>(); // sha256 → a source file with that content
  let bytesCopied = 0;
  let done = 0;
  for (const f of all) {
    const src = path.join(s.home.dir, f.rel);
    if (f.kind === 'key') {
      keys[path.basename(f.rel)] = fs.readFileSync(src);
    } else {
      const p = before.get(f.rel);
      let sha: string;
      // A stored file never changes once written: the same path and size already in the backup is that file.
      if (f.kind === 'immutable' && p && p.size === f.size && hasObject(dir, p.sha256, f.size)) sha = p.sha256;
      else {
        sha = await sha256OfFile(src);
        if (!copies.has(sha) && !hasObject(dir, sha, f.size)) {
          copies.set(sha, src);
          bytesCopied += f.size;
          files.push({ path: f.rel, sha256: sha, size: f.size });
          continue; // counted when copied
        }
      }
      files.push({ path: f.rel, sha256: sha, size: f.size });
    }
    o.onFile?.(++done, all.length);
  }
  // The copies, a few at a time (each one's fsync is what takes the time), then their folders synced once.
  const jobs = [...copies.entries()];
  let next = 0;
  let stop = false;
  const worker = async () => {
    while (!stop && next < jobs.length) {
      const [sha, src] = jobs[next++]!;
      try {
        await copyObject(src, dir, sha);
      } catch (e) {
        stop = true; // the others finish the copy in hand and take no more
        throw e;
      }
      o.onFile?.(++done, all.length);
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(COPY_CONCURRENCY, jobs.length) }, worker));
  const failure = settled.find((r) => r.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
  syncObjectDirs(dir, copies.keys());
  const copied = copies.size;
  // After the newest generation the home recorded here too: a folder put back from an older copy
  // is replaced by a generation the home has not numbered before.
  const generation = Math.max(prev?.generation ?? 0, lastRecordedGeneration(s.ledger, dir)?.generation ?? 0) + 1;
  const home = s.home.json.homeId;
  const keyBlob = sealKeyFile(evidence, home, generation, keys);
  const keyName = `${generation}.enc`;
  writeDurable(keyFilePath(dir, keyName), keyBlob);
  const keySha = await sha256OfFile(keyFilePath(dir, keyName));
  if (keySha !== sha256Hex(keyBlob))
    throw new CustodyError('integrity', `The key file written to ${dir} does not read back as written.`);
  const createdAt = s.now();
  const manifest = signManifest(
    {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      home,
      generation,
      createdAt,
      ledgerHead: s.ledger.head,
      files,
      keyFile: { name: keyName, sha256: keySha, size: keyBlob.length, keys: Object.keys(keys).length },
      publicKey: s.keys.signing.publicKey,
    },
    s.keys.signing,
  );
  // The record is staged before the manifest goes in: a run killed between the two is recorded at
  // the next log-in of a custodian or designee (settleStagedBackup), not left a backup the home
  // does not know.
  stageBackup(s, evidence, {
    location: dir,
    generation,
    files: files.length,
    bytes: files.reduce((a, f) => a + f.size, 0),
    copied: copies.size,
    bytesCopied,
    keys: Object.keys(keys).length,
    manifestSha256: manifestBytes(manifest).sha256,
    reason: o.reason ?? 'backup',
    ...(o.purge ? { purge: o.purge } : {}),
  });
  const manifestSha256 = writeManifest(dir, manifest);
  if ((await sha256OfFile(manifestFile(dir))) !== manifestSha256)
    throw new CustodyError('integrity', `The manifest written to ${dir} does not read back as written.`);
  const removed = collectGarbage(dir, manifest);
  return {
    location: dir,
    sameDiskAsHome: onHomeDisk(s, dir),
    generation,
    createdAt,
    files: files.length,
    bytes: files.reduce((a, f) => a + f.size, 0),
    copied,
    bytesCopied,
    keys: Object.keys(keys).length,
    removedObjects: removed.objects,
    removedKeyFiles: removed.keyFiles,
    manifestSha256,
  };
}

// ---------------------------------------------------------------------------------------------
// Checking a backup

export interface BackupCheck {
  location: string;
  home: string;
  generation: number;
  createdAt: string;
  by: string;
  ledgerHead: { seq: number; hash: string };
  files: number;
  bytes: number;
  /** Keys in the key file, when the operator holds the evidence key (null: not opened, an auditor). */
  keys: number | null;
  /** What the backup was checked against: this home, or (the home gone) the backup's own ledger. */
  against: 'home' | 'backup';
}

function manifestOf(dir: string): BackupManifest {
  const m = readManifest(dir);
  if (!m)
    throw new CustodyError(
      'notFound',
      `No custody backup in ${dir} (no ${MANIFEST}).`,
      'Name the folder given to `custody backup --to`.',
    );
  return m;
}

/** The operator whose key signed the manifest, as the ledger records them (the manifest names nobody). */
function signerOf(m: BackupManifest, ledger: Ledger): string {
  return recordedKeys(ledger).byId.get(keyIdOf(m.publicKey))?.username ?? 'an unknown key';
}

/** The manifest's signature, and that its signer is an operator the ledger records. */
function signerProblems(m: BackupManifest, ledger: Ledger): string[] {
  if (!manifestSignatureValid(m)) return ['the manifest has been changed (its signature does not match)'];
  const p = backupSignerProblem(ledger, m.publicKey, m.ledgerHead.seq);
  return p ? [p] : [];
}

/** Whether `dir` is on the file system the home is on (a backup there dies with that disk). */
function onHomeDisk(s: Session, dir: string): boolean {
  try {
    return fs.statSync(dir).dev === fs.statSync(s.home.dir).dev;
  } catch {
    return false;
  }
}

/** The newest backup generation this home recorded to `dir`, and when (undefined when none). */
function lastRecordedGeneration(ledger: Ledger, dir: string): { generation: number; at: string } | undefined {
  let last: { generation: number; at: string } | undefined;
  for (const r of ledger.rows<{ at: string; data: string }>(
    "SELECT at, data FROM events WHERE type = 'backup.completed' ORDER BY seq",
  )) {
    const d = JSON.parse(r.data) as { location?: string; generation?: number };
    if (d.location === dir && typeof d.generation === 'number' && d.generation > (last?.generation ?? 0))
      last = { generation: d.generation, at: r.at };
  }
  return last;
}

/** A folder holding an older generation than the home's last backup to it: an older copy was put back. */
function olderThanRecorded(dir: string, generation: number, createdAt: string, ledger: Ledger): string | undefined {
  const last = lastRecordedGeneration(ledger, dir);
  if (!last || last.generation <= generation) return undefined;
  return `${dir} holds backup generation ${generation} (made ${createdAt}), older than this home's last backup to it, generation ${last.generation} (${last.at}): an older backup was put back in its place`;
}

/**
 * Against the home: the manifest must be the one the home recorded when it made (or restored
 * from) that generation — its SHA-256 in the `backup.completed` (or `home.restored`) event. A
 * manifest re-signed by anyone after is refused; so is a generation the home never recorded.
 */
function recordedManifestProblems(dir: string, m: BackupManifest, ledger: Ledger): string[] {
  const recorded = ledger
    .rows<{ data: string }>("SELECT data FROM events WHERE type IN ('backup.completed', 'home.restored')")
    .map((r) => JSON.parse(r.data) as { generation?: number; manifestSha256?: string })
    .filter((d) => d.generation === m.generation);
  if (!recorded.length) return [`this home records no backup of generation ${m.generation}`];
  const hashes = recorded.flatMap((d) => (d.manifestSha256 ? [d.manifestSha256] : []));
  if (!hashes.length) return []; // recorded by a custody that kept no manifest hash
  const sha = sha256Hex(fs.readFileSync(manifestFile(dir)));
  return hashes.includes(sha)
    ? []
    : [`the manifest is not the one this home recorded for generation ${m.generation} (it was re-written after)`];
}

function keyFileProblems(
  dir: string,
  m: BackupManifest,
  evidence: Buffer | undefined,
): { keys: number | null; problems: string[] } {
  if (!evidence) return { keys: null, problems: [] };
  let blob: Buffer;
  try {
    blob = fs.readFileSync(keyFilePath(dir, m.keyFile.name));
  } catch {
    return { keys: null, problems: [] }; // named by verifyObjects
  }
  const set = openKeyFile(evidence, m.home, m.generation, blob);
  if (!set)
    return {
      keys: null,
      problems: [`the key file keys/${m.keyFile.name} does not open with this home's evidence key`],
    };
  return { keys: Object.keys(set).length, problems: [] };
}

function failed(dir: string, problems: string[]): CustodyError {
  return new CustodyError(
    'integrity',
    `The backup in ${dir} failed its check: ${problems[0]!.replace(/\.$/, '')}${problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : ''}.`,
    'Do not restore from it; make a new backup to another folder with `custody backup --to`.',
  );
}

/** `custody backup verify DIR` with the home present: the backup checked against it, the result recorded. */
export async function verifyBackup(s: Session, to: string): Promise<BackupCheck & { problems: string[] }> {
  const dir = path.resolve(to);
  const m = manifestOf(dir);
  if (m.home !== s.home.json.homeId)
    throw new CustodyError(
      'integrity',
      `${dir} holds a backup of another home (home id ${m.home}), not of this one (${s.home.json.homeId}).`,
      'Name this home’s backup folder, or check it with --home pointing at the home it was made from.',
    );
  const problems = signerProblems(m, s.ledger);
  if (!problems.length) problems.push(...recordedManifestProblems(dir, m, s.ledger));
  const older = olderThanRecorded(dir, m.generation, m.createdAt, s.ledger);
  if (older) problems.unshift(older);
  if (!problems.length) problems.push(...(await backupArchiveProblems(dir, m, ledgerKeysOf(s.keys))));
  const atSeq = s.ledger.eventAt(m.ledgerHead.seq);
  if (!problems.length && atSeq?.hash !== m.ledgerHead.hash)
    problems.push(`its ledger head #${m.ledgerHead.seq} is not in this home's ledger`);
  const objects = await verifyObjects(dir, m);
  problems.push(...objects.problems);
  const k = keyFileProblems(dir, m, s.keys.evidence);
  problems.push(...k.problems);
  const check: BackupCheck = { ...summary(dir, m, objects.bytes, s.ledger), keys: k.keys, against: 'home' };
  if (problems.length) {
    recordFailure(s, dir, 'verify', failed(dir, problems).message);
    throw failed(dir, problems);
  }
  s.append('backup.verified', {
    location: dir,
    generation: m.generation,
    files: m.files.length,
    bytes: objects.bytes,
    ...(k.keys === null ? {} : { keys: k.keys }),
  });
  s.commit();
  return { ...check, problems };
}

/**
 * Against the home: the backup's own ledger (opened with this home's record keys, those rotations
 * replaced too) names archive segments; each must be in the backup, the one it records.
 */
async function backupArchiveProblems(dir: string, m: BackupManifest, keys: Buffer[]): Promise<string[]> {
  const file = objectOf(dir, m, 'ledger.enc');
  for (const key of keys) {
    let ledger: Ledger;
    try {
      ledger = await Ledger.load(file, key);
    } catch {
      continue;
    }
    try {
      return archiveProblems(ledger, m);
    } finally {
      ledger.close();
    }
  }
  return [`its ledger ledger.enc does not open with this home's record keys`];
}

function summary(dir: string, m: BackupManifest, bytes: number, ledger: Ledger): Omit<BackupCheck, 'keys' | 'against'> {
  return {
    location: dir,
    home: m.home,
    generation: m.generation,
    createdAt: m.createdAt,
    by: signerOf(m, ledger),
    ledgerHead: m.ledgerHead,
    files: m.files.length,
    bytes,
  };
}

/** A backup opened on its own: the home.json, keyring and ledger it holds, the operator's keys from its keyring. */
interface OpenedBackup {
  manifest: BackupManifest;
  homeJson: HomeJson;
  keys: OperatorKeys;
  ledger: Ledger;
}

function objectOf(dir: string, m: BackupManifest, rel: string): string {
  const e = m.files.find((f) => f.path === rel);
  if (!e) throw new CustodyError('integrity', `The backup in ${dir} holds no ${rel}.`);
  return objectPath(dir, e.sha256);
}

async function openBackup(dir: string, m: BackupManifest, credentials: Credentials): Promise<OpenedBackup> {
  let homeJson: HomeJson;
  let keyring: Keyring;
  try {
    homeJson = JSON.parse(fs.readFileSync(objectOf(dir, m, 'home.json'), 'utf8')) as HomeJson;
    keyring = JSON.parse(fs.readFileSync(objectOf(dir, m, 'keyring.json'), 'utf8')) as Keyring;
  } catch (e) {
    if (e instanceof CustodyError) throw e;
    throw new CustodyError('integrity', `The backup in ${dir} has a damaged home.json or keyring.json.`);
  }
  if (homeJson.homeId !== m.home)
    throw new CustodyError(
      'integrity',
      `The backup in ${dir} holds the home.json of another home (${homeJson.homeId}).`,
    );
  const keys = await unlockSlot(keyring, homeJson.kdf, credentials.username, credentials.password);
  if (!keys)
    throw new CustodyError(
      'auth',
      `Log-in to the backup in ${dir} failed for "${credentials.username}": unknown operator or wrong password (as of the backup).`,
    );
  let ledger: Ledger;
  try {
    ledger = await Ledger.load(objectOf(dir, m, 'ledger.enc'), ledgerKeyOf(keys.record));
    ledger.archive = backupArchiveAccess(dir, m, ledgerKeysOf(keys));
  } catch (e) {
    throw new CustodyError('integrity', `The ledger in the backup in ${dir} cannot be opened: ${(e as Error).message}`);
  }
  return { manifest: m, homeJson, keys, ledger };
}

/** `custody backup verify DIR` when the home is gone: checked against the backup's own ledger, logged in with its keyring. */
export async function verifyBackupAlone(to: string, credentials: Credentials): Promise<BackupCheck> {
  const dir = path.resolve(to);
  const m = manifestOf(dir);
  const b = await openBackup(dir, m, credentials);
  try {
    const problems = signerProblems(m, b.ledger);
    if (!problems.length && (b.ledger.head.seq !== m.ledgerHead.seq || b.ledger.head.hash !== m.ledgerHead.hash))
      problems.push('its ledger is not the one the manifest names');
    problems.push(...archiveProblems(b.ledger, m));
    const objects = await verifyObjects(dir, m);
    problems.push(...objects.problems);
    const k = keyFileProblems(dir, m, b.keys.evidence);
    problems.push(...k.problems);
    if (problems.length) throw failed(dir, problems);
    return { ...summary(dir, m, objects.bytes, b.ledger), keys: k.keys, against: 'backup' };
  } finally {
    b.ledger.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Restoring

export interface RestoreInput {
  from: string;
  homeDir: string;
  credentials: Credentials;
  clock: Clock;
}

export interface RestoreOutcome {
  home: string;
  from: string;
  generation: number;
  backupCreatedAt: string;
  files: number;
  keys: number;
  ledgerHead: { seq: number; hash: string };
}

/**
 * A new home from a backup: the backup is checked whole first (signature, every file re-hashed,
 * the key file opened with the operator's evidence key), then written into an empty folder, the
 * keys put back into keys/, and a `home.restored` event recorded. Anything failing leaves no home.
 */
export async function restoreFromBackup(o: RestoreInput): Promise<RestoreOutcome> {
  const from = path.resolve(o.from);
  const target = checkNewHome(from, o.homeDir);
  const m = manifestOf(from);
  const b = await openBackup(from, m, o.credentials);
  let keySet: KeySet | undefined;
  let backupBy: string;
  try {
    backupBy = signerOf(m, b.ledger);
    if (!b.keys.evidence)
      throw new CustodyError(
        'denied',
        `Restoring needs the evidence key: ${o.credentials.username} holds none (an auditor).`,
        'Log in as the custodian or a designee.',
      );
    const problems = signerProblems(m, b.ledger);
    if (!problems.length && (b.ledger.head.seq !== m.ledgerHead.seq || b.ledger.head.hash !== m.ledgerHead.hash))
      problems.push('its ledger is not the one the manifest names');
    problems.push(...archiveProblems(b.ledger, m));
    problems.push(...(await verifyObjects(from, m)).problems);
    if (!problems.length) {
      keySet = openKeyFile(b.keys.evidence, m.home, m.generation, fs.readFileSync(keyFilePath(from, m.keyFile.name)));
      if (!keySet) problems.push(`the key file keys/${m.keyFile.name} does not open with this home's evidence key`);
    }
    if (problems.length) throw failed(from, problems);
  } finally {
    b.ledger.close();
  }
  // Written beside the target and renamed into place last: a restore killed part-way leaves no
  // half-made home (only the staging folder, which the next restore does not need).
  fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  const staging = path.join(path.dirname(target), `.${path.basename(target)}.restoring-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    fs.mkdirSync(staging, { mode: 0o700 });
    await writeRestoredFiles(from, staging, m, keySet!);
    const s = await openSession({
      homeDir: staging,
      credentials: o.credentials,
      clock: o.clock,
      command: 'restore --from',
    });
    try {
      s.append('home.restored', {
        from,
        generation: m.generation,
        backupCreatedAt: m.createdAt,
        backupBy,
        ledgerHead: m.ledgerHead,
        files: m.files.length,
        keys: Object.keys(keySet!).length,
      });
      s.commit();
    } finally {
      s.close();
    }
    if (fs.existsSync(target)) fs.rmdirSync(target); // empty, checked above
    fs.renameSync(staging, target);
    fsyncDir(path.dirname(target));
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  return {
    home: target,
    from,
    generation: m.generation,
    backupCreatedAt: m.createdAt,
    files: m.files.length,
    keys: Object.keys(keySet!).length,
    ledgerHead: m.ledgerHead,
  };
}

async function writeRestoredFiles(from: string, target: string, m: BackupManifest, keys: KeySet): Promise<void> {
  for (const sub of ['signing', 'keys', 'segments', 'store'])
    fs.mkdirSync(path.join(target, sub), { mode: 0o700, recursive: true });
  for (const f of m.files) {
    const dest = path.join(target, ...f.path.split('/'));
    if (!dest.startsWith(target + path.sep))
      throw new CustodyError('integrity', `The backup's manifest names a path outside the home: ${f.path}.`);
    fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
    fs.copyFileSync(objectPath(from, f.sha256), dest);
    fs.chmodSync(dest, homeFileMode(f.path));
    if ((await sha256OfFile(dest)) !== f.sha256)
      throw new CustodyError('io', `${f.path} did not restore as it is in the backup (read back differently).`);
  }
  for (const [name, blob] of Object.entries(keys)) {
    if (!/^[^/\\]+\.key$/.test(name))
      throw new CustodyError('integrity', `The backup's key file names a bad key file: ${name}.`);
    writeFileAtomic(path.join(target, 'keys', name), blob);
  }
}

// ---------------------------------------------------------------------------------------------
// Destruction reaching the backups, and the status for health and log-in

/** The backup locations this home knows: every folder a backup was once completed to, in the order first used. */
export function knownLocations(s: Session): string[] {
  return [
    ...new Set(
      backupEvents(s.ledger)
        .filter((e) => e.type === 'backup.completed')
        .map((e) => e.data.location),
    ),
  ];
}

export interface ReachedBackup {
  location: string;
  reached: boolean;
  at?: string;
  generation?: number;
  error?: string;
}

/**
 * After a purge: every known backup location that is reachable gets a new backup (its key file
 * rewritten without the destroyed keys, the older key files overwritten and removed, the
 * destroyed files' objects deleted); one that is not reachable is recorded as such. The
 * certificate of destruction says which (`purgeBackupFacts`).
 */
export async function reachBackups(s: Session, purge: string): Promise<ReachedBackup[]> {
  const out: ReachedBackup[] = [];
  for (const location of knownLocations(s)) {
    if (!fs.existsSync(manifestFile(location))) {
      const error = `${location} was not reachable (no backup there: the disk not mounted, or the folder gone)`;
      recordFailure(s, location, 'purge', error, purge);
      out.push({ location, reached: false, error });
      continue;
    }
    try {
      const r = await backup(s, { to: location, reason: 'purge', purge });
      out.push({ location, reached: true, at: r.createdAt, generation: r.generation });
    } catch (e) {
      const error = (e as Error).message;
      // A refused location (another home's backup there now) records nothing by itself.
      if (
        !backupEvents(s.ledger).some(
          (x) => x.type === 'backup.failed' && x.data.purge === purge && x.data.location === location,
        )
      )
        recordFailure(s, location, 'purge', error, purge);
      out.push({ location, reached: false, error });
    }
  }
  return out;
}

/** What the ledger records of a purge reaching the backups (for its certificate). */
export function purgeBackupFacts(s: Session, purge: string): ReachedBackup[] {
  const evs = backupEvents(s.ledger).filter((e) => e.data.purge === purge);
  const by = new Map<string, ReachedBackup>();
  for (const e of evs) {
    const prev = by.get(e.data.location);
    if (prev?.reached) continue;
    by.set(
      e.data.location,
      e.type === 'backup.completed'
        ? { location: e.data.location, reached: true, at: e.at, generation: e.data.generation }
        : { location: e.data.location, reached: false, error: e.data.error },
    );
  }
  return [...by.values()];
}

const dateOf = (s: string): Date => parseIsoWithOffset(s) ?? new Date(s);

/** Each location's last backup, its age and its last result. */
export function backupStatus(s: Session): BackupLocationStatus[] {
  const now = s.clock().getTime();
  const by = new Map<string, BackupEvent[]>();
  for (const e of backupEvents(s.ledger)) by.set(e.data.location, [...(by.get(e.data.location) ?? []), e]);
  return [...by.entries()].map(([location, evs]) => {
    const last = evs[evs.length - 1]!;
    const ok = [...evs].reverse().find((e) => e.type !== 'backup.failed');
    return {
      location,
      lastVerifiedAt: ok?.at ?? null,
      generation: ok?.data.generation ?? null,
      lastResult:
        last.type === 'backup.completed' ? 'completed' : last.type === 'backup.verified' ? 'verified' : 'failed',
      lastAt: last.at,
      lastError: last.type === 'backup.failed' ? (last.data.error ?? null) : null,
      ageDays: ok ? Math.floor((now - dateOf(ok.at).getTime()) / DAY_MS) : null,
    };
  });
}

export function backupIntervalDays(s: Session): number {
  return s.settings.backupIntervalDays ?? DEFAULT_BACKUP_INTERVAL_DAYS;
}

/**
 * The log-in line when no backup made or verified is newer than the setting. It starts once the home
 * has a backup on record; a home never backed up is named by the health check instead (a warning),
 * so that a new home is not nagged before its backup disk is set up.
 */
export function backupOverdueNotice(s: Session): string[] {
  const days = backupIntervalDays(s);
  const st = backupStatus(s);
  if (!st.length) return [];
  const newest = st
    .filter((b) => b.lastVerifiedAt)
    .map((b) => dateOf(b.lastVerifiedAt!).getTime())
    .reduce((a, b) => Math.max(a, b), -Infinity);
  if (Number.isFinite(newest) && s.clock().getTime() - newest <= days * DAY_MS) return [];
  const last = Number.isFinite(newest)
    ? ` (the last on ${localDate(new Date(newest), s.settings.timeZone)})`
    : ' (every backup attempt failed)';
  return [`Overdue: no verified backup newer than ${days} days${last}; run \`custody backup --to DIR\`.`];
}

// ---------------------------------------------------------------------------------------------
// A backup between its manifest and its record

const STAGED_CONTEXT = 'custody-staged-backup';
const stagedFile = (s: Session) => s.home.file('backup.staged.enc');
/** Sealed with a subkey of the evidence key: only who may make a backup can stage its record. */
const stagedKey = (evidence: Buffer) => subkey(evidence, 'staged-backup');

function stageBackup(s: Session, evidence: Buffer, data: BackupEventData): void {
  writeFileAtomic(stagedFile(s), sealBlob(stagedKey(evidence), Buffer.from(JSON.stringify(data)), STAGED_CONTEXT));
}

function clearStagedBackup(s: Session): void {
  fs.rmSync(stagedFile(s), { force: true });
}

/**
 * At the log-in of a custodian or designee: a backup whose run stopped after its manifest went in
 * and before `backup.completed` was committed (killed, a power cut, a failed save) is recorded now,
 * from the record staged before the manifest, once the folder's manifest is the one it names (its
 * old files are removed first, as the run would have); a staged record whose manifest never went in
 * is dropped (the previous backup there stands). A folder not reachable now is tried again at the
 * next log-in. Returns what to tell the operator.
 */
export async function settleStagedBackup(s: Session): Promise<string[]> {
  if (!fs.existsSync(stagedFile(s)) || !s.keys.evidence) return [];
  return s.exclusive(() => {
    if (!fs.existsSync(stagedFile(s))) return []; // settled by another process meanwhile
    const plain = openBlob(stagedKey(s.master), fs.readFileSync(stagedFile(s)), STAGED_CONTEXT);
    if (!plain) {
      clearStagedBackup(s);
      return [
        'A staged backup record that does not open with the evidence key was removed; nothing was recorded from it.',
      ];
    }
    const data = JSON.parse(plain.toString('utf8')) as BackupEventData;
    const file = manifestFile(data.location);
    if (!fs.existsSync(file))
      return [
        `Due: backup ${data.generation} to ${data.location} stopped before it was recorded; that folder cannot be reached now, so it is checked again at the next log-in.`,
      ];
    if (sha256Hex(fs.readFileSync(file)) !== data.manifestSha256) {
      clearStagedBackup(s);
      return [];
    }
    const removed = collectGarbage(data.location, manifestOf(data.location));
    s.append('backup.completed', {
      ...data,
      removedObjects: removed.objects,
      removedKeyFiles: removed.keyFiles,
      recordedLate: 'the run stopped after its manifest was written; recorded at the next log-in',
    });
    s.commit();
    clearStagedBackup(s);
    return [
      `Backup ${data.generation} to ${data.location} was written but its run stopped before recording it; it is recorded now.`,
    ];
  });
}
