/** The event history of the ledger as `custody log` shows it: the events, filtered, newest last. */
import type { SqlValue } from 'sql.js';
import type { Ledger } from './ledger.js';

export interface EventFilter {
  camera?: string;
  drive?: string;
  /** The operator who made the event. */
  actor?: string;
  /** A type, or a prefix ending in a dot ("drive." matches every drive event). */
  type?: string;
  /** ISO-8601 with an offset: the first moment included. */
  since?: string;
  /** ISO-8601 with an offset: the last moment included. */
  until?: string;
  /** At most this many: the newest ones. */
  limit: number;
}

export interface EventRow {
  seq: number;
  at: string;
  type: string;
  actor: string;
  data: string;
  hash: string;
}

export function findEvents(ledger: Ledger, f: EventFilter): EventRow[] {
  const where: string[] = [];
  const params: SqlValue[] = [];
  const add = (clause: string, value: SqlValue) => {
    where.push(clause);
    params.push(value);
  };
  if (f.camera) add('camera_id = ?', f.camera);
  if (f.drive) add('drive_id = ?', f.drive);
  if (f.actor) add('actor = ?', f.actor);
  if (f.type)
    add(
      f.type.endsWith('.') ? "type LIKE ? ESCAPE '\\'" : 'type = ?',
      f.type.endsWith('.') ? `${f.type.replace(/[%_\\]/g, '\\$&')}%` : f.type,
    );
  // Times carry offsets, so compare instants in SQL via julianday on the UTC form.
  if (f.since) add('julianday(at) >= julianday(?)', f.since);
  if (f.until) add('julianday(at) <= julianday(?)', f.until);
  // The live part: events after the archived head (its copies of archived events are not listed twice).
  const archived = ledger.archivedHead.seq;
  add('seq > ?', archived);
  const sql = `SELECT seq, at, type, actor, data, hash FROM (SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?) ORDER BY seq`;
  const live = ledger.rows<EventRow>(sql, [...params, f.limit]);
  if (live.length >= f.limit || archived === 0) return live;
  return [...archivedEvents(ledger, f, f.limit - live.length), ...live];
}

/**
 * The newest `want` archived events the filter matches, oldest first: the archive segments read
 * newest first, stopping once enough are found or a whole segment was recorded before `since`.
 */
function archivedEvents(ledger: Ledger, f: EventFilter, want: number): EventRow[] {
  const since = f.since ? Date.parse(f.since) : undefined;
  const until = f.until ? Date.parse(f.until) : undefined;
  const matches = (e: { at: string; type: string; actor: string; data: Record<string, unknown> }) =>
    (!f.camera || e.data.camera === f.camera) &&
    (!f.drive || e.data.drive === f.drive) &&
    (!f.actor || e.actor === f.actor) &&
    (!f.type || (f.type.endsWith('.') ? e.type.startsWith(f.type) : e.type === f.type)) &&
    (since === undefined || Date.parse(e.at) >= since) &&
    (until === undefined || Date.parse(e.at) <= until);
  const out: EventRow[] = [];
  for (const seg of [...ledger.segments()].reverse()) {
    const events = ledger.segmentEvents(seg);
    let newest = Number.NEGATIVE_INFINITY;
    for (let i = events.length - 1; i >= 0 && out.length < want; i--) {
      const e = events[i]!;
      newest = Math.max(newest, Date.parse(e.at));
      if (matches({ at: e.at, type: e.type, actor: e.actor, data: JSON.parse(e.data) as Record<string, unknown> }))
        out.push({ seq: e.seq, at: e.at, type: e.type, actor: e.actor, data: e.data, hash: e.hash });
    }
    if (out.length >= want || (since !== undefined && newest < since)) break;
  }
  return out.reverse();
}

/**
 * When what an event records happened, if the event says (a drive taken out at 07:00 and
 * recorded at 19:04): its `at`, or the named time of a removal or a camera's service.
 */
function happenedAt(data: Record<string, unknown>): string | null {
  for (const k of ['at', 'removedAt', 'inServiceSince', 'retiredAt'])
    if (typeof data[k] === 'string' && data[k]) return data[k] as string;
  return null;
}

export function eventJson(e: EventRow) {
  const data = JSON.parse(e.data) as Record<string, unknown>;
  return {
    seq: e.seq,
    /** When it was recorded. */
    at: e.at,
    /** When it happened, where the event names a time (else null). */
    happenedAt: happenedAt(data),
    type: e.type,
    actor: e.actor,
    data,
    hash: e.hash,
  };
}
