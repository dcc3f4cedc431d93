/** The policy settings of a home (stored in the ledger, so every change is on the record). */
import { CustodyError } from './errors.js';
import { canonicalTimeZone, isValidTimeZone } from './time.js';

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

/** The refusal of a number of days for `key` (health, acknowledgement, open-request interval), or undefined. */
export function intervalProblem(key: keyof Settings, n: unknown): string | undefined {
  const range = INT_RANGES[key] ?? OPTIONAL_INT_RANGES[key];
  if (!range) return undefined;
  const [lo, hi] = range;
  return typeof n === 'number' && Number.isInteger(n) && n >= lo && n <= hi
    ? undefined
    : `${key} must be a whole number from ${lo} to ${hi}`;
}

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

/** A setting `custody settings set` changes: its name on the command line, its key, what it is. */
export interface SettingSpec {
  name: string;
  key: keyof Settings;
  what: string;
}

/** Every setting, in the order `settings show` lists them; each may be changed with `settings set NAME`. */
export const SETTINGS: readonly SettingSpec[] = [
  { name: 'agency-name', key: 'agencyName', what: 'the city or agency, printed on receipts and reports' },
  { name: 'custodian-title', key: 'custodianTitle', what: 'the official custodian, by title (policy §6)' },
  { name: 'time-zone', key: 'timeZone', what: 'dates of recordation, printed times and typed dates (IANA)' },
  {
    name: 'retention-days',
    key: 'retentionDays',
    what: `days kept from the date of recordation (policy §8: at most ${MAX_RETENTION_DAYS})`,
  },
  { name: 'health-interval-days', key: 'healthIntervalDays', what: 'days between health checks (policy §7)' },
  {
    name: 'acknowledgement-days',
    key: 'acknowledgementDays',
    what: 'days after a release by which its written acknowledgement is due',
  },
  { name: 'open-request-days', key: 'openRequestDays', what: 'open requests older than this are listed for attention' },
  {
    name: 'backup-interval-days',
    key: 'backupIntervalDays',
    what: 'an overdue line at log-in when no verified backup is newer than this',
  },
  {
    name: 'reuse-after-verified-import',
    key: 'reuseAfterVerifiedImport',
    what: 'a drive may go back into a camera once its import is verified (policy §8)',
  },
  { name: 'purposes', key: 'purposes', what: 'the official purposes a search or request may name (policy §1)' },
];

/** The purposes every home keeps: the policy's own (§1), which the contractor rules name. */
export const KEPT_PURPOSES = ['criminal investigation'];

function settingSpec(name: string): SettingSpec {
  const spec = SETTINGS.find((x) => x.name === name || x.key === name);
  if (!spec)
    throw new CustodyError(
      'usage',
      `There is no setting "${name}".`,
      `Settings: ${SETTINGS.map((x) => x.name).join(', ')}.`,
    );
  return spec;
}

function readValue(spec: SettingSpec, values: string[], current: Settings): unknown {
  const one = () => {
    if (values.length !== 1)
      throw new CustodyError(
        'usage',
        `Give one value for ${spec.name}.`,
        `For example: custody settings set ${spec.name} VALUE`,
      );
    return values[0]!.trim();
  };
  const old = current[spec.key];
  if (spec.key === 'retentionDays' || spec.key in INT_RANGES || spec.key in OPTIONAL_INT_RANGES) {
    const v = one();
    return /^\d+$/.test(v) ? Number(v) : v;
  }
  if (typeof old === 'boolean') {
    const v = one().toLowerCase();
    if (/^(true|yes|on)$/.test(v)) return true;
    if (/^(false|no|off)$/.test(v)) return false;
    throw new CustodyError('usage', `${spec.name} is true or false.`);
  }
  if (Array.isArray(old)) return values.map((x) => x.trim());
  return one();
}

/**
 * The change `custody settings set NAME VALUE…` asks for, checked against the rules every setting
 * is held to (`settingsProblems`): retention at most 60 days (§8), a known IANA zone, whole
 * numbers in range, a purposes list that keeps the policy's own. `add`/`remove` change the
 * purposes one at a time. Throws a usage error (exit 2) naming the rule.
 */
export function settingChange(
  current: Settings,
  name: string,
  o: { values: string[]; add?: string[]; remove?: string[] },
): { spec: SettingSpec; value: Settings[keyof Settings] } {
  const spec = settingSpec(name);
  const listEdit = (o.add?.length ?? 0) + (o.remove?.length ?? 0) > 0;
  if (listEdit && spec.key !== 'purposes') throw new CustodyError('usage', '--add and --remove go with purposes.');
  if (listEdit && o.values.length)
    throw new CustodyError('usage', 'Give the whole list of purposes, or --add / --remove, not both.');
  if (!listEdit && !o.values.length)
    throw new CustodyError(
      'usage',
      `Give the new value of ${spec.name}.`,
      `Now: ${JSON.stringify(current[spec.key])}.`,
    );
  let value = listEdit ? editList(current.purposes, o.add ?? [], o.remove ?? []) : readValue(spec, o.values, current);
  if (spec.key === 'retentionDays') {
    const problem = retentionProblem(value);
    if (problem)
      throw new CustodyError(
        'usage',
        `retention-days ${o.values[0]}: ${problem}.`,
        'Data needed longer is kept by `custody hold`.',
      );
  }
  if (spec.key === 'purposes') {
    value = [...new Set(value as string[])];
    const dropped = KEPT_PURPOSES.filter((p) => !(value as string[]).includes(p));
    if (dropped.length) throw new CustodyError('usage', `The purposes must keep "${dropped[0]}" (policy §1).`);
  }
  if (spec.key === 'timeZone') value = timeZoneOf(String(value), 'time-zone');
  const problems = settingsProblems({ ...current, [spec.key]: value });
  if (problems.length) throw new CustodyError('usage', `${spec.name}: ${problems.join('; ')}.`);
  return { spec, value: value as Settings[keyof Settings] };
}

function editList(list: string[], add: string[], remove: string[]): string[] {
  const missing = remove.find((r) => !list.includes(r.trim()));
  if (missing !== undefined)
    throw new CustodyError(
      'usage',
      `"${missing}" is not one of the purposes.`,
      `Purposes: ${list.map((p) => `"${p}"`).join(', ')}.`,
    );
  return [...list.filter((p) => !remove.map((r) => r.trim()).includes(p)), ...add.map((a) => a.trim())];
}

/** A typed time zone as its canonical IANA name, or a usage error naming the flag or setting. */
export function timeZoneOf(tz: string, flag: string): string {
  const zone = canonicalTimeZone(tz);
  if (!zone)
    throw new CustodyError(
      'usage',
      `${flag} ${JSON.stringify(tz)} is not a known IANA time zone.`,
      'For example America/Los_Angeles, America/New_York or UTC (not an abbreviation such as PST).',
    );
  return zone;
}
