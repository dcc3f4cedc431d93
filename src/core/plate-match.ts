/**
 * Plate matching for `custody search PLATE`: exact, wildcard (`?` one character, `*` any
 * run) and fuzzy — the confusions OCR makes (O/0/D/Q, I/1/L/T, B/8, S/5, Z/2, G/6) and one
 * character missing or extra — over every reading of an image, the best and its
 * alternatives. Pure: no I/O, no clock.
 *
 * The index is built to answer in well under a second over 2 million images × up to 11
 * readings, so it keeps typed arrays rather than objects per row:
 *  - distinct plate strings once, in one byte buffer (`plate\n` after `plate\n`), which is
 *    also the corpus a wildcard RegExp runs over in a single pass;
 *  - an open hash of the plates' confusion keys (heads + next-in-chain, Int32Array), so
 *    exact and confusion lookups are one probe, and one missing/extra character is found by
 *    probing the query key's deletions and insertions (SymSpell's idea, with the variants
 *    generated on the query side only, which keeps the index free of the ~7× deletion keys);
 *  - rows (image, plate, rank, confidence) in parallel typed arrays, grouped by plate into
 *    postings (CSR) on the first search after an `add`.
 */
import { CustodyError } from './errors.js';

// ---------------------------------------------------------------------------------------
// Normalisation, queries, keys

const PLAIN = /^[A-Z0-9]*$/;

/** Upper-case and keep A–Z and 0–9 only: " 7ab-c 123 " → "7ABC123". */
export function normalizePlate(s: string): string {
  if (PLAIN.test(s)) return s;
  return s.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

export type ParsedQuery =
  | { kind: 'exact'; plate: string }
  | { kind: 'fuzzy'; plate: string }
  | {
      kind: 'wildcard';
      /** The normalised pattern, e.g. `7AB?12*`. */
      pattern: string;
      /** Anchored, for testing one plate: /^7AB[A-Z0-9]12[A-Z0-9]*$/ */
      regex: RegExp;
      /** Whether literal characters also match their OCR confusions. */
      fuzzy: boolean;
      /** How many characters the pattern fixes (not `?` or `*`). */
      literals: number;
    };

export interface ParseOptions {
  /** Allow OCR confusions and one missing/extra character. @default false */
  fuzzy?: boolean;
}

/**
 * Parse a search query. Separators and case are ignored; `?` is one character and `*` any
 * run (possibly empty). A wildcard query must fix at least two characters, so a search is
 * always for a plate and never a dump of the whole store (policy §1, every search names what
 * it looks for).
 */
export function parseQuery(q: string, opts: ParseOptions = {}): ParsedQuery {
  const fuzzy = opts.fuzzy ?? false;
  const raw = q
    .toUpperCase()
    .replace(/[^A-Z0-9?*]/g, '')
    .replace(/\*+/g, '*');
  if (/[?*]/.test(raw)) {
    const literals = raw.replace(/[?*]/g, '').length;
    if (literals < 2) {
      throw new CustodyError(
        'usage',
        `The wildcard query "${q}" fixes fewer than two characters.`,
        'Give at least two known characters, e.g. 7AB?12*.',
      );
    }
    return { kind: 'wildcard', pattern: raw, regex: new RegExp(`^${wildcardSource(raw, fuzzy)}$`), fuzzy, literals };
  }
  if (raw.length === 0) {
    throw new CustodyError('usage', `The query "${q}" has no letters or digits.`, 'Give a plate, e.g. 7ABC123.');
  }
  return { kind: fuzzy ? 'fuzzy' : 'exact', plate: raw };
}

/** The confusion classes, representative first. */
export const CONFUSION_CLASSES: readonly string[] = ['O0DQ', 'I1LT', 'B8', 'S5', 'Z2', 'G6'];

/** byte → representative byte of its confusion class (0 for anything not A–Z0–9). */
const REP = new Uint8Array(256);
for (let c = 48; c <= 57; c++) REP[c] = c;
for (let c = 65; c <= 90; c++) REP[c] = c;
for (const cls of CONFUSION_CLASSES) for (const ch of cls) REP[ch.charCodeAt(0)] = cls.charCodeAt(0);

/** The symbols a confusion key can contain (26: A–Z0–9 less the merged ones). */
const KEY_ALPHABET: number[] = [];
for (let c = 0; c < 256; c++) if (REP[c] === c && c !== 0) KEY_ALPHABET.push(c);

/** Character class source for one literal under the fuzzy rule: "B" → "[B8]". */
function classSource(ch: string, fuzzy: boolean): string {
  if (!fuzzy) return ch;
  const cls = CONFUSION_CLASSES.find((c) => c.includes(ch));
  return cls ? `[${cls}]` : ch;
}

function wildcardSource(pattern: string, fuzzy: boolean): string {
  let s = '';
  for (const ch of pattern) {
    if (ch === '?') s += '[A-Z0-9]';
    else if (ch === '*') s += '[A-Z0-9]*';
    else s += classSource(ch, fuzzy);
  }
  return s;
}

/**
 * Map every character to its confusion class representative, so two plates that differ
 * only by OCR confusions share a key: confusionKey("8OS") === confusionKey("B0S") === "BOS".
 * The input is normalised first.
 */
export function confusionKey(plate: string): string {
  const p = normalizePlate(plate);
  let k = '';
  for (let i = 0; i < p.length; i++) k += String.fromCharCode(REP[p.charCodeAt(i)]);
  return k;
}

/**
 * The key and its single-deletion variants, deduplicated, the key first (SymSpell):
 * a reading with one character missing has a key among the query's deletion keys.
 */
export function deletionKeys(key: string): string[] {
  const out = [key];
  const seen = new Set(out);
  for (let i = 0; i < key.length; i++) {
    const d = key.slice(0, i) + key.slice(i + 1);
    if (d.length > 0 && !seen.has(d)) {
      seen.add(d);
      out.push(d);
    }
  }
  return out;
}

/** Every key with one symbol inserted (a reading with one extra character has one of these). */
export function insertionKeys(key: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i <= key.length; i++) {
    for (const c of KEY_ALPHABET) {
      const k = key.slice(0, i) + String.fromCharCode(c) + key.slice(i);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(k);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Scoring

export type MatchKind = 'exact' | 'confusion' | 'edit' | 'wildcard';

export interface MatchContext {
  /** 0 = the best reading, 1.. = its alternatives in order. */
  rank: number;
  /** The OCR confidence of this reading, 0..1 (values above 1 are taken as percent). */
  confidence: number;
}

export interface Match {
  score: number;
  kind: MatchKind;
  detail: string;
}

/**
 * Score tiers, 1000 apart so nothing within a tier can cross into the next:
 * exact / wildcard 3000, confusion 2000, one missing or extra character 1000. Within a tier
 * each alternative rank costs 20 (capped at rank 40), each OCR confusion beyond the first
 * costs 5, and the confidence adds at most 4 — less than any other step, so it only breaks
 * ties.
 */
const TIER: Record<MatchKind, number> = { exact: 3000, wildcard: 3000, confusion: 2000, edit: 1000 };

function clamp01(x: number): number {
  if (!Number.isFinite(x) || x <= 0) return 0;
  const v = x > 1 ? x / 100 : x;
  return Math.min(v, 1);
}

/** The score of a match of `kind`, with `confusions` confused characters, on a reading of `rank`. */
export function matchScore(kind: MatchKind, confusions: number, rank: number, confidence: number): number {
  const extra = kind === 'confusion' ? Math.max(0, confusions - 1) : kind === 'edit' ? confusions : 0;
  return TIER[kind] - 20 * Math.min(Math.max(0, rank), 40) - 5 * Math.min(extra, 20) + 4 * clamp01(confidence);
}

interface PlateMatch {
  kind: MatchKind;
  confusions: number;
  /** Position (0-based) of the missing/extra character for `edit`. */
  at?: number;
  /** For `edit`: 'missing' = the reading lacks a character of the query. */
  edit?: 'missing' | 'extra';
}

/**
 * How `candidate` matches the query (both normalised), independent of rank and confidence.
 * `fuzzy` false allows exact matches only.
 */
function matchPlate(q: string, c: string, fuzzy: boolean, allowEdit: boolean): PlateMatch | null {
  if (q === c) return { kind: 'exact', confusions: 0 };
  if (!fuzzy) return null;
  if (q.length === c.length) {
    let confusions = 0;
    for (let i = 0; i < q.length; i++) {
      const a = q.charCodeAt(i);
      const b = c.charCodeAt(i);
      if (a === b) continue;
      if (REP[a] !== REP[b]) return null;
      confusions++;
    }
    return { kind: 'confusion', confusions };
  }
  if (!allowEdit || Math.abs(q.length - c.length) !== 1) return null;
  const [long, short] = q.length > c.length ? [q, c] : [c, q];
  // Find the one position whose deletion from `long` gives `short`, up to confusions.
  let i = 0;
  while (i < short.length && REP[long.charCodeAt(i)] === REP[short.charCodeAt(i)]) i++;
  for (let j = i; j < short.length; j++) if (REP[long.charCodeAt(j + 1)] !== REP[short.charCodeAt(j)]) return null;
  let confusions = 0;
  for (let j = 0; j < short.length; j++) {
    const lj = j < i ? j : j + 1;
    if (long.charCodeAt(lj) !== short.charCodeAt(j)) confusions++;
  }
  return { kind: 'edit', confusions, at: i, edit: q.length > c.length ? 'missing' : 'extra' };
}

/** Shortest query for which one missing/extra character is allowed: shorter ones drown in look-alikes. */
export const MIN_EDIT_QUERY_LENGTH = 5;

function describe(m: PlateMatch, q: string, c: string, rank: number, pattern?: string): string {
  const where = rank === 0 ? 'the best reading' : `alternative ${rank}`;
  switch (m.kind) {
    case 'exact':
      return `exact match on ${where}`;
    case 'wildcard':
      return `${where} ${c} matches ${pattern}`;
    case 'confusion': {
      const parts: string[] = [];
      for (let i = 0; i < q.length; i++) if (q[i] !== c[i]) parts.push(`${c[i]} for ${q[i]} at ${i + 1}`);
      return `${where} ${c} reads ${parts.join(', ')}`;
    }
    case 'edit': {
      const pos = (m.at ?? 0) + 1;
      return m.edit === 'missing'
        ? `${where} ${c} lacks ${q[m.at ?? 0]} at ${pos}`
        : `${where} ${c} has an extra ${c[m.at ?? 0]} at ${pos}`;
    }
  }
}

/**
 * Score one reading against a query. A string query is a wildcard when it contains `?` or
 * `*`, otherwise judged fuzzily (exact, confusion or one missing/extra character); pass a
 * parsed `exact` query to allow exact matches only. Returns null for no match.
 */
export function scoreMatch(query: string | ParsedQuery, candidate: string, ctx: MatchContext): Match | null {
  const pq = typeof query === 'string' ? parseQuery(query, { fuzzy: true }) : query;
  const c = normalizePlate(candidate);
  if (pq.kind === 'wildcard') {
    if (!pq.regex.test(c)) return null;
    const m: PlateMatch = { kind: 'wildcard', confusions: 0 };
    return {
      score: matchScore('wildcard', 0, ctx.rank, ctx.confidence),
      kind: 'wildcard',
      detail: describe(m, '', c, ctx.rank, pq.pattern),
    };
  }
  const fuzzy = pq.kind === 'fuzzy';
  const m = matchPlate(pq.plate, c, fuzzy, pq.plate.length >= MIN_EDIT_QUERY_LENGTH);
  if (!m) return null;
  return {
    score: matchScore(m.kind, m.confusions, ctx.rank, ctx.confidence),
    kind: m.kind,
    detail: describe(m, pq.plate, c, ctx.rank),
  };
}

// ---------------------------------------------------------------------------------------
// Ranking

export interface Hit {
  imageId: number;
  /** The reading that matched, as stored (normalised). */
  reading: string;
  rank: number;
  confidence: number;
  score: number;
  kind: MatchKind;
  /** A short plain description of why it matched. */
  detail?: string;
  /** How many of the image's readings matched (after `rankByImage`). */
  matchedReadings?: number;
}

/**
 * One hit per image — its best — ranked by score, then by how many of its readings matched,
 * then by image id (so the order is stable).
 */
export function rankByImage<H extends Hit>(hits: Iterable<H>): H[] {
  const best = new Map<number, H>();
  const count = new Map<number, number>();
  for (const h of hits) {
    count.set(h.imageId, (count.get(h.imageId) ?? 0) + 1);
    const b = best.get(h.imageId);
    if (!b || h.score > b.score || (h.score === b.score && h.rank < b.rank)) best.set(h.imageId, h);
  }
  const out = [...best.values()].map((h) => ({ ...h, matchedReadings: count.get(h.imageId) ?? 1 }));
  out.sort((a, b) => b.score - a.score || b.matchedReadings - a.matchedReadings || a.imageId - b.imageId);
  return out;
}

// ---------------------------------------------------------------------------------------
// The index

export interface Reading {
  text: string;
  confidence: number;
}

export interface ImageReadings {
  imageId: number;
  /** The best reading first, then the alternatives. */
  readings: readonly Reading[];
}

export interface SearchOptions {
  /** Allow OCR confusions and one missing/extra character. @default false */
  fuzzy?: boolean;
  /** At most this many results. @default 100 */
  limit?: number;
  /** One result per image (its best match). @default true */
  perImage?: boolean;
  /** Ignore alternatives beyond this rank (0 = the best reading only). @default no limit */
  maxRank?: number;
}

export interface DeserializeOptions {
  /** Copy the Buffer's contents (true) or, when it is 4-byte aligned, use them in place. @default true */
  copy?: boolean;
}

/** Readings beyond this rank are not indexed (the rank is stored in one byte). */
export const MAX_RANK = 255;

class GrowI32 {
  a: Int32Array;
  n = 0;
  constructor(cap = 1024) {
    this.a = new Int32Array(cap);
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(Math.max(16, this.a.length * 2));
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

const MAGIC = 0x58495043; // "CPIX" little-endian
const FORMAT_VERSION = 1;
const HEADER_BYTES = 24;
const pad4 = (x: number): number => (x + 3) & ~3;
const serializedSize = (P: number, B: number, N: number, H: number): number =>
  HEADER_BYTES + 4 * (P + 1) + pad4(B) + 4 * H + 4 * P + 4 * (P + 1) + 8 * N + pad4(N);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fnvStep(h: number, byte: number): number {
  return Math.imul(h ^ byte, 0x01000193);
}
const FNV_OFFSET = 0x811c9dc5 | 0;

/**
 * An in-memory plate index over images and their readings. Build it with `add`, query it
 * with `search`, store it with `serialize` and bring it back with `PlateIndex.deserialize`.
 */
export class PlateIndex {
  // Distinct plates: bytes of plate i at plateBytes[plateStart[i] .. plateStart[i+1]-1), then '\n'.
  private plateBytes = new Uint8Array(1 << 16);
  private plateBytesLen = 0;
  private plateStart = new GrowI32();
  // Open hash over confusion keys: heads[bucket] → first plate, nextPlate[plate] → next in chain.
  private heads = new Int32Array(16).fill(-1);
  private nextPlate = new GrowI32();
  /** The heads table lies in a Buffer given to `deserialize({ copy: false })`: copy before writing. */
  private headsShared = false;
  // Rows.
  private rowImage = new GrowI32();
  /** Absent after a load, when the rows are in plate order (see `postStart`); made on the next `add`. */
  private rowPlate: GrowI32 | undefined = new GrowI32();
  private rowRank = new Uint8Array(1024);
  private rowConf = new Float32Array(1024);
  // Postings by plate (built lazily).
  private postStart: Int32Array | undefined;
  /** Row ids in plate order; null when the rows already are in plate order (after a load). */
  private postRows: Int32Array | null | undefined;
  private corpus: string | undefined;

  constructor(images?: Iterable<ImageReadings>) {
    this.plateStart.push(0);
    if (images) for (const img of images) this.add(img);
  }

  /** Distinct plate strings held. */
  get plateCount(): number {
    return this.plateStart.n - 1;
  }
  /** Readings held (rows). */
  get readingCount(): number {
    return this.rowImage.n;
  }

  /** Add one image's readings (best first). Empty readings keep their rank but are not indexed. */
  add(img: ImageReadings): void {
    const { imageId, readings } = img;
    if (!Number.isInteger(imageId) || imageId < 0 || imageId > 0x7fffffff) {
      throw new CustodyError('internal', `Image id ${imageId} is not a non-negative 32-bit integer.`);
    }
    const n = Math.min(readings.length, MAX_RANK + 1);
    const rowPlate = this.rowPlate ?? this.materializeRowPlate();
    for (let rank = 0; rank < n; rank++) {
      const r = readings[rank];
      const text = normalizePlate(r.text);
      if (text.length === 0) continue;
      const plate = this.internPlate(text);
      const row = this.rowImage.n;
      this.rowImage.push(imageId);
      rowPlate.push(plate);
      if (row === this.rowRank.length) {
        const rr = new Uint8Array(Math.max(16, row * 2));
        rr.set(this.rowRank);
        this.rowRank = rr;
        const rc = new Float32Array(rr.length);
        rc.set(this.rowConf);
        this.rowConf = rc;
      }
      this.rowRank[row] = rank;
      this.rowConf[row] = Number.isFinite(r.confidence) ? r.confidence : 0;
    }
    this.postStart = undefined;
    this.postRows = undefined;
  }

  /** Every reading held, plate by plate (what a merged index copies; what it is checked against). */
  *rows(): Generator<{ imageId: number; reading: string; rank: number; confidence: number }> {
    this.buildPostings();
    const ps = this.postStart!;
    const pr = this.postRows;
    for (let plate = 0; plate < this.plateCount; plate++) {
      const reading = this.plateText(plate);
      for (let k = ps[plate]; k < ps[plate + 1]; k++) {
        const row = pr ? pr[k] : k;
        yield { imageId: this.rowImage.a[row], reading, rank: this.rowRank[row], confidence: this.rowConf[row] };
      }
    }
  }

  /** Search; hits ranked best first (one per image unless `perImage: false`). */
  search(query: string | ParsedQuery, opts: SearchOptions = {}): Hit[] {
    const pq = typeof query === 'string' ? parseQuery(query, { fuzzy: opts.fuzzy }) : query;
    const limit = opts.limit ?? 100;
    const maxRank = opts.maxRank ?? MAX_RANK;
    this.buildPostings();
    const hits: (Hit & { m: PlateMatch })[] = [];
    const emit = (plate: number, m: PlateMatch): void => {
      const ps = this.postStart!;
      const pr = this.postRows;
      const reading = this.plateText(plate);
      for (let k = ps[plate]; k < ps[plate + 1]; k++) {
        const row = pr ? pr[k] : k;
        const rank = this.rowRank[row];
        if (rank > maxRank) continue;
        const confidence = this.rowConf[row];
        const score = matchScore(m.kind, m.confusions, rank, confidence);
        hits.push({ imageId: this.rowImage.a[row], reading, rank, confidence, score, kind: m.kind, m });
      }
    };

    let queryText = '';
    if (pq.kind === 'wildcard') {
      // One pass over every distinct plate, one per line. A leading or trailing `*` is
      // dropped with its anchor (`*C1?3` is "a line that ends C1?3"), which lets the engine
      // skip ahead to the known characters instead of trying every line start; after a match
      // the scan moves to the next plate, so each plate is reported once.
      const corpus = this.getCorpus();
      const core = pq.pattern.replace(/^\*/, '').replace(/\*$/, '');
      const head = pq.pattern.startsWith('*') ? '' : '^';
      const tail = pq.pattern.endsWith('*') ? '' : '$';
      const re = new RegExp(`${head}${wildcardSource(core, pq.fuzzy)}${tail}`, 'gm');
      const wm: PlateMatch = { kind: 'wildcard', confusions: 0 };
      for (let m = re.exec(corpus); m !== null; m = re.exec(corpus)) {
        const plate = this.plateAt(m.index);
        emit(plate, wm);
        re.lastIndex = this.plateStart.a[plate + 1];
      }
    } else {
      queryText = pq.plate;
      const fuzzy = pq.kind === 'fuzzy';
      const allowEdit = fuzzy && queryText.length >= MIN_EDIT_QUERY_LENGTH;
      const key = confusionKey(queryText);
      const seen = new Set<number>();
      const probe = (k: string): void => {
        this.forEachPlateWithKey(k, (plate) => {
          if (seen.has(plate)) return;
          seen.add(plate);
          const m = matchPlate(queryText, this.plateText(plate), fuzzy, allowEdit);
          if (m) emit(plate, m);
        });
      };
      if (!fuzzy) {
        const plate = this.findPlate(queryText);
        if (plate >= 0) emit(plate, { kind: 'exact', confusions: 0 });
      } else {
        probe(key);
        if (allowEdit) {
          for (const k of deletionKeys(key).slice(1)) probe(k);
          for (const k of insertionKeys(key)) probe(k);
        }
      }
    }

    const ranked =
      opts.perImage === false
        ? hits.sort((a, b) => b.score - a.score || a.imageId - b.imageId || a.rank - b.rank)
        : rankByImage(hits);
    const pattern = pq.kind === 'wildcard' ? pq.pattern : undefined;
    return ranked
      .slice(0, limit)
      .map(({ m, ...h }) => ({ ...h, detail: describe(m, queryText, h.reading, h.rank, pattern) }));
  }

  /**
   * A compact, self-describing Buffer (little-endian): header; plate offsets and bytes; the
   * hash table (bucket heads, next in chain); the rows grouped by plate with each plate's
   * row range. Loading is then copying and checking, with no hashing and no sorting — what a
   * search command pays for every stored batch.
   */
  serialize(): Buffer {
    if (!LITTLE_ENDIAN) throw new CustodyError('internal', 'The plate index format assumes a little-endian machine.');
    this.buildPostings();
    const P = this.plateCount;
    const N = this.readingCount;
    const B = this.plateBytesLen;
    const H = this.heads.length;
    const buf = Buffer.alloc(serializedSize(P, B, N, H));
    buf.writeUInt32LE(MAGIC, 0);
    buf.writeUInt32LE(FORMAT_VERSION, 4);
    buf.writeUInt32LE(P, 8);
    buf.writeUInt32LE(B, 12);
    buf.writeUInt32LE(N, 16);
    buf.writeUInt32LE(H, 20);
    let off = HEADER_BYTES;
    const put = (view: ArrayBufferView, bytes: number): void => {
      buf.set(new Uint8Array(view.buffer, view.byteOffset, bytes), off);
      off += pad4(bytes);
    };
    put(this.plateStart.a, 4 * (P + 1));
    put(this.plateBytes, B);
    put(this.heads, 4 * H);
    put(this.nextPlate.a, 4 * P);
    put(this.postStart!, 4 * (P + 1));
    const order = this.postRows;
    if (order) {
      const image = new Int32Array(N);
      const conf = new Float32Array(N);
      const rank = new Uint8Array(N);
      for (let k = 0; k < N; k++) {
        const r = order[k];
        image[k] = this.rowImage.a[r];
        conf[k] = this.rowConf[r];
        rank[k] = this.rowRank[r];
      }
      put(image, 4 * N);
      put(conf, 4 * N);
      put(rank, N);
    } else {
      put(this.rowImage.a, 4 * N);
      put(this.rowConf, 4 * N);
      put(this.rowRank, N);
    }
    return buf;
  }

  /**
   * Rebuild an index from `serialize()`'s Buffer. Its structure is checked (sizes, ranges,
   * characters, chains that cannot loop forever); a damaged one is an integrity error. That
   * the hash table files each plate under its own key is not re-derived: the segment the
   * Buffer is stored in is authenticated, and a wrong bucket could only hide a plate, never
   * show a false match (every candidate is compared).
   *
   * With `copy: false` an aligned `buf` is used in place (no copy: faster, half the
   * memory); the caller must then leave `buf` unchanged while the index lives. The index
   * itself never writes into it.
   */
  static deserialize(buf: Uint8Array, opts: DeserializeOptions = {}): PlateIndex {
    const bad = (why: string): CustodyError =>
      new CustodyError('integrity', `The plate index is damaged: ${why}.`, 'Rebuild it from the batch segment.');
    if (!LITTLE_ENDIAN) throw new CustodyError('internal', 'The plate index format assumes a little-endian machine.');
    if (buf.length < HEADER_BYTES) throw bad('too short');
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (dv.getUint32(0, true) !== MAGIC) throw bad('not a plate index');
    if (dv.getUint32(4, true) !== FORMAT_VERSION) throw bad(`unknown format version ${dv.getUint32(4, true)}`);
    const P = dv.getUint32(8, true);
    const B = dv.getUint32(12, true);
    const N = dv.getUint32(16, true);
    const H = dv.getUint32(20, true);
    if (H < 1 || H > 2 ** 30 || (H & (H - 1)) !== 0) throw bad(`hash table size ${H} is not a power of two`);
    if (P > 0x7ffffffe || N > 0x7ffffffe) throw bad('counts out of range');
    const expected = serializedSize(P, B, N, H);
    if (buf.length !== expected) throw bad(`length ${buf.length}, expected ${expected}`);
    let off = HEADER_BYTES;
    // Each section starts on a 4-byte boundary of `buf`: share it when `buf` itself is aligned
    // and sharing was asked for, otherwise copy into fresh (aligned) memory.
    const share = opts.copy === false && buf.byteOffset % 4 === 0;
    const take = (bytes: number): { buffer: ArrayBuffer; byteOffset: number } => {
      const section = buf.subarray(off, off + bytes);
      off += pad4(bytes);
      if (share) return { buffer: section.buffer as ArrayBuffer, byteOffset: section.byteOffset };
      const out = new Uint8Array(Math.max(bytes, 4));
      out.set(section);
      return { buffer: out.buffer, byteOffset: 0 };
    };
    const i32 = (n: number): Int32Array<ArrayBuffer> => {
      const t = take(4 * n);
      return new Int32Array(t.buffer, t.byteOffset, n);
    };
    const ps = i32(P + 1);
    const pbT = take(B);
    const pb = new Uint8Array(pbT.buffer, pbT.byteOffset, B);
    const heads = i32(H);
    const next = i32(P);
    const post = i32(P + 1);
    const ri = i32(N);
    const rcT = take(4 * N);
    const rc = new Float32Array(rcT.buffer, rcT.byteOffset, N);
    const rrT = take(N);
    const rr = new Uint8Array(rrT.buffer, rrT.byteOffset, N);

    // Plates: offsets from 0 to B, each plate A–Z0–9 ending in its one newline.
    if (ps[0] !== 0 || ps[P] !== B) throw bad('plate offsets do not cover the plate bytes');
    const plates = checkPlates(pb, B, ps, P);
    if (plates) throw bad(plates);
    // Hash table: every link a plate or the end (the chain walk also stops a loop).
    if (!allInRange(heads, H, -1, P - 1)) throw bad('a hash bucket points at no plate');
    if (!allInRange(next, P, -1, P - 1)) throw bad('a hash chain points at no plate');
    // Rows: grouped by plate, ranges rising from 0 to N.
    if (post[0] !== 0 || post[P] !== N || !nonDecreasing(post, P + 1)) throw bad('row ranges do not cover the rows');
    if (!allInRange(ri, N, 0, 0x7fffffff)) throw bad('a reading has a negative image id');

    const idx = new PlateIndex();
    idx.plateStart = Object.assign(new GrowI32(1), { a: ps, n: P + 1 });
    idx.plateBytes = pb;
    idx.plateBytesLen = B;
    idx.heads = heads;
    idx.headsShared = share;
    idx.nextPlate = Object.assign(new GrowI32(1), { a: next, n: P });
    idx.rowImage = Object.assign(new GrowI32(1), { a: ri, n: N });
    idx.rowPlate = undefined;
    idx.rowConf = rc;
    idx.rowRank = rr;
    idx.postStart = post;
    idx.postRows = null;
    return idx;
  }

  // -------------------------------------------------------------------------------------

  private plateText(plate: number): string {
    const s = this.plateStart.a[plate];
    const e = this.plateStart.a[plate + 1] - 1;
    let t = '';
    for (let i = s; i < e; i++) t += String.fromCharCode(this.plateBytes[i]);
    return t;
  }

  /** The plate whose bytes contain corpus offset `pos` (binary search over the starts). */
  private plateAt(pos: number): number {
    const a = this.plateStart.a;
    let lo = 0;
    let hi = this.plateStart.n - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (a[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private getCorpus(): string {
    if (this.corpus === undefined) {
      this.corpus = Buffer.from(this.plateBytes.buffer, this.plateBytes.byteOffset, this.plateBytesLen).toString(
        'latin1',
      );
    }
    return this.corpus;
  }

  private hashPlate(plate: number): number {
    const s = this.plateStart.a[plate];
    const e = this.plateStart.a[plate + 1] - 1;
    let h = FNV_OFFSET;
    for (let i = s; i < e; i++) h = fnvStep(h, REP[this.plateBytes[i]]);
    return h;
  }

  private static hashKey(key: string): number {
    let h = FNV_OFFSET;
    for (let i = 0; i < key.length; i++) h = fnvStep(h, key.charCodeAt(i));
    return h;
  }

  private plateHasKey(plate: number, key: string): boolean {
    const s = this.plateStart.a[plate];
    const e = this.plateStart.a[plate + 1] - 1;
    if (e - s !== key.length) return false;
    for (let i = 0; i < key.length; i++) if (REP[this.plateBytes[s + i]] !== key.charCodeAt(i)) return false;
    return true;
  }

  private plateIs(plate: number, text: string): boolean {
    const s = this.plateStart.a[plate];
    const e = this.plateStart.a[plate + 1] - 1;
    if (e - s !== text.length) return false;
    for (let i = 0; i < text.length; i++) if (this.plateBytes[s + i] !== text.charCodeAt(i)) return false;
    return true;
  }

  private forEachPlateWithKey(key: string, f: (plate: number) => void): void {
    const mask = this.heads.length - 1;
    let steps = 0;
    for (let p = this.heads[PlateIndex.hashKey(key) & mask]; p >= 0; p = this.nextPlate.a[p]) {
      if (++steps > this.plateCount) throw loopingChain();
      if (this.plateHasKey(p, key)) f(p);
    }
  }

  private findPlate(text: string): number {
    const mask = this.heads.length - 1;
    let h = FNV_OFFSET;
    for (let i = 0; i < text.length; i++) h = fnvStep(h, REP[text.charCodeAt(i)]);
    let steps = 0;
    for (let p = this.heads[h & mask]; p >= 0; p = this.nextPlate.a[p]) {
      if (++steps > this.plateCount) throw loopingChain();
      if (this.plateIs(p, text)) return p;
    }
    return -1;
  }

  private internPlate(text: string): number {
    const found = this.findPlate(text);
    if (found >= 0) return found;
    const plate = this.plateCount;
    const need = this.plateBytesLen + text.length + 1;
    if (need > this.plateBytes.length) {
      const b = new Uint8Array(Math.max(need, this.plateBytes.length * 2));
      b.set(this.plateBytes.subarray(0, this.plateBytesLen));
      this.plateBytes = b;
    }
    for (let i = 0; i < text.length; i++) this.plateBytes[this.plateBytesLen++] = text.charCodeAt(i);
    this.plateBytes[this.plateBytesLen++] = 10;
    this.plateStart.push(this.plateBytesLen);
    this.nextPlate.push(-1);
    this.corpus = undefined;
    if (this.plateCount > this.heads.length) this.rehash(this.heads.length * 2);
    else this.link(plate);
    return plate;
  }

  private link(plate: number): void {
    if (this.headsShared) {
      // Loaded in place: the first new plate gets the table its own memory.
      this.heads = this.heads.slice();
      this.headsShared = false;
    }
    const b = this.hashPlate(plate) & (this.heads.length - 1);
    this.nextPlate.a[plate] = this.heads[b];
    this.heads[b] = plate;
  }

  private rehash(size: number): void {
    const heads = new Int32Array(size).fill(-1);
    const P = this.plateCount;
    if (this.nextPlate.a.length < P)
      this.nextPlate = Object.assign(new GrowI32(1), { a: new Int32Array(nextPow2(P)), n: P });
    this.nextPlate.n = P;
    // One tight pass with local references: this runs over every plate on each doubling
    // and on every load.
    const next = this.nextPlate.a;
    const start = this.plateStart.a;
    const bytes = this.plateBytes;
    const mask = size - 1;
    for (let p = 0; p < P; p++) {
      let h = FNV_OFFSET;
      const e = start[p + 1] - 1;
      for (let i = start[p]; i < e; i++) h = Math.imul(h ^ REP[bytes[i]], 0x01000193);
      const b = h & mask;
      next[p] = heads[b];
      heads[b] = p;
    }
    this.heads = heads;
    this.headsShared = false;
  }

  /** After a load the rows are in plate order: write out each row's plate before adding more. */
  private materializeRowPlate(): GrowI32 {
    const N = this.readingCount;
    const P = this.plateCount;
    const rp = new Int32Array(Math.max(16, this.rowImage.a.length));
    const ps = this.postStart!;
    for (let p = 0; p < P; p++) rp.fill(p, ps[p], ps[p + 1]);
    this.rowPlate = Object.assign(new GrowI32(1), { a: rp, n: N });
    return this.rowPlate;
  }

  private buildPostings(): void {
    if (this.postStart && this.postRows !== undefined) return;
    const rowPlate = this.rowPlate ?? this.materializeRowPlate();
    const P = this.plateCount;
    const N = this.readingCount;
    const rp = rowPlate.a;
    const start = new Int32Array(P + 1);
    for (let r = 0; r < N; r++) start[rp[r] + 1]++;
    for (let p = 0; p < P; p++) start[p + 1] += start[p];
    const fill = start.slice(0, P);
    const rows = new Int32Array(N);
    for (let r = 0; r < N; r++) rows[fill[rp[r]]++] = r;
    this.postStart = start;
    this.postRows = rows;
  }
}

// Checks for `deserialize`, as small functions so that they are optimised early.

function checkPlates(pb: Uint8Array, B: number, ps: Int32Array, P: number): string | undefined {
  let newlines = 0;
  for (let i = 0; i < B; i++) {
    const c = pb[i];
    if (c === 10) newlines++;
    else if (REP[c] === 0) return `a plate has a character outside A–Z0–9 at byte ${i}`;
  }
  if (newlines !== P) return 'plate count and plate bytes disagree';
  for (let i = 0; i < P; i++) {
    const e = ps[i + 1];
    if (e <= ps[i] + 1 || pb[e - 1] !== 10) return `plate ${i} is malformed`;
  }
  return undefined;
}

function allInRange(a: Int32Array, n: number, lo: number, hi: number): boolean {
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (v < lo || v > hi) return false;
  }
  return true;
}

function nonDecreasing(a: Int32Array, n: number): boolean {
  for (let i = 1; i < n; i++) if (a[i] < a[i - 1]) return false;
  return true;
}

/**
 * Search several indexes (one per import batch) as one: image ids must be unique across
 * them. Hits are merged before ranking, so an image counts once and the limit applies to
 * the whole.
 */
export function searchMany(
  indexes: Iterable<PlateIndex>,
  query: string | ParsedQuery,
  opts: SearchOptions = {},
): Hit[] {
  const pq = typeof query === 'string' ? parseQuery(query, { fuzzy: opts.fuzzy }) : query;
  const all: Hit[] = [];
  for (const index of indexes) {
    for (const h of index.search(pq, { ...opts, perImage: false, limit: Number.POSITIVE_INFINITY })) all.push(h);
  }
  const ranked =
    opts.perImage === false
      ? all.sort((a, b) => b.score - a.score || a.imageId - b.imageId || a.rank - b.rank)
      : rankByImage(all);
  return ranked.slice(0, opts.limit ?? 100);
}

function loopingChain(): CustodyError {
  return new CustodyError(
    'integrity',
    'The plate index is damaged: a hash chain loops.',
    'Rebuild it from the batch segment.',
  );
}

function nextPow2(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}
