/**
 * The ledger's archive (issue 19): old events sealed into immutable, chained segments in
 * `archive/` beside `ledger.enc`, so the live file (rewritten whole at every save) holds only the
 * newest events and the derived tables, and a save costs the same at 1 M events as at 10 M.
 *
 * Segments are cut by size (a fixed number of events), not by month: what a save costs depends on
 * how many events the live file holds, and a month can hold a hundred events or a million
 * (every search and view is one). A segment:
 *   - covers events #first–#last of the chain, every one of them (with its author's signature);
 *   - names the chain hash before its first event and its last event's hash (the chain head it
 *     covers) and the SHA-256 of the segment before it (the segments' own chain);
 *   - is sealed (AES-256-GCM) under the ledger key of the record key in force when it is written;
 *     a key rotation never rewrites it: the replaced record keys, kept sealed under the new one
 *     (home.ts, keyring history), still open it;
 *   - is named `<index>-<first 16 hex of the SHA-256 of its sealed bytes>.seg`: a name is never
 *     written twice with other bytes, so a backup may trust it like the stored evidence.
 * The live file's `archive_segments` table names every segment with its SHA-256, range and chain
 * head; a segment deleted, swapped or edited is an integrity failure (exit 8) naming it.
 *
 * What stays in the live file of an archived range: copies of the events commands read back from
 * the log (KEPT_TYPES: who holds which key and role, agency overrides, backups, restores, drive
 * moves, imports, releases); `verify` checks each copy against the archive, and that none is
 * missing. Every other event leaves the live file, and with it the derived rows that exist once
 * per such event (TRIMMED_TABLES: the access record); readers of those walk the archive.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Database, SqlValue } from 'sql.js';
import { CustodyError } from '../core/errors.js';
import { openBlob, sealBlob } from './crypto.js';
import { fsyncDir, writeFileAtomic } from './fsutil.js';

/** The archive folder beside the ledger file. */
export const ARCHIVE_DIR = 'archive';
const SEGMENT_CONTEXT = 'custody-ledger-archive';
const SEGMENT_FORMAT = 'custody-ledger-segment';

/** Events per segment unless CUSTODY_LEDGER_SEGMENT_EVENTS says otherwise (tests use small ones). */
export const DEFAULT_SEGMENT_EVENTS = 8192;

export function segmentEvents(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.CUSTODY_LEDGER_SEGMENT_EVENTS);
  return Number.isInteger(n) && n >= 2 ? n : DEFAULT_SEGMENT_EVENTS;
}

/** The newest events always left in the live file past an archived segment (an eighth of a segment). */
export function keptTailEvents(segment: number): number {
  return Math.max(1, Math.floor(segment / 8));
}

/**
 * Event types whose archived events keep a copy in the live file: those commands look up by type
 * across the whole history (keys and roles for signatures, agency overrides, backups, restores,
 * the last swap of a camera, an import's facts, release hashes). They grow with operators, agencies,
 * backups and drive moves, not with searches, views and failed log-ins. A reader of any other type
 * across the history uses `Ledger.history`, which walks the archive.
 */
export const KEPT_TYPES: ReadonlySet<string> = new Set([
  'home.created',
  'home.upgraded',
  'home.restored',
  'ledger.restored',
  'operator.added',
  'operator.disabled',
  'operator.trained',
  'operator.password_changed',
  'operator.certificate',
  'settings.changed',
  'agency.added',
  'agency.confirmed',
  'agency.confirmation_revoked',
  'hold.placed',
  'hold.released',
  'release.recorded',
  'backup.completed',
  'backup.failed',
  'backup.verified',
  'drive.installed',
  'drive.removed',
  'import.finished',
]);

/** Derived tables with one row per archived-only event (by its `seq`): the rows leave the live file with it. */
export const TRIMMED_TABLES: ReadonlySet<string> = new Set(['access_log']);

export const SEGMENTS_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS archive_segments (idx INTEGER PRIMARY KEY, name TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, prev_hash TEXT NOT NULL, head_hash TEXT NOT NULL, sha256 TEXT NOT NULL, prev_sha256 TEXT)';

/** An event as the archive keeps it: the chain fields and its author's signature. */
export interface ArchivedEvent {
  seq: number;
  at: string;
  type: string;
  actor: string;
  /** The canonical JSON of its data, as hashed. */
  data: string;
  prev_hash: string;
  hash: string;
  key: string | null;
  sig: string | null;
}

/** A segment as the live file names it. */
export interface SegmentRow {
  idx: number;
  name: string;
  first_seq: number;
  last_seq: number;
  /** The chain hash before its first event. */
  prev_hash: string;
  /** Its last event's hash: the chain head it covers. */
  head_hash: string;
  /** SHA-256 of the sealed file. */
  sha256: string;
  /** SHA-256 of the segment before it (null for the first). */
  prev_sha256: string | null;
}

/** Where a ledger's segments are and which keys may open them (the current ledger key first). */
export interface ArchiveAccess {
  /** The file of the segment named `name` (a home's archive/, or a backup's object). */
  locate(name: string): string;
  keys: Buffer[];
}

export function archiveAccessBeside(ledgerFile: string, keys: Buffer[]): ArchiveAccess {
  const dir = path.join(path.dirname(ledgerFile), ARCHIVE_DIR);
  return { locate: (name) => path.join(dir, name), keys };
}

/** "archive/000003-0123456789abcdef.seg (events #16385–#24576)". */
export function segmentLabel(r: SegmentRow): string {
  return `${ARCHIVE_DIR}/${r.name} (events #${r.first_seq}–#${r.last_seq})`;
}

function contextOf(idx: number, first: number, last: number): string {
  return `${SEGMENT_CONTEXT}:${idx}:${first}-${last}`;
}

export function sha256Of(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Seal `events` (contiguous, oldest first) as segment `idx` after the segment whose hash is `prevSha`. */
export function sealSegment(
  idx: number,
  events: ArchivedEvent[],
  prevSha: string | null,
  key: Buffer,
): { row: SegmentRow; sealed: Buffer } {
  const first = events[0]!;
  const last = events[events.length - 1]!;
  const header = {
    format: SEGMENT_FORMAT,
    version: 1,
    index: idx,
    firstSeq: first.seq,
    lastSeq: last.seq,
    prevHash: first.prev_hash,
    headHash: last.hash,
    prevSegment: prevSha,
    events: events.length,
  };
  const lines = [JSON.stringify(header)];
  for (const e of events)
    lines.push(JSON.stringify([e.seq, e.at, e.type, e.actor, e.data, e.prev_hash, e.hash, e.key, e.sig]));
  const sealed = sealBlob(key, Buffer.from(lines.join('\n'), 'utf8'), contextOf(idx, first.seq, last.seq));
  const sha256 = sha256Of(sealed);
  return {
    row: {
      idx,
      name: `${String(idx).padStart(6, '0')}-${sha256.slice(0, 16)}.seg`,
      first_seq: first.seq,
      last_seq: last.seq,
      prev_hash: first.prev_hash,
      head_hash: last.hash,
      sha256,
      prev_sha256: prevSha,
    },
    sealed,
  };
}

function damaged(r: SegmentRow, what: string, hint?: string): CustodyError {
  return new CustodyError(
    'integrity',
    `The ledger's archive segment ${segmentLabel(r)} ${what}.`,
    hint ??
      'Nothing was changed. Put the segment back from a backup of the home (`custody backup verify` checks a backup holds it), then run `custody verify`.',
  );
}

/**
 * The events of segment `r`, checked against what the live file records of it: its bytes hash to
 * the recorded SHA-256, it opens with one of the keys, and its header and events are the range it
 * claims (the chain itself is walked by `Ledger.verifyChain`). Anything else: exit 8 naming it.
 */
export function readSegment(r: SegmentRow, access: ArchiveAccess): ArchivedEvent[] {
  let sealed: Buffer;
  try {
    sealed = fs.readFileSync(access.locate(r.name));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw damaged(r, 'is missing');
    throw e;
  }
  if (sha256Of(sealed) !== r.sha256)
    throw damaged(r, 'is not the one the ledger recorded (its SHA-256 differs: it was replaced or edited)');
  let plain: Buffer | undefined;
  for (const k of access.keys) {
    plain = openBlob(k, sealed, contextOf(r.idx, r.first_seq, r.last_seq));
    if (plain) break;
  }
  if (!plain)
    throw damaged(
      r,
      'does not open with any record key this home holds',
      'The keyring may be older than the archive, or the segment was forged. Run `custody verify`.',
    );
  const lines = plain.toString('utf8').split('\n');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(lines[0]!) as Record<string, unknown>;
  } catch {
    throw damaged(r, 'has an unreadable header');
  }
  if (
    header.format !== SEGMENT_FORMAT ||
    header.index !== r.idx ||
    header.firstSeq !== r.first_seq ||
    header.lastSeq !== r.last_seq ||
    header.prevHash !== r.prev_hash ||
    header.headHash !== r.head_hash ||
    (header.prevSegment ?? null) !== r.prev_sha256 ||
    header.events !== lines.length - 1
  )
    throw damaged(r, 'does not describe the range the ledger records for it');
  const out: ArchivedEvent[] = [];
  for (let i = 1; i < lines.length; i++) {
    const a = JSON.parse(lines[i]!) as [
      number,
      string,
      string,
      string,
      string,
      string,
      string,
      string | null,
      string | null,
    ];
    out.push({
      seq: a[0],
      at: a[1],
      type: a[2],
      actor: a[3],
      data: a[4],
      prev_hash: a[5],
      hash: a[6],
      key: a[7],
      sig: a[8],
    });
  }
  if (out[0]?.seq !== r.first_seq || out[out.length - 1]?.seq !== r.last_seq)
    throw damaged(r, 'does not hold the events the ledger records for it');
  return out;
}

function selectRows<T>(db: Database, sql: string, params: SqlValue[] = []): T[] {
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

export function segmentRows(db: Database): SegmentRow[] {
  return selectRows<SegmentRow>(db, 'SELECT * FROM archive_segments ORDER BY idx');
}

export function lastSegment(db: Database): SegmentRow | undefined {
  return selectRows<SegmentRow>(db, 'SELECT * FROM archive_segments ORDER BY idx DESC LIMIT 1')[0];
}

/** Events #from–#to of the live file with their signatures (all of them must be there). */
export function liveEvents(db: Database, from: number, to: number): ArchivedEvent[] {
  return selectRows<ArchivedEvent>(
    db,
    'SELECT e.seq, e.at, e.type, e.actor, e.data, e.prev_hash, e.hash, s.key, s.sig FROM events e LEFT JOIN event_sigs s ON s.seq = e.seq WHERE e.seq BETWEEN ? AND ? ORDER BY e.seq',
    [from, to],
  );
}

function tableExists(db: Database, name: string): boolean {
  return selectRows(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [name]).length > 0;
}

/**
 * The archive step of a save: while the live file holds a whole segment more than the tail it
 * keeps, seal its oldest `segment` events into the next segment, write it durably (a new file,
 * never one that exists with other bytes), then record it in the live database and drop the
 * archived events that keep no copy, with their trimmed rows. The caller writes the live file
 * after: a crash before that leaves the old live file, which names no new segment (the file
 * written is an orphan, never read); after it, the new state. Returns the segments written.
 */
export function archiveDue(
  db: Database,
  head: number,
  dir: string,
  key: Buffer,
  segment: number = segmentEvents(),
): SegmentRow[] {
  const written: SegmentRow[] = [];
  for (;;) {
    const last = lastSegment(db);
    const archived = last?.last_seq ?? 0;
    if (head - archived < segment + keptTailEvents(segment)) break;
    const from = archived + 1;
    const to = archived + segment;
    const events = liveEvents(db, from, to);
    if (events.length !== segment || events[0]?.seq !== from)
      throw new CustodyError(
        'integrity',
        `The live ledger lacks events of #${from}–#${to}, which it should still hold; nothing was archived.`,
        'Run `custody verify`.',
      );
    const { row, sealed } = sealSegment((last?.idx ?? 0) + 1, events, last?.sha256 ?? null, key);
    if (!fs.existsSync(dir)) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fsyncDir(path.dirname(dir));
    }
    writeFileAtomic(path.join(dir, row.name), sealed);
    const kept = [...KEPT_TYPES].map(() => '?').join(',');
    db.exec('SAVEPOINT archive');
    try {
      db.run(
        'INSERT INTO archive_segments (idx, name, first_seq, last_seq, prev_hash, head_hash, sha256, prev_sha256) VALUES (?,?,?,?,?,?,?,?)',
        [row.idx, row.name, row.first_seq, row.last_seq, row.prev_hash, row.head_hash, row.sha256, row.prev_sha256],
      );
      for (const t of TRIMMED_TABLES)
        if (tableExists(db, t)) db.run(`DELETE FROM ${t} WHERE seq BETWEEN ? AND ?`, [from, to]);
      db.run(
        `DELETE FROM event_sigs WHERE seq IN (SELECT seq FROM events WHERE seq BETWEEN ? AND ? AND type NOT IN (${kept}))`,
        [from, to, ...KEPT_TYPES],
      );
      db.run(`DELETE FROM events WHERE seq BETWEEN ? AND ? AND type NOT IN (${kept})`, [from, to, ...KEPT_TYPES]);
      db.exec('RELEASE archive');
    } catch (e) {
      db.exec('ROLLBACK TO archive');
      db.exec('RELEASE archive');
      throw e;
    }
    written.push(row);
  }
  return written;
}
