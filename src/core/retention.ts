/**
 * Retention and reinstall (policy §8: keep 60 days from the date of recordation, then
 * destroy by recording over; longer only on a written request tied to an ongoing
 * investigation or court proceeding — a hold). Pure: `now` is passed in.
 *
 * How days are counted. Retention runs in whole 24-hour periods from the instant of the
 * newest recording a batch or drive holds: its destruction date is
 * `newestRecordedAt + retentionDays × 24 h`. So a drive whose newest image was taken at
 * 10:00 on 1 September may be recorded over from 10:00 on 31 October (day 60) and not a
 * millisecond before (day 59 and 23:59 is refused). Counting instants rather than calendar
 * dates guarantees every recording was kept at least the full period whatever the time
 * zone, daylight-saving change or time of day; `ageDays` is the number of whole days gone.
 */
import { canDrive, describeDriveState, type DriveState } from './drive-state.js';
import { addDays, DAY_MS, localDate, parseIsoWithOffset } from './time.js';

/** A hold (policy §8): standing from `placedAt` until `releasedAt`. */
export interface HoldRef {
  id: string;
  /**
   * The recordings it keeps, by date of recordation (its request's time range); absent: all the
   * recordings of the batch or drive it names.
   */
  scope?: { from?: Date; to?: Date };
  /** When the hold must be looked at again (a hold is not released by passing it). */
  reviewDate: Date;
  releasedAt?: Date;
  /** When it was placed; a hold placed later than `now` does not stand yet. */
  placedAt?: Date;
}

export interface RetentionSettings {
  /** Policy §8. @default 60 */
  retentionDays: number;
  /** For dates written into sentences. @default 'UTC' */
  timeZone?: string;
}

/** The instant from which data whose newest recording is `newestRecordedAt` may be destroyed. */
export function destructionDate(newestRecordedAt: Date, retentionDays: number): Date {
  return addDays(newestRecordedAt, retentionDays);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function ageDays(from: Date, to: Date): number {
  return Math.floor((to.getTime() - from.getTime()) / DAY_MS);
}

/** Whether the hold stands at `now`. */
export function holdStands(h: HoldRef, now: Date): boolean {
  if (h.placedAt && h.placedAt.getTime() > now.getTime()) return false;
  return !h.releasedAt || h.releasedAt.getTime() > now.getTime();
}

/** Whether the hold's scope reaches recordings made between `first` and `last`. */
export function holdReaches(h: HoldRef, first: Date, last: Date): boolean {
  if (h.scope?.from && last.getTime() < h.scope.from.getTime()) return false;
  if (h.scope?.to && first.getTime() > h.scope.to.getTime()) return false;
  return true;
}

// ---------------------------------------------------------------------------------------
// Retention per image (policy §8: "kept for period of sixty (60) days from the date of
// recordation"): each image's own date of recordation counts, not its batch's newest.

/**
 * Capture-time flags under which a file's own date is not believed: none at all, a reset clock
 * (1970, 2000), one far ahead (2099), or a date before its camera was installed.
 */
export const UNBELIEVABLE_DATE_FLAGS: readonly string[] = ['no-capture-time', 'future', 'absurd', 'before-camera'];

/**
 * The date of recordation retention counts from: the file's capture time when believable, else
 * the date it was imported (the earliest the home can vouch for), so no image is kept forever.
 */
export function recordationDate(
  rec: { recordedAt?: string | null; flags?: readonly string[] },
  importedAt: Date,
): { at: Date; fromImport: boolean } {
  const at = rec.recordedAt ? parseIsoWithOffset(rec.recordedAt) : undefined;
  if (!at || (rec.flags ?? []).some((f) => UNBELIEVABLE_DATE_FLAGS.includes(f)))
    return { at: importedAt, fromImport: true };
  return { at, fromImport: false };
}

/** The recording day (YYYY-MM-DD in the home's zone): the grain at which data is keyed and destroyed. */
export function recordingDay(at: Date, timeZone: string): string {
  return localDate(at, timeZone);
}

export type ImageRetentionState = 'retained' | 'held' | 'due' | 'destroyed';

export interface ImageRetention {
  state: ImageRetentionState;
  /** The date of recordation counted from (the import's, when `fromImport`). */
  recordedAt: Date;
  fromImport: boolean;
  /** recordedAt + retentionDays. */
  dueDate: Date;
  heldBy: string[];
}

/**
 * One image against the retention period at `now`: destroyed (its recording day was), held (a
 * standing hold's scope reaches its date of recordation), due (past its own destruction date:
 * never served again), or retained.
 */
export function imageRetention(
  img: { recordedAt: Date; fromImport: boolean; destroyed: boolean },
  holds: readonly HoldRef[],
  now: Date,
  retentionDays: number,
): ImageRetention {
  const dueDate = destructionDate(img.recordedAt, retentionDays);
  const base = { recordedAt: img.recordedAt, fromImport: img.fromImport, dueDate };
  if (img.destroyed) return { ...base, state: 'destroyed', heldBy: [] };
  const heldBy = holds
    .filter((h) => holdStands(h, now) && holdReaches(h, img.recordedAt, img.recordedAt))
    .map((h) => h.id);
  if (now.getTime() < dueDate.getTime()) return { ...base, state: 'retained', heldBy };
  return { ...base, state: heldBy.length ? 'held' : 'due', heldBy };
}

/** Ids of the holds standing at `now`, in the order given. */
export function standingHolds(holds: readonly HoldRef[], now: Date): string[] {
  return holds.filter((h) => holdStands(h, now)).map((h) => h.id);
}

function dateWords(d: Date, timeZone = 'UTC'): string {
  return localDate(d, timeZone);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function list(ids: readonly string[]): string {
  return ids.length <= 1 ? (ids[0] ?? '') : `${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]}`;
}

// ---------------------------------------------------------------------------------------
// Retention status

export interface BatchRetentionInput {
  id: string;
  newestRecordedAt: Date;
  oldestRecordedAt: Date;
  destroyedAt?: Date;
  holds: readonly HoldRef[];
}

export interface DriveRetentionInput {
  id: string;
  state: DriveState;
  /** Newest recording on the drive; absent when it holds none (a spare, a wiped drive). */
  newestRecordedAt?: Date;
  oldestRecordedAt?: Date;
  /** When its data was destroyed (wiped or recorded over in full). */
  wipedAt?: Date;
  holds: readonly HoldRef[];
}

export type RetentionState =
  /** Destroyed (a batch) or wiped (a drive). */
  | 'destroyed'
  /** Inside the retention period. */
  | 'retained'
  /** Past its destruction date and not destroyed. */
  | 'due'
  /** Past or not, a standing hold keeps it. */
  | 'held'
  /** A drive in a camera: being recorded over as it runs. */
  | 'in-use'
  /** A drive with no data. */
  | 'empty'
  /** A drive released to an agency: out of our keeping. */
  | 'released';

export interface RetentionEntry {
  id: string;
  state: RetentionState;
  /** `destructionDate(newest)`; absent when there is no data. */
  dueDate?: Date;
  /** When the oldest recording reached the end of its period (the batch keeps it longer). */
  oldestDueDate?: Date;
  /** Standing holds that keep it. */
  heldBy: string[];
  /** Whole days past the due date while not destroyed and not held; 0 otherwise. */
  overdueDays: number;
  /** Days left until the due date (0 once due). */
  daysLeft: number;
  /** Purge (batch) or wipe/reuse (drive) may proceed now. */
  eligibleToPurge: boolean;
}

export interface DriveRetentionEntry extends RetentionEntry {
  driveState: DriveState;
}

function judge(
  id: string,
  newest: Date | undefined,
  oldest: Date | undefined,
  destroyed: boolean,
  holds: readonly HoldRef[],
  now: Date,
  retentionDays: number,
): RetentionEntry {
  // A hold keeps what its scope reaches: a batch or day whose recordings fall outside it is not held.
  const heldBy = holds
    .filter((h) => holdStands(h, now) && (!newest || holdReaches(h, oldest ?? newest, newest)))
    .map((h) => h.id);
  if (destroyed || !newest) {
    return {
      id,
      state: destroyed ? 'destroyed' : 'empty',
      heldBy,
      overdueDays: 0,
      daysLeft: 0,
      eligibleToPurge: false,
    };
  }
  const dueDate = destructionDate(newest, retentionDays);
  const oldestDueDate = oldest ? destructionDate(oldest, retentionDays) : undefined;
  const pastDue = now.getTime() >= dueDate.getTime();
  const daysLeft = pastDue ? 0 : Math.ceil((dueDate.getTime() - now.getTime()) / DAY_MS);
  if (heldBy.length)
    return { id, state: 'held', dueDate, oldestDueDate, heldBy, overdueDays: 0, daysLeft, eligibleToPurge: false };
  return {
    id,
    state: pastDue ? 'due' : 'retained',
    dueDate,
    oldestDueDate,
    heldBy,
    overdueDays: pastDue ? ageDays(dueDate, now) : 0,
    daysLeft,
    eligibleToPurge: pastDue,
  };
}

/**
 * Where every batch and drive stands against the retention period at `now`: its due date,
 * the holds that keep it, how many days overdue, and whether it may be purged now.
 */
export function retentionStatus(
  input: { batches: readonly BatchRetentionInput[]; drives: readonly DriveRetentionInput[] },
  now: Date,
  settings: RetentionSettings,
): { batches: RetentionEntry[]; drives: DriveRetentionEntry[] } {
  const days = settings.retentionDays;
  // A destruction on the record is done whatever the clock says now: a clock stepped back must
  // not make a destroyed batch (or a wiped drive) due a second time.
  const batches = input.batches.map((b) =>
    judge(b.id, b.newestRecordedAt, b.oldestRecordedAt, !!b.destroyedAt, b.holds, now, days),
  );
  const drives = input.drives.map((d): DriveRetentionEntry => {
    const wiped = isWiped(d);
    const e = judge(d.id, d.newestRecordedAt, d.oldestRecordedAt, wiped, d.holds, now, days);
    if (d.state === 'released')
      return { ...e, state: 'released', overdueDays: 0, eligibleToPurge: false, driveState: d.state };
    if (d.state === 'in_camera' && e.state !== 'held')
      return { ...e, state: 'in-use', overdueDays: 0, eligibleToPurge: false, driveState: d.state };
    return { ...e, driveState: d.state };
  });
  return { batches, drives };
}

/** The drive's data was wiped (or the drive destroyed) after its newest recording. */
function isWiped(d: { wipedAt?: Date; newestRecordedAt?: Date }): boolean {
  return !!d.wipedAt && (!d.newestRecordedAt || d.wipedAt.getTime() >= d.newestRecordedAt.getTime());
}

// ---------------------------------------------------------------------------------------
// Reinstall

export interface ReinstallDrive {
  id: string;
  state: DriveState;
  /** Newest recording on the drive; absent for a drive that holds none. */
  newestRecordedAt?: Date;
  /** When the import of its data was verified (hashes re-read and matched). */
  importVerifiedAt?: Date;
  /** Holds covering its data (on the drive itself or on the batch imported from it). */
  holds: readonly HoldRef[];
  /** Media files seen on the drive that no import has taken in; absent when not known. */
  unimportedFiles?: number;
  /** When its data was wiped (or the drive destroyed), as recorded. */
  wipedAt?: Date;
}

export interface ReinstallOptions {
  retentionDays: number;
  /**
   * Relaxed rule: reuse a drive once its import is verified, since the verified copy is then
   * the kept record. Still never under a hold. @default false
   */
  allowReuseAfterVerifiedImport?: boolean;
  /** The name in `Settings`; either is accepted. */
  reuseAfterVerifiedImport?: boolean;
  timeZone?: string;
}

export interface ReinstallEligibility {
  eligible: boolean;
  /** When it becomes (or became) eligible; absent when no date can be given (a hold, no data dates, a drive out of rotation). */
  eligibleFrom?: Date;
  /** One plain sentence. */
  reason: string;
  /** Ids of the standing holds that forbid recording over it. */
  blockingHolds: string[];
}

/**
 * May this drive go back into a camera (and so be recorded over)? Strict rule: no standing
 * hold covers its data and its newest recording is at least `retentionDays` old (see the
 * top of this file for how days are counted). Relaxed rule: also once its import is
 * verified. A refusal names the hold.
 */
export function reinstallEligibility(drive: ReinstallDrive, now: Date, opts: ReinstallOptions): ReinstallEligibility {
  const tz = opts.timeZone ?? 'UTC';
  const relaxed = opts.allowReuseAfterVerifiedImport ?? opts.reuseAfterVerifiedImport ?? false;
  const blockingHolds = standingHolds(drive.holds, now);
  if (!canDrive(drive.state, 'install')) {
    return {
      eligible: false,
      reason: `Drive ${drive.id} is ${describeDriveState(drive.state)}; only a spare or stored drive can go into a camera.`,
      blockingHolds,
    };
  }
  if (blockingHolds.length) {
    const held = drive.holds.filter((h) => blockingHolds.includes(h.id));
    const review = held.map((h) => `${h.id} (review ${dateWords(h.reviewDate, tz)})`);
    return {
      eligible: false,
      reason: `Drive ${drive.id} holds data under ${blockingHolds.length === 1 ? 'hold' : 'holds'} ${list(review)}; it may not be recorded over until ${blockingHolds.length === 1 ? 'that hold is' : 'they are'} released.`,
      blockingHolds,
    };
  }
  const data = dataVerdict(drive, opts);
  if (data) return { ...data, blockingHolds };
  if (!drive.newestRecordedAt) {
    if (drive.state === 'spare') {
      return {
        eligible: true,
        eligibleFrom: undefined,
        reason: `Drive ${drive.id} is a spare with no recordings.`,
        blockingHolds,
      };
    }
    return {
      eligible: false,
      reason: `Drive ${drive.id} is stored but its dates of recordation are not known; import it so they are recorded.`,
      blockingHolds,
    };
  }
  const retentionEnd = destructionDate(drive.newestRecordedAt, opts.retentionDays);
  const age = ageDays(drive.newestRecordedAt, now);
  if (relaxed && drive.importVerifiedAt && drive.importVerifiedAt.getTime() <= now.getTime()) {
    const from = drive.importVerifiedAt < retentionEnd ? drive.importVerifiedAt : retentionEnd;
    return {
      eligible: true,
      eligibleFrom: from,
      reason: `Drive ${drive.id}'s import was verified on ${dateWords(drive.importVerifiedAt, tz)} and reuse after a verified import is allowed.`,
      blockingHolds,
    };
  }
  if (now.getTime() >= retentionEnd.getTime()) {
    return {
      eligible: true,
      eligibleFrom: retentionEnd,
      reason: `Drive ${drive.id}'s newest recording is ${plural(age, 'day')} old, past the ${opts.retentionDays}-day retention period.`,
      blockingHolds,
    };
  }
  const unverified = relaxed ? ' and its import is not verified' : '';
  return {
    eligible: false,
    eligibleFrom: retentionEnd,
    reason: `Drive ${drive.id}'s newest recording is ${plural(Math.max(0, age), 'day')} old${unverified}; it may be recorded over from ${dateWords(retentionEnd, tz)} (${opts.retentionDays} days).`,
    blockingHolds,
  };
}

/**
 * What the drive's own contents say before any date does: files never imported forbid recording
 * over it (they exist nowhere else); a wipe after its newest recording frees it.
 */
function dataVerdict(
  drive: ReinstallDrive,
  opts: ReinstallOptions,
): Omit<ReinstallEligibility, 'blockingHolds'> | undefined {
  const tz = opts.timeZone ?? 'UTC';
  if (drive.unimportedFiles && drive.unimportedFiles > 0)
    return {
      eligible: false,
      reason: `Drive ${drive.id} holds ${plural(drive.unimportedFiles, 'image or clip', 'images or clips')} that ${drive.unimportedFiles === 1 ? 'was' : 'were'} never imported and exist nowhere else; import it first.`,
    };
  if (isWiped(drive))
    return {
      eligible: true,
      eligibleFrom: drive.wipedAt,
      reason: `Drive ${drive.id} was wiped on ${dateWords(drive.wipedAt!, tz)}.`,
    };
  return undefined;
}

/**
 * May this drive's data be destroyed now (`drive wipe`, `drive destroy`; policy §8)? The same
 * rule as recording over it: no standing hold, nothing on it never imported, and its newest
 * recording past the retention period (or, relaxed, its import verified). Any drive in our
 * keeping and out of a camera may be; a wiped drive may be wiped again.
 */
export function destructionEligibility(drive: ReinstallDrive, now: Date, opts: ReinstallOptions): ReinstallEligibility {
  if (!canDrive(drive.state, 'wipe'))
    return {
      eligible: false,
      reason: `Drive ${drive.id} is ${describeDriveState(drive.state)}; only a drive in our keeping and out of any camera can be wiped or destroyed.`,
      blockingHolds: standingHolds(drive.holds, now),
    };
  return reinstallEligibility({ ...drive, state: drive.state === 'spare' ? 'spare' : 'stored' }, now, opts);
}

// ---------------------------------------------------------------------------------------
// Drive forecast

export interface ForecastCamera {
  id: string;
  /** Days between swaps, if set; otherwise derived from `swapHistory`. */
  swapCadenceDays?: number;
  /** Times of past swaps, any order. */
  swapHistory?: readonly Date[];
}

export interface ForecastDrive {
  id: string;
  state: DriveState;
  /** The camera it belongs to (is in, or came out of); absent for a shared spare. */
  cameraId?: string;
  /** From `reinstallEligibility`; absent when no date can be given (held, unknown). */
  eligibleFrom?: Date;
}

export interface CameraForecast {
  cameraId: string;
  cadenceDays: number;
  cadenceSource: 'set' | 'history' | 'assumed';
  /** ceil(retention / cadence) + 1: one in the camera, the rest waiting out retention. */
  drivesNeeded: number;
  /** The camera's own drives still in rotation (in it, out of it, stored; not released or retired). */
  drivesAvailable: number;
  /** Shared spares (no camera) that any camera may take. */
  sharedSpares: number;
  nextSwap: Date;
  /** `nextSwap` as the home's calendar date: what the table, the JSON and the warnings print. */
  nextSwapDate: string;
  /** The first swap, within the horizon, for which no drive will be eligible. */
  runsOutOn?: Date;
  /** `runsOutOn` as the home's calendar date (the one day the table and the warning both name). */
  runsOutOnDate?: string;
  warnings: string[];
}

/** Cadence assumed when neither set nor derivable: the shorter end of "every week or two". */
export const ASSUMED_CADENCE_DAYS = 7;

/** Median gap between consecutive swaps, in whole days (at least 1); undefined with fewer than two swaps. */
export function cadenceFromHistory(swaps: readonly Date[]): number | undefined {
  const t = swaps.map((d) => d.getTime()).sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < t.length; i++) if (t[i] > t[i - 1]) gaps.push((t[i] - t[i - 1]) / DAY_MS);
  if (!gaps.length) return undefined;
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  const median = gaps.length % 2 ? gaps[mid] : (gaps[mid - 1] + gaps[mid]) / 2;
  return Math.max(1, Math.round(median));
}

/**
 * Per camera: how many drives its rotation needs, how many it has, and — simulating its
 * future swaps against the drives' eligibility dates, with shared spares taken by whichever
 * camera needs one first — the date it would run out.
 */
export function driveForecast(
  cameras: readonly ForecastCamera[],
  drives: readonly ForecastDrive[],
  now: Date,
  retentionDays: number,
  opts: { horizonDays?: number; timeZone?: string } = {},
): CameraForecast[] {
  const tz = opts.timeZone ?? 'UTC';
  const horizon = addDays(now, opts.horizonDays ?? Math.max(120, 2 * retentionDays));
  const inRotation = (d: ForecastDrive): boolean =>
    d.state !== 'released' && d.state !== 'retired' && d.state !== 'destroyed';

  const out: CameraForecast[] = cameras.map((c) => {
    const fromHistory = c.swapHistory ? cadenceFromHistory(c.swapHistory) : undefined;
    const set = c.swapCadenceDays !== undefined && c.swapCadenceDays > 0;
    const cadenceDays = set ? c.swapCadenceDays! : (fromHistory ?? ASSUMED_CADENCE_DAYS);
    const cadenceSource: CameraForecast['cadenceSource'] = set
      ? 'set'
      : fromHistory !== undefined
        ? 'history'
        : 'assumed';
    const last = c.swapHistory?.length ? new Date(Math.max(...c.swapHistory.map((d) => d.getTime()))) : undefined;
    let nextSwap = last ? addDays(last, cadenceDays) : addDays(now, cadenceDays);
    if (nextSwap < now) nextSwap = now; // a swap is already late: the next one is today
    const own = drives.filter((d) => d.cameraId === c.id && inRotation(d));
    return {
      cameraId: c.id,
      cadenceDays,
      cadenceSource,
      drivesNeeded: Math.ceil(retentionDays / cadenceDays) + 1,
      drivesAvailable: own.length,
      sharedSpares: 0,
      nextSwap,
      nextSwapDate: dateWords(nextSwap, tz),
      warnings: [],
    };
  });

  // Simulation: each camera's pool of drives with eligibility dates, plus a shared pool.
  const pools = new Map<string, number[]>();
  const shared: number[] = [];
  for (const d of drives) {
    if (!inRotation(d)) continue;
    const cam = d.cameraId !== undefined && out.some((c) => c.cameraId === d.cameraId) ? d.cameraId : undefined;
    if (d.state === 'in_camera') continue; // it comes out at the camera's next swap (below)
    const at = d.state === 'spare' && !d.eligibleFrom ? now.getTime() : d.eligibleFrom?.getTime();
    if (at === undefined) continue; // held or unknown: not counted on
    if (cam === undefined) shared.push(at);
    else {
      const p = pools.get(cam) ?? [];
      p.push(at);
      pools.set(cam, p);
    }
  }
  for (const c of out) c.sharedSpares = shared.length;
  const next = new Map(out.map((c) => [c.cameraId, c.nextSwap.getTime()]));
  const done = new Set<string>();
  for (;;) {
    // The camera with the earliest pending swap goes first.
    let cam: CameraForecast | undefined;
    for (const c of out)
      if (!done.has(c.cameraId) && (!cam || next.get(c.cameraId)! < next.get(cam.cameraId)!)) cam = c;
    if (!cam) break;
    const t = next.get(cam.cameraId)!;
    if (t > horizon.getTime()) {
      done.add(cam.cameraId);
      continue;
    }
    const pool = pools.get(cam.cameraId) ?? [];
    pools.set(cam.cameraId, pool);
    const take = (p: number[]): boolean => {
      let best = -1;
      for (let i = 0; i < p.length; i++) if (p[i] <= t && (best < 0 || p[i] < p[best])) best = i;
      if (best < 0) return false;
      p.splice(best, 1);
      return true;
    };
    if (!take(pool) && !take(shared)) {
      cam.runsOutOn = new Date(t);
      cam.runsOutOnDate = dateWords(cam.runsOutOn, tz);
      done.add(cam.cameraId);
      continue;
    }
    // The drive taken out at this swap may be reused retentionDays later (its newest recording is now).
    pool.push(destructionDate(new Date(t), retentionDays).getTime());
    next.set(cam.cameraId, addDays(new Date(t), cam.cadenceDays).getTime());
  }

  for (const c of out) {
    if (c.cadenceSource === 'assumed') {
      c.warnings.push(
        `Camera ${c.cameraId} has no swap cadence and too little swap history; a ${c.cadenceDays}-day cadence is assumed.`,
      );
    }
    if (c.drivesAvailable < c.drivesNeeded) {
      const spares = c.sharedSpares ? ` (plus ${plural(c.sharedSpares, 'shared spare')})` : '';
      c.warnings.push(
        `Camera ${c.cameraId} needs ${c.drivesNeeded} drives in rotation for a ${c.cadenceDays}-day swap cadence and ${retentionDays}-day retention, and has ${c.drivesAvailable}${spares}.`,
      );
    }
    const stuck = drives.filter(
      (d) => d.cameraId === c.cameraId && (d.state === 'stored' || d.state === 'removed') && !d.eligibleFrom,
    );
    if (stuck.length) {
      c.warnings.push(
        `Camera ${c.cameraId} cannot count on ${plural(stuck.length, 'drive')} held or without dates of recordation: ${list(stuck.map((d) => d.id))}.`,
      );
    }
    if (c.runsOutOnDate) {
      c.warnings.push(
        `Camera ${c.cameraId} runs out of drives on ${c.runsOutOnDate}: no drive will be free to record over for that swap.`,
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Overdue duties

export interface OverdueInput {
  /** Batches with their destruction dates (e.g. from `retentionStatus`, not held, not destroyed). */
  batchesPastDestruction?: readonly { id: string; dueDate: Date }[];
  /** Drives whose data is past its date and not recorded over or wiped. */
  drivesPastDestruction?: readonly { id: string; dueDate: Date }[];
  /** The last health check (policy §7); absent when none was ever run. */
  lastHealthCheckAt?: Date;
  /** Policy §7. @default 30 */
  healthIntervalDays?: number;
  /** When the home was set up: without any health check, the first is due an interval after it. */
  homeCreatedAt?: Date;
  holdsPastReview?: readonly HoldRef[];
  /** Releases and their acknowledgements; `ackDays` on one overrides the default for it. */
  unacknowledgedReceipts?: readonly {
    id: string;
    releasedAt: Date;
    acknowledgedAt?: Date;
    agency?: string;
    ackDays?: number;
  }[];
  /** Days after a release by which the acknowledgement is expected. @default 10 */
  ackDays?: number;
  /** Purges that destroyed data and have no certificate of destruction (policy §8). */
  uncertifiedPurges?: readonly { id: string; finishedAt: Date }[];
  breaches?: readonly { id: string; duties: readonly { what: string; dueAt: Date; doneAt?: Date }[] }[];
  timeZone?: string;
}

/**
 * The duties that have fallen due, as plain sentences, for the one-line reminder. A duty
 * appears from its due instant onwards (a health check due today is listed today) and
 * never otherwise: nothing due → an empty list.
 */
export function overdueDuties(input: OverdueInput, now: Date): string[] {
  const tz = input.timeZone ?? 'UTC';
  const t = now.getTime();
  const out: string[] = [];
  const since = (d: Date): string => {
    const n = ageDays(d, now);
    return n === 0 ? 'today' : `${plural(n, 'day')} ago`;
  };

  const pastDue = <X extends { id: string; dueDate: Date }>(xs: readonly X[] | undefined): X[] =>
    (xs ?? []).filter((x) => x.dueDate.getTime() <= t).sort((a, b) => a.dueDate.getTime() - b.dueDate.getTime());
  const batches = pastDue(input.batchesPastDestruction);
  if (batches.length) {
    out.push(
      batches.length === 1
        ? `Import batch ${batches[0].id} passed its destruction date ${since(batches[0].dueDate)} and is not destroyed (policy §8); run \`custody purge\`.`
        : `${batches.length} import batches or recording days are past their destruction date, the oldest since ${dateWords(batches[0].dueDate, tz)}, and are not destroyed (policy §8): ${list(batches.map((b) => b.id))}; run \`custody purge\`.`,
    );
  }
  const drives = pastDue(input.drivesPastDestruction);
  if (drives.length) {
    out.push(
      drives.length === 1
        ? `Drive ${drives[0].id} holds data past its destruction date (since ${dateWords(drives[0].dueDate, tz)}); record over it or wipe it (policy §8).`
        : `${drives.length} drives hold data past its destruction date, the oldest since ${dateWords(drives[0].dueDate, tz)}; record over or wipe them (policy §8): ${list(drives.map((d) => d.id))}.`,
    );
  }

  const interval = input.healthIntervalDays ?? 30;
  if (input.lastHealthCheckAt) {
    if (addDays(input.lastHealthCheckAt, interval).getTime() <= t) {
      out.push(
        `The health check is due: the last was ${since(input.lastHealthCheckAt)}, and the policy asks for one at least every ${interval} days (§7).`,
      );
    }
  } else if (!input.homeCreatedAt || addDays(input.homeCreatedAt, interval).getTime() <= t) {
    out.push(`No health check has been run; the policy asks for one at least every ${interval} days (§7).`);
  }

  const holds = (input.holdsPastReview ?? [])
    .filter((h) => holdStands(h, now) && h.reviewDate.getTime() <= t)
    .sort((a, b) => a.reviewDate.getTime() - b.reviewDate.getTime());
  if (holds.length) {
    out.push(
      holds.length === 1
        ? `Hold ${holds[0].id} was due for review on ${dateWords(holds[0].reviewDate, tz)}; confirm the investigation still needs it or release it (policy §8).`
        : `${holds.length} holds are past their review date, the oldest since ${dateWords(holds[0].reviewDate, tz)}; confirm or release them (policy §8): ${list(holds.map((h) => h.id))}.`,
    );
  }

  const uncertified = input.uncertifiedPurges ?? [];
  if (uncertified.length)
    out.push(
      uncertified.length === 1
        ? `Purge ${uncertified[0]!.id} destroyed data on ${dateWords(uncertified[0]!.finishedAt, tz)} and has no certificate of destruction (policy §8); run \`custody purge --yes\` to write it.`
        : `${uncertified.length} purges destroyed data and have no certificate of destruction (policy §8): ${list(uncertified.map((p) => p.id))}; run \`custody purge --yes\` to write them.`,
    );

  const ackDays = input.ackDays ?? 10;
  const receipts = (input.unacknowledgedReceipts ?? [])
    .filter(
      (r) =>
        !(r.acknowledgedAt && r.acknowledgedAt.getTime() <= t) &&
        addDays(r.releasedAt, r.ackDays ?? ackDays).getTime() <= t,
    )
    .sort((a, b) => a.releasedAt.getTime() - b.releasedAt.getTime());
  if (receipts.length) {
    const r0 = receipts[0];
    out.push(
      receipts.length === 1
        ? `Release ${r0.id}${r0.agency ? ` to ${r0.agency}` : ''} on ${dateWords(r0.releasedAt, tz)} has no written acknowledgement of receipt after ${r0.ackDays ?? ackDays} days (policy §5).`
        : `${receipts.length} releases have no written acknowledgement of receipt in time, the oldest from ${dateWords(r0.releasedAt, tz)} (policy §5): ${list(receipts.map((r) => r.id))}.`,
    );
  }

  for (const b of input.breaches ?? []) {
    const unmet = b.duties.filter((d) => !(d.doneAt && d.doneAt.getTime() <= t) && d.dueAt.getTime() <= t);
    if (unmet.length) {
      out.push(
        `Breach ${b.id} has unmet duties (policy §10): ${list(unmet.map((d) => `${d.what} (due ${dateWords(d.dueAt, tz)})`))}.`,
      );
    }
  }
  return out;
}
