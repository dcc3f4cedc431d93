/**
 * Plate search over every reading of every batch still held (policy §1: only to deter crime and
 * aid investigations). Every search names a purpose and a case and is recorded in the access
 * record (Civil Code 1798.90.52).
 */
import fs from 'node:fs';
import { CustodyError } from '../core/errors.js';
import { isoInZone, localDate } from '../core/time.js';
import { type AccessReason, recordAccess, requireAccessReason } from '../ledger/access.js';
import { BatchFiles, loadBatchKey } from '../ledger/batches.js';
import { describeScope, type RequestRow, requestScope, scopeBatches } from '../ledger/features/requests.js';
import type { FileRecord } from '../ledger/batches.js';
import { imageId, loadBatch, type SearchableBatch, searchableBatches } from '../ledger/images.js';
import { type MatchKind, type ParsedQuery, parseQuery, scoreMatch } from '../core/plate-match.js';
import { candidateRows, decodeRetention, type MergedIndex, RET_ASK_SEGMENT } from '../ocr/merged.js';
import { batchMayHoldUnservable, batchRetentionJudge, imageRetentionOf } from '../ledger/purge.js';
import { type ImageRetention, recordingDay } from '../core/retention.js';
import type { Session } from '../ledger/session.js';
import { admit, requireSignedRecords } from './gate.js';

export interface SearchResult {
  image: string;
  capturedAt: string | null;
  camera: string | null;
  reading: string;
  /** 0 = the best reading of the image, 1.. = an alternative. */
  rank: number;
  confidence: number;
  match: string;
  score: number;
}

export interface PlateQuery {
  plate: string;
  fuzzy: boolean;
  camera?: string;
  /** Only these cameras (a request's scope). */
  cameras?: readonly string[];
  /** Only these batches (a drive request's scope). */
  batches?: ReadonlySet<string>;
  /** Captured on or after / on or before, in ms since the epoch. */
  from?: number;
  to?: number;
  limit: number;
}

export interface PlateHits {
  results: SearchResult[];
  batchesSearched: number;
  /** Batches searched that plate reading has not finished. */
  batchesUnread: number;
  /** Matches past their destruction date, not shown (policy §8), and the earliest such date. */
  withheld: { count: number; since: string | null; message: string | null };
  /** False when a batch the search should have read could not be read: the results may miss its images. */
  complete: boolean;
  /** The batches not searched and why (their key file is missing or does not open). */
  skipped: SkippedBatch[];
  /** The sentence saying so, or null when complete. */
  incompleteMessage: string | null;
}

export interface SkippedBatch {
  batch: string;
  camera: string | null;
  reason: string;
}

/**
 * A batch's key gone for a moment is a purge at work (it destroys a key before it records that);
 * otherwise someone removed or damaged it. Either way the result is said to be incomplete, not an
 * integrity failure of the search itself.
 */
function incompleteMessage(skipped: readonly SkippedBatch[]): string | null {
  if (!skipped.length) return null;
  const names = skipped.map((b) => `${b.batch} (${b.reason})`).join(', ');
  return `${skipped.length} batch(es) could not be searched: ${names}; the results may be incomplete. A purge running now removes a key before it records that; otherwise run \`custody verify\`.`;
}

/** The search itself, unrecorded: the best `limit` matches, best first. */
export async function searchPlates(s: Session, q: PlateQuery): Promise<PlateHits> {
  const { parseQuery } = await import('../core/plate-match.js');
  const { loadIndex } = await import('../ocr/queue.js');
  const { MergedIndex, isCurrent, mergedKey } = await import('../ocr/merged.js');
  const pq = parseQuery(q.plate, { fuzzy: q.fuzzy });
  const results: SearchResult[] = [];
  const tz = s.settings.timeZone;
  let searched = 0;
  let unread = 0;
  const skipped: SkippedBatch[] = [];
  const withheld: number[] = [];
  const merged = MergedIndex.open(s.home, mergedKey(s.home, s.master));
  try {
    const inMerged = new Map((merged?.header.batches ?? []).map((m) => [m.id, m]));
    // Batches the merged index holds as they are now, by their number in it; the others are read alone.
    const covered = new Map<number, SearchableBatch>();
    /** A hit of one batch, unless the image is past its destruction date (policy §8). */
    const take = (b: SearchableBatch, h: BatchHit, retention: (h: BatchHit) => ImageRetention | undefined) => {
      if (q.from !== undefined && !(h.time >= q.from)) return;
      if (q.to !== undefined && !(h.time <= q.to)) return;
      const r = retention(h);
      if (r && (r.state === 'due' || r.state === 'destroyed')) {
        withheld.push(r.dueDate.getTime());
        return;
      }
      results.push({
        image: imageId({ batch: b.id, fileId: h.imageId }),
        capturedAt: Number.isNaN(h.time) ? null : isoInZone(new Date(h.time), tz),
        camera: b.camera_id,
        reading: h.reading,
        rank: h.rank,
        confidence: +h.confidence.toFixed(3),
        match: h.kind,
        score: +h.score.toFixed(4),
      });
    };
    // Policy §8: only batches that may hold an image past its date are opened to check each image.
    const recordsOf = async (b: SearchableBatch) =>
      batchMayHoldUnservable(s, b.id) ? (await loadBatch(s, b.id)).records : undefined;
    const byRecord =
      (b: SearchableBatch, records: Map<number, FileRecord> | undefined) =>
      (h: BatchHit): ImageRetention | undefined => {
        const rec = records?.get(h.imageId);
        return rec ? imageRetentionOf(s, b.id, rec) : undefined;
      };
    for (const b of searchableBatches(s, q.camera)) {
      if (q.cameras?.length && !q.cameras.includes(b.camera_id ?? '')) continue;
      if (q.batches && !q.batches.has(b.id)) continue;
      // Batches whose recordings lie wholly outside the range are not opened.
      if (q.from !== undefined && b.recorded_last && Date.parse(b.recorded_last) < q.from) continue;
      if (q.to !== undefined && b.recorded_first && Date.parse(b.recorded_first) > q.to) continue;
      if (b.ocr !== 'done') unread++;
      const bf = new BatchFiles(s.home, b.id);
      const m = inMerged.get(b.id);
      // A read batch's index must be the one the ledger records (a deleted or older one is refused).
      const recorded = { done: b.ocr === 'done', sha256: b.index_sha256 };
      if (m && isCurrent(m, bf) && (!recorded.done || !recorded.sha256 || m.sha256 === recorded.sha256)) {
        covered.set(m.ord, b);
        searched++;
        continue;
      }
      // Only the batch's index is read: it holds each image's capture time too.
      let key: Buffer;
      try {
        key = loadBatchKey(bf, s.master);
      } catch {
        skipped.push({
          batch: b.id,
          camera: b.camera_id,
          reason: fs.existsSync(bf.keyFile) ? 'its key file does not open' : 'its key file is missing',
        });
        continue;
      }
      const idx = loadIndex(bf, key, recorded);
      if (!idx) continue;
      searched++;
      const hits = idx.index.search(pq, { fuzzy: q.fuzzy, limit: 10_000 });
      const records = hits.length ? await recordsOf(b) : undefined;
      for (const h of hits) take(b, { ...h, time: idx.capturedAt(h.imageId) }, byRecord(b, records));
    }
    if (merged && covered.size)
      for (const [ord, hits] of mergedHits(merged, pq, covered)) {
        const b = covered.get(ord)!;
        // The merged rows carry each image's recording day: the segment is read only for a row that asks for it.
        const judge = batchMayHoldUnservable(s, b.id) ? batchRetentionJudge(s, b.id) : undefined;
        const asks = judge && hits.some((h) => h.ret === RET_ASK_SEGMENT);
        const fromRecords = byRecord(b, asks ? (await loadBatch(s, b.id)).records : undefined);
        for (const h of hits)
          take(b, h, (hit) => {
            if (!judge) return undefined;
            if (hit.ret === RET_ASK_SEGMENT) return fromRecords(hit);
            const facts = decodeRetention(hit.ret ?? 0);
            if (!facts) return undefined; // no record of the image in its segment
            const at = facts.fromImport ? judge.importedAt : new Date(hit.time);
            return judge.of({ day: facts.keyDay ?? recordingDay(at, tz), at, fromImport: facts.fromImport });
          });
      }
  } finally {
    merged?.close();
  }
  results.sort(
    (a, b) =>
      b.score - a.score || b.confidence - a.confidence || (a.capturedAt ?? '').localeCompare(b.capturedAt ?? ''),
  );
  const since = withheld.length ? localDate(new Date(Math.min(...withheld)), tz) : null;
  return {
    results: results.slice(0, q.limit),
    batchesSearched: searched,
    batchesUnread: unread,
    withheld: {
      count: withheld.length,
      since,
      message: withheld.length
        ? `${withheld.length} ${withheld.length === 1 ? 'match is' : 'matches are'} past ${withheld.length === 1 ? 'its' : 'their'} destruction date (the earliest since ${since}; policy §8) and not shown; run \`custody purge\` to destroy ${withheld.length === 1 ? 'it' : 'them'}.`
        : null,
    },
    complete: skipped.length === 0,
    skipped,
    incompleteMessage: incompleteMessage(skipped),
  };
}

interface BatchHit {
  imageId: number;
  /** The merged row's retention facts (`retentionCode`); a batch read alone has none. */
  ret?: number;
  reading: string;
  rank: number;
  confidence: number;
  score: number;
  kind: MatchKind;
  time: number;
}

/**
 * The merged index's hits for the batches it covers, grouped by batch: each image once, by its
 * best match (the highest score, then the lowest rank), as a batch's own index would give it.
 */
function mergedHits(
  merged: MergedIndex,
  pq: ParsedQuery,
  covered: ReadonlyMap<number, unknown>,
): Map<number, BatchHit[]> {
  const best = new Map<number, Map<number, BatchHit>>();
  const plateMatches = (plate: string) => scoreMatch(pq, plate, { rank: 0, confidence: 0 }) !== null;
  for (const r of candidateRows(merged, pq, plateMatches)) {
    if (!covered.has(r.ord)) continue;
    const m = scoreMatch(pq, r.plate, { rank: r.rank, confidence: r.confidence });
    if (!m) continue;
    let byImage = best.get(r.ord);
    if (!byImage) {
      byImage = new Map();
      best.set(r.ord, byImage);
    }
    const prev = byImage.get(r.file);
    if (prev && (prev.score > m.score || (prev.score === m.score && prev.rank <= r.rank))) continue;
    byImage.set(r.file, {
      imageId: r.file,
      reading: r.plate,
      rank: r.rank,
      confidence: r.confidence,
      score: m.score,
      kind: m.kind,
      time: r.time,
      ret: r.ret,
    });
  }
  return new Map([...best].map(([ord, m]) => [ord, [...m.values()]]));
}

export interface SearchInput {
  plate: string;
  fuzzy: boolean;
  camera?: string;
  /** Captured on or after / on or before (ISO-8601 with offset). */
  from?: string;
  to?: string;
  /** The range as the operator wrote it, for the access record (default: `from` and `to`). */
  typed?: { from?: string; to?: string };
  limit: number;
  /** The purpose and the case or request (required). */
  reason: AccessReason;
}

export interface SearchOutcome extends PlateHits {
  /** The query as the access record holds it. */
  query: string;
}

/**
 * A recorded search: the reason is checked, the search run, and the access recorded. A search
 * made under a request passes the gate (operations/gate.ts) and is held to the request's cameras,
 * time range and drive (policy §5: only what the request asks for); its purpose is the request's.
 */
export async function search(s: Session, o: SearchInput): Promise<SearchOutcome> {
  if (o.reason.requestId) await requireSignedRecords(s);
  const limits = o.reason.requestId ? requestLimits(s, o) : undefined;
  const reason = requireAccessReason(
    s,
    limits ? { ...o.reason, purpose: o.reason.purpose ?? limits.purpose } : o.reason,
    'search',
  );
  const from = o.from ?? limits?.from;
  const to = o.to ?? limits?.to;
  const r = await searchPlates(s, {
    plate: o.plate,
    fuzzy: o.fuzzy,
    camera: o.camera,
    cameras: limits?.cameras,
    batches: limits?.batches,
    from: from === undefined ? undefined : Date.parse(from),
    to: to === undefined ? undefined : Date.parse(to),
    limit: o.limit,
  });
  const typedFrom = o.typed?.from ?? o.from ?? limits?.from;
  const typedTo = o.typed?.to ?? o.to ?? limits?.to;
  const query = [
    o.plate,
    o.fuzzy ? 'fuzzy' : null,
    o.camera ? `camera=${o.camera}` : limits?.cameras.length ? `cameras=${limits.cameras.join(',')}` : null,
    limits?.drive ? `drive=${limits.drive}` : null,
    typedFrom ? `from=${typedFrom}` : null,
    typedTo ? `to=${typedTo}` : null,
  ]
    .filter(Boolean)
    .join(' ');
  recordAccess(s, 'search', query, reason, r.results.length);
  if (r.incompleteMessage) s.warn(r.incompleteMessage);
  return { query, ...r };
}

/** What a search under a request may reach: its cameras, time range and drive; refused beyond them. */
/** The query names the request's plate (letters and digits alike; a wildcard never does). */
function samePlate(query: string, plate: string): boolean {
  const q = parseQuery(query);
  return q.kind !== 'wildcard' && q.plate === (parseQuery(plate) as { plate?: string }).plate;
}

function requestLimits(s: Session, o: SearchInput) {
  const pass = admit(s, o.reason.requestId!, 'view');
  const sc = pass.scope;
  if (o.reason.purpose && o.reason.purpose !== pass.request.purpose)
    throw new CustodyError(
      'usage',
      `Request ${pass.request.id} was made for "${pass.request.purpose}", not "${o.reason.purpose}".`,
      'Under a request, its own purpose is recorded: leave out --purpose.',
    );
  const outside = (what: string) =>
    new CustodyError(
      'denied',
      `Refused: ${what} is outside request ${pass.request.id} (${describeScope(sc)}); a search under a request is limited to its cameras and time range (policy §5).`,
      'Search within the request, or record the search under its own case with --case.',
    );
  if (o.camera && sc.cameras.length && !sc.cameras.includes(o.camera)) throw outside(`camera ${o.camera}`);
  // A plate request asks for one plate: a search under it looks for that plate (exactly, or --fuzzy
  // for its misreadings), never another plate nor a wildcard over every plate (policy §5).
  if (sc.plate && !samePlate(o.plate, sc.plate))
    throw new CustodyError(
      'denied',
      `Refused: "${o.plate}" is outside request ${pass.request.id} (${describeScope(sc)}); a search under a plate request looks only for its plate ${sc.plate} (policy §5).`,
      `Search \`${sc.plate}\` (or with --fuzzy) under the request, or record the search under its own case with --case.`,
    );
  if (!sc.drive) {
    if (o.from && sc.from && Date.parse(o.from) < Date.parse(sc.from))
      throw outside(`--from ${o.typed?.from ?? o.from}`);
    if (o.to && sc.to && Date.parse(o.to) > Date.parse(sc.to)) throw outside(`--to ${o.typed?.to ?? o.to}`);
  }
  const batches = sc.drive ? new Set(scopeBatches(s, sc).map((b) => b.id)) : undefined;
  return {
    purpose: pass.request.purpose,
    cameras: sc.cameras,
    from: sc.drive ? undefined : sc.from,
    to: sc.drive ? undefined : sc.to,
    drive: sc.drive,
    batches,
  };
}

/**
 * The images a plate request reaches (operations/gate.ts judges a plate request's images by
 * them): the plate search, run with the request as its purpose and recorded in the access record
 * (Civ. Code 1798.90.52), of the images whose readings match the plate exactly, in the request's
 * cameras and time range. `forWhat` says what the search served (a release, an export, a look).
 */
export async function requestPlateHits(
  s: Session,
  req: RequestRow,
  forWhat: 'release' | 'image export' | 'view',
): Promise<Set<string>> {
  const scope = requestScope(req);
  const plate = scope.plate!;
  const r = await searchPlates(s, {
    plate,
    fuzzy: false,
    camera: scope.cameras.length === 1 ? scope.cameras[0] : undefined,
    from: scope.from ? Date.parse(scope.from) : undefined,
    to: scope.to ? Date.parse(scope.to) : undefined,
    limit: 1_000_000,
  });
  const hits = r.results.filter((x) => !scope.cameras.length || scope.cameras.includes(x.camera ?? ''));
  const query = [
    plate,
    scope.cameras.length ? `cameras=${scope.cameras.join(',')}` : null,
    scope.from ? `from=${scope.from}` : null,
    scope.to ? `to=${scope.to}` : null,
  ]
    .filter(Boolean)
    .join(' ');
  recordAccess(
    s,
    'search',
    query,
    { purpose: req.purpose, caseRef: req.case_number, requestId: req.id },
    new Set(hits.map((h) => h.image)).size,
    { for: forWhat },
  );
  const hint =
    "Read the plates first with `custody ocr`, or release everything the request's cameras recorded in its time range with --all-in-range.";
  if (r.batchesUnread)
    throw new CustodyError(
      'conflict',
      `Request ${req.id} asks for plate ${plate}, which is found through the plate search, and ${r.batchesUnread} batch(es) in its range have no plate readings yet (\`custody ocr\`). The search is in the access record; nothing was disclosed.`,
      hint,
    );
  if (r.skipped.length)
    throw new CustodyError(
      'conflict',
      `Request ${req.id} asks for plate ${plate}, which is found through the plate search, and ${r.incompleteMessage} The search is in the access record; nothing was disclosed.`,
      'Run it again once the purge has finished; if no purge is running, run `custody verify`.',
    );
  if (!hits.length)
    throw new CustodyError(
      'notFound',
      `The plate search found no image of plate ${plate} within request ${req.id} (${describeScope(scope)}). The search is in the access record; nothing was disclosed.`,
      `Try \`custody search ${plate} --fuzzy --request ${req.id} --purpose "${req.purpose}"\`; ${hint}`,
    );
  return new Set(hits.map((h) => h.image));
}
