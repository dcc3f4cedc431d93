/**
 * Saying when the check of the signed events (`requireSignedState`, ledger/verify.ts) is about to
 * read the whole history, and why: it usually starts from the signed-state mark and costs the
 * events since, but with no mark that fits — the first such check in a home, after a restore, after
 * an upgrade of custody — and before every key rotation it reads every event, which at the sizes a
 * home reaches takes minutes to an hour. A custodian who sees nothing happen for that long may
 * interrupt it; one line before it says what it is, how long, and that it is safe to wait.
 * Pure: the reason and the count in, the line (or nothing) out.
 */

/** Why the check reads every event. */
export type WholeCheckReason =
  /** Before a rotation of the evidence key (disabling a custodian or designee, their password change). */
  | 'rotation'
  /** The operator holds no evidence key (an auditor): the mark is sealed with it. */
  | 'no-key'
  /** No mark in the home: the first check, or the first after a restore from a backup (which does not copy it). */
  | 'no-mark'
  /** A mark that does not open with the current evidence key (sealed before a rotation, or damaged). */
  | 'unreadable-mark'
  /** A mark made by a custody with another ledger schema. */
  | 'schema'
  /** A mark that does not fit the ledger now (an earlier generation restored, or a change the check names). */
  | 'mark-not-fitting';

/**
 * Milliseconds per event of the whole check, from `npm run bench:signed-state` (README "Figures"):
 * 53.0 s for 100,000 events and 11.6 s for 20,000, saved in segments of 8,192, on 2 cores at a load
 * of 7.5–8.3 — a busy machine; idle cores did 100,000 in about 17 s. The estimate is the busy one.
 */
export const WHOLE_CHECK_MS_PER_EVENT = 0.53;

/** At or above this many events (about 10 s by the figure above) the whole check is announced. */
export const WHOLE_CHECK_NOTICE_EVENTS = 20_000;

/**
 * The threshold from the environment (`CUSTODY_WHOLE_CHECK_NOTICE_EVENTS`, a whole number of events
 * ≥ 0: 0 announces every whole check), else {@link WHOLE_CHECK_NOTICE_EVENTS}.
 */
export function wholeCheckNoticeEvents(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.CUSTODY_WHOLE_CHECK_NOTICE_EVENTS;
  const n = raw === undefined || raw.trim() === '' ? Number.NaN : Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : WHOLE_CHECK_NOTICE_EVENTS;
}

/** "about 40 seconds", "about 9 minutes", "about 1.5 hours". */
export function aboutDuration(seconds: number): string {
  if (seconds < 90) {
    const s = Math.max(5, Math.round(seconds / 5) * 5);
    return `about ${s} seconds`;
  }
  if (seconds < 3600) {
    const m = Math.round(seconds / 60);
    return `about ${m} minute${m === 1 ? '' : 's'}`;
  }
  const h = Math.round(seconds / 360) / 10;
  return `about ${h} hour${h === 1 ? '' : 's'}`;
}

function because(reason: WholeCheckReason, schema?: { mark: number; now: number }): string {
  switch (reason) {
    case 'rotation':
      return 'a key rotation (disabling a custodian or designee, or changing their password) always checks the whole history';
    case 'no-key':
      return 'this operator does not hold the key the signed-state mark is sealed with, so the check cannot start from it';
    case 'no-mark':
      return 'there is no signed-state mark yet (the first such check in this home, or the first after a restore from a backup)';
    case 'unreadable-mark':
      return 'the signed-state mark does not open with the current key (it was sealed before a key rotation, or is damaged)';
    case 'schema':
      return `custody was upgraded since the last check${schema ? ` (ledger schema ${schema.mark} to ${schema.now})` : ''}, so its signed-state mark no longer applies`;
    case 'mark-not-fitting':
      return 'the signed-state mark no longer fits the ledger (an earlier generation restored, or a change the check will name)';
  }
}

export interface WholeCheckNoticeInput {
  reason: WholeCheckReason;
  /** How many events the check reads (the chain's length). */
  events: number;
  /** Announce from this many events. @default WHOLE_CHECK_NOTICE_EVENTS */
  thresholdEvents?: number;
  /** Whether a mark is left once it passes (a session holding the evidence key): then the next check reads only what follows. */
  leavesMark: boolean;
  /** The mark's and the ledger's schema versions, for `schema`. */
  schema?: { mark: number; now: number };
}

/** The one line to print before a whole check, or undefined when it is below the threshold. */
export function wholeCheckNotice(o: WholeCheckNoticeInput): string | undefined {
  if (o.events < (o.thresholdEvents ?? WHOLE_CHECK_NOTICE_EVENTS)) return undefined;
  const time = aboutDuration((o.events * WHOLE_CHECK_MS_PER_EVENT) / 1000);
  return (
    `Checking all ${o.events.toLocaleString('en-US')} signed events before this step, because ${because(o.reason, o.schema)}: ` +
    `${time} (less on an idle machine). It is safe to wait: nothing is changed until the check passes` +
    `${o.leavesMark ? ', and the next check reads only the events after it' : ''}.`
  );
}
