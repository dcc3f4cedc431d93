/**
 * The one-line reminders printed (on standard error) at every log-in, listed here in the order
 * they print. Each is cheap and changes nothing; a new duty that must nag adds its line here.
 */
import type { Session } from '../ledger/session.js';
import { backupOverdueNotice } from './backup.js';
import { breachDutiesNotice } from './breach.js';
import { overdueDutiesNotice } from './retention.js';
import { unfinishedSwapLines } from './swap.js';

export type LoginNotice = (s: Session) => string[];

export const LOGIN_NOTICES: readonly LoginNotice[] = [
  // Policy §10: one line per open breach whose notification duties are unmet.
  breachDutiesNotice,
  // Policy §7, §8: data past its destruction date, the health check, holds, acknowledgements.
  overdueDutiesNotice,
  // Policy §2, §8: a swap interrupted part-way, until it is finished (`custody swap` resumes it).
  unfinishedSwapLines,
  // Issue 20: no backup made or verified within the `backupIntervalDays` setting (default 7).
  backupOverdueNotice,
];

export function loginNotices(s: Session): string[] {
  return LOGIN_NOTICES.flatMap((notice) => notice(s));
}
