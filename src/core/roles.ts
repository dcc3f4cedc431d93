/**
 * Roles (policy §2–§5). The custodian does everything; a designee does the day-to-day work;
 * an auditor reads logs and reports but never images or plates.
 */
import { CustodyError } from './errors.js';

export const ROLES = ['custodian', 'designee', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export type Permission =
  | 'operators.manage'
  | 'settings.manage'
  | 'cameras.manage'
  | 'drives.manage'
  | 'media.import'
  | 'media.read'
  | 'requests.manage'
  | 'release'
  | 'purge'
  | 'log.read'
  | 'reports';

const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  custodian: new Set<Permission>([
    'operators.manage',
    'settings.manage',
    'cameras.manage',
    'drives.manage',
    'media.import',
    'media.read',
    'requests.manage',
    'release',
    'purge',
    'log.read',
    'reports',
  ]),
  designee: new Set<Permission>([
    'cameras.manage',
    'drives.manage',
    'media.import',
    'media.read',
    'requests.manage',
    'release',
    'log.read',
    'reports',
  ]),
  auditor: new Set<Permission>(['log.read', 'reports']),
};

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

/**
 * The office an operator signs for (policy §6: one official custodian, named by title): the
 * custodian's title, or "Designee of the <title>" (a designee acts for the custodian's office).
 */
export function officeOf(role: string, custodianTitle: string): string {
  return role === 'custodian' ? custodianTitle : `Designee of the ${custodianTitle}`;
}

export function can(role: Role, p: Permission): boolean {
  return GRANTS[role].has(p);
}

const PERMISSION_WORDS: Record<Permission, string> = {
  'operators.manage': 'manage operators',
  'settings.manage': 'change the policy settings',
  'cameras.manage': 'change cameras',
  'drives.manage': 'change drives',
  'media.import': 'import media',
  'media.read': 'search plates or see images',
  'requests.manage': 'record requests and holds',
  release: 'release data',
  purge: 'destroy data',
  'log.read': 'read the log',
  reports: 'run reports',
};

export function requirePermission(user: string, role: Role, p: Permission): void {
  if (!can(role, p)) {
    throw new CustodyError(
      'denied',
      `Operator ${user} (${role}) may not ${PERMISSION_WORDS[p]}.`,
      p === 'media.read'
        ? 'Auditors read the access record with `custody audit`, never images or plates.'
        : 'Ask the custodian.',
    );
  }
}

export interface TrainingRecord {
  date: string;
  course: string;
  trainer: string;
}

/** Policy §3: training before use. */
export function requireTrained(user: string, training: TrainingRecord | null): void {
  if (!training) {
    throw new CustodyError(
      'denied',
      `Operator ${user} has no training record (policy §3: training before use).`,
      'The custodian records it with `custody operator train USER --date --course --trainer`.',
    );
  }
}

const C: readonly Role[] = ['custodian'];
const CD: readonly Role[] = ['custodian', 'designee'];
const ALL: readonly Role[] = ROLES;

/**
 * Who may author each event, by role (the one table: `Session.append` refuses to write an event
 * its operator's role may not author, and `verify` refuses a ledger holding one, by the roles the
 * signed `operator.added` events give). An event type not named here is authored by nobody.
 * Special cases checked beside it (src/ledger/verify.ts): `home.created` is the first event, by the
 * custodian its next event adds; `operator.password_changed` of someone else is a custodian's.
 */
export const EVENT_AUTHORS: Readonly<Record<string, readonly Role[]>> = {
  'home.created': C,
  'home.upgraded': C,
  'settings.changed': C,
  'operator.added': C,
  'operator.disabled': C,
  'operator.trained': C,
  // A custodian's or designee's own document certificate, recorded at their log-in.
  'operator.certificate': CD,
  // Their own, by every role; someone else's, by a custodian only (checked beside the table).
  'operator.password_changed': ALL,
  'ledger.restored': C,
  'home.restored': CD,
  'auth.failed': ALL,
  'camera.added': CD,
  'camera.retired': CD,
  'drive.enrolled': CD,
  'drive.installed': CD,
  'drive.removed': CD,
  'drive.stored': CD,
  'drive.released': CD,
  'drive.retired': CD,
  'drive.wiped': CD,
  'drive.destroyed': CD,
  'swap.started': CD,
  'swap.finished': CD,
  'import.started': CD,
  'import.finished': CD,
  'batch.days': CD,
  'ocr.started': CD,
  'ocr.finished': CD,
  'access.recorded': CD,
  'agency.added': CD,
  'agency.confirmed': C,
  'agency.confirmation_revoked': C,
  'request.recorded': CD,
  'request.denied': CD,
  'request.withdrawn': CD,
  'hold.placed': CD,
  'hold.released': CD,
  'release.recorded': CD,
  'receipt.issued': CD,
  'receipt.acknowledged': CD,
  'breach.opened': C,
  'breach.updated': C,
  'breach.notice_written': C,
  'breach.duty_done': C,
  'breach.closed': C,
  'contractor.permitted': C,
  'contractor.permit_revoked': C,
  'contractor.request_recorded': CD,
  'contractor.request_resolved': CD,
  'problem.logged': CD,
  'problem.resolved': CD,
  'health.checked': ALL,
  'transparency.reported': ALL,
  'backup.completed': CD,
  'backup.failed': CD,
  'backup.verified': ALL,
  'purge.started': C,
  'purge.finished': C,
  'purge.certificate': C,
  'day.destruction_started': C,
  'day.destruction_cancelled': C,
  'day.key_destroyed': C,
  'day.destroyed': C,
  'batch.destruction_started': C,
  'batch.destruction_cancelled': C,
  'batch.key_destroyed': C,
  'batch.destroyed': C,
};

/** Whether an operator of `role` may author an event of `type` (see {@link EVENT_AUTHORS}). */
export function mayAuthor(role: string, type: string): boolean {
  return Object.hasOwn(EVENT_AUTHORS, type) && (EVENT_AUTHORS[type] as readonly string[]).includes(role);
}
