/** The policy settings of a home (stored in the ledger, so every change is on the record). */
import { CustodyError } from './errors.js';
import { isValidTimeZone } from './time.js';

export const DEFAULT_PURPOSES = [
  'criminal investigation',
  'locating a missing or endangered person',
  'locating a stolen vehicle',
  'prosecution of a criminal case',
  'AMBER or Silver alert',
];

export interface Settings {
  /** The city or agency that keeps the cameras (printed on receipts and reports). */
  agencyName: string;
  /** Policy §6: one official custodian, named by title. */
  custodianTitle: string;
  /** Policy §8. @default 60 */
  retentionDays: number;
  /** Policy §7. @default 30 */
  healthIntervalDays: number;
  /** IANA time zone for dates of recordation and printed times. */
  timeZone: string;
  /** Policy §8: reuse a drive once its import is verified, instead of after the retention period. @default false */
  reuseAfterVerifiedImport: boolean;
  /** Days after a release by which the written acknowledgement is expected. @default 10 */
  acknowledgementDays: number;
  /** Open requests older than this are listed for attention. @default 30 */
  openRequestDays: number;
  /** Official law-enforcement purposes a search or request may name (policy §1). */
  purposes: string[];
  /** An overdue line at log-in when no verified backup is newer than this (issue 20). @default 7 (homes that never set it) */
  backupIntervalDays?: number;
}

/**
 * Policy §8: data is "kept for period of sixty (60) days from the date of recordation"; longer
 * only under a hold. A home may keep less, never more.
 */
export const MAX_RETENTION_DAYS = 60;

/** The refusal of a retention period above the policy's (one line, citing §8). */
export function retentionProblem(days: unknown): string | undefined {
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1)
    return `retentionDays must be a whole number from 1 to ${MAX_RETENTION_DAYS}`;
  if (days > MAX_RETENTION_DAYS)
    return `a retention of ${days} days is longer than policy §8 allows (${MAX_RETENTION_DAYS} days from the date of recordation; longer only under a hold)`;
  return undefined;
}

const INT_RANGES: Partial<Record<keyof Settings, [number, number]>> = {
  healthIntervalDays: [1, 365],
  acknowledgementDays: [1, 365],
  openRequestDays: [1, 3650],
};

/** Settings a home made before they existed does not hold: checked only when present. */
const OPTIONAL_INT_RANGES: Partial<Record<keyof Settings, [number, number]>> = {
  backupIntervalDays: [1, 365],
};

/** Check settings read from the ledger or given to `init`; returns the problems (empty when valid). */
export function settingsProblems(v: Record<string, unknown>): string[] {
  const p: string[] = [];
  const retention = retentionProblem(v.retentionDays);
  if (retention) p.push(retention);
  for (const k of ['agencyName', 'custodianTitle'] as const)
    if (typeof v[k] !== 'string' || !(v[k] as string).trim()) p.push(`${k} must be a non-empty text`);
  for (const [k, [lo, hi]] of Object.entries(INT_RANGES) as [string, [number, number]][]) {
    const n = v[k];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < lo || n > hi)
      p.push(`${k} must be a whole number from ${lo} to ${hi}`);
  }
  for (const [k, [lo, hi]] of Object.entries(OPTIONAL_INT_RANGES) as [string, [number, number]][]) {
    const n = v[k];
    if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < lo || n > hi))
      p.push(`${k} must be a whole number from ${lo} to ${hi}`);
  }
  if (typeof v.timeZone !== 'string' || !isValidTimeZone(v.timeZone)) p.push('timeZone must be a known IANA time zone');
  if (typeof v.reuseAfterVerifiedImport !== 'boolean') p.push('reuseAfterVerifiedImport must be true or false');
  if (
    !Array.isArray(v.purposes) ||
    v.purposes.length === 0 ||
    v.purposes.some((x) => typeof x !== 'string' || !x.trim())
  )
    p.push('purposes must be a list of texts');
  return p;
}

/**
 * Settings as the ledger holds them. A home made before the §8 limit was enforced may hold a
 * longer retention: it is read as the policy's 60 days (never kept longer, never printed longer),
 * so such a home still opens.
 */
export function parseSettings(v: Record<string, unknown>): Settings {
  const stored =
    typeof v.retentionDays === 'number' && v.retentionDays > MAX_RETENTION_DAYS
      ? { ...v, retentionDays: MAX_RETENTION_DAYS }
      : v;
  const problems = settingsProblems(stored);
  if (problems.length) throw new CustodyError('usage', `Invalid settings: ${problems.join('; ')}.`);
  return stored as unknown as Settings;
}

export function defaultSettings(o: { agencyName: string; custodianTitle: string; timeZone: string }): Settings {
  return {
    agencyName: o.agencyName,
    custodianTitle: o.custodianTitle,
    retentionDays: 60,
    healthIntervalDays: 30,
    timeZone: o.timeZone,
    reuseAfterVerifiedImport: false,
    acknowledgementDays: 10,
    openRequestDays: 30,
    purposes: DEFAULT_PURPOSES,
    backupIntervalDays: 7,
  };
}
