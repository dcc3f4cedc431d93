/**
 * Import batches (DESIGN.md, scale note): each batch has its own key, its own encrypted
 * segment (files, EXIF, flags) and its own folder of stored files. Destroying the key file
 * makes the batch unreadable with any key the home holds, wherever a copy of its files lies
 * (crypto-shredding); a copy that kept its own keys/ is not reached.
 *
 *   keys/<batch>.key          the batch key, sealed with a subkey of the master key
 *   segments/<batch>.journal  while importing: one sealed line per file (resume point)
 *   segments/<batch>.seg      after the import: a sealed sql.js database of the files and of
 *                            every other entry met on the drive (folders, links, special files)
 *   segments/<batch>.hashes   after the import: the sealed list of content hashes (duplicates)
 *   keys/<batch>@<day>.key    one key per recording day of the batch (policy §8 destroys by day)
 *   store/<batch>/<name>      each stored file, chunked AES-256-GCM with its own file key, which is
 *                             kept in the segment sealed with its recording day's key; so destroying a
 *                             day's key makes that day's files unreadable wherever a copy lies. Homes
 *                             made before day keys store files under the batch key (no wrapped key).
 */
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Database, SqlJsStatic } from 'sql.js';
import { CustodyError } from '../core/errors.js';
import { recordationDate, recordingDay } from '../core/retention.js';
import { isoInZone } from '../core/time.js';
import { openBlob, openBlobAny, randomKey, sealBlob, subkey } from './crypto.js';
import { fsyncDir, writeFileAtomic } from './fsutil.js';
import type { Home } from './home.js';
import { rows, sqlJs } from './ledger.js';
import type { Session } from './session.js';

export const BATCH_ID = /^B\d{8}-[0-9a-f]{6}$/;

export function newBatchId(localDate: string): string {
  return `B${localDate.replaceAll('-', '')}-${randomBytes(3).toString('hex')}`;
}

export class BatchFiles {
  constructor(
    readonly home: Home,
    readonly batch: string,
  ) {
    if (!BATCH_ID.test(batch)) throw new CustodyError('usage', `"${batch}" is not a batch id.`);
  }
  get keyFile(): string {
    return this.home.file('keys', `${this.batch}.key`);
  }
  get journalFile(): string {
    return this.home.file('segments', `${this.batch}.journal`);
  }
  get segmentFile(): string {
    return this.home.file('segments', `${this.batch}.seg`);
  }
  get hashesFile(): string {
    return this.home.file('segments', `${this.batch}.hashes`);
  }
  /** Plate readings of the batch (written by `custody ocr`), sealed with the batch key. */
  get readingsFile(): string {
    return this.home.file('segments', `${this.batch}.ocr`);
  }
  /** The batch's plate search index (a serialized PlateIndex), sealed with the batch key. */
  get indexFile(): string {
    return this.home.file('segments', `${this.batch}.idx`);
  }
  /** Every file that holds the batch's data, besides its key and the store folder. */
  get dataFiles(): string[] {
    return [this.journalFile, this.segmentFile, this.hashesFile, this.readingsFile, this.indexFile];
  }
  get storeDir(): string {
    return this.home.file('store', this.batch);
  }
  storeFile(name: string): string {
    return path.join(this.storeDir, name);
  }
  /** The key of one recording day (YYYY-MM-DD) of the batch. */
  dayKeyFile(day: string): string {
    if (!DAY.test(day)) throw new CustodyError('usage', `"${day}" is not a recording day.`);
    return this.home.file('keys', `${this.batch}@${day}.key`);
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

const keyContext = (batch: string) => `custody-batch-key:${batch}`;
const segmentContext = (batch: string) => `custody-segment:${batch}`;
const journalContext = (batch: string) => `custody-journal:${batch}`;
const hashesContext = (batch: string) => `custody-hashes:${batch}`;
export const storeContext = (batch: string) => `custody-store:${batch}`;

export function createBatchKey(bf: BatchFiles, master: Buffer): Buffer {
  const key = randomKey();
  fs.mkdirSync(path.dirname(bf.keyFile), { recursive: true, mode: 0o700 });
  writeFileAtomic(bf.keyFile, sealBlob(subkey(master, 'batch-keys'), key, keyContext(bf.batch)));
  fs.mkdirSync(bf.storeDir, { recursive: true, mode: 0o700 });
  laterKeys.set(key, { later: [], fresh: true, reload: () => [] });
  return key;
}

// ---------------------------------------------------------------------------------------------
// Write keys (issue 14: batch keys at a disable). A rotation of the evidence key re-seals no key
// file: a batch key file sealed before it still opens with the replaced evidence key, which a slot
// copied out before a disable holds. So the first write to a batch after a rotation (plate
// readings, the index, a segment re-written, a resumed import's journal) first gives the batch a
// new random *write key*: the key file is re-written, in one atomic write under the keyring's lock,
// holding the new key and then the keys before it (32 bytes each, newest first), sealed with the
// current evidence key. From then on the batch's files are written with its newest key and opened
// with any of them; its first key stays the one that names stored files (`storeName`) and opens
// files stored under the batch key. A crash leaves the old key file (the old files open) or the new
// one (all open): nothing to settle. A purge's re-key (below) replaces the whole list by one key.

interface LoadedKeys {
  /** The keys after the first, newest first. */
  later: Buffer[];
  /** Whether the key file was sealed with the evidence key the batch was loaded with (not one it replaced). */
  fresh: boolean;
  /** Read the key file again (another command gave the batch a newer key since). */
  reload: () => Buffer[];
}

const laterKeys = new WeakMap<Buffer, LoadedKeys>();

/** The keys of a key file's plaintext, newest first (the last one is the batch's first key). */
function splitKeys(plain: Buffer): Buffer[] {
  if (plain.length === 0 || plain.length % 32 !== 0) return [];
  const out: Buffer[] = [];
  for (let i = 0; i < plain.length; i += 32) out.push(Buffer.from(plain.subarray(i, i + 32)));
  return out;
}

function readKeyFile(bf: BatchFiles, master: Buffer): { keys: Buffer[]; fresh: boolean } {
  let blob: Buffer;
  try {
    blob = fs.readFileSync(bf.keyFile);
  } catch {
    throw new CustodyError(
      'notFound',
      `The key of batch ${bf.batch} is gone (destroyed or missing); its data cannot be read.`,
    );
  }
  const direct = openBlob(subkey(master, 'batch-keys'), blob, keyContext(bf.batch));
  const keys = splitKeys(direct ?? openBlobAny(master, 'batch-keys', blob, keyContext(bf.batch)) ?? Buffer.alloc(0));
  if (!keys.length)
    throw new CustodyError(
      'integrity',
      `The key file of batch ${bf.batch} does not authenticate.`,
      'Restore keys/ from a backup of the home.',
    );
  return { keys, fresh: direct !== undefined };
}

/**
 * The batch's first key (names and stored files), its later keys remembered with it. With
 * `forWriting`, a key file sealed before the last rotation of the evidence key is first given a
 * new write key (see "Write keys"), so that what is written next opens with no replaced key.
 */
export function loadBatchKey(bf: BatchFiles, master: Buffer, o: { forWriting?: boolean } = {}): Buffer {
  let { keys, fresh } = readKeyFile(bf, master);
  if (o.forWriting && !fresh)
    ({ keys, fresh } = bf.home.keyringLocked(() => {
      const now = readKeyFile(bf, master);
      if (now.fresh) return now;
      const next = [randomKey(), ...now.keys];
      writeFileAtomic(bf.keyFile, sealBlob(subkey(master, 'batch-keys'), Buffer.concat(next), keyContext(bf.batch)));
      return { keys: next, fresh: true };
    }));
  const first = keys[keys.length - 1]!;
  laterKeys.set(first, {
    later: keys.slice(0, -1),
    fresh,
    reload: () => readKeyFile(bf, master).keys.slice(0, -1),
  });
  return first;
}

/** The key the batch's files are written with now: its newest (see "Write keys"). */
export function batchWriteKey(key: Buffer): Buffer {
  const k = laterKeys.get(key);
  if (!k) return key;
  if (!k.fresh) throw new CustodyError('internal', 'A batch key loaded for reading was used to write.');
  return k.later[0] ?? key;
}

/** Open one of the batch's sealed files with its newest key, then each before it, then its first. */
export function openBatchBlob(key: Buffer, blob: Buffer, context: string): Buffer | undefined {
  const k = laterKeys.get(key);
  for (const c of [...(k?.later ?? []), key]) {
    const out = openBlob(c, blob, context);
    if (out) return out;
  }
  if (!k) return undefined;
  // Another command may have given the batch a newer key since this one was loaded.
  const again = k.reload().filter((c) => !k.later.some((l) => l.equals(c)));
  for (const c of again) {
    const out = openBlob(c, blob, context);
    if (out) {
      k.later = [...again, ...k.later];
      return out;
    }
  }
  return undefined;
}

/** Crypto-shredding: overwrite the key file, then remove it. */
export function destroyBatchKey(bf: BatchFiles): void {
  shred(bf.keyFile);
}

/** Overwrite a key file with random bytes, sync it, remove it (crypto-shredding); nothing if it is absent. */
export function shredFile(file: string): void {
  shred(file);
}

function shred(file: string): void {
  if (!fs.existsSync(file)) return;
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, randomBytes(fs.fstatSync(fd).size), 0);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.rmSync(file);
  fsyncDir(path.dirname(file));
}

const dayKeyContext = (batch: string, day: string) => `custody-day-key:${batch}@${day}`;
const fileKeyContext = (batch: string, day: string) => `custody-file-key:${batch}@${day}`;

/** The key of a recording day, made on first use (synchronously, so concurrent imports of one day share it). */
export function dayKey(bf: BatchFiles, master: Buffer, day: string): Buffer {
  const file = bf.dayKeyFile(day);
  if (fs.existsSync(file)) return loadDayKey(bf, master, day);
  const key = randomKey();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, sealBlob(subkey(master, 'batch-keys'), key, dayKeyContext(bf.batch, day)));
  return key;
}

export function loadDayKey(bf: BatchFiles, master: Buffer, day: string): Buffer {
  let blob: Buffer;
  try {
    blob = fs.readFileSync(bf.dayKeyFile(day));
  } catch {
    throw new CustodyError(
      'notFound',
      `The key of ${day} in batch ${bf.batch} is gone (destroyed or missing); that day's files cannot be read.`,
    );
  }
  const key = openBlobAny(master, 'batch-keys', blob, dayKeyContext(bf.batch, day));
  if (!key)
    throw new CustodyError(
      'integrity',
      `The key file of ${day} in batch ${bf.batch} does not authenticate.`,
      'Restore keys/ from a backup of the home.',
    );
  return key;
}

/** Crypto-shredding of one recording day: its files' keys can no longer be unwrapped anywhere. */
export function destroyDayKey(bf: BatchFiles, day: string): void {
  shred(bf.dayKeyFile(day));
}

/** A stored file's own key, sealed with its recording day's key (base64), for its record. */
export function wrapFileKey(bf: BatchFiles, dayKeyBytes: Buffer, day: string, fileKey: Buffer): string {
  return sealBlob(dayKeyBytes, fileKey, fileKeyContext(bf.batch, day)).toString('base64');
}

/**
 * The keys that open stored files, cached for one command: a file with a wrapped key is opened
 * through its recording day's key; one without (stored before day keys) through its batch key.
 */
export class StoreKeys {
  private readonly cache = new Map<string, Buffer>();
  constructor(
    private readonly home: Home,
    private readonly master: Buffer,
  ) {}

  batchKey(batch: string): Buffer {
    let k = this.cache.get(batch);
    if (!k) {
      k = loadBatchKey(new BatchFiles(this.home, batch), this.master);
      this.cache.set(batch, k);
    }
    return k;
  }

  private readonly stored = new Map<string, Map<string, { keyDay?: string; wrappedKey?: string }>>();

  /**
   * The key of a stored copy named by `batch/name` (a duplicate points there): read from the
   * record that stored it in that batch's segment.
   */
  async forStored(batch: string, name: string): Promise<Buffer> {
    let m = this.stored.get(batch);
    if (!m) {
      const db = await openSegment(new BatchFiles(this.home, batch), this.batchKey(batch));
      try {
        m = new Map(
          segmentRecords(db)
            .filter((r) => r.storeName && r.outcome !== 'duplicate')
            .map((r) => [r.storeName!, { keyDay: r.keyDay, wrappedKey: r.wrappedKey }]),
        );
      } finally {
        db.close();
      }
      this.stored.set(batch, m);
    }
    return this.forFile(batch, m.get(name) ?? {});
  }

  /** The key that opens a record's content: its own, or for a duplicate its first copy's. */
  async forContent(batch: string, rec: FileRecord): Promise<Buffer> {
    if (rec.outcome === 'duplicate' && rec.duplicateOf) {
      const [b, name] = rec.duplicateOf.split('/');
      return this.forStored(b!, name!);
    }
    return this.forFile(batch, rec);
  }

  /** The key of the stored file `rec` names, in `batch` (the batch that holds the stored file). */
  forFile(batch: string, rec: { keyDay?: string; wrappedKey?: string }): Buffer {
    if (!rec.keyDay || !rec.wrappedKey) return this.batchKey(batch);
    const id = `${batch}@${rec.keyDay}`;
    let dk = this.cache.get(id);
    if (!dk) {
      dk = loadDayKey(new BatchFiles(this.home, batch), this.master, rec.keyDay);
      this.cache.set(id, dk);
    }
    const key = openBlob(dk, Buffer.from(rec.wrappedKey, 'base64'), fileKeyContext(batch, rec.keyDay));
    if (!key)
      throw new CustodyError('integrity', `A file key of ${rec.keyDay} in batch ${batch} does not authenticate.`);
    return key;
  }
}

/** The name of a stored file: an HMAC of its hash under the batch key (the hash itself is not exposed). */
export function storeName(key: Buffer, sha256: string): string {
  return createHmac('sha256', key).update(sha256).digest('hex').slice(0, 40);
}

// ---------------------------------------------------------------------------------------------
// Per-file records

export type FileOutcome = 'stored' | 'duplicate' | 'skipped' | 'failed';

export interface FileRecord {
  relPath: string;
  size: number;
  mtime: string;
  outcome: FileOutcome;
  sha256?: string;
  storeName?: string;
  /** For a duplicate: where the content is stored (`batch/name`). */
  duplicateOf?: string;
  kind?: 'image' | 'video';
  mime?: string;
  recordedAt?: string;
  recordedSource?: 'exif' | 'file-time';
  flags: string[];
  make?: string;
  model?: string;
  serial?: string;
  gps?: { lat: number; lon: number };
  verifiedAt?: string;
  sourceVerified?: boolean;
  problem?: string;
  /** The recording day whose key opens the stored content (a duplicate: its original's). */
  keyDay?: string;
  /** The stored content's own key, sealed with `keyDay`'s key (base64). */
  wrappedKey?: string;
}

/**
 * An entry of the drive that is not a file to import, with why: a folder, a symbolic link (and
 * where it points), a FIFO, socket or device node, an unreadable entry, a folder past a depth
 * limit, an operating system's own file. Recorded so that the batch accounts for every entry.
 */
export interface EntryRecord {
  relPath: string;
  kind: string;
  reason: string;
  /** The errno code of an unreadable entry. */
  code?: string;
  /** Where a symbolic link points (never followed). */
  target?: string;
}

/**
 * The journal as an open file, written in groups. A group's stored files are made durable
 * first (one syncfs of the store's file system on Linux, else an fsync per file), then its lines
 * are written and synced: a line on disk always means its stored file is on disk. A crash loses
 * at most the last groups' lines, whose files are simply done again (storing the same content
 * under the same name is idempotent). Groups are written behind the import (it waits only when
 * two are already being written); a group that fails to write fails the next append and close.
 */
export class JournalWriter {
  private fh: import('node:fs/promises').FileHandle | undefined;
  private lines: string[] = [];
  private paths: string[] = [];
  private lastFlush = Date.now();
  private chain: Promise<void> = Promise.resolve();
  private writing = 0;
  private failure: unknown;
  constructor(
    private readonly bf: BatchFiles,
    private readonly key: Buffer,
    private readonly everyLines = 512,
    private readonly everyMs = 1000,
    private readonly maxWriting = 2,
  ) {}

  /** Queue a record (and the stored file it names); waits only while earlier groups are behind. */
  async append(rec: FileRecord, storedFile?: string): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.lines.push(
      `${sealBlob(batchWriteKey(this.key), Buffer.from(JSON.stringify(rec)), journalContext(this.bf.batch)).toString('base64')}\n`,
    );
    if (storedFile) this.paths.push(storedFile);
    if (this.lines.length >= this.everyLines || Date.now() - this.lastFlush >= this.everyMs) {
      const written = this.flush();
      if (this.writing > this.maxWriting) await written;
    }
    if (this.failure !== undefined) throw this.failure;
  }

  flush(): Promise<void> {
    const lines = this.lines;
    const paths = this.paths;
    this.lines = [];
    this.paths = [];
    this.lastFlush = Date.now();
    if (lines.length === 0) return this.chain;
    this.writing++;
    this.chain = this.chain
      .then(async () => {
        if (this.failure !== undefined) return;
        await syncStored(this.bf.storeDir, paths);
        const fsp = await import('node:fs/promises');
        this.fh ??= await fsp.open(this.bf.journalFile, 'a', 0o600);
        await this.fh.write(lines.join(''));
        await this.fh.datasync();
      })
      .catch((e: unknown) => {
        this.failure ??= e;
      })
      .finally(() => {
        this.writing--;
      });
    return this.chain;
  }

  /** Write what is queued; throws the first failure of any group. */
  async close(): Promise<void> {
    await this.flush();
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
    if (this.failure !== undefined) throw this.failure;
  }
}

let syncfsWorks = process.platform === 'linux';

/** Make stored files (and their renames) durable: `sync -f` (syncfs) where it works, else fsync each. */
async function syncStored(dir: string, files: string[]): Promise<void> {
  if (files.length === 0) return;
  if (syncfsWorks) {
    try {
      const { execFile } = await import('node:child_process');
      await new Promise<void>((resolve, reject) => execFile('sync', ['-f', dir], (e) => (e ? reject(e) : resolve())));
      return;
    } catch {
      syncfsWorks = false;
    }
  }
  const fsp = await import('node:fs/promises');
  await Promise.all(
    files.map(async (f) => {
      const fh = await fsp.open(f, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }),
  );
  fsyncDir(dir);
}

/** Read the journal; a last line cut short by a crash is ignored (its file is redone). */
export function readJournal(bf: BatchFiles, key: Buffer): FileRecord[] {
  if (!fs.existsSync(bf.journalFile)) return [];
  const out: FileRecord[] = [];
  const lines = fs.readFileSync(bf.journalFile, 'utf8').split('\n').filter(Boolean);
  lines.forEach((line, i) => {
    const plain = openBatchBlob(key, Buffer.from(line, 'base64'), journalContext(bf.batch));
    if (!plain) {
      if (i === lines.length - 1) return;
      throw new CustodyError('integrity', `Line ${i + 1} of the import journal of ${bf.batch} does not authenticate.`);
    }
    out.push(JSON.parse(plain.toString('utf8')) as FileRecord);
  });
  return out;
}

const SEGMENT_SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
  id INTEGER PRIMARY KEY, rel_path TEXT NOT NULL, size INTEGER NOT NULL, mtime TEXT NOT NULL, outcome TEXT NOT NULL,
  sha256 TEXT, store_name TEXT, duplicate_of TEXT, kind TEXT, mime TEXT, recorded_at TEXT, recorded_source TEXT,
  flags TEXT NOT NULL, make TEXT, model TEXT, serial TEXT, lat REAL, lon REAL, verified_at TEXT, source_verified INTEGER, problem TEXT,
  key_day TEXT, wrapped_key TEXT);
CREATE INDEX files_sha ON files(sha256);
CREATE INDEX files_recorded ON files(recorded_at);
CREATE TABLE entries (id INTEGER PRIMARY KEY, rel_path TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL,
  code TEXT, target TEXT);
`;

/** Write the batch's immutable segment (and its hash list) from its file records and its other entries. */
export async function writeSegment(
  bf: BatchFiles,
  key: Buffer,
  meta: Record<string, string>,
  recs: FileRecord[],
  entries: readonly EntryRecord[] = [],
): Promise<void> {
  const SQL = await sqlJs();
  const db = new SQL.Database();
  try {
    db.exec(SEGMENT_SCHEMA);
    for (const [k, v] of Object.entries({ ...meta, batch: bf.batch, segmentVersion: '2' }))
      db.run('INSERT INTO meta VALUES (?, ?)', [k, v]);
    db.exec('BEGIN');
    const st = db.prepare(
      'INSERT INTO files (rel_path, size, mtime, outcome, sha256, store_name, duplicate_of, kind, mime, recorded_at, recorded_source, flags, make, model, serial, lat, lon, verified_at, source_verified, problem, key_day, wrapped_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)',
    );
    for (const r of recs) {
      st.run([
        r.relPath,
        r.size,
        r.mtime,
        r.outcome,
        r.sha256 ?? null,
        r.storeName ?? null,
        r.duplicateOf ?? null,
        r.kind ?? null,
        r.mime ?? null,
        r.recordedAt ?? null,
        r.recordedSource ?? null,
        JSON.stringify(r.flags),
        r.make ?? null,
        r.model ?? null,
        r.serial ?? null,
        r.gps?.lat ?? null,
        r.gps?.lon ?? null,
        r.verifiedAt ?? null,
        r.sourceVerified === undefined ? null : r.sourceVerified ? 1 : 0,
        r.problem ?? null,
        r.keyDay ?? null,
        r.wrappedKey ?? null,
      ]);
    }
    st.free();
    const en = db.prepare('INSERT INTO entries (rel_path, kind, reason, code, target) VALUES (?,?,?,?,?)');
    for (const e of entries) en.run([e.relPath, e.kind, e.reason, e.code ?? null, e.target ?? null]);
    en.free();
    db.exec('COMMIT');
    writeFileAtomic(bf.segmentFile, sealBlob(batchWriteKey(key), db.export(), segmentContext(bf.batch)));
  } finally {
    db.close();
  }
  const hashes = [...new Set(recs.filter((r) => r.outcome === 'stored' && r.sha256).map((r) => r.sha256!))].sort();
  writeFileAtomic(bf.hashesFile, sealBlob(batchWriteKey(key), Buffer.from(hashes.join('\n')), hashesContext(bf.batch)));
}

export async function openSegment(bf: BatchFiles, key: Buffer): Promise<Database> {
  return openSegmentWith(await sqlJs(), bf, key);
}

/** `openSegment` once sql.js is loaded (`await sqlJs()`): synchronous. */
export function openSegmentWith(SQL: SqlJsStatic, bf: BatchFiles, key: Buffer): Database {
  let blob: Buffer;
  try {
    blob = fs.readFileSync(bf.segmentFile);
  } catch {
    throw new CustodyError('notFound', `The segment of batch ${bf.batch} is missing.`);
  }
  const plain = openBatchBlob(key, blob, segmentContext(bf.batch));
  if (!plain)
    throw new CustodyError(
      'integrity',
      `The segment of batch ${bf.batch} does not authenticate (edited or damaged).`,
      'Run `custody verify`.',
    );
  return new SQL.Database(plain);
}

export function segmentRecords(db: Database): (FileRecord & { id: number })[] {
  return rows<Record<string, unknown>>(db, 'SELECT * FROM files ORDER BY id').map((r) => ({
    id: Number(r.id),
    relPath: String(r.rel_path),
    size: Number(r.size),
    mtime: String(r.mtime),
    outcome: String(r.outcome) as FileOutcome,
    sha256: (r.sha256 as string) ?? undefined,
    storeName: (r.store_name as string) ?? undefined,
    duplicateOf: (r.duplicate_of as string) ?? undefined,
    kind: (r.kind as 'image' | 'video') ?? undefined,
    mime: (r.mime as string) ?? undefined,
    recordedAt: (r.recorded_at as string) ?? undefined,
    recordedSource: (r.recorded_source as 'exif' | 'file-time') ?? undefined,
    flags: JSON.parse(String(r.flags)) as string[],
    make: (r.make as string) ?? undefined,
    model: (r.model as string) ?? undefined,
    serial: (r.serial as string) ?? undefined,
    gps: r.lat !== null && r.lon !== null ? { lat: Number(r.lat), lon: Number(r.lon) } : undefined,
    verifiedAt: (r.verified_at as string) ?? undefined,
    sourceVerified: r.source_verified === null ? undefined : r.source_verified === 1,
    problem: (r.problem as string) ?? undefined,
    keyDay: (r.key_day as string) ?? undefined,
    wrappedKey: (r.wrapped_key as string) ?? undefined,
  }));
}

/** The entries of a segment that are not files (none in a segment written before they were recorded). */
export function segmentEntries(db: Database): EntryRecord[] {
  const has = rows<{ n: number }>(db, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'entries'")[0]?.n;
  if (!has) return [];
  return rows<Record<string, unknown>>(db, 'SELECT * FROM entries ORDER BY id').map((r) => ({
    relPath: String(r.rel_path),
    kind: String(r.kind),
    reason: String(r.reason),
    ...(r.code !== null ? { code: String(r.code) } : {}),
    ...(r.target !== null ? { target: String(r.target) } : {}),
  }));
}

/** The import of this drive that was started and not finished (it is resumed), if any. */
export function openBatchOf(s: Session, drive: string): { id: string; started_at: string } | undefined {
  return s.ledger.one<{ id: string; started_at: string }>(
    "SELECT id, started_at FROM batches WHERE drive_id = ? AND status = 'importing' ORDER BY started_at DESC LIMIT 1",
    [drive],
  );
}

/**
 * The batches whose stored content can still be read (imported, key not destroyed, no purge
 * begun on them), of every drive, oldest first: the first copy of a content is the one a later
 * duplicate points at.
 */
export function readableBatches(s: Session, except?: string): string[] {
  return s.ledger
    .rows<{ id: string }>(
      `SELECT id FROM batches WHERE status = 'imported' AND key_destroyed_at IS NULL AND id != ?
       AND id NOT IN (SELECT batch_id FROM destructions WHERE destroyed_at IS NULL AND cancelled_at IS NULL)
       AND id NOT IN (SELECT batch_id FROM batch_days WHERE started_at IS NOT NULL AND destroyed_at IS NULL AND cancelled_at IS NULL)
       ORDER BY started_at, id`,
      [except ?? ''],
    )
    .map((r) => r.id);
}

/** The SHA-256 of each content the batch stores, sorted (a re-keyed batch's list also names each store file). */
export function readHashes(bf: BatchFiles, key: Buffer): string[] {
  return readHashLines(bf, key).map((l) => l.split(' ')[0]!);
}

// ---------------------------------------------------------------------------------------------
// Recording days (policy §8: each image is kept 60 days from its own date of recordation, and
// destroyed by day)

/** The recording day a record belongs to, and the date of recordation retention counts from. */
export function dayOfRecord(
  rec: Pick<FileRecord, 'recordedAt' | 'flags' | 'outcome' | 'keyDay'>,
  importedAt: Date,
  timeZone: string,
): { day: string; at: Date; fromImport: boolean } {
  const r = recordationDate(rec, importedAt);
  // A stored file's day is the day its key was made for (fixed at import, whatever the zone is now).
  const day = rec.outcome === 'stored' && rec.keyDay ? rec.keyDay : recordingDay(r.at, timeZone);
  return { day, ...r };
}

export interface DaySummary {
  day: string;
  /** Images and clips of the day (stored and duplicates). */
  files: number;
  /** The first and last dates of recordation counted from (the import's for undated files). */
  recordedFirst: string;
  recordedLast: string;
  /** Whether the day's stored files are under its own key (false: under the batch key, an older home). */
  keyed: boolean;
}

/** A batch's records grouped by recording day, oldest day first. */
export function daySummaries(recs: readonly FileRecord[], importedAt: Date, timeZone: string): DaySummary[] {
  const days = new Map<string, { files: number; first: number; last: number; keyed: boolean }>();
  for (const r of recs) {
    if (!((r.outcome === 'stored' || r.outcome === 'duplicate') && r.sha256) && !r.storeName) continue;
    const d = dayOfRecord(r, importedAt, timeZone);
    const t = d.at.getTime();
    const g = days.get(d.day) ?? { files: 0, first: t, last: t, keyed: true };
    if (r.outcome === 'stored' || r.outcome === 'duplicate') g.files++;
    g.first = Math.min(g.first, t);
    g.last = Math.max(g.last, t);
    if (r.storeName && r.outcome === 'stored' && !r.wrappedKey) g.keyed = false;
    days.set(d.day, g);
  }
  return [...days.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, g]) => ({
      day,
      files: g.files,
      recordedFirst: isoInZone(new Date(g.first), timeZone),
      recordedLast: isoInZone(new Date(g.last), timeZone),
      keyed: g.keyed,
    }));
}

/**
 * Rewrite the batch's segment and hash list without the records `drop` (their ids), sealed with
 * the same key; the other records keep their ids (image ids and plate readings name them). Only for
 * a batch whose stored files are under the batch key itself (imported before day keys): a batch
 * whose files have their own keys is re-keyed instead (`rekeyedSegmentWithout`).
 */
export async function rewriteSegmentWithout(bf: BatchFiles, key: Buffer, drop: ReadonlySet<number>): Promise<void> {
  if (!drop.size || !fs.existsSync(bf.segmentFile)) return;
  const db = await openSegment(bf, key);
  try {
    dropRows(db, drop);
    writeFileAtomic(bf.segmentFile, sealBlob(batchWriteKey(key), db.export(), segmentContext(bf.batch)));
    const hashes = [
      ...new Set(
        rows<{ sha256: string }>(db, "SELECT sha256 FROM files WHERE outcome = 'stored' AND sha256 IS NOT NULL").map(
          (r) => r.sha256,
        ),
      ),
    ].sort();
    writeFileAtomic(
      bf.hashesFile,
      sealBlob(batchWriteKey(key), Buffer.from(hashes.join('\n')), hashesContext(bf.batch)),
    );
  } finally {
    db.close();
  }
}

/**
 * Delete the records `drop` so that nothing of them is left in the database's bytes: SQLite keeps
 * deleted rows in free pages unless told to overwrite them (secure_delete), and VACUUM rebuilds the
 * file without free pages (ids are the rowid, so they stay as they were).
 */
function dropRows(db: Database, drop: ReadonlySet<number>): void {
  db.exec('PRAGMA secure_delete = ON');
  const st = db.prepare('DELETE FROM files WHERE id = ?');
  for (const id of drop) st.run([id]);
  st.free();
  db.exec('VACUUM');
}

// ---------------------------------------------------------------------------------------------
// Re-keying (policy §8: destroying a recording day destroys what names it too). A day's stored
// files are under its own key, but its file names, capture times, hashes and plate readings sit in
// the batch's segment, hash list, readings and index, sealed with the batch key. Destroying a day
// re-writes those files without the day's rows under a NEW batch key and destroys the old one, so
// no key the home holds opens a copy of them made before the purge.
//
// Crash safety (either the old state or the new, never neither):
//   1. each new file is written beside the old one as `<file>.rekey` (sealed with the new key);
//   2. the commit: `keys/<batch>.key.rekey` is written, holding the new key (sealed as a key file
//      is) and the list of files of the new state; before it exists the old state is whole (stray
//      `.rekey` files are removed), once it exists the new state is whole;
//   3. settling (no key needed, idempotent): each listed `.rekey` file is renamed over its file,
//      a data file not listed is removed, the old key file is shredded, the new key written in its
//      place, the marker removed. A settle cut short is finished by the next (log-in does it,
//      under the home's lock).

/** A batch whose stored files are all under their own keys (so its batch key can be replaced). */
export function canRekey(recs: readonly FileRecord[]): boolean {
  return recs.every((r) => !(r.outcome === 'stored' && r.storeName && !r.wrappedKey));
}

const rekeyed = (file: string) => `${file}.rekey`;
const rekeyMarker = (bf: BatchFiles) => `${bf.keyFile}.rekey`;

/** Whether a re-key of the batch is committed and not yet settled. */
export function rekeyPending(bf: BatchFiles): boolean {
  return fs.existsSync(rekeyMarker(bf));
}

/** Remove the new files of a re-key that was never committed (the old state stands). */
export function abandonRekey(bf: BatchFiles): void {
  if (rekeyPending(bf)) return;
  for (const f of bf.dataFiles) fs.rmSync(rekeyed(f), { force: true });
}

/**
 * Step 1 for the segment and the hash list: the segment without the records `drop`, sealed with
 * `newKey`, as `<segment>.rekey`, and the hash list with each hash's store name (names are an HMAC
 * under the key the file was stored with, which is then gone). Returns the records kept.
 */
export async function rekeyedSegmentWithout(
  bf: BatchFiles,
  oldKey: Buffer,
  newKey: Buffer,
  drop: ReadonlySet<number>,
): Promise<(FileRecord & { id: number })[]> {
  const db = await openSegment(bf, oldKey);
  try {
    dropRows(db, drop);
    writeFileAtomic(rekeyed(bf.segmentFile), sealBlob(newKey, db.export(), segmentContext(bf.batch)));
    const kept = segmentRecords(db);
    writeFileAtomic(
      rekeyed(bf.hashesFile),
      sealBlob(newKey, Buffer.from(hashLines(kept).join('\n')), hashesContext(bf.batch)),
    );
    return kept;
  } finally {
    db.close();
  }
}

/** The hash list's lines after a re-key: `<sha256> <store name>`, sorted, one per stored content. */
function hashLines(recs: readonly FileRecord[]): string[] {
  const byHash = new Map<string, string>();
  for (const r of recs)
    if (r.outcome === 'stored' && r.sha256 && r.storeName && !byHash.has(r.sha256)) byHash.set(r.sha256, r.storeName);
  return [...byHash].sort(([a], [b]) => a.localeCompare(b)).map(([h, n]) => `${h} ${n}`);
}

/** Where step 1 writes the new version of one of the batch's data files. */
export function rekeyTarget(file: string): string {
  return rekeyed(file);
}

/**
 * Step 2, the commit: the marker holding the new key and the files of the new state (every data
 * file with a `.rekey` version now); then step 3.
 */
export function commitRekey(bf: BatchFiles, master: Buffer, newKey: Buffer, afterCommit?: () => void): void {
  const files = bf.dataFiles.filter((f) => fs.existsSync(rekeyed(f))).map((f) => path.basename(f));
  const marker = {
    version: 1,
    key: sealBlob(subkey(master, 'batch-keys'), newKey, keyContext(bf.batch)).toString('base64'),
    files,
  };
  writeFileAtomic(rekeyMarker(bf), JSON.stringify(marker));
  afterCommit?.();
  settleRekey(bf);
}

/** Step 3: finish a committed re-key (idempotent; needs no key). Returns whether there was one. */
export function settleRekey(bf: BatchFiles): boolean {
  const file = rekeyMarker(bf);
  if (!fs.existsSync(file)) return false;
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { version: number; key: string; files: string[] };
  const listed = new Set(m.files);
  for (const f of bf.dataFiles) {
    if (!listed.has(path.basename(f))) fs.rmSync(f, { force: true });
    else if (fs.existsSync(rekeyed(f))) fs.renameSync(rekeyed(f), f);
  }
  fsyncDir(path.dirname(bf.segmentFile));
  shred(bf.keyFile);
  writeFileAtomic(bf.keyFile, Buffer.from(m.key, 'base64'));
  fs.rmSync(file);
  fsyncDir(path.dirname(file));
  return true;
}

/**
 * At log-in, with the lock held: finish every committed re-key, and remove the new files of any
 * that was never committed. Returns the batches settled.
 */
export function settleRekeys(home: Home): string[] {
  const settled: string[] = [];
  let names: string[] = [];
  try {
    names = fs.readdirSync(home.file('keys'));
  } catch {
    return settled;
  }
  for (const n of names) {
    const m = /^(B\d{8}-[0-9a-f]{6})\.key\.rekey$/.exec(n);
    if (m && settleRekey(new BatchFiles(home, m[1]!))) settled.push(m[1]!);
  }
  try {
    for (const n of fs.readdirSync(home.file('segments'))) {
      const m = /^(B\d{8}-[0-9a-f]{6})\.[a-z]+\.rekey$/.exec(n);
      if (m) abandonRekey(new BatchFiles(home, m[1]!));
    }
  } catch {
    /* no segments yet */
  }
  return settled;
}

/**
 * The store name of each stored content of a re-keyed batch, from its hash list (undefined for a
 * batch never re-keyed: its names are the HMAC of each hash under its batch key, `storeName`).
 */
export function readStoreNames(bf: BatchFiles, key: Buffer): Map<string, string> | undefined {
  const lines = readHashLines(bf, key);
  if (!lines.some((l) => l.includes(' '))) return undefined;
  return new Map(lines.map((l) => l.split(' ') as [string, string]));
}

function readHashLines(bf: BatchFiles, key: Buffer): string[] {
  if (!fs.existsSync(bf.hashesFile)) return [];
  const plain = openBatchBlob(key, fs.readFileSync(bf.hashesFile), hashesContext(bf.batch));
  if (!plain) throw new CustodyError('integrity', `The hash list of batch ${bf.batch} does not authenticate.`);
  const s = plain.toString('utf8');
  return s ? s.split('\n') : [];
}
