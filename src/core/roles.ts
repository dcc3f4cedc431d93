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
