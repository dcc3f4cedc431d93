/**
 * Which holds cover a drive or a batch (policy §8: kept past 60 days only on a written request
 * tied to an ongoing investigation or court proceeding). The requests feature provides the
 * answer; reinstall and purge ask it. Until holds exist, nothing is held.
 */
import type { HoldRef } from '../core/retention.js';
import type { Session } from './session.js';

export interface HoldProvider {
  forDrive(s: Session, driveId: string): HoldRef[];
  forBatch(s: Session, batchId: string): HoldRef[];
}

let provider: HoldProvider = { forDrive: () => [], forBatch: () => [] };

export function setHoldProvider(p: HoldProvider): void {
  provider = p;
}

export function holdsForDrive(s: Session, driveId: string): HoldRef[] {
  return provider.forDrive(s, driveId);
}

export function holdsForBatch(s: Session, batchId: string): HoldRef[] {
  return provider.forBatch(s, batchId);
}
