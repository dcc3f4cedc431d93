/**
 * Which holds cover a drive or a batch (policy §8: kept past 60 days only on a written request
 * tied to an ongoing investigation or court proceeding). The requests feature provides the
 * answer (its `holds`, composed into the ledger's schema); reinstall and purge ask it here. A
 * ledger without that feature holds nothing.
 */
import type { HoldRef } from '../core/retention.js';
import type { Session } from './session.js';

export interface HoldProvider {
  forDrive(s: Session, driveId: string): HoldRef[];
  forBatch(s: Session, batchId: string): HoldRef[];
}

let replaced: HoldProvider | undefined;

/**
 * Replace the hold rules of every ledger in this process (tests use it to hold a batch without
 * writing a request); `undefined` goes back to the ledger's own rules.
 */
export function setHoldProvider(p: HoldProvider | undefined): void {
  replaced = p;
}

function provider(s: Session): HoldProvider {
  return replaced ?? s.ledger.schema.holds;
}

export function holdsForDrive(s: Session, driveId: string): HoldRef[] {
  return provider(s).forDrive(s, driveId);
}

export function holdsForBatch(s: Session, batchId: string): HoldRef[] {
  return provider(s).forBatch(s, batchId);
}
