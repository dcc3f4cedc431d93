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
 * Milliseconds per event of the whole check, from `npm run bench:signed-state` (README "Figures"),
 * ledgers saved in segments of 8,192 on 2 cores: about 0.17 on idle cores (100,000 in about 17 s),
 * 0.21 at a load of 2.4–3.3 (20,000 in 4.3 s, 100,000 in 20.6 s), 0.53 at a load of 7.5–8.3 (20,000
 * in 11.6 s, 100,000 in 53.0 s). The line gives the range from idle to busy.
 */
export const WHOLE_CHECK_MS_PER_EVENT = { idle: 0.17, busy: 0.53 } as const;

/** From this many events (10 s or more on a busy machine by the figures above) the whole check is announced. */
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

type Span = { n: number; unit: 'second' | 'minute' | 'hour' };

/** Seconds in the unit a person would say: 5-second steps under 90 s, minutes under an hour, then tenths of hours. */
function span(seconds: number): Span {
  if (seconds < 90) return { n: Math.max(5, Math.round(seconds / 5) * 5), unit: 'second' };
  if (seconds < 3600) return { n: Math.round(seconds / 60), unit: 'minute' };
  return { n: Math.round(seconds / 360) / 10, unit: 'hour' };
}

const said = (x: Span) => `${x.n} ${x.unit}${x.n === 1 ? '' : 's'}`;

/** "about 5 to 10 seconds", "about 30 minutes to 1.5 hours", "about 5 seconds". */
export function aboutDuration(fromSeconds: number, toSeconds = fromSeconds): string {
  const a = span(fromSeconds);
  const b = span(toSeconds);
  if (a.unit === b.unit && a.n === b.n) return `about ${said(b)}`;
  return a.unit === b.unit ? `about ${a.n} to ${said(b)}` : `about ${said(a)} to ${said(b)}`;
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
  const time = aboutDuration(
    (o.events * WHOLE_CHECK_MS_PER_EVENT.idle) / 1000,
    (o.events * WHOLE_CHECK_MS_PER_EVENT.busy) / 1000,
  );
  return (
    `Checking all ${o.events.toLocaleString('en-US')} signed events before this step, because ${because(o.reason, o.schema)}: ` +
    `${time}, the longer on a busy machine. It is safe to wait: nothing is changed until the check passes` +
    `${o.leavesMark ? ', and the next check reads only the events after it' : ''}.`
  );
}
