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

  private constructor(db: Database, schema: LedgerSchema) {
    this.db = db;
    this.schema = schema;
    // Each event's signature by its author (format 2): not part of the chain, checked by `verify`.
    db.exec('CREATE TABLE IF NOT EXISTS event_sigs (seq INTEGER PRIMARY KEY, key TEXT NOT NULL, sig TEXT NOT NULL)');
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
    const ledger = new Ledger(db, schema);
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

  /** Encrypt and write atomically, keeping the previous generations. */
  save(file: string, key: Buffer): void {
    const plain = this.db.export();
    const sealed = sealBlob(key, plain, LEDGER_CONTEXT);
    writeFileAtomic(file, sealed, { keep: GENERATIONS });
    this.dirty = false;
    this.sealedSha = sealedDigest(sealed);
  }

  /** Re-walk the chain: each event's hash from its predecessor; returns the first mismatch. */
  verifyChain(): { events: number; problem?: ChainProblem } {
    const st = this.db.prepare('SELECT seq, at, type, actor, data, prev_hash, hash FROM events ORDER BY seq');
    let prev = GENESIS_HASH;
    let expectSeq = 1;
    let n = 0;
    try {
      while (st.step()) {
        const r = st.getAsObject() as {
          seq: number;
          at: string;
          type: string;
          actor: string;
          data: string;
          prev_hash: string;
          hash: string;
        };
        n++;
        const bad = (reason: string) => ({ events: n, problem: { seq: r.seq, type: r.type, at: r.at, reason } });
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
        prev = r.hash;
        expectSeq++;
      }
    } finally {
      st.free();
    }
    return { events: n };
  }

  /** Replay every event into a fresh database and compare the derived tables (or those named) with this one. */
  async verifyDerived(only?: readonly string[]): Promise<string[]> {
    const fresh = await Ledger.createEmpty(this.schema);
    const problems: string[] = [];
    try {
      const st = this.db.prepare('SELECT seq, at, type, actor, data FROM events ORDER BY seq');
      try {
        while (st.step()) {
          const r = st.getAsObject() as { seq: number; at: string; type: string; actor: string; data: string };
          const reducer = this.schema.reducers[r.type];
          if (!reducer) {
            problems.push(`event #${r.seq} has an unknown type ${r.type}`);
            continue;
          }
          try {
            reducer(fresh.db, { seq: r.seq, at: r.at, type: r.type, actor: r.actor, data: JSON.parse(r.data) });
          } catch (e) {
            problems.push(`event #${r.seq} (${r.type}) cannot be replayed: ${(e as Error).message}`);
          }
        }
      } finally {
        st.free();
      }
      for (const [table, order] of Object.entries(this.schema.derivedTables)) {
        if (only && !only.includes(table)) continue;
        const a = JSON.stringify(this.db.exec(`SELECT * FROM ${table} ORDER BY ${order}`));
        const b = JSON.stringify(fresh.db.exec(`SELECT * FROM ${table} ORDER BY ${order}`));
        if (a !== b)
          problems.push(`table ${table} does not match what the events say (it was edited outside the chain)`);
      }
    } finally {
      fresh.close();
    }
    return problems;
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
