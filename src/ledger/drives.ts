/** Reinstall eligibility as the ledger sees it (policy §8); the rule itself is src/core/retention.ts. */
import type { DriveState } from '../core/drive-state.js';
import { reinstallEligibility } from '../core/retention.js';
import { holdsForDrive } from './holds.js';
import { isoInZone, parseIsoWithOffset } from '../core/time.js';
import type { Session } from './session.js';

export interface InstallVerdict {
  eligible: boolean;
  reason: string;
  eligibleFrom?: string;
  blockingHolds: string[];
}

export function checkInstallable(
  s: Session,
  d: { id: string; state: string; recorded_last: string | null },
): InstallVerdict {
  const settings = s.settings;
  const verified = s.ledger.one<{ verified_at: string | null }>(
    "SELECT verified_at FROM batches WHERE drive_id = ? AND status = 'imported' ORDER BY finished_at DESC LIMIT 1",
    [d.id],
  );
  const removedSinceImport = s.ledger.one<{ n: number }>(
    "SELECT count(*) AS n FROM batches WHERE drive_id = ? AND status = 'importing'",
    [d.id],
  );
  const v = reinstallEligibility(
    {
      id: d.id,
      state: d.state as DriveState,
      newestRecordedAt: d.recorded_last ? parseIsoWithOffset(d.recorded_last) : undefined,
      importVerifiedAt:
        verified?.verified_at && !removedSinceImport?.n ? parseIsoWithOffset(verified.verified_at) : undefined,
      holds: holdsForDrive(s, d.id),
    },
    s.clock(),
    {
      retentionDays: settings.retentionDays,
      reuseAfterVerifiedImport: settings.reuseAfterVerifiedImport,
      timeZone: settings.timeZone,
    },
  );
  // An import left unfinished means the drive's data is not yet safely in the store.
  if (v.eligible && removedSinceImport?.n)
    return {
      eligible: false,
      reason: `Drive ${d.id} has an unfinished import; run \`custody import\` to finish it first.`,
      blockingHolds: v.blockingHolds,
    };
  // In the home's time zone, so its date part is the same day the reason names.
  return {
    eligible: v.eligible,
    reason: v.reason,
    eligibleFrom: v.eligibleFrom ? isoInZone(v.eligibleFrom, settings.timeZone) : undefined,
    blockingHolds: v.blockingHolds,
  };
}
