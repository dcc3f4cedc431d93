/**
 * The one-line reminders printed (on standard error) at log-in, listed here in the order they
 * print. Each line starts `Overdue:` (a duty past its time) or `Due:` (one to do now), and goes
 * only to an operator whose role may act on it (an auditor is never told to purge). Each is cheap
 * and changes nothing; a new duty that must nag adds its notice here.
 */
import { can, type Permission } from '../core/roles.js';
import type { Session } from '../ledger/session.js';
import { backupOverdueNotice } from './backup.js';
import { breachDutiesNotice } from './breach.js';
import { overdueDutiesNotice } from './retention.js';
import { unfinishedSwapLines } from './swap.js';

/** May the operator logged in do this? (A notice asks before it names a duty.) */
export type May = (p: Permission) => boolean;

export type LoginNotice = (s: Session, may: May) => string[];

export const LOGIN_NOTICES: readonly LoginNotice[] = [
  // Policy §10: one line per open breach whose notification duties are unmet (the custodian's).
  (s, may) => (may('settings.manage') ? breachDutiesNotice(s) : []),
  // Policy §7, §8: data past its destruction date, the health check, holds, acknowledgements,
  // each to the roles that may do it.
  overdueDutiesNotice,
  // Policy §2, §8: a swap interrupted part-way, until it is finished (`custody swap` resumes it).
  (s, may) => (may('media.import') ? unfinishedSwapLines(s) : []),
  // Issue 20: no backup made or verified within the `backupIntervalDays` setting (default 7); a
  // backup needs the evidence key, which the roles that import hold (custodian, designee).
  (s, may) => (may('media.import') ? backupOverdueNotice(s) : []),
];

/** Every line starts with one of these (the README promises it). */
export const NOTICE_PREFIX = /^(Overdue|Due): /;

export function loginNotices(s: Session): string[] {
  const may: May = (p) => can(s.operator.role, p);
  return LOGIN_NOTICES.flatMap((notice) => notice(s, may));
}
