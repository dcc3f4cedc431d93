/** The event history of the ledger (policy §9: every change is an event, hash-chained). */
import { type EventFilter, eventJson, findEvents } from '../ledger/log.js';
import type { Session } from '../ledger/session.js';

export type { EventFilter };
export type LogEntry = ReturnType<typeof eventJson>;

/** The events that match, at most `limit` of them: the newest, oldest first. */
export function eventLog(s: Session, f: EventFilter): LogEntry[] {
  return findEvents(s.ledger, f).map(eventJson);
}
