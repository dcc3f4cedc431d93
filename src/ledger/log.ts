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
  const sql = `SELECT seq, at, type, actor, data, hash FROM (SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?) ORDER BY seq`;
  return ledger.rows<EventRow>(sql, [...params, f.limit]);
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
