/**
 * Holds (policy §8): data kept past the retention period on a written request tied to an
 * ongoing investigation or court proceeding. A hold covers exactly a request's scope — its
 * batches and drives — and nothing it covers may be purged or recorded over until released.
 */
import { CustodyError } from '../core/errors.js';
import {
  allHolds,
  describeScope,
  drivesRecordingIn,
  findHold,
  findRequest,
  type HoldJson,
  type HoldReason,
  holdJson,
  nextNumber,
  type RequestRow,
  requestScope,
  scopeBatches,
  standingRequests,
} from '../ledger/features/requests.js';
import type { Session } from '../ledger/session.js';
import { keepWrittenDocument, type WrittenDocument } from './requests.js';

/** The requests a hold may be placed on: those still standing (open or fulfilled). */
export function holdRequestChoices(s: Session): RequestRow[] {
  return standingRequests(s);
}

/** The request a hold is placed on: it must stand (not denied or withdrawn). */
export function checkHoldRequest(s: Session, requestId: string): RequestRow {
  const r = findRequest(s, requestId);
  if (r.status === 'denied' || r.status === 'withdrawn')
    throw new CustodyError('conflict', `Request ${r.id} is ${r.status}; a hold needs a standing request.`);
  return r;
}

export interface PlaceHoldInput {
  request: string;
  reason: HoldReason;
  document: WrittenDocument;
  /** The review date, YYYY-MM-DD (checked: a real date). */
  review: string;
}

/** Place a hold on exactly a request's scope: the batches it reaches and the drives holding its data. */
export function placeHold(s: Session, o: PlaceHoldInput): HoldJson {
  const r = checkHoldRequest(s, o.request);
  const review = o.review;
  if (Date.parse(`${review}T23:59:59Z`) < s.clock().getTime())
    throw new CustodyError('usage', `The review date ${review} has passed.`);
  const scope = requestScope(r);
  const batches = scopeBatches(s, scope);
  const drives = new Set(batches.map((b) => b.drive_id));
  if (scope.drive) drives.add(scope.drive);
  // Data not yet imported: the drives now recording in the request's cameras.
  if (scope.cameras.length && !scope.drive) for (const d of drivesRecordingIn(s, scope.cameras)) drives.add(d);
  if (!batches.length && !drives.size)
    throw new CustodyError(
      'notFound',
      `Request ${r.id} reaches no batch or drive (${describeScope(scope)}); a hold would cover nothing.`,
      'A plate-only request needs cameras or a time range to be held.',
    );
  const doc = keepWrittenDocument(s, o.document);
  const id = nextNumber(s, 'holds', 'HOLD');
  const driveList = [...drives].sort();
  s.append('hold.placed', {
    hold: id,
    request: r.id,
    reason: o.reason,
    ...doc,
    reviewDate: review,
    batches: batches.map((b) => b.id),
    drives: driveList,
    ...(driveList.length === 1 ? { drive: driveList[0] } : {}),
  });
  s.commit();
  return holdJson(findHold(s, id), s.clock());
}

/** Holds by id: those standing, or all with `all`. */
export function listHolds(s: Session, o: { all?: boolean } = {}): HoldJson[] {
  const now = s.clock();
  return allHolds(s)
    .map((h) => holdJson(h, now))
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
  return holdJson(findHold(s, o.id), s.clock());
}
