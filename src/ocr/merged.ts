/**
 * The merged plate index (`plates.idx` in the home): every searchable batch's plate readings in
 * one file, sealed with a subkey of the evidence key, so a search does not decrypt 90 batch
 * indexes. Plates are spread over SHARDS shards by the hash of their confusion key (plates that
 * differ only by OCR look-alikes share a shard); each shard is two sealed blobs — its distinct
 * plates, and its rows (image, rank, confidence, capture time, and what policy §8 counts from:
 * the image's recording day and whether its date of recordation is the import's) grouped by
 * plate — so a search judges each hit's retention without opening the batch's segment; an exact
 * search reads the header and one shard, a fuzzy one the few hundred shards its keys name, and a
 * wildcard the plates of every shard and the rows of the plates that match.
 *
 *   "CPM1" | blobs | sealed header (JSON: batches, each shard's blob offsets) | u32 its length | "CPM1"
 *
 * It is derived data: each batch's own index (segments/<batch>.idx) stays the source. It is
 * updated (never rebuilt from every batch) whenever `custody ocr` or `custody purge` changes a
 * batch's index — the changed batches' rows are replaced, the others copied — and `custody
 * verify` checks it against the batch indexes. A batch whose index changed since the merged index
 * was written (a crash between the two writes) is searched through its own index until the next
 * update, so a search never misses or serves stale rows. An index of an older version (1: no
 * retention column) is not read: search reads each batch alone until `custody ocr` or `custody
 * purge` writes it again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import {
  confusionKey,
  deletionKeys,
  insertionKeys,
  MIN_EDIT_QUERY_LENGTH,
  type ParsedQuery,
} from '../core/plate-match.js';
import { CustodyError } from '../core/errors.js';
import type { SqlJsStatic } from 'sql.js';
import { recordationDate } from '../core/retention.js';
import { BatchFiles, type FileRecord, loadBatchKey, openSegmentWith, shredFile } from '../ledger/batches.js';
import {
  openBlob,
  openBlobAny,
  randomKey,
  rememberPredecessors,
  sealBlob,
  subkey,
  withPredecessors,
} from '../ledger/crypto.js';
import { fsyncDir, writeFileAtomic } from '../ledger/fsutil.js';
import type { Home } from '../ledger/home.js';
import { sqlJs } from '../ledger/ledger.js';
import path from 'node:path';
import { searchableBatches } from '../ledger/images.js';
import type { Session } from '../ledger/session.js';
import { loadIndex } from './queue.js';

export const SHARDS = 4096;
/** The format written; version 1 (before the retention column) is not read, and is written again. */
const VERSION = 2;
const MAGIC = Buffer.from('CPM1');
const headerContext = 'custody-plates:header';
const platesContext = (shard: number) => `custody-plates:${shard}:plates`;
const rowsContext = (shard: number) => `custody-plates:${shard}:rows`;

/**
 * The merged index's key (it holds evidence: plates, image ids, capture times): a random key kept
 * in `keys/plates.key`, sealed with a subkey of the evidence key, and replaced at every rewrite of
 * the index (the old one shredded), so a copy of `plates.idx` made before a purge opens with no
 * key the home holds afterwards (policy §8). A home whose index predates the key file: the subkey
 * itself, until the next rewrite. A rewrite cut short between its steps leaves `plates.key.next`:
 * whichever key opens the index is the one in force.
 */
export function mergedKey(home: Home, evidence: Buffer): Buffer {
  const next = readKeyFile(`${mergedKeyFile(home)}.next`, evidence);
  if (next && headerOpens(home, next)) return next;
  return readKeyFile(mergedKeyFile(home), evidence) ?? legacyKey(evidence);
}

/** An index written before its key file: the evidence key's subkey (after a rotation, the replaced keys' too). */
function legacyKey(evidence: Buffer): Buffer {
  const [current, ...older] = withPredecessors(evidence).map((k) => subkey(k, 'plate-index'));
  return rememberPredecessors(current!, older);
}

const mergedKeyContext = 'custody-plates-key';
const mergedKeyFile = (home: Home) => home.file('keys', 'plates.key');

/** A key file, opened with the evidence key's subkey (or, after an evidence-key rotation, a replaced key's). */
function readKeyFile(file: string, evidence: Buffer): Buffer | undefined {
  let blob: Buffer;
  try {
    blob = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  const key = openBlobAny(evidence, 'plate-index', blob, mergedKeyContext);
  if (!key)
    throw new CustodyError('integrity', `The key file of the merged plate index (${file}) does not authenticate.`);
  return key;
}

function headerOpens(home: Home, key: Buffer): boolean {
  try {
    const m = MergedIndex.open(home, key);
    m?.close();
    return !!m;
  } catch {
    return false;
  }
}

/**
 * Write the merged index under a new key: the new key first (`plates.key.next`), then the index
 * (temporary file renamed over), then the old key shredded and the new one put in its place.
 */
function writeMergedRekeyed(
  home: Home,
  evidence: Buffer,
  batches: MergedBatch[],
  shardOf: (shard: number) => { plates: string[]; rows: Buffer } | undefined,
): void {
  const wrap = subkey(evidence, 'plate-index');
  const file = mergedKeyFile(home);
  const key = randomKey();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(`${file}.next`, sealBlob(wrap, key, mergedKeyContext));
  writeMerged(home, key, batches, shardOf);
  settleMergedKey(home, evidence);
}

/** Finish a key change the index already made: shred the old key, the new one in its place. */
function settleMergedKey(home: Home, evidence: Buffer): void {
  const file = mergedKeyFile(home);
  const next = `${file}.next`;
  if (!fs.existsSync(next)) return;
  const key = readKeyFile(next, evidence);
  if (!key || !headerOpens(home, key)) {
    fs.rmSync(next, { force: true }); // the index was not rewritten: the old key stands
    return;
  }
  shredFile(file);
  fs.renameSync(next, file);
  fsyncDir(path.dirname(file));
}

export function mergedFile(home: Home): string {
  return home.file('plates.idx');
}

/** What the merged index knows of one batch's own index: which file it copied. */
export interface MergedBatch {
  id: string;
  /** The batch's number in the rows (u16). */
  ord: number;
  /** The sealed batch index it copied: size, modification time, SHA-256. */
  size: number;
  mtimeMs: number;
  sha256: string;
  rows: number;
}

interface Header {
  version: typeof VERSION;
  shards: number;
  batches: MergedBatch[];
  /** Per shard: plates offset, plates length, rows offset, rows length. */
  blobs: number[];
}

export interface MergedRow {
  plate: string;
  ord: number;
  file: number;
  rank: number;
  confidence: number;
  /** Capture time, ms since the epoch (NaN when unknown). */
  time: number;
  /** What retention counts from (`retentionCode`): 0 when the segment has no record of the image. */
  ret: number;
}

// ---------------------------------------------------------------------------------------------
// Retention facts of a row (policy §8), so search needs no segment to withhold an image past its date

/** The image's record was not judged when the index was written: its batch's segment decides. */
export const RET_ASK_SEGMENT = 1;
const DAY_MS = 86_400_000;

/**
 * What `dayOfRecord` needs of an image's record, as one int32: 0 when there is no record;
 * RET_ASK_SEGMENT when its date of recordation is not the row's capture time although believed
 * (not expected; the segment is then read); else bit 2 set, bit 0 = the date of recordation is the
 * import's (`fromImport`), bit 1 = a stored file with its key's day, that day (days since
 * 1970-01-01) from bit 3.
 */
export function retentionCode(rec: RetentionRecord | undefined, time: number): number {
  if (!rec) return 0;
  const r = recordationDate(rec, new Date(0));
  if (!r.fromImport && r.at.getTime() !== time) return RET_ASK_SEGMENT;
  const keyDay = rec.outcome === 'stored' && rec.keyDay ? Date.parse(`${rec.keyDay}T00:00:00Z`) / DAY_MS : undefined;
  if (keyDay !== undefined && !(Number.isInteger(keyDay) && Math.abs(keyDay) < 2 ** 27)) return RET_ASK_SEGMENT;
  return ((keyDay ?? 0) << 3) | 4 | (keyDay !== undefined ? 2 : 0) | (r.fromImport ? 1 : 0);
}

/** A row's retention facts: undefined for no record (0) or RET_ASK_SEGMENT. */
export function decodeRetention(code: number): { fromImport: boolean; keyDay?: string } | undefined {
  if (!(code & 4)) return undefined;
  const keyDay = code & 2 ? new Date((code >> 3) * DAY_MS).toISOString().slice(0, 10) : undefined;
  return { fromImport: (code & 1) === 1, keyDay };
}

function fnv(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The shard of every plate whose confusion key is `key`. */
export function shardOfKey(key: string): number {
  return fnv(key) % SHARDS;
}

const shardOfPlate = (plate: string) => shardOfKey(confusionKey(plate));

// ---------------------------------------------------------------------------------------------
// Reading

function damaged(what: string): CustodyError {
  return new CustodyError(
    'integrity',
    `The merged plate index (plates.idx) is damaged: ${what}.`,
    'Run `custody ocr` to write it again from the batch indexes, then `custody verify`.',
  );
}

/** The merged index opened for reading: the header, then shards read on demand. */
export class MergedIndex {
  private constructor(
    private readonly fd: number,
    private readonly key: Buffer,
    readonly header: Header,
  ) {}

  /** undefined when the home has no merged index yet. */
  static open(home: Home, key: Buffer): MergedIndex | undefined {
    let fd: number;
    try {
      fd = fs.openSync(mergedFile(home), 'r');
    } catch {
      return undefined;
    }
    try {
      const size = fs.fstatSync(fd).size;
      const tail = Buffer.alloc(8);
      if (size < 16 || fs.readSync(fd, tail, 0, 8, size - 8) !== 8 || !tail.subarray(4).equals(MAGIC))
        throw damaged('not a merged index, or cut short');
      const n = tail.readUInt32LE(0);
      if (n > size - 12) throw damaged('its header is cut short');
      const blob = Buffer.alloc(n);
      fs.readSync(fd, blob, 0, n, size - 8 - n);
      const opener = withPredecessors(key).find((k) => openBlob(k, blob, headerContext));
      const plain = opener && openBlob(opener, blob, headerContext);
      if (!plain) throw damaged('its header does not authenticate');
      const header = JSON.parse(plain.toString('utf8')) as Header | { version: 1 };
      if (header.version === 1) {
        // An older format: not read (search reads each batch alone); the next update writes it again.
        fs.closeSync(fd);
        return undefined;
      }
      if (header.version !== VERSION || header.shards !== SHARDS || header.blobs.length !== 4 * SHARDS)
        throw damaged('its header is not of this version');
      return new MergedIndex(fd, opener, header);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private read(off: number, len: number, context: string): Buffer {
    const blob = Buffer.allocUnsafe(len);
    if (len && fs.readSync(this.fd, blob, 0, len, off) !== len) throw damaged('a shard is cut short');
    const plain = openBlob(this.key, blob, context);
    if (!plain) throw damaged(`${context} does not authenticate`);
    return plain;
  }

  /** The distinct plates of a shard, sorted, one per line. */
  platesText(shard: number): string {
    const b = this.header.blobs;
    const len = b[4 * shard + 1]!;
    if (len === 0) return '';
    return this.read(b[4 * shard]!, len, platesContext(shard)).toString('latin1');
  }

  /** The distinct plates of a shard, sorted. */
  plates(shard: number): string[] {
    const text = this.platesText(shard);
    return text ? text.split('\n') : [];
  }

  /** A shard's rows, grouped by its plates. */
  shard(shard: number): ShardRows {
    const b = this.header.blobs;
    const plates = this.plates(shard);
    const len = b[4 * shard + 3]!;
    if (len === 0) return new ShardRows(plates, undefined);
    return new ShardRows(plates, this.read(b[4 * shard + 2]!, len, rowsContext(shard)));
  }
}

/**
 * Rows blob: u32 plates | u32 rows | u32 start[plates + 1] | f64 time[rows] | f32 confidence[rows]
 * | u32 file[rows] | i32 retention[rows] | u16 ord[rows] | u8 rank[rows] (each column starts on an
 * 8-byte boundary).
 */
export class ShardRows {
  readonly starts: Uint32Array;
  readonly times: Float64Array;
  readonly confs: Float32Array;
  readonly files: Uint32Array;
  readonly rets: Int32Array;
  readonly ords: Uint16Array;
  readonly ranks: Uint8Array;
  constructor(
    readonly plates: string[],
    buf: Buffer | undefined,
  ) {
    // An aligned copy (the columns are typed arrays over it); no rows: an empty shard of these plates.
    const b = buf ? new Uint8Array(buf).buffer : new ArrayBuffer(layout(plates.length, 0).total);
    const dv = new DataView(b);
    if (!buf) dv.setUint32(0, plates.length, true);
    if (b.byteLength < 8) throw damaged('a shard is cut short');
    const np = dv.getUint32(0, true);
    const n = dv.getUint32(4, true);
    if (np !== plates.length) throw damaged('a shard lists another number of plates than its rows');
    const lay = layout(np, n);
    if (b.byteLength !== lay.total) throw damaged('a shard has the wrong size');
    this.starts = new Uint32Array(b, 8, np + 1);
    this.times = new Float64Array(b, lay.time, n);
    this.confs = new Float32Array(b, lay.conf, n);
    this.files = new Uint32Array(b, lay.file, n);
    this.rets = new Int32Array(b, lay.ret, n);
    this.ords = new Uint16Array(b, lay.ord, n);
    this.ranks = new Uint8Array(b, lay.rank, n);
    if (this.starts[np] !== n) throw damaged('a shard has the wrong number of rows');
  }

  get rowCount(): number {
    return this.files.length;
  }

  /** The rows of plate number `p` of this shard. */
  *rowsOf(p: number): Generator<MergedRow> {
    const plate = this.plates[p]!;
    for (let r = this.starts[p]!; r < this.starts[p + 1]!; r++)
      yield {
        plate,
        ord: this.ords[r]!,
        file: this.files[r]!,
        rank: this.ranks[r]!,
        confidence: this.confs[r]!,
        time: this.times[r]!,
        ret: this.rets[r]!,
      };
  }

  *all(): Generator<MergedRow> {
    for (let p = 0; p < this.plates.length; p++) yield* this.rowsOf(p);
  }
}

const up8 = (x: number) => (x + 7) & ~7;
function layout(np: number, n: number) {
  const time = up8(8 + 4 * (np + 1));
  const conf = up8(time + 8 * n);
  const file = up8(conf + 4 * n);
  const ret = up8(file + 4 * n);
  const ord = up8(ret + 4 * n);
  const rank = up8(ord + 2 * n);
  return { time, conf, file, ret, ord, rank, total: up8(rank + n) };
}

// ---------------------------------------------------------------------------------------------
// Which batches, and their identity

export interface BatchSource {
  id: string;
  bf: BatchFiles;
}

/** The identity of a batch's index file now (undefined when it has none). */
export function indexIdentity(bf: BatchFiles): { size: number; mtimeMs: number } | undefined {
  try {
    const st = fs.statSync(bf.indexFile);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

/** The merged index holds this batch as its index is now (by size and modification time). */
export function isCurrent(m: MergedBatch | undefined, bf: BatchFiles): boolean {
  const id = indexIdentity(bf);
  return !!m && !!id && id.size === m.size && id.mtimeMs === m.mtimeMs;
}

/** What retention needs of each image's record, by its id, from the batch's segment (none when it has no segment). */
function retentionCodes(SQL: SqlJsStatic, bf: BatchFiles, key: Buffer): Map<number, RetentionRecord> {
  if (!fs.existsSync(bf.segmentFile)) return new Map();
  const db = openSegmentWith(SQL, bf, key);
  try {
    const out = new Map<number, RetentionRecord>();
    const st = db.prepare('SELECT id, recorded_at, flags, outcome, key_day FROM files');
    try {
      while (st.step()) {
        const [id, recordedAt, flags, outcome, keyDay] = st.get() as [
          number,
          string | null,
          string,
          string,
          string | null,
        ];
        out.set(Number(id), {
          recordedAt: recordedAt ?? undefined,
          flags: JSON.parse(flags) as string[],
          outcome: outcome as FileRecord['outcome'],
          keyDay: keyDay ?? undefined,
        });
      }
    } finally {
      st.free();
    }
    return out;
  } finally {
    db.close();
  }
}

type RetentionRecord = Pick<FileRecord, 'recordedAt' | 'flags' | 'outcome' | 'keyDay'>;

/** A batch's rows as its own index holds them (with each image's retention facts), and the identity of that index file. */
function batchRows(
  SQL: SqlJsStatic,
  bf: BatchFiles,
  key: Buffer,
  ord: number,
): { rows: MergedRow[]; entry: Omit<MergedBatch, 'id' | 'ord'> } | undefined {
  const id = indexIdentity(bf);
  if (!id) return undefined;
  const sealed = fs.readFileSync(bf.indexFile);
  const idx = loadIndex(bf, key);
  if (!idx) return undefined;
  const records = retentionCodes(SQL, bf, key);
  const rows: MergedRow[] = [];
  for (const r of idx.index.rows()) {
    const time = idx.capturedAt(r.imageId);
    rows.push({
      plate: r.reading,
      ord,
      file: r.imageId,
      rank: r.rank,
      confidence: r.confidence,
      time,
      ret: retentionCode(records.get(r.imageId), time),
    });
  }
  return {
    rows,
    entry: {
      size: id.size,
      mtimeMs: id.mtimeMs,
      sha256: createHash('sha256').update(sealed).digest('hex'),
      rows: rows.length,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Updating

export interface MergedUpdate {
  /** Batches replaced (added, or their rows changed). */
  replaced: string[];
  /** Batches dropped (destroyed, or without an index any more). */
  dropped: string[];
}

/**
 * Bring the merged index up to date with `batches` (every batch that may be searched, each with
 * its index): the rows of batches whose index changed (or that are new) are replaced, those of
 * batches no longer listed dropped, every other row copied as it is. Written to a temporary file,
 * synced and renamed over the old one. Nothing is written when nothing changed. The rows of a batch
 * taken in carry each image's retention facts from the batch's segment.
 */
export async function updateMergedIndex(
  home: Home,
  evidence: Buffer,
  batches: readonly BatchSource[],
  opts: { force?: readonly string[] } = {},
): Promise<MergedUpdate> {
  const SQL = await sqlJs();
  try {
    return updateOnce(SQL, home, evidence, batches, opts);
  } catch (e) {
    if (!(e instanceof CustodyError && e.message.startsWith('The merged plate index (plates.idx) is damaged'))) throw e;
    // A damaged merged index is written again from every batch index.
    fs.rmSync(mergedFile(home), { force: true });
    return updateOnce(SQL, home, evidence, batches, opts);
  }
}

function updateOnce(
  SQL: SqlJsStatic,
  home: Home,
  evidence: Buffer,
  batches: readonly BatchSource[],
  opts: { force?: readonly string[] },
): MergedUpdate {
  settleMergedKey(home, evidence);
  const key = mergedKey(home, evidence);
  let old: MergedIndex | undefined;
  try {
    old = MergedIndex.open(home, key);
  } catch {
    old = undefined; // a damaged header: written again from every batch
  }
  try {
    const had = new Map((old?.header.batches ?? []).map((b) => [b.id, b]));
    const wanted = new Map(batches.map((b) => [b.id, b]));
    const force = new Set(opts.force ?? []);
    const dropped = [...had.keys()].filter((id) => !wanted.has(id) || !indexIdentity(wanted.get(id)!.bf));
    const changedAll = batches.filter(
      (b) => indexIdentity(b.bf) && (force.has(b.id) || !isCurrent(had.get(b.id), b.bf)),
    );
    if (dropped.length === 0 && changedAll.length === 0 && old) return { replaced: [], dropped: [] };
    // A few batches' rows at a time are held in memory (a home indexed before the merged index catches up in steps).
    const changed = changedAll.slice(0, BATCHES_PER_WRITE);
    // Numbers: kept for batches kept, the smallest free ones for the rest.
    const gone = new Set([...dropped, ...changed.map((b) => b.id)]);
    const entries: MergedBatch[] = (old?.header.batches ?? []).filter((b) => !gone.has(b.id));
    const used = new Set(entries.map((b) => b.ord));
    let nextOrd = 0;
    const fresh: MergedRow[][] = Array.from({ length: SHARDS }, () => []);
    for (const b of changed) {
      while (used.has(nextOrd)) nextOrd++;
      if (nextOrd > 0xffff) throw new CustodyError('internal', 'The merged plate index holds at most 65,536 batches.');
      const got = batchRows(SQL, b.bf, loadBatchKey(b.bf, evidence), nextOrd);
      if (!got) continue;
      used.add(nextOrd);
      entries.push({ id: b.id, ord: nextOrd, ...got.entry });
      for (const r of got.rows) fresh[shardOfPlate(r.plate)]!.push(r);
    }
    const goneOrds = new Set((old?.header.batches ?? []).filter((b) => gone.has(b.id)).map((b) => b.ord));
    const src = old;
    writeMergedRekeyed(home, evidence, entries, (shard) => {
      const rows = fresh[shard]!;
      fresh[shard] = [];
      return mergeShard(src?.shard(shard), goneOrds, rows);
    });
    old?.close();
    old = undefined;
    const done = {
      replaced: changed.map((b) => b.id),
      dropped: dropped.filter((id) => !gone.has(id) || !changed.some((b) => b.id === id)),
    };
    if (changedAll.length <= BATCHES_PER_WRITE) return done;
    const doneIds = new Set(done.replaced);
    const rest = updateOnce(SQL, home, evidence, batches, { force: [...force].filter((id) => !doneIds.has(id)) });
    return { replaced: [...done.replaced, ...rest.replaced], dropped: [...done.dropped, ...rest.dropped] };
  } finally {
    old?.close();
  }
}

/** Batches whose rows one rewrite takes in (the rest follow in further rewrites). */
const BATCHES_PER_WRITE = 8;

/**
 * One shard rewritten: its rows kept (those of no batch in `gone`), copied column by column, and
 * the fresh rows of its plates merged in, plate order kept. undefined when no row is left.
 */
function mergeShard(
  old: ShardRows | undefined,
  gone: ReadonlySet<number>,
  fresh: MergedRow[],
): { plates: string[]; rows: Buffer } | undefined {
  fresh.sort((a, b) =>
    a.plate < b.plate ? -1 : a.plate > b.plate ? 1 : a.ord - b.ord || a.file - b.file || a.rank - b.rank,
  );
  const cap = (old?.rowCount ?? 0) + fresh.length;
  if (cap === 0) return undefined;
  const times = new Float64Array(cap);
  const confs = new Float32Array(cap);
  const files = new Uint32Array(cap);
  const rets = new Int32Array(cap);
  const ords = new Uint16Array(cap);
  const ranks = new Uint8Array(cap);
  const plates: string[] = [];
  const starts: number[] = [];
  const oldPlates = old?.plates ?? [];
  let n = 0;
  let i = 0;
  let j = 0;
  while (i < oldPlates.length || j < fresh.length) {
    const po = oldPlates[i];
    const pf = fresh[j]?.plate;
    const plate = pf === undefined || (po !== undefined && po <= pf) ? po! : pf;
    const start = n;
    if (po === plate && old) {
      for (let r = old.starts[i]!; r < old.starts[i + 1]!; r++) {
        if (gone.has(old.ords[r]!)) continue;
        times[n] = old.times[r]!;
        confs[n] = old.confs[r]!;
        files[n] = old.files[r]!;
        rets[n] = old.rets[r]!;
        ords[n] = old.ords[r]!;
        ranks[n] = old.ranks[r]!;
        n++;
      }
      i++;
    }
    for (; j < fresh.length && fresh[j]!.plate === plate; j++) {
      const f = fresh[j]!;
      times[n] = f.time;
      confs[n] = f.confidence;
      files[n] = f.file;
      rets[n] = f.ret;
      ords[n] = f.ord;
      ranks[n] = f.rank;
      n++;
    }
    if (n > start) {
      plates.push(plate);
      starts.push(start);
    }
  }
  if (n === 0) return undefined;
  starts.push(n);
  const lay = layout(plates.length, n);
  const ab = new ArrayBuffer(lay.total);
  const dv = new DataView(ab);
  dv.setUint32(0, plates.length, true);
  dv.setUint32(4, n, true);
  new Uint32Array(ab, 8, plates.length + 1).set(starts);
  new Float64Array(ab, lay.time, n).set(times.subarray(0, n));
  new Float32Array(ab, lay.conf, n).set(confs.subarray(0, n));
  new Uint32Array(ab, lay.file, n).set(files.subarray(0, n));
  new Int32Array(ab, lay.ret, n).set(rets.subarray(0, n));
  new Uint16Array(ab, lay.ord, n).set(ords.subarray(0, n));
  new Uint8Array(ab, lay.rank, n).set(ranks.subarray(0, n));
  return { plates, rows: Buffer.from(ab) };
}

function writeMerged(
  home: Home,
  key: Buffer,
  batches: MergedBatch[],
  shardOf: (shard: number) => { plates: string[]; rows: Buffer } | undefined,
): void {
  const file = mergedFile(home);
  const tmp = path.join(path.dirname(file), `.plates.idx.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    let at = 0;
    const put = (b: Buffer) => {
      fs.writeSync(fd, b);
      const off = at;
      at += b.length;
      return off;
    };
    put(MAGIC);
    const blobs: number[] = [];
    for (let shard = 0; shard < SHARDS; shard++) {
      const enc = shardOf(shard);
      if (!enc) {
        blobs.push(0, 0, 0, 0);
        continue;
      }
      const p = sealBlob(key, Buffer.from(enc.plates.join('\n'), 'latin1'), platesContext(shard));
      const r = sealBlob(key, enc.rows, rowsContext(shard));
      blobs.push(put(p), p.length, put(r), r.length);
    }
    const header: Header = { version: VERSION, shards: SHARDS, batches, blobs };
    const sealed = sealBlob(key, Buffer.from(JSON.stringify(header)), headerContext);
    put(sealed);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(sealed.length, 0);
    MAGIC.copy(trailer, 4);
    put(trailer);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

/** Every batch that may be searched, as merged-index sources. */
export function searchableSources(s: Session): BatchSource[] {
  return searchableBatches(s).map((b) => ({ id: b.id, bf: new BatchFiles(s.home, b.id) }));
}

/** After `custody ocr` or `custody purge` changed batch indexes: the merged index follows (`force`: these changed). */
export function refreshMergedIndex(s: Session, force: readonly string[] = []): Promise<MergedUpdate> {
  return updateMergedIndex(s.home, s.master, searchableSources(s), { force });
}

// ---------------------------------------------------------------------------------------------
// Searching

/** The shards a query needs: one for an exact plate, those of its keys for a fuzzy one, all for a wildcard. */
export function shardsFor(pq: ParsedQuery): number[] | 'all' {
  if (pq.kind === 'wildcard') return 'all';
  const key = confusionKey(pq.plate);
  if (pq.kind === 'exact') return [shardOfKey(key)];
  const keys = new Set([key]);
  if (pq.plate.length >= MIN_EDIT_QUERY_LENGTH) {
    for (const k of deletionKeys(key)) keys.add(k);
    for (const k of insertionKeys(key)) keys.add(k);
  }
  return [...new Set([...keys].map(shardOfKey))].sort((a, b) => a - b);
}

/**
 * The rows whose plate may match `pq`: for a wildcard, the plates of every shard are tested
 * first and only the shards holding a match have their rows read. `match` decides each plate.
 */
export function* candidateRows(
  m: MergedIndex,
  pq: ParsedQuery,
  match: (plate: string) => boolean,
): Generator<MergedRow> {
  const shards = shardsFor(pq);
  if (shards === 'all') {
    // A wildcard: one regular-expression pass over each shard's plates, one per line.
    const re = pq.kind === 'wildcard' ? new RegExp(pq.regex.source, 'gm') : undefined;
    for (let shard = 0; shard < SHARDS; shard++) {
      const text = m.platesText(shard);
      if (!text) continue;
      const hit = new Set<string>();
      if (re) {
        re.lastIndex = 0;
        for (let x = re.exec(text); x !== null; x = re.exec(text)) {
          hit.add(x[0]);
          if (x[0].length === 0) re.lastIndex++;
        }
      }
      if (hit.size === 0) continue;
      const rows = m.shard(shard);
      for (let i = 0; i < rows.plates.length; i++)
        if (hit.has(rows.plates[i]!) && match(rows.plates[i]!)) yield* rows.rowsOf(i);
    }
    return;
  }
  for (const shard of shards) {
    const rows = m.shard(shard);
    for (let i = 0; i < rows.plates.length; i++) if (match(rows.plates[i]!)) yield* rows.rowsOf(i);
  }
}

// ---------------------------------------------------------------------------------------------
// Checking

export interface MergedCheck {
  problems: string[];
  warnings: string[];
}

// Rows are compared as a multiset: per batch a count and the sum (mod 2^64, two 32-bit lanes) of a
// 64-bit hash of each row (murmur3-style, two seeds). Not a cryptographic hash: the merged index
// is sealed (an edited byte does not authenticate); this catches a derivation gone wrong (stale,
// lost or extra rows), at a fraction of a microsecond a row.
const SEEDS = [0x9747b28c, 0x2f6b3a1d] as const;
const f64 = new Float64Array(1);
const f64w = new Uint32Array(f64.buffer);
const f32 = new Float32Array(1);
const f32w = new Uint32Array(f32.buffer);

function mix(h: number, k: number): number {
  let x = Math.imul(k, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  let y = h ^ Math.imul(x, 0x1b873593);
  y = (y << 13) | (y >>> 19);
  return (Math.imul(y, 5) + 0xe6546b64) | 0;
}

function finish(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A plate's hash under each seed (computed once a plate, not once a row). */
function plateHashes(plate: string): [number, number] {
  let a: number = SEEDS[0];
  let b: number = SEEDS[1];
  for (let i = 0; i < plate.length; i++) {
    a = mix(a, plate.charCodeAt(i));
    b = mix(b, plate.charCodeAt(i));
  }
  return [mix(a, plate.length), mix(b, plate.length)];
}

class RowDigest {
  lo = 0;
  hi = 0;
  n = 0;
  add(plate: [number, number], file: number, rank: number, confidence: number, time: number, ret: number): void {
    f32[0] = confidence; // stored as f32 in the merged index
    if (Number.isNaN(time)) {
      f64w[0] = 0;
      f64w[1] = 0x7ff80000; // one NaN, whatever its payload
    } else f64[0] = time;
    const words = [file, rank, f32w[0]!, f64w[0]!, f64w[1]!, ret];
    let a = plate[0];
    let b = plate[1];
    for (const w of words) {
      a = mix(a, w);
      b = mix(b, w);
    }
    this.lo = (this.lo + finish(a)) >>> 0;
    this.hi = (this.hi + finish(b)) >>> 0;
    this.n++;
  }
  equals(o: RowDigest): boolean {
    return this.lo === o.lo && this.hi === o.hi && this.n === o.n;
  }
}

/**
 * The merged index opened for a check, or what the check says without it: a header that does not
 * authenticate is a problem; an older version, or none while batches have indexes, a warning.
 */
function openForCheck(home: Home, evidence: Buffer, anyIndex: boolean): MergedCheck | { index: MergedIndex } {
  let m: MergedIndex | undefined;
  try {
    m = MergedIndex.open(home, mergedKey(home, evidence));
  } catch (e) {
    return { problems: [(e as Error).message], warnings: [] };
  }
  if (m) return { index: m };
  if (fs.existsSync(mergedFile(home)))
    return {
      problems: [],
      warnings: [
        'The merged plate index is of an older version; `custody ocr` writes it again (search reads each batch meanwhile).',
      ],
    };
  return {
    problems: [],
    warnings: anyIndex
      ? ['There is no merged plate index yet; `custody ocr` writes it (search reads each batch meanwhile).']
      : [],
  };
}

/**
 * The cheap half of `checkMergedIndex`, for `custody health`: the header authenticates and is of
 * this version, it lists no batch that may not be searched, and every batch with an index is in
 * it as that index is now (by size and time). The rows are not read (verify hashes them: about a
 * minute of CPU at 2 million images, too slow for a routine check).
 */
export function checkMergedHeader(home: Home, evidence: Buffer, batches: readonly BatchSource[]): MergedCheck {
  const problems: string[] = [];
  const warnings: string[] = [];
  const withIndex = batches.filter((b) => indexIdentity(b.bf));
  const opened = openForCheck(home, evidence, withIndex.length > 0);
  if (!('index' in opened)) return opened;
  const m = opened.index;
  m.close();
  const wanted = new Set(withIndex.map((b) => b.id));
  const held = new Map(m.header.batches.map((b) => [b.id, b]));
  for (const b of m.header.batches)
    if (!wanted.has(b.id))
      problems.push(
        `The merged plate index holds batch ${b.id}, which may no longer be searched (destroyed or without an index).`,
      );
  const behind = withIndex.filter((b) => !isCurrent(held.get(b.id), b.bf)).map((b) => b.id);
  if (behind.length)
    warnings.push(
      `The merged plate index is behind the index of ${behind.length === 1 ? `batch ${behind[0]}` : `${behind.length} batches (${behind.slice(0, 5).join(', ')}${behind.length > 5 ? ', …' : ''})`}; search reads ${behind.length === 1 ? 'it' : 'them'} alone until \`custody ocr\` updates it.`,
    );
  return { problems, warnings };
}

/**
 * The merged index against the batch indexes: it must hold no batch that may not be searched
 * (destroyed, or without an index), and for every batch it holds as that batch's current index,
 * exactly that index's rows with each image's retention facts from the batch's segment (a sum of
 * row hashes and a count per batch). A batch indexed since the merged index was written is a
 * warning: it is searched through its own index until the next update.
 */
export async function checkMergedIndex(
  home: Home,
  evidence: Buffer,
  batches: readonly BatchSource[],
): Promise<MergedCheck> {
  const SQL = await sqlJs();
  const problems: string[] = [];
  const warnings: string[] = [];
  const withIndex = batches.filter((b) => indexIdentity(b.bf));
  const opened = openForCheck(home, evidence, withIndex.length > 0);
  if (!('index' in opened)) return opened;
  const m = opened.index;
  try {
    checkRows(SQL, m, evidence, withIndex, problems, warnings);
  } catch (e) {
    if (!(e instanceof CustodyError)) throw e;
    problems.push(e.message);
  } finally {
    m.close();
  }
  return { problems, warnings };
}

function checkRows(
  SQL: SqlJsStatic,
  m: MergedIndex,
  evidence: Buffer,
  withIndex: readonly BatchSource[],
  problems: string[],
  warnings: string[],
): void {
  {
    const wanted = new Map(withIndex.map((b) => [b.id, b]));
    const byOrd = new Map<number, { b: MergedBatch; got: RowDigest }>();
    for (const b of m.header.batches) {
      const src = wanted.get(b.id);
      if (!src) {
        problems.push(
          `The merged plate index holds batch ${b.id}, which may no longer be searched (destroyed or without an index).`,
        );
        continue;
      }
      const sha = createHash('sha256').update(fs.readFileSync(src.bf.indexFile)).digest('hex');
      if (sha !== b.sha256) {
        warnings.push(
          `The merged plate index holds an older index of batch ${b.id}; search reads that batch's own index until \`custody ocr\` updates it.`,
        );
        continue;
      }
      byOrd.set(b.ord, { b, got: new RowDigest() });
    }
    for (const b of withIndex)
      if (!m.header.batches.some((h) => h.id === b.id))
        warnings.push(
          `Batch ${b.id} is not in the merged plate index yet; search reads its own index until \`custody ocr\` adds it.`,
        );
    const seen = new Set(m.header.batches.map((b) => b.ord));
    for (let shard = 0; shard < SHARDS; shard++) {
      const rows = m.shard(shard);
      for (let p = 0; p < rows.plates.length; p++) {
        const plate = rows.plates[p]!;
        if (shardOfPlate(plate) !== shard) problems.push(`The merged plate index holds ${plate} in the wrong shard.`);
        const ph = plateHashes(plate);
        for (let r = rows.starts[p]!; r < rows.starts[p + 1]!; r++) {
          const ord = rows.ords[r]!;
          if (!seen.has(ord)) {
            problems.push(`The merged plate index has rows of no batch it lists (number ${ord}).`);
            seen.add(ord);
          }
          byOrd.get(ord)?.got.add(ph, rows.files[r]!, rows.ranks[r]!, rows.confs[r]!, rows.times[r]!, rows.rets[r]!);
        }
      }
    }
    for (const { b, got } of byOrd.values()) {
      const src = wanted.get(b.id)!;
      const key = loadBatchKey(src.bf, evidence);
      const idx = loadIndex(src.bf, key);
      const records = retentionCodes(SQL, src.bf, key);
      const want = new RowDigest();
      const plates = new Map<string, [number, number]>();
      if (idx)
        for (const r of idx.index.rows()) {
          const time = idx.capturedAt(r.imageId);
          let ph = plates.get(r.reading);
          if (!ph) {
            ph = plateHashes(r.reading);
            plates.set(r.reading, ph);
          }
          want.add(ph, r.imageId, r.rank, r.confidence, time, retentionCode(records.get(r.imageId), time));
        }
      if (!want.equals(got))
        problems.push(
          `The merged plate index does not match the index of batch ${b.id} (${got.n} rows against ${want.n}).`,
        );
    }
  }
}
