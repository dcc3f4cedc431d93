/** Reinstall eligibility as the ledger sees it (policy §8); the rule itself lives in src/core. */
import { addDays, parseIsoWithOffset } from '../core/time.js';
import type { Session } from './session.js';

export interface InstallVerdict {
  eligible: boolean;
  reason: string;
  eligibleFrom?: string;
  blockingHolds: string[];
}

export function checkInstallable(s: Session, d: { id: string; state: string; recorded_last: string | null }): InstallVerdict {
  if (d.state === 'spare' || !d.recorded_last) return { eligible: true, reason: 'it holds no recordings', blockingHolds: [] };
  const last = parseIsoWithOffset(d.recorded_last);
  if (!last) return { eligible: false, reason: 'its dates of recordation are unknown', blockingHolds: [] };
  const from = addDays(last, s.settings.retentionDays);
  if (s.clock().getTime() >= from.getTime()) return { eligible: true, reason: `its newest recording is ${s.settings.retentionDays} days old`, blockingHolds: [] };
  return { eligible: false, reason: `its newest recording (${d.recorded_last}) is not yet ${s.settings.retentionDays} days old`, eligibleFrom: from.toISOString(), blockingHolds: [] };
}
