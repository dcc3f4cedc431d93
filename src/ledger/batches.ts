/**
 * Import batches (DESIGN.md, scale note): each batch has its own key, its own encrypted
 * segment (files, EXIF, flags) and its own folder of stored files. Destroying the key file
 * destroys the batch everywhere, backups of the ledger included (crypto-shredding).
 *
 *   keys/<batch>.key          the batch key, sealed with a subkey of the master key
 *   segments/<batch>.journal  while importing: one sealed line per file (resume point)
 *   segments/<batch>.seg      after the import: a sealed sql.js database of the files and of
 *                            every other entry met on the drive (folders, links, special files)
 *   segments/<batch>.hashes   after the import: the sealed list of content hashes (duplicates)
 *   store/<batch>/<name>      each stored file, chunked AES-256-GCM with the batch key
 */
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'sql.js';
import { CustodyError } from '../core/errors.js';
import { openBlob, randomKey, sealBlob, subkey } from './crypto.js';
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
}

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
  return key;
}

export function loadBatchKey(bf: BatchFiles, master: Buffer): Buffer {
  let blob: Buffer;
  try {
    blob = fs.readFileSync(bf.keyFile);
  } catch {
    throw new CustodyError(
      'notFound',
      `The key of batch ${bf.batch} is gone (destroyed or missing); its data cannot be read.`,
    );
  }
  const key = openBlob(subkey(master, 'batch-keys'), blob, keyContext(bf.batch));
  if (!key)
    throw new CustodyError(
      'integrity',
      `The key file of batch ${bf.batch} does not authenticate.`,
      'Restore keys/ from a backup of the home.',
    );
  return key;
}

/** Crypto-shredding: overwrite the key file, then remove it. */
export function destroyBatchKey(bf: BatchFiles): void {
  if (!fs.existsSync(bf.keyFile)) return;
  const fd = fs.openSync(bf.keyFile, 'r+');
  try {
    fs.writeSync(fd, randomBytes(fs.fstatSync(fd).size), 0);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.rmSync(bf.keyFile);
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
 * at most the last group's lines, whose files are simply done again (storing the same content
 * under the same name is idempotent).
 */
export class JournalWriter {
  private fh: import('node:fs/promises').FileHandle | undefined;
  private lines: string[] = [];
  private paths: string[] = [];
  private lastFlush = Date.now();
  private chain: Promise<void> = Promise.resolve();
  constructor(
    private readonly bf: BatchFiles,
    private readonly key: Buffer,
    private readonly everyLines = 64,
    private readonly everyMs = 2000,
  ) {}

  /** Queue a record (and the stored file it names); resolves once a due flush is done. */
  append(rec: FileRecord, storedFile?: string): Promise<void> {
    this.lines.push(
      `${sealBlob(this.key, Buffer.from(JSON.stringify(rec)), journalContext(this.bf.batch)).toString('base64')}\n`,
    );
    if (storedFile) this.paths.push(storedFile);
    if (this.lines.length >= this.everyLines || Date.now() - this.lastFlush >= this.everyMs) return this.flush();
    return this.chain;
  }

  flush(): Promise<void> {
    const lines = this.lines;
    const paths = this.paths;
    this.lines = [];
    this.paths = [];
    this.lastFlush = Date.now();
    this.chain = this.chain.then(async () => {
      if (lines.length === 0) return;
      await syncStored(this.bf.storeDir, paths);
      const fsp = await import('node:fs/promises');
      this.fh ??= await fsp.open(this.bf.journalFile, 'a', 0o600);
      await this.fh.write(lines.join(''));
      await this.fh.datasync();
    });
    return this.chain;
  }

  async close(): Promise<void> {
    await this.flush().catch(() => {});
    await this.chain;
    await this.fh?.close();
    this.fh = undefined;
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
    const plain = openBlob(key, Buffer.from(line, 'base64'), journalContext(bf.batch));
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
  flags TEXT NOT NULL, make TEXT, model TEXT, serial TEXT, lat REAL, lon REAL, verified_at TEXT, source_verified INTEGER, problem TEXT);
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
      'INSERT INTO files (rel_path, size, mtime, outcome, sha256, store_name, duplicate_of, kind, mime, recorded_at, recorded_source, flags, make, model, serial, lat, lon, verified_at, source_verified, problem) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)',
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
      ]);
    }
    st.free();
    const en = db.prepare('INSERT INTO entries (rel_path, kind, reason, code, target) VALUES (?,?,?,?,?)');
    for (const e of entries) en.run([e.relPath, e.kind, e.reason, e.code ?? null, e.target ?? null]);
    en.free();
    db.exec('COMMIT');
    writeFileAtomic(bf.segmentFile, sealBlob(key, db.export(), segmentContext(bf.batch)));
  } finally {
    db.close();
  }
  const hashes = [...new Set(recs.filter((r) => r.outcome === 'stored' && r.sha256).map((r) => r.sha256!))].sort();
  writeFileAtomic(bf.hashesFile, sealBlob(key, Buffer.from(hashes.join('\n')), hashesContext(bf.batch)));
}

export async function openSegment(bf: BatchFiles, key: Buffer): Promise<Database> {
  let blob: Buffer;
  try {
    blob = fs.readFileSync(bf.segmentFile);
  } catch {
    throw new CustodyError('notFound', `The segment of batch ${bf.batch} is missing.`);
  }
  const plain = openBlob(key, blob, segmentContext(bf.batch));
  if (!plain)
    throw new CustodyError(
      'integrity',
      `The segment of batch ${bf.batch} does not authenticate (edited or damaged).`,
      'Run `custody verify`.',
    );
  const SQL = await sqlJs();
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
       ORDER BY started_at, id`,
      [except ?? ''],
    )
    .map((r) => r.id);
}

export function readHashes(bf: BatchFiles, key: Buffer): string[] {
  if (!fs.existsSync(bf.hashesFile)) return [];
  const plain = openBlob(key, fs.readFileSync(bf.hashesFile), hashesContext(bf.batch));
  if (!plain) throw new CustodyError('integrity', `The hash list of batch ${bf.batch} does not authenticate.`);
  const s = plain.toString('utf8');
  return s ? s.split('\n') : [];
}
