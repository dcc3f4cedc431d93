/**
 * Plate search over every reading of every batch still held (policy §1: only to deter crime and
 * aid investigations). Every search names a purpose and a case and is recorded in the access
 * record (Civil Code 1798.90.52).
 */
import { CustodyError } from '../core/errors.js';
import { isoInZone, localDate } from '../core/time.js';
import { type AccessReason, recordAccess, requireAccessReason } from '../ledger/access.js';
import { BatchFiles, loadBatchKey } from '../ledger/batches.js';
import { describeScope, scopeBatches } from '../ledger/features/requests.js';
import { imageId, loadBatch, searchableBatches } from '../ledger/images.js';
import { batchMayHoldUnservable, imageRetentionOf } from '../ledger/purge.js';
import type { Session } from '../ledger/session.js';
import { admit } from './gate.js';

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
}

/** The search itself, unrecorded: the best `limit` matches, best first. */
export async function searchPlates(s: Session, q: PlateQuery): Promise<PlateHits> {
  const { parseQuery } = await import('../core/plate-match.js');
  const { loadIndex } = await import('../ocr/queue.js');
  const pq = parseQuery(q.plate, { fuzzy: q.fuzzy });
  const results: SearchResult[] = [];
  const tz = s.settings.timeZone;
  let searched = 0;
  let unread = 0;
  const withheld: number[] = [];
  for (const b of searchableBatches(s, q.camera)) {
    if (q.cameras?.length && !q.cameras.includes(b.camera_id ?? '')) continue;
    if (q.batches && !q.batches.has(b.id)) continue;
    // Batches whose recordings lie wholly outside the range are not opened.
    if (q.from !== undefined && b.recorded_last && Date.parse(b.recorded_last) < q.from) continue;
    if (q.to !== undefined && b.recorded_first && Date.parse(b.recorded_first) > q.to) continue;
    if (b.ocr !== 'done') unread++;
    // Only the batch's index is read: it holds each image's capture time too.
    let key: Buffer;
    const bf = new BatchFiles(s.home, b.id);
    try {
      key = loadBatchKey(bf, s.master);
    } catch {
      continue;
    }
    const idx = loadIndex(bf, key);
    if (!idx) continue;
    searched++;
    // Policy §8: an image past its own destruction date is never served; only batches that may
    // hold one are opened to check each image.
    const records = batchMayHoldUnservable(s, b.id) ? (await loadBatch(s, b.id)).records : undefined;
    for (const h of idx.index.search(pq, { fuzzy: q.fuzzy, limit: 10_000 })) {
      const t = idx.capturedAt(h.imageId);
      if (q.from !== undefined && !(t >= q.from)) continue;
      if (q.to !== undefined && !(t <= q.to)) continue;
      const rec = records?.get(h.imageId);
      if (rec) {
        const r = imageRetentionOf(s, b.id, rec);
        if (r.state === 'due' || r.state === 'destroyed') {
          withheld.push(r.dueDate.getTime());
          continue;
        }
      }
      results.push({
        image: imageId({ batch: b.id, fileId: h.imageId }),
        capturedAt: Number.isNaN(t) ? null : isoInZone(new Date(t), tz),
        camera: b.camera_id,
        reading: h.reading,
        rank: h.rank,
        confidence: +h.confidence.toFixed(3),
        match: h.kind,
        score: +h.score.toFixed(4),
      });
    }
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
  };
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
  return { query, ...r };
}

/** What a search under a request may reach: its cameras, time range and drive; refused beyond them. */
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
