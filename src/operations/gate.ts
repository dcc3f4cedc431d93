/**
 * The one gate (policy §4, §5, §8; Cal. Civ. Code 1798.90.52, 1798.90.55). Every way image data
 * leaves the home — a release as a bag or a drive, `image export`, a look at an image — passes
 * here: `admit` wants a request that stands, from an agency eligible on its recorded facts, for a
 * criminal purpose (§5); `checkItems`/`checkDrive` hold what is handed over to the request's scope
 * (cameras, time range, plate, drive) and refuse what is past its destruction date (§8);
 * `recordRelease`/`recordView` put the access (time, data, user, organisation, purpose) and the
 * release with its recipient on the record. A refusal writes nothing and records nothing.
 */
import { type AgencyOverride, type Eligibility, purposeRefusal } from '../core/eligibility.js';
import { CustodyError } from '../core/errors.js';
import { holdStands } from '../core/retention.js';
import { isoInZone } from '../core/time.js';
import {
  type AgencyRow,
  agencyEligibilityOf,
  type BatchRow,
  describeScope,
  findAgency,
  findRequest,
  holdsForImage,
  type RequestRow,
  type RequestScope,
  releasesOfRequest,
  requestScope,
  scopeBatches,
} from '../ledger/features/requests.js';
import { imageRetentionOf } from '../ledger/purge.js';
import type { Session } from '../ledger/session.js';
import { requireSignedState } from '../ledger/verify.js';

/** What passes the gate: a release (bag or drive, `image export` included) or a look at an image. */
export type Disclosure = 'release' | 'view';

/** A request admitted at the gate, with its agency, scope and the eligibility it rests on. */
export interface GatePass {
  request: RequestRow;
  agency: AgencyRow;
  scope: RequestScope;
  eligibility: Eligibility;
  /** The override the release rests on (agency facts or purpose), shown on the receipt. */
  override?: AgencyOverride;
}

const GATE_HINT = 'Nothing was written and nothing was recorded as released.';

/** Why a request that is not open serves nothing: its status, and for a fulfilled one its release(s). */
function closedRequest(s: Session, request: RequestRow, what: Disclosure): CustodyError {
  const verb = what === 'release' ? 'released' : 'shown or searched';
  const rels = request.status === 'fulfilled' ? releasesOfRequest(s, request.id) : [];
  const how = rels.length
    ? ` (released ${isoInZone(new Date(rels[0]!.released_at), s.settings.timeZone).slice(0, 10)}, receipt ${rels.map((r) => r.id).join(', ')})`
    : ` (${request.status_at.slice(0, 10)})`;
  return new CustodyError(
    request.status === 'fulfilled' ? 'denied' : 'conflict',
    `Request ${request.id} is ${request.status}${how}; nothing may be ${verb} on it: a request is used only while it is open (policy §5).`,
    what === 'release'
      ? request.status === 'fulfilled'
        ? 'A further transfer needs a new request: `custody request new`.'
        : GATE_HINT
      : 'Look as your own viewing with --purpose and --case (recorded as such), or record a new request: `custody request new`.',
  );
}

/**
 * A request may be served: it is open — its use ends when it is fulfilled (its release recorded),
 * denied or withdrawn, for a look or a search under it as for a release (DESIGN.md "One gate";
 * policy §5) —, its agency is eligible on its facts (or by the custodian's override), and its
 * purpose is a criminal investigation (§5).
 */
export function admit(s: Session, requestId: string, what: Disclosure): GatePass {
  const request = findRequest(s, requestId);
  if (request.status !== 'open') throw closedRequest(s, request, what);
  const agency = findAgency(s, request.agency_id);
  const eligibility = agencyEligibilityOf(s, agency);
  if (!eligibility.eligible) throw new CustodyError('denied', `Refused: ${eligibility.refusal}`, GATE_HINT);
  const purpose = purposeRefusal(request.purpose, eligibility.override);
  if (purpose)
    throw new CustodyError(
      'denied',
      `Refused: request ${request.id}: ${purpose}.`,
      'A city may allow another purpose for one agency only by the custodian’s signed override (`custody agency confirm --purpose`).',
    );
  return { request, agency, scope: requestScope(request), eligibility, override: eligibility.override };
}

/**
 * Before anything leaves the home on a request (a release, an export, a look or a search under
 * it): the rows the gate decides on (the request's scope and status, its agency, holds, batches,
 * drives, retention records, settings) must be what replaying the signed events gives, and every
 * event signed by an author who held the right to record it then; otherwise exit 8, nothing is
 * written and nothing recorded. The derived tables are readable and writable by anyone holding the
 * record key (an auditor): they are never trusted here on their own. It is the same whole check as
 * before a rotation or a purge (ledger/verify.ts): a targeted one would miss an event removed and
 * the chain re-linked, which only the signatures of every later event show.
 */
export async function requireSignedRecords(s: Session): Promise<void> {
  await requireSignedState(s, 'requests and the records the gate reads');
}

/** The batches of the request's scope (what a release of it may reach). */
export function passBatches(s: Session, pass: GatePass): BatchRow[] {
  return scopeBatches(s, pass.scope);
}

/** One image as the gate judges it. */
export interface GateItem {
  image: string;
  batch: string;
  camera: string | null;
  /** Its date of recordation, when known. */
  recordedAt?: string;
  /** Its capture-time flags (an unbelievable date counts from the import, policy §8). */
  flags?: readonly string[];
}

export interface RetentionState {
  /** When the data may be destroyed (policy §8), if known. */
  destroyFrom?: Date;
  /** Standing holds that keep it past that date. */
  heldBy: string[];
  /** Past its destruction date and held by nothing: it is never served. */
  overdue: boolean;
}

/**
 * The retention state of one image (policy §8: "kept for period of sixty (60) days from the date
 * of recordation"): its destruction date is its own date of recordation + the retention period
 * (the import's date when its capture time is not believable: 1970, 2099, none), not its batch's;
 * an image of a recording day already destroyed is never served; a hold whose scope includes the
 * image keeps it. This is the one place the gate asks.
 */
export function retentionStateOf(
  s: Session,
  item: { batch: string; camera: string | null; recordedAt?: string; flags?: readonly string[] },
): RetentionState {
  const r = imageRetentionOf(s, item.batch, {
    recordedAt: item.recordedAt,
    flags: [...(item.flags ?? [])],
    outcome: 'stored',
  });
  const now = s.clock();
  const heldBy = holdsForImage(s, item)
    .filter((h) => holdStands(h, now))
    .map((h) => h.id);
  const destroyFrom = r.dueDate;
  const overdue = r.state === 'destroyed' || (destroyFrom.getTime() <= now.getTime() && heldBy.length === 0);
  return { destroyFrom, heldBy: r.state === 'destroyed' ? [] : heldBy, overdue };
}

/** Refuse data past its destruction date (policy §8), naming the date and the purge command. */
export function checkRetention(s: Session, items: readonly GateItem[]): void {
  const states = new Map<string, RetentionState>();
  for (const it of items) {
    const key = `${it.batch}|${it.camera ?? ''}|${it.recordedAt ?? ''}`;
    const st = states.get(key) ?? retentionStateOf(s, it);
    states.set(key, st);
    if (st.overdue)
      throw new CustodyError(
        'denied',
        `Image ${it.image} was due for destruction on ${isoInZone(st.destroyFrom!, s.settings.timeZone).slice(0, 10)} (policy §8: kept ${s.settings.retentionDays} days from the date of recordation, then destroyed); it is not served.`,
        'Destroy what is due with `custody purge`.',
      );
  }
}

/** Why an image falls outside a request's scope, or undefined when it is inside. */
function outOfScope(
  pass: GatePass,
  it: GateItem,
  driveOf: (batch: string) => string | undefined,
  rotation: ReadonlySet<string> | undefined,
) {
  const sc = pass.scope;
  if (sc.drive && driveOf(it.batch) !== sc.drive) return `it is not from drive ${sc.drive}`;
  // A drive is reused: the request reaches the rotation the drive held when it was asked for.
  if (sc.drive && rotation && !rotation.has(it.batch))
    return `its batch ${it.batch} is another rotation of drive ${sc.drive} than the one it held when the request was received (${sc.asOf ?? 'its date'})`;
  if (sc.cameras.length && !sc.cameras.includes(it.camera ?? ''))
    return `its camera ${it.camera ?? '(none)'} is not among ${sc.cameras.join(', ')}`;
  if (!sc.drive && (sc.from || sc.to)) {
    const t = it.recordedAt ? Date.parse(it.recordedAt) : Number.NaN;
    if (Number.isNaN(t)) return 'its date of recordation is unknown';
    if (sc.from && t < Date.parse(sc.from)) return `it was recorded ${it.recordedAt}, before ${sc.from}`;
    if (sc.to && t > Date.parse(sc.to)) return `it was recorded ${it.recordedAt}, after ${sc.to}`;
  }
  return undefined;
}

/**
 * How the images of a plate request (a plate, no drive) are judged: by the images its plate search
 * found (`requestPlateHits` in operations/search.ts), or — `release --all-in-range`, the
 * custodian's explicit choice — by its cameras and time range alone.
 */
export type PlateJudgement = ReadonlySet<string> | 'all-in-range';

/** Why an image falls outside a plate request's plate, or undefined; no judgement given admits nothing. */
function offPlate(pass: GatePass, it: GateItem, plate: PlateJudgement | undefined): string | undefined {
  if (!pass.scope.plate || pass.scope.drive || plate === 'all-in-range') return undefined;
  if (plate === undefined)
    return `the request asks for plate ${pass.scope.plate}, and only images its plate search finds may be disclosed`;
  return plate.has(it.image) ? undefined : `the plate search finds no reading of ${pass.scope.plate} in it`;
}

/**
 * The first image outside the request's scope (cameras, time range, drive; for a plate request,
 * not among the plate search's hits: see PlateJudgement), with why; undefined when all are inside.
 * The one scope rule of every disclosure: a release, an export, a look at an image.
 */
export function scopeProblem(
  s: Session,
  pass: GatePass,
  items: readonly GateItem[],
  plate?: PlateJudgement,
): { item: GateItem; why: string } | undefined {
  const drives = new Map<string, string | undefined>();
  const driveOf = (batch: string) => {
    if (!drives.has(batch))
      drives.set(
        batch,
        s.ledger.one<{ drive_id: string }>('SELECT drive_id FROM batches WHERE id = ?', [batch])?.drive_id,
      );
    return drives.get(batch);
  };
  const rotation = pass.scope.drive ? new Set(scopeBatches(s, pass.scope).map((b) => b.id)) : undefined;
  for (const item of items) {
    const why = outOfScope(pass, item, driveOf, rotation) ?? offPlate(pass, item, plate);
    if (why) return { item, why };
  }
  return undefined;
}

/**
 * Every image handed over or shown lies within the request's scope and is not past its
 * destruction date; otherwise refused (policy §5, §8).
 */
export function checkItems(s: Session, pass: GatePass, items: readonly GateItem[], plate?: PlateJudgement): void {
  const p = scopeProblem(s, pass, items, plate);
  if (p)
    throw new CustodyError(
      'denied',
      `Image ${p.item.image} is outside request ${pass.request.id} (${describeScope(pass.scope)}): ${p.why}. Only what the request asks for may be disclosed (policy §5).`,
      GATE_HINT,
    );
  checkRetention(s, items);
}

/** What the access record and the release record say of a disclosure. */
export interface DisclosureRecord {
  /** The data used to query or handed over, as the access record holds it. */
  query: string;
  results: number;
  receipt: string;
  kind: 'bag' | 'drive';
  /** The release event's own fields (files, bytes, manifest, dates, destination, drive). */
  release: Record<string, unknown>;
  drive?: string;
  camera?: string;
  ackDays?: number;
  /** How the data left: `release` or `image export`. */
  via: string;
}

/**
 * Put a release on the record (Civ. Code 1798.90.52; policy §5): the access with its purpose
 * and request, then the release with its recipient. The caller commits after writing the receipt.
 */
export function recordRelease(s: Session, pass: GatePass, r: DisclosureRecord): void {
  const { request: req, agency } = pass;
  if (r.drive) s.append('drive.released', { drive: r.drive, agency: agency.id, request: req.id, at: s.now() });
  s.append('access.recorded', {
    action: 'export',
    query: r.query,
    purpose: req.purpose,
    caseRef: req.case_number,
    requestId: req.id,
    organization: s.operator.organization,
    results: r.results,
    details: {
      release: r.receipt,
      to: agency.id,
      kind: r.kind === 'bag' ? 'export' : 'drive',
      via: r.via,
      ...(pass.override ? { override: pass.override.id } : {}),
    },
    ...(r.drive ? { drive: r.drive } : r.camera ? { camera: r.camera } : {}),
  });
  s.append('release.recorded', {
    receipt: r.receipt,
    request: req.id,
    agency: agency.id,
    officer: req.officer,
    badge: req.badge,
    ...r.release,
    ...(pass.override ? { override: pass.override.id } : {}),
    ...(r.ackDays !== undefined ? { ackDays: r.ackDays } : {}),
  });
}

/**
 * Put a look at an image on the record: under a request (the request's purpose, as the gate
 * admitted it), or as the custodian's own viewing for a purpose of the city's list (§1).
 */
export function recordView(
  s: Session,
  o: { image: string; pass?: GatePass; own?: { purpose: string; caseRef: string | null } },
): void {
  const p = o.pass;
  s.append('access.recorded', {
    action: 'view',
    query: o.image,
    purpose: p ? p.request.purpose : o.own!.purpose,
    caseRef: p ? p.request.case_number : o.own!.caseRef,
    requestId: p ? p.request.id : null,
    organization: s.operator.organization,
    results: 1,
    details: p
      ? { viewing: 'under request', agency: p.agency.id }
      : { viewing: `${s.operator.role}'s own`, role: s.operator.role },
  });
  s.commit();
}
