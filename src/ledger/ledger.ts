/**
 * The main ledger: a sql.js database held in memory, saved whole, encrypted, atomically.
 * Every change is an event appended to a SHA-256 hash chain; derived tables follow from the
 * events (reducers.ts). Per-image rows do not live here (see segments), so the file stays small.
 *
 * Which events exist, their tables and migrations come from a `LedgerSchema`; a home's ledger
 * uses `LEDGER_SCHEMA`, composed from the feature list in features/index.ts.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import initSqlJs, { type Database, type SqlJsStatic, type SqlValue } from 'sql.js';
import { CustodyError } from '../core/errors.js';
import {
  type ArchiveAccess,
  type ArchivedEvent,
  ARCHIVE_DIR,
  archiveAccessBeside,
  archiveDue,
  KEPT_TYPES,
  lastSegment,
  readSegment,
  type SegmentRow,
  SEGMENTS_TABLE_SQL,
  segmentRows,
  TRIMMED_TABLES,
} from './archive.js';
import { chainHash, canonicalJson, GENESIS_HASH } from './canonical.js';
import { openBlob, sealBlob } from './crypto.js';
import { writeFileAtomic } from './fsutil.js';
import { LEDGER_SCHEMA } from './features/index.js';
import type { LedgerEvent } from './reducers.js';
import type { LedgerSchema } from './schema.js';
import { type SigningKey, signWithKey } from './signing.js';

const LEDGER_CONTEXT = 'custody-ledger';
/** Generations of the ledger file kept beside it (ledger.enc.1 … .3). */
export const GENERATIONS = 3;

let sqlPromise: Promise<SqlJsStatic> | undefined;
/** sql.js once loaded: a commit re-opens the newest ledger synchronously (Ledger.fromSealed). */
let sqlLoaded: SqlJsStatic | undefined;
export function sqlJs(): Promise<SqlJsStatic> {
  if (!sqlPromise) {
    const require = createRequire(import.meta.url);
    const wasmDir = path.dirname(require.resolve('sql.js/dist/sql-wasm.wasm'));
    sqlPromise = initSqlJs({ locateFile: (f: string) => path.join(wasmDir, f) }).then((S) => {
      sqlLoaded = S;
      return S;
    });
  }
  return sqlPromise;
}

/** The SHA-256 of a sealed ledger file's bytes: two reads of the file are the same save iff these match. */
export function sealedDigest(blob: Uint8Array): string {
  return createHash('sha256').update(blob).digest('hex');
}

export type Row = Record<string, SqlValue>;

export function rows<T = Row>(db: Database, sql: string, params: SqlValue[] = []): T[] {
  const st = db.prepare(sql);
  try {
    st.bind(params);
    const out: T[] = [];
    while (st.step()) out.push(st.getAsObject() as T);
    return out;
  } finally {
    st.free();
  }
}

export function migrate(db: Database, schema: LedgerSchema = LEDGER_SCHEMA): void {
  let current = 0;
  try {
    const r = db.exec("SELECT value FROM meta WHERE key = 'schema_version'");
    current = Number(r[0]?.values[0]?.[0] ?? 0);
  } catch {
    current = 0;
  }
  if (current > schema.version) {
    throw new CustodyError(
      'conflict',
      `This ledger has schema version ${current}, newer than this custody (${schema.version}).`,
      'Upgrade custody before opening this home.',
    );
  }
  for (const m of schema.migrations) {
    if (m.version <= current) continue;
    db.exec('BEGIN');
    try {
      db.exec(m.sql);
      db.run(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [String(m.version)],
      );
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
  }
}

/** Where a walk of the chain resumes (the signed-state mark, signed-mark.ts): after archive segment `segments`, whose last event is #`seq` with `hash` and whose sealed file's SHA-256 is `sha256`. */
export interface ChainStart {
  segments: number;
  seq: number;
  hash: string;
  sha256: string | null;
}

export interface ChainProblem {
  seq: number;
  type: string;
  at: string;
  reason: string;
}

/** The sealed bytes of a ledger file; a missing file is an error naming the previous generation. */
export function readSealed(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new CustodyError('notFound', `The ledger ${file} is missing.`, previousGenerationHint(file));
    throw e;
  }
}

export class Ledger {
  readonly db: Database;
  /** The events this ledger accepts, their reducers, derived tables and hold rules. */
  readonly schema: LedgerSchema;
  private headSeq: number;
  private headHash: string;
  private dirty = false;
  /**
   * The SHA-256 of the sealed file this ledger was loaded from or last saved to (undefined for a
   * new one): a commit compares it with the file on disk to see whether another process saved since.
   */
  sealedSha: string | undefined;
  /** Where this ledger's archive segments are and the keys that open them (archive.ts). */
  archive: ArchiveAccess;
  /** The last segment read (a look-up by sequence number reads each segment once). */
  private segmentCache: { idx: number; events: ArchivedEvent[] } | undefined;

  private constructor(db: Database, schema: LedgerSchema, archive?: ArchiveAccess) {
    this.db = db;
    this.schema = schema;
    this.archive = archive ?? { locate: (name) => path.join(ARCHIVE_DIR, name), keys: [] };
    // Each event's signature by its author (format 2): not part of the chain, checked by `verify`.
    db.exec('CREATE TABLE IF NOT EXISTS event_sigs (seq INTEGER PRIMARY KEY, key TEXT NOT NULL, sig TEXT NOT NULL)');
    // The archive segments holding the older events (archive.ts).
    db.exec(SEGMENTS_TABLE_SQL);
    const r = rows<{ seq: number; hash: string }>(db, 'SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1');
    this.headSeq = r[0]?.seq ?? 0;
    this.headHash = r[0]?.hash ?? GENESIS_HASH;
  }

  static async createEmpty(schema: LedgerSchema = LEDGER_SCHEMA): Promise<Ledger> {
    const SQL = await sqlJs();
    const db = new SQL.Database();
    migrate(db, schema);
    return new Ledger(db, schema);
  }

  /**
   * Decrypt and load `file`. A file that fails authentication (truncated, corrupted, edited
   * outside custody) is refused whole, naming the previous generation.
   */
  static async load(file: string, key: Buffer, schema: LedgerSchema = LEDGER_SCHEMA): Promise<Ledger> {
    await sqlJs();
    return Ledger.fromSealed(readSealed(file), file, key, schema);
  }

  /**
   * Open the sealed bytes of `file` (already read), synchronously: sql.js must have been loaded
   * (any earlier `load` or `createEmpty` did).
   */
  static fromSealed(blob: Buffer, file: string, key: Buffer, schema: LedgerSchema = LEDGER_SCHEMA): Ledger {
    if (!sqlLoaded) throw new Error('sql.js is not loaded yet: open a ledger with Ledger.load first');
    const plain = openBlob(key, blob, LEDGER_CONTEXT);
    if (!plain) {
      throw new CustodyError(
        'integrity',
        `The ledger ${path.basename(file)} is truncated, corrupted or was changed outside custody; it was not loaded.`,
        previousGenerationHint(file),
      );
    }
    let db: Database;
    try {
      db = new sqlLoaded.Database(plain);
      db.exec('SELECT count(*) FROM events');
    } catch (e) {
      throw new CustodyError(
        'integrity',
        `The ledger ${path.basename(file)} decrypted but is not a readable database.`,
        previousGenerationHint(file),
        { cause: e },
      );
    }
    migrate(db, schema);
    const ledger = new Ledger(db, schema, archiveAccessBeside(file, [key]));
    ledger.sealedSha = sealedDigest(blob);
    return ledger;
  }

  get head(): { seq: number; hash: string } {
    return { seq: this.headSeq, hash: this.headHash };
  }

  get hasUnsavedChanges(): boolean {
    return this.dirty;
  }

  /**
   * Append one event to the chain and apply it to the derived tables (all or nothing). With a
   * signer (its author's key), the event's hash is signed and the signature kept beside it.
   */
  append(type: string, actor: string, at: string, data: Record<string, unknown>, signer?: SigningKey): LedgerEvent {
    const reducer = this.schema.reducers[type];
    if (!reducer) throw new Error(`no reducer for event type ${type}`);
    // Round-trip through canonical JSON so what is hashed is exactly what is stored.
    const stored = JSON.parse(canonicalJson(data)) as Record<string, unknown>;
    const e: LedgerEvent = { seq: this.headSeq + 1, at, type, actor, data: stored };
    const hash = chainHash(this.headHash, e);
    this.db.exec('SAVEPOINT append');
    try {
      this.db.run(
        'INSERT INTO events (seq, at, type, actor, data, prev_hash, hash, camera_id, drive_id) VALUES (?,?,?,?,?,?,?,?,?)',
        [
          e.seq,
          at,
          type,
          actor,
          canonicalJson(stored),
          this.headHash,
          hash,
          typeof stored.camera === 'string' ? stored.camera : null,
          typeof stored.drive === 'string' ? stored.drive : null,
        ],
      );
      reducer(this.db, e);
      if (signer)
        this.db.run('INSERT INTO event_sigs (seq, key, sig) VALUES (?,?,?)', [
          e.seq,
          signer.keyId,
          signWithKey(signer, hash),
        ]);
      this.db.exec('RELEASE append');
    } catch (err) {
      this.db.exec('ROLLBACK TO append');
      this.db.exec('RELEASE append');
      throw err;
    }
    this.headSeq = e.seq;
    this.headHash = hash;
    this.dirty = true;
    return e;
  }

  rows<T = Row>(sql: string, params: SqlValue[] = []): T[] {
    return rows<T>(this.db, sql, params);
  }

  one<T = Row>(sql: string, params: SqlValue[] = []): T | undefined {
    return rows<T>(this.db, sql, params)[0];
  }

  /**
   * Encrypt and write atomically, keeping the previous generations. When the live part has grown
   * a whole segment past the tail it keeps, the oldest events are first sealed into a new archive
   * segment beside `file` (archive.ts): the live file written here is the first to name it.
   */
  save(file: string, key: Buffer): void {
    this.archiveDue(file, key);
    const plain = this.db.export();
    const sealed = sealBlob(key, plain, LEDGER_CONTEXT);
    writeFileAtomic(file, sealed, { keep: GENERATIONS });
    this.dirty = false;
    this.sealedSha = sealedDigest(sealed);
  }

  /** The archive step of `save` (archive.ts `archiveDue`), on its own: the segments it wrote. */
  archiveDue(file: string, key: Buffer, segment?: number): SegmentRow[] {
    // A ledger created here (not read from a file) finds its archive beside the file it is saved to.
    if (this.archive.keys.length === 0) this.archive = archiveAccessBeside(file, [key]);
    const written = archiveDue(this.db, this.headSeq, path.join(path.dirname(file), ARCHIVE_DIR), key, segment);
    if (written.length > 0) {
      if (!this.archive.keys.some((k) => k.equals(key))) this.archive.keys.unshift(key);
      this.dirty = true;
      // A first archive of a large ledger frees most of the file: give the pages back.
      const free = Number(this.db.exec('PRAGMA freelist_count')[0]?.values[0]?.[0] ?? 0);
      const pages = Number(this.db.exec('PRAGMA page_count')[0]?.values[0]?.[0] ?? 0);
      if (free * 2 > pages)
        try {
          this.db.exec('VACUUM');
        } catch {
          // inside a caller's transaction: the pages are reused by the next events instead
        }
    }
    return written;
  }

  /** The archive segments, oldest first (read once per archive step: the table changes only there). */
  segments(): SegmentRow[] {
    const n = Number(this.db.exec('SELECT count(*) FROM archive_segments')[0]?.values[0]?.[0] ?? 0);
    if (this.segmentList?.length !== n) this.segmentList = segmentRows(this.db);
    return this.segmentList;
  }
  private segmentList: SegmentRow[] | undefined;

  /** The last archived event (0 and the genesis hash when nothing is archived). */
  get archivedHead(): { seq: number; hash: string } {
    const last = lastSegment(this.db);
    return last ? { seq: last.last_seq, hash: last.head_hash } : { seq: 0, hash: GENESIS_HASH };
  }

  /** The events of archive segment `r`, checked (archive.ts readSegment). */
  segmentEvents(r: SegmentRow): ArchivedEvent[] {
    return this.readSegmentCached(r);
  }

  private readSegmentCached(r: SegmentRow): ArchivedEvent[] {
    if (this.segmentCache?.idx !== r.idx) this.segmentCache = { idx: r.idx, events: readSegment(r, this.archive) };
    return this.segmentCache.events;
  }

  /**
   * Every event from #`from` on, oldest first, with its signature: the archive segments that hold
   * them (each checked against what the live file records of it: exit 8 naming a segment missing,
   * swapped or edited), then the live file's. `fn` returning false stops the walk.
   */
  forEachEvent(fn: (e: ArchivedEvent) => unknown, from = 1): void {
    for (const r of this.segments()) {
      if (r.last_seq < from) continue;
      for (const e of readSegment(r, this.archive)) if (e.seq >= from && fn(e) === false) return;
    }
    const st = this.db.prepare(
      'SELECT e.seq, e.at, e.type, e.actor, e.data, e.prev_hash, e.hash, s.key, s.sig FROM events e LEFT JOIN event_sigs s ON s.seq = e.seq WHERE e.seq > ? AND e.seq >= ? ORDER BY e.seq',
    );
    try {
      st.bind([this.archivedHead.seq, from]);
      while (st.step()) if (fn(st.getAsObject() as unknown as ArchivedEvent) === false) return;
    } finally {
      st.free();
    }
  }

  /** Event #`seq`, from the live file or the archive segment holding it. */
  eventAt(seq: number): ArchivedEvent | undefined {
    const live = this.one<ArchivedEvent>(
      'SELECT e.seq, e.at, e.type, e.actor, e.data, e.prev_hash, e.hash, s.key, s.sig FROM events e LEFT JOIN event_sigs s ON s.seq = e.seq WHERE e.seq = ?',
      [seq],
    );
    if (live) return live;
    // The segment holding it, by binary search over the ranges (checkpoints ask this once each).
    const segs = this.segments();
    let lo = 0;
    let hi = segs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = segs[mid]!;
      if (seq < r.first_seq) hi = mid - 1;
      else if (seq > r.last_seq) lo = mid + 1;
      else {
        const events = this.readSegmentCached(r);
        const e = events[seq - r.first_seq];
        return e?.seq === seq ? e : events.find((x) => x.seq === seq);
      }
    }
    return undefined;
  }

  /** The events #from–#to (archived ones read from their segments), oldest first. */
  eventsBetween(from: number, to: number): ArchivedEvent[] {
    const out: ArchivedEvent[] = [];
    if (from > to) return out;
    this.forEachEvent((e) => {
      if (e.seq > to) return false;
      out.push(e);
    }, from);
    return out;
  }

  /** The sequence number of the event whose hash is `hash` (the live file first, then the archive). */
  seqOfHash(hash: string): number | undefined {
    const live = this.one<{ seq: number }>('SELECT seq FROM events WHERE hash = ?', [hash]);
    if (live) return live.seq;
    let found: number | undefined;
    // Newest first: a document or witness names a recent head more often than an old one.
    for (const r of [...this.segments()].reverse()) {
      if (r.head_hash === hash) return r.last_seq;
      found = readSegment(r, this.archive).find((e) => e.hash === hash)?.seq;
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /**
   * Every event of `types` across the whole history, oldest first: from the live file alone when
   * every type keeps a copy there (archive.ts KEPT_TYPES), else walking the archive too.
   */
  history(types: readonly string[]): ArchivedEvent[] {
    const marks = types.map(() => '?').join(',');
    const liveSql = `SELECT e.seq, e.at, e.type, e.actor, e.data, e.prev_hash, e.hash, s.key, s.sig FROM events e LEFT JOIN event_sigs s ON s.seq = e.seq WHERE e.type IN (${marks})`;
    if (types.every((t) => KEPT_TYPES.has(t))) return this.rows<ArchivedEvent>(`${liveSql} ORDER BY e.seq`, [...types]);
    const want = new Set(types);
    const out: ArchivedEvent[] = [];
    this.forEachEvent((e) => {
      if (want.has(e.type)) out.push(e);
    });
    return out;
  }

  /**
   * Re-walk the chain, archive segments then the live file: each event's hash from its
   * predecessor, each segment's from the one before it; the live file's copies of archived events
   * (archive.ts KEPT_TYPES) must be the archived events, none missing. Returns the first mismatch;
   * a segment missing, swapped or edited is thrown (exit 8 naming it). From `start` (the
   * signed-state mark): only the segments after its own and the live file's events after them,
   * each event walked handed to `onEvent` (with its signature).
   */
  verifyChain(start?: ChainStart, onEvent?: (e: ArchivedEvent) => void): { events: number; problem?: ChainProblem } {
    let prev = start?.hash ?? GENESIS_HASH;
    let expectSeq = (start?.seq ?? 0) + 1;
    let n = 0;
    let problem: ChainProblem | undefined;
    const archivedSeq = this.archivedHead.seq;
    const copies = new Map(
      this.rows<ArchivedEvent>(
        'SELECT seq, at, type, actor, data, prev_hash, hash FROM events WHERE seq > ? AND seq <= ? ORDER BY seq',
        [start?.seq ?? 0, archivedSeq],
      ).map((c) => [c.seq, c]),
    );
    let prevSha: string | null = start?.sha256 ?? null;
    for (const seg of this.segments()) {
      if (start && seg.idx <= start.segments) continue;
      if (seg.prev_sha256 !== prevSha || seg.first_seq !== expectSeq || seg.prev_hash !== prev)
        throw new CustodyError(
          'integrity',
          `The ledger's archive segment archive/${seg.name} (events #${seg.first_seq}–#${seg.last_seq}) does not follow the segment before it.`,
          'The list of segments in the live ledger was edited. Run `custody verify`; restore the home from a backup.',
        );
      prevSha = seg.sha256;
      for (const e of readSegment(seg, this.archive)) {
        n++;
        const bad = this.chainStep(e, prev, expectSeq);
        if (bad) problem = bad;
        else if (KEPT_TYPES.has(e.type) || copies.has(e.seq)) {
          const c = copies.get(e.seq);
          if (!c) problem = { seq: e.seq, type: e.type, at: e.at, reason: 'its copy in the live ledger was removed' };
          else if (c.hash !== e.hash || c.data !== e.data || c.type !== e.type || c.actor !== e.actor || c.at !== e.at)
            problem = { seq: e.seq, type: c.type, at: c.at, reason: 'its copy in the live ledger was edited' };
          else if (!KEPT_TYPES.has(e.type))
            problem = {
              seq: e.seq,
              type: e.type,
              at: e.at,
              reason: 'the live ledger holds a copy of it it should not',
            };
          copies.delete(e.seq);
        }
        if (problem) return { events: n, problem };
        onEvent?.(e);
        prev = e.hash;
        expectSeq++;
      }
      if (prev !== seg.head_hash)
        return {
          events: n,
          problem: {
            seq: seg.last_seq,
            type: 'archive',
            at: '',
            reason: `it is not the head archive/${seg.name} records`,
          },
        };
    }
    const st = this.db.prepare(
      'SELECT e.seq, e.at, e.type, e.actor, e.data, e.prev_hash, e.hash, s.key, s.sig FROM events e LEFT JOIN event_sigs s ON s.seq = e.seq WHERE e.seq > ? ORDER BY e.seq',
    );
    try {
      st.bind([Math.max(archivedSeq, start?.seq ?? 0)]);
      while (st.step()) {
        const r = st.getAsObject() as unknown as ArchivedEvent;
        n++;
        const bad = this.chainStep(r, prev, expectSeq);
        if (bad) return { events: n, problem: bad };
        onEvent?.(r);
        prev = r.hash;
        expectSeq++;
      }
    } finally {
      st.free();
    }
    return { events: n };
  }

  /** What is wrong with event `r` following the hash `prev` where #`expectSeq` belongs (undefined: nothing). */
  private chainStep(r: ArchivedEvent, prev: string, expectSeq: number): ChainProblem | undefined {
    const bad = (reason: string) => ({ seq: r.seq, type: r.type, at: r.at, reason });
    if (r.seq !== expectSeq)
      return bad(`expected event #${expectSeq} here, found #${r.seq} (an event was removed or inserted)`);
    if (r.prev_hash !== prev) return bad('its link to the previous event does not match');
    let data: unknown;
    try {
      data = JSON.parse(r.data);
    } catch {
      return bad('its data is not valid JSON');
    }
    if (chainHash(prev, { seq: r.seq, at: r.at, type: r.type, actor: r.actor, data }) !== r.hash)
      return bad('its content does not match its hash (it was edited)');
    return undefined;
  }

  /**
   * Replay every event from #`from` on (archive segments, then the live file) into a fresh
   * database, or into `state` (the derived tables as a replay left them after event #`from` - 1:
   * the signed-state mark, signed-mark.ts). Rows of trimmed tables (archive.ts) belong to the live
   * part only: they are dropped as the replay passes the archived head. The caller closes `replay`.
   */
  async replayDerived(from = 1, state?: Uint8Array): Promise<{ replay: Ledger; problems: string[] }> {
    const replay = state ? await Ledger.fromState(state, this.schema) : await Ledger.createEmpty(this.schema);
    const problems: string[] = [];
    const archivedSeq = this.archivedHead.seq;
    const trimmed = Object.keys(this.schema.derivedTables).filter((t) => TRIMMED_TABLES.has(t));
    try {
      this.forEachEvent((r) => {
        const reducer = this.schema.reducers[r.type];
        if (!reducer) {
          problems.push(`event #${r.seq} has an unknown type ${r.type}`);
          return;
        }
        try {
          reducer(replay.db, { seq: r.seq, at: r.at, type: r.type, actor: r.actor, data: JSON.parse(r.data) });
        } catch (e) {
          problems.push(`event #${r.seq} (${r.type}) cannot be replayed: ${(e as Error).message}`);
        }
        // Keep the replay's memory to the live part's: rows the live file no longer holds go.
        if (r.seq <= archivedSeq && r.seq % 4096 === 0)
          for (const t of trimmed) replay.db.run(`DELETE FROM ${t} WHERE seq <= ?`, [r.seq]);
      }, from);
      for (const t of trimmed) replay.db.run(`DELETE FROM ${t} WHERE seq <= ?`, [archivedSeq]);
    } catch (e) {
      replay.close();
      throw e;
    }
    return { replay, problems };
  }

  /** The derived tables (or those named) of this ledger that differ from `replay`'s. */
  derivedMismatches(replay: Ledger, only?: readonly string[]): string[] {
    const problems: string[] = [];
    for (const [table, order] of Object.entries(this.schema.derivedTables)) {
      if (only && !only.includes(table)) continue;
      const a = JSON.stringify(this.db.exec(`SELECT * FROM ${table} ORDER BY ${order}`));
      const b = JSON.stringify(replay.db.exec(`SELECT * FROM ${table} ORDER BY ${order}`));
      if (a !== b) problems.push(`table ${table} does not match what the events say (it was edited outside the chain)`);
    }
    return problems;
  }

  /**
   * Replay every event (archive segments, then the live file) into a fresh database and compare
   * the derived tables (or those named) with this one. Rows of trimmed tables (archive.ts) belong
   * to the live part only, on both sides.
   */
  async verifyDerived(only?: readonly string[]): Promise<string[]> {
    const { replay, problems } = await this.replayDerived();
    try {
      problems.push(...this.derivedMismatches(replay, only));
    } finally {
      replay.close();
    }
    return problems;
  }

  /**
   * A replay's derived tables saved by `db.export()` (the signed-state mark), opened to continue
   * the replay; refused (an Error) when it is not a database of this schema's version.
   */
  static async fromState(state: Uint8Array, schema: LedgerSchema = LEDGER_SCHEMA): Promise<Ledger> {
    const SQL = await sqlJs();
    const db = new SQL.Database(state);
    try {
      const v = Number(db.exec("SELECT value FROM meta WHERE key = 'schema_version'")[0]?.values[0]?.[0] ?? 0);
      if (v !== schema.version) throw new Error(`the saved replay has schema version ${v}, not ${schema.version}`);
      if (Number(db.exec('SELECT count(*) FROM events')[0]?.values[0]?.[0] ?? 0) !== 0)
        throw new Error('the saved replay holds events');
    } catch (e) {
      db.close();
      throw e;
    }
    return new Ledger(db, schema);
  }

  close(): void {
    this.db.close();
  }
}

function previousGenerationHint(file: string): string {
  for (let g = 1; g <= GENERATIONS; g++) {
    const f = `${file}.${g}`;
    if (fs.existsSync(f)) {
      const when = fs.statSync(f).mtime.toISOString();
      return `The previous generation ${path.basename(f)} (saved ${when}) can be restored with \`custody restore --generation ${g}\`.`;
    }
  }
  return 'No previous generation is kept; restore the home from a backup.';
}
