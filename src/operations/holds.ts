/**
 * Holds (policy §8): data kept past the retention period on the written request of an eligible
 * agency, tied to an ongoing criminal investigation or a court proceeding. A hold covers exactly a
 * request's scope — its images by camera and time, and the drives still holding them — and nothing
 * it covers may be purged, recorded over or retired until released.
 */
import { CustodyError } from '../core/errors.js';
import { localDate } from '../core/time.js';
import {
  agencyEligibilityOf,
  allHolds,
  type BatchRow,
  describeScope,
  drivesRecordingIn,
  findAgency,
  findHold,
  findRequest,
  type HoldJson,
  HOLD_REASONS,
  type HoldReason,
  heldBatches,
  holdJson,
  nextNumber,
  type RequestRow,
  requestScope,
  scopeBatches,
  standingRequests,
} from '../ledger/features/requests.js';
import type { Session } from '../ledger/session.js';
import { requireSignedRecords } from './gate.js';
import { keepWrittenDocument, type WrittenDocument } from './requests.js';

/** The requests a hold may be placed on: those still standing (open or fulfilled). */
export function holdRequestChoices(s: Session): RequestRow[] {
  return standingRequests(s);
}

/**
 * The request a hold is placed on (policy §8): it stands (not denied or withdrawn) and comes from
 * an agency eligible on its facts — a hold keeps data past 60 days only for a California
 * law-enforcement or prosecutorial agency.
 */
export function checkHoldRequest(s: Session, requestId: string): RequestRow {
  const r = findRequest(s, requestId);
  if (r.status === 'denied' || r.status === 'withdrawn')
    throw new CustodyError('conflict', `Request ${r.id} is ${r.status}; a hold needs a standing request.`);
  const e = agencyEligibilityOf(s, findAgency(s, r.agency_id));
  if (!e.eligible)
    throw new CustodyError(
      'denied',
      `Hold refused: ${e.refusal} Data is kept past the retention period only on the written request of such an agency (policy §8).`,
      'Nothing was recorded.',
    );
  return r;
}

export interface PlaceHoldInput {
  request: string;
  reason: HoldReason;
  document: WrittenDocument;
  /** The review date, YYYY-MM-DD (checked: a real date). */
  review: string;
}

/** When each drive last went into a camera (ms), if ever. */
function lastInstalls(s: Session): Map<string, number> {
  const m = new Map<string, number>();
  for (const h of s.ledger.rows<{ drive_id: string; at: string }>(
    "SELECT drive_id, at FROM drive_history WHERE action = 'install' ORDER BY seq",
  ))
    m.set(h.drive_id, Date.parse(h.at));
  return m;
}

/**
 * The drives a hold covers: a drive only while it still holds recordings of the scope — one whose
 * in-scope batch was imported since it last went into a camera (not recorded over since), the
 * request's own drive, and a drive now recording in a scope camera that went in before the scope
 * ends. A drive that goes into a camera after the scope's end is not held.
 */
export function holdDrives(s: Session, r: RequestRow, batches: readonly BatchRow[]): string[] {
  const scope = requestScope(r);
  const installs = lastInstalls(s);
  const started = new Map(
    s.ledger
      .rows<{ id: string; started_at: string }>('SELECT id, started_at FROM batches')
      .map((b) => [b.id, Date.parse(b.started_at)]),
  );
  const drives = new Set<string>();
  for (const b of batches) {
    const installedSince = installs.get(b.drive_id) ?? -Infinity;
    if ((started.get(b.id) ?? Infinity) >= installedSince) drives.add(b.drive_id);
  }
  if (scope.drive) drives.add(scope.drive);
  if (scope.cameras.length && !scope.drive) {
    const end = scope.to ? Date.parse(scope.to) : Infinity;
    for (const d of drivesRecordingIn(s, scope.cameras)) if ((installs.get(d) ?? Infinity) <= end) drives.add(d);
  }
  return [...drives].sort();
}

/**
 * Place a hold (policy §8) on exactly a request's scope: the batches holding images of its cameras
 * and time range, and the drives still holding such recordings. The written request for the hold
 * is attached as a file (kept in the home under its SHA-256); a text reference is not enough.
 */
export async function placeHold(s: Session, o: PlaceHoldInput): Promise<HoldJson> {
  // What the hold keeps is computed from the request, batches and drives: they must be what the
  // signed events give (a scope widened in the table would be kept past 60 days under a signed hold).
  await requireSignedRecords(s);
  const r = checkHoldRequest(s, o.request);
  if (!(HOLD_REASONS as readonly string[]).includes(o.reason))
    throw new CustodyError(
      'denied',
      `Hold refused: "${o.reason}" is not a reason the policy allows; data is kept longer only for an ${HOLD_REASONS.join(' or a ')} (policy §8).`,
    );
  if (o.document.file === undefined)
    throw new CustodyError(
      'denied',
      `Hold refused: a hold needs the written request attached as a file (policy §8: "upon written request"); ${o.document.reference ? `the reference "${o.document.reference}" is not a written request` : 'none was given'}.`,
      'Attach the letter or order with --document FILE (kept in the home under its SHA-256). Nothing was recorded.',
    );
  const review = o.review;
  // A calendar date in the home's zone: the review date may be today, not earlier.
  if (review < localDate(s.clock(), s.settings.timeZone))
    throw new CustodyError('usage', `The review date ${review} has passed.`);
  const scope = requestScope(r);
  const batches = scopeBatches(s, scope);
  const driveList = holdDrives(s, r, batches);
  if (!batches.length && !driveList.length)
    throw new CustodyError(
      'notFound',
      `Request ${r.id} reaches no batch or drive (${describeScope(scope)}); a hold would cover nothing.`,
      'A plate-only request needs cameras or a time range to be held.',
    );
  const doc = keepWrittenDocument(s, o.document);
  const id = nextNumber(s, 'holds', 'HOLD');
  s.append('hold.placed', {
    hold: id,
    request: r.id,
    reason: o.reason,
    ...doc,
    reviewDate: review,
    // Exactly what the hold keeps: the request's scope, within these batches and drives.
    scope: { cameras: scope.cameras, from: scope.from ?? null, to: scope.to ?? null, drive: scope.drive ?? null },
    batches: batches.map((b) => b.id),
    drives: driveList,
    ...(driveList.length === 1 ? { drive: driveList[0] } : {}),
  });
  s.commit();
  const h = findHold(s, id);
  return holdJson(h, s.clock(), heldBatches(s, h));
}

/** Holds by id: those standing, or all with `all`. */
export function listHolds(s: Session, o: { all?: boolean } = {}): HoldJson[] {
  const now = s.clock();
  return allHolds(s)
    .map((h) => holdJson(h, now, heldBatches(s, h)))
    .filter((h) => o.all || h.standing);
}

/** A hold that may be released: not released yet. */
export function checkHoldStanding(s: Session, id: string): void {
  const h = findHold(s, id);
  if (h.released_at) throw new CustodyError('conflict', `Hold ${id} was released on ${h.released_at}.`);
}

/** Release a hold: what it covered may then be purged or recorded over in the ordinary way. */
export function releaseHold(s: Session, o: { id: string; reason: string }): HoldJson {
  checkHoldStanding(s, o.id);
  const h = findHold(s, o.id);
  const drives = JSON.parse(h.drives) as string[];
  s.append('hold.released', {
    hold: o.id,
    request: h.request_id,
    reason: o.reason,
    ...(drives.length === 1 ? { drive: drives[0] } : {}),
  });
  s.commit();
  const after = findHold(s, o.id);
  return holdJson(after, s.clock(), heldBatches(s, after));
}
