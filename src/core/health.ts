/**
 * Health findings (policy §7: at least every 30 days, check the cameras and the storage; log
 * each problem, when it was found, and how long the system was not working). Pure functions
 * over data the caller gathers from the ledger and the disk; `now` and the time zone are
 * passed in.
 */
import { ageDays, holdStands, retentionStatus, type BatchRetentionInput, type HoldRef } from './retention.js';
import { addDays, DAY_MS, isoInZone, zoneOffsetMinutes } from './time.js';

export type Severity = 'info' | 'warning' | 'critical';

export interface Finding {
  severity: Severity;
  area: 'camera' | 'storage' | 'ledger' | 'duty';
  /** What it is about: a camera, drive, batch, hold, request or operator id, or "home". */
  subject: string;
  /** One plain sentence. */
  message: string;
  /** When the system was not working (ISO-8601 with the home's offset). */
  period?: { from: string; to: string };
}

const HOUR_MS = 3_600_000;
/** Weight, in days, of the whole-week hour profile in a weekday or weekend cell (see `findRecordingGaps`). */
const WEEKDAY_SHRINK = 1;
/** Profile cells: 24 hours of weekdays (Monday–Friday), then 24 of weekends. */
const CELLS = 48;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "3 days 2 hours", "5 hours", "40 minutes". */
export function describeDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.round(ms / HOUR_MS);
  if (hours < 48) return plural(hours, 'hour');
  const days = Math.floor(hours / 24);
  const rest = hours - days * 24;
  return rest ? `${plural(days, 'day')} ${plural(rest, 'hour')}` : plural(days, 'day');
}

/** "2026-11-03 14:05" in the zone. */
function when(d: Date, timeZone: string): string {
  return isoInZone(d, timeZone).slice(0, 16).replace('T', ' ');
}

function period(from: Date, to: Date, timeZone: string): { from: string; to: string } {
  return { from: isoInZone(from, timeZone), to: isoInZone(to, timeZone) };
}

function list(ids: readonly string[], max = 5): string {
  const shown = ids.slice(0, max);
  const more = ids.length - shown.length;
  const head = shown.length <= 1 ? (shown[0] ?? '') : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : head;
}

// ---------------------------------------------------------------------------------------
// Recording gaps

export interface GapOptions {
  from: Date;
  to: Date;
  timeZone: string;
  /** The camera, for the sentences. @default 'camera' */
  subject?: string;
  /**
   * A silence is a gap when the camera's own history gives it less than this chance: the
   * product, over the hours it covers, of the share of days on which that hour of the day was
   * silent (smoothed, so an hour never seen silent still could be). @default 1e-6
   */
  maxChance?: number;
  /** Fewer observed days than this and there is no profile to judge by: only silences of a day or more count. @default 3 */
  minProfileDays?: number;
}

export interface GapFinding extends Finding {
  period: { from: string; to: string };
  /** Length of the silence in hours. */
  hours: number;
  /** How many hours of usual activity it covers: the sum of the covered hours' chances of activity. */
  expectedActiveHours: number;
  /** The chance of so long a silence there on an ordinary day, by the camera's history. */
  chance: number;
}

/**
 * Local wall-clock milliseconds of instant t. The zone's offset is looked up once per UTC
 * day, and per hour only on a day whose offset changes (a daylight-saving transition), since
 * Intl is slow and a window holds hundreds of thousands of captures.
 */
function localClock(timeZone: string): (t: number) => number {
  const offsetAt = (t: number): number => zoneOffsetMinutes(new Date(t), timeZone) * 60_000;
  const days = new Map<number, number | Map<number, number>>();
  let lastHour = Number.NaN;
  let lastOff = 0;
  return (t) => {
    const hour = Math.floor(t / HOUR_MS);
    if (hour === lastHour) return t + lastOff; // sorted input: mostly the same hour as before
    const day = Math.floor(t / DAY_MS);
    let d = days.get(day);
    if (d === undefined) {
      const start = offsetAt(day * DAY_MS);
      d = start === offsetAt((day + 1) * DAY_MS - 1) ? start : new Map<number, number>();
      days.set(day, d);
    }
    let off: number;
    if (typeof d === 'number') off = d;
    else {
      const known = d.get(hour);
      off = known ?? offsetAt(hour * HOUR_MS);
      if (known === undefined) d.set(hour, off);
    }
    lastHour = hour;
    lastOff = off;
    return t + off;
  };
}

/**
 * Silences in a camera's recording judged against its own history. The camera's
 * hour-of-day profile over the window (on what share of days each local hour had a capture,
 * weekdays and weekends apart) gives the chance of each silence on an ordinary day: a quiet night covers hours that are
 * often silent anyway and is not a gap; a 3-day outage covers dozens of usually active hours
 * and is. A gap of a day or more is critical, a shorter one a warning.
 */
export function findRecordingGaps(captureTimes: readonly Date[], opts: GapOptions): GapFinding[] {
  const { from, to, timeZone } = opts;
  const subject = opts.subject ?? 'camera';
  const minSurprise = -Math.log(opts.maxChance ?? 1e-6);
  const local = localClock(timeZone);
  const t0 = from.getTime();
  const t1 = to.getTime();
  if (!(t1 > t0)) return [];
  const times = captureTimes.map((d) => d.getTime()).filter((t) => t >= t0 && t < t1);
  for (let i = 1; i < times.length; i++) {
    if (times[i] < times[i - 1]) {
      times.sort((a, b) => a - b);
      break;
    }
  }

  // Profile: per local hour, on weekdays and at weekends apart, how many whole hour-slots
  // inside the window there were (exposure) and how many had a capture (active). Slot s is
  // local hour s mod 24 of local day floor(s / 24); day 0 (1 January 1970) was a Thursday.
  const firstSlot = Math.ceil(local(t0) / HOUR_MS);
  const lastSlot = Math.floor(local(t1) / HOUR_MS); // exclusive
  const cell = (s: number): number => {
    const dow = (((Math.floor(s / 24) + 4) % 7) + 7) % 7;
    return (dow === 0 || dow === 6 ? 24 : 0) + (((s % 24) + 24) % 24);
  };
  const exposure = new Array<number>(CELLS).fill(0);
  const active = new Array<number>(CELLS).fill(0);
  for (let s = firstSlot; s < lastSlot; s++) exposure[cell(s)]++;
  let prevSlot = Number.NaN;
  for (const t of times) {
    const s = Math.floor(local(t) / HOUR_MS);
    if (s === prevSlot || s < firstSlot || s >= lastSlot) continue;
    prevSlot = s;
    active[cell(s)]++;
  }
  // The same, pooled over the days of the week.
  const hourExposure = new Array<number>(24).fill(0);
  const hourActive = new Array<number>(24).fill(0);
  for (let c = 0; c < CELLS; c++) {
    hourExposure[c % 24] += exposure[c];
    hourActive[c % 24] += active[c];
  }
  const observedDays = (lastSlot - firstSlot) / 24;
  const profiled = observedDays >= (opts.minProfileDays ?? 3) && times.length > 0;

  /**
   * For the silence [a, b): the usual active hours it covers, and −ln of its chance on an
   * ordinary day. Each covered hour counts −ln(q), q the chance that this hour is silent on
   * this kind of day (weekday or weekend): the share of the *other* such days on which it
   * was, smoothed by half a day and shrunk towards the same share over the whole week. So a
   * camera at an office park, quiet every weekend, is not flagged every Monday, while a
   * camera busy every day still is after a few silent hours; and the silence is judged
   * against the rest of the history, not against itself.
   */
  const judgeSilence = (a: number, b: number): { expected: number; surprise: number } => {
    const la = local(a);
    const lb = local(b);
    const covered = new Map<number, number>();
    const whole = new Array<number>(CELLS).fill(0);
    const hourWhole = new Array<number>(24).fill(0);
    for (let s = Math.floor(la / HOUR_MS); s * HOUR_MS < lb; s++) {
      const overlap = Math.min(lb, (s + 1) * HOUR_MS) - Math.max(la, s * HOUR_MS);
      if (overlap <= 0) continue;
      const c = cell(s);
      covered.set(c, (covered.get(c) ?? 0) + overlap / HOUR_MS);
      if (overlap === HOUR_MS && s >= firstSlot && s < lastSlot) {
        whole[c]++;
        hourWhole[c % 24]++;
      }
    }
    let expected = 0;
    let surprise = 0;
    for (const [c, cov] of covered) {
      const h = c % 24;
      const hourOthers = Math.max(0, hourExposure[h] - hourWhole[h]);
      const hourQuiet = (hourOthers - hourActive[h] + 0.5) / (hourOthers + 1);
      const others = Math.max(0, exposure[c] - whole[c]);
      const q = (others - active[c] + 0.5 + WEEKDAY_SHRINK * hourQuiet) / (others + 1 + WEEKDAY_SHRINK);
      expected += cov * (1 - q);
      surprise += cov * -Math.log(q);
    }
    return { expected, surprise };
  };

  const out: GapFinding[] = [];
  const consider = (a: number, b: number, edge: 'start' | 'end' | 'between' | 'all'): void => {
    const ms = b - a;
    if (ms < HOUR_MS) return;
    const hours = ms / HOUR_MS;
    const j = profiled
      ? judgeSilence(a, b)
      : { expected: hours, surprise: ms >= DAY_MS ? Number.POSITIVE_INFINITY : 0 };
    if (j.surprise < minSurprise) return;
    const severity: Severity = ms >= DAY_MS ? 'critical' : 'warning';
    const span = `from ${when(new Date(a), timeZone)} to ${when(new Date(b), timeZone)} (${describeDuration(ms)})`;
    const why = profiled ? `, hours in which it usually records` : '';
    const message =
      edge === 'all'
        ? `Camera ${subject} recorded nothing ${span}.`
        : edge === 'start'
          ? `Camera ${subject} recorded nothing ${span}, from the start of the period${why}.`
          : edge === 'end'
            ? `Camera ${subject} recorded nothing ${span}, to the end of the period${why}.`
            : `Camera ${subject} recorded nothing ${span}${why}.`;
    out.push({
      severity,
      area: 'camera',
      subject,
      message,
      period: period(new Date(a), new Date(b), timeZone),
      hours: Math.round(hours * 10) / 10,
      expectedActiveHours: Math.round(j.expected * 10) / 10,
      chance: Number.isFinite(j.surprise) ? Math.exp(-j.surprise) : 0,
    });
  };

  if (!times.length) {
    consider(t0, t1, 'all');
    return out;
  }
  consider(t0, times[0], 'start');
  for (let i = 1; i < times.length; i++)
    if (times[i] - times[i - 1] >= HOUR_MS) consider(times[i - 1], times[i], 'between');
  consider(times[times.length - 1], t1, 'end');
  return out;
}

// ---------------------------------------------------------------------------------------
// Camera clocks

export interface ClockBatch {
  /** The batch or drive, for the sentences. */
  id: string;
  cameraId: string;
  /** When the drive went into the camera. */
  installedAt?: Date;
  /** When it was taken out. */
  removedAt: Date;
  /** First and last capture time on the drive; null when it holds none. */
  captures: { first: Date; last: Date } | null;
}

export interface ClockOptions {
  /** For the times in sentences. @default 'UTC' */
  timeZone?: string;
  /** Capture times within this of the swap times are fine. @default 10 */
  toleranceMinutes?: number;
}

/**
 * Capture times that cannot be right: after the drive was taken out, before it went in, or
 * a camera clock drifting steadily from the swap times over successive batches. A camera
 * clock that is wrong moves the dates of recordation, and so the retention dates (§8).
 */
export function findClockTrouble(batches: readonly ClockBatch[], opts: ClockOptions = {}): Finding[] {
  const tol = (opts.toleranceMinutes ?? 10) * 60_000;
  const tz = opts.timeZone ?? 'UTC';
  const out: Finding[] = [];
  const sev = (ms: number): Severity => (ms >= DAY_MS ? 'critical' : 'warning');
  for (const b of batches) {
    if (!b.captures) continue;
    const after = b.captures.last.getTime() - b.removedAt.getTime();
    if (after > tol) {
      out.push({
        severity: sev(after),
        area: 'camera',
        subject: b.cameraId,
        message: `Camera ${b.cameraId}'s drive ${b.id} has captures up to ${when(b.captures.last, tz)}, ${describeDuration(after)} after the drive was taken out at ${when(b.removedAt, tz)}: the camera's clock is ahead.`,
        period: period(b.removedAt, b.captures.last, tz),
      });
    }
    if (b.installedAt) {
      const before = b.installedAt.getTime() - b.captures.first.getTime();
      if (before > tol) {
        out.push({
          severity: sev(before),
          area: 'camera',
          subject: b.cameraId,
          message: `Camera ${b.cameraId}'s drive ${b.id} has captures from ${when(b.captures.first, tz)}, ${describeDuration(before)} before the drive went in at ${when(b.installedAt, tz)}: the camera's clock is behind.`,
          period: period(b.captures.first, b.installedAt, tz),
        });
      }
    }
  }

  // Drift: per camera, the clock's offset estimated at each swap (the midpoint of
  // first−installed and last−removed: someone at the camera sets off its motion sensor on
  // both visits), moving steadily one way by more than the tolerance.
  const byCamera = new Map<string, { at: number; offset: number }[]>();
  for (const b of batches) {
    if (!b.captures || !b.installedAt) continue;
    const offset =
      (b.captures.first.getTime() - b.installedAt.getTime() + (b.captures.last.getTime() - b.removedAt.getTime())) / 2;
    const xs = byCamera.get(b.cameraId) ?? [];
    xs.push({ at: b.removedAt.getTime(), offset });
    byCamera.set(b.cameraId, xs);
  }
  for (const [cameraId, xs] of byCamera) {
    if (xs.length < 3) continue;
    xs.sort((a, b) => a.at - b.at);
    const d = xs.slice(1).map((x, i) => x.offset - xs[i].offset);
    const rising = d.every((v) => v > 0);
    const falling = d.every((v) => v < 0);
    const total = xs[xs.length - 1].offset - xs[0].offset;
    if (!(rising || falling) || Math.abs(total) <= tol) continue;
    const days = Math.max(1, (xs[xs.length - 1].at - xs[0].at) / DAY_MS);
    const per30 = Math.round(Math.abs(total) / 60_000 / (days / 30));
    out.push({
      severity: 'warning',
      area: 'camera',
      subject: cameraId,
      message: `Camera ${cameraId}'s clock is drifting ${rising ? 'ahead' : 'behind'}: about ${plural(per30, 'minute')} every 30 days over its last ${xs.length} swaps; set its clock.`,
      period: period(new Date(xs[0].at), new Date(xs[xs.length - 1].at), tz),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Drives, plate reads, storage

export interface DriveFullInput {
  /** The drive, for the sentences. @default 'drive' */
  subject?: string;
  capacityBytes: number;
  usedBytes: number;
  lastCaptureAt?: Date;
  removedAt: Date;
  timeZone?: string;
  /** Used share at which a drive counts as full. @default 0.98 */
  fullRatio?: number;
  /** Used share at which it is nearly full. @default 0.9 */
  nearlyFullRatio?: number;
}

/**
 * A drive that filled up: critical when it was full and the camera stopped recording well
 * before the drive was taken out (the period is the time lost), a warning when full or
 * nearly full at the swap.
 */
export function findDriveFull(input: DriveFullInput): Finding[] {
  const subject = input.subject ?? 'drive';
  const tz = input.timeZone ?? 'UTC';
  if (!(input.capacityBytes > 0)) return [];
  const used = input.usedBytes / input.capacityBytes;
  const pct = Math.round(used * 100);
  if (used >= (input.fullRatio ?? 0.98)) {
    const lost = input.lastCaptureAt ? input.removedAt.getTime() - input.lastCaptureAt.getTime() : 0;
    if (input.lastCaptureAt && lost >= HOUR_MS) {
      return [
        {
          severity: 'critical',
          area: 'storage',
          subject,
          message: `Drive ${subject} was full (${pct}%): nothing was recorded from ${when(input.lastCaptureAt, tz)} until it was taken out at ${when(input.removedAt, tz)} (${describeDuration(lost)}); swap it more often or use a larger drive.`,
          period: period(input.lastCaptureAt, input.removedAt, tz),
        },
      ];
    }
    return [
      {
        severity: 'warning',
        area: 'storage',
        subject,
        message: `Drive ${subject} was full (${pct}%) when it was taken out; swap it more often or use a larger drive.`,
      },
    ];
  }
  if (used >= (input.nearlyFullRatio ?? 0.9)) {
    return [
      {
        severity: 'warning',
        area: 'storage',
        subject,
        message: `Drive ${subject} was ${pct}% full when it was taken out; it will soon fill before a swap.`,
      },
    ];
  }
  return [];
}

export interface PlateReadDay {
  /** YYYY-MM-DD, local. */
  date: string;
  images: number;
  /** Images with a readable plate. */
  readable: number;
}

export interface PlateReadOptions {
  subject?: string;
  /** A relative fall of this much from the baseline is a warning. @default 0.3 */
  warnFall?: number;
  /** …and of this much critical. @default 0.5 */
  criticalFall?: number;
  /** Days with fewer images are not judged (they neither start nor end a fall). @default 20 */
  minImagesPerDay?: number;
  /** The fall must last at least this many judged days. @default 2 */
  minDays?: number;
  /** Baseline days needed before a fall can be judged. @default 3 */
  minBaselineDays?: number;
}

/**
 * A fall in the share of images with a readable plate (a dirty or misaimed lens, a failing
 * infrared light), compared with the camera's own baseline: the median daily share before
 * the trailing run of low days.
 */
export function findPlateReadFall(perDay: readonly PlateReadDay[], opts: PlateReadOptions = {}): Finding[] {
  const subject = opts.subject ?? 'camera';
  const minImages = opts.minImagesPerDay ?? 20;
  const warnFall = opts.warnFall ?? 0.3;
  const critFall = opts.criticalFall ?? 0.5;
  const days = [...perDay].filter((d) => d.images >= minImages).sort((a, b) => a.date.localeCompare(b.date));
  const shareOf = (d: PlateReadDay): number => d.readable / d.images;
  // Find the trailing run of days below the warning line of the baseline before it. The
  // baseline depends on where the run starts, so grow the run back while its days stay low.
  let start = days.length;
  for (;;) {
    const base = median(days.slice(0, start - 1).map(shareOf));
    if (start - 1 < (opts.minBaselineDays ?? 3) || base === undefined) break;
    if (shareOf(days[start - 1]) < base * (1 - warnFall)) start--;
    else break;
  }
  const run = days.slice(start);
  if (run.length < (opts.minDays ?? 2)) return [];
  const base = median(days.slice(0, start).map(shareOf))!;
  const runShare = run.reduce((s, d) => s + d.readable, 0) / run.reduce((s, d) => s + d.images, 0);
  const severity: Severity = runShare < base * (1 - critFall) ? 'critical' : 'warning';
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  return [
    {
      severity,
      area: 'camera',
      subject,
      message: `Camera ${subject} read a plate in ${pct(runShare)} of its images from ${run[0].date} to ${run[run.length - 1].date}, against ${pct(base)} before; check its lens, aim and lighting.`,
      period: { from: run[0].date, to: run[run.length - 1].date },
    },
  ];
}

function median(xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface StorageInput {
  freeBytes: number;
  /** Average bytes imported per day (recent). */
  bytesPerDay: number;
  /** @default 30 */
  warnDays?: number;
  /** @default 7 */
  criticalDays?: number;
}

/** How many days of imports the home's disk has left. */
export function findStorageTrouble(input: StorageInput): Finding[] {
  if (!(input.bytesPerDay > 0)) return [];
  const days = Math.floor(input.freeBytes / input.bytesPerDay);
  const gb = (b: number): string => (b / 1e9).toFixed(b >= 1e10 ? 0 : 1);
  const words = `The home's disk has about ${plural(Math.max(0, days), 'day')} of imports left (${gb(input.freeBytes)} GB free, ${gb(input.bytesPerDay)} GB a day).`;
  if (days < (input.criticalDays ?? 7))
    return [{ severity: 'critical', area: 'storage', subject: 'home', message: words }];
  if (days < (input.warnDays ?? 30)) return [{ severity: 'warning', area: 'storage', subject: 'home', message: words }];
  return [];
}

/**
 * Which files (indices 0..fileCount−1 in a stable order) to re-hash this month. A fixed
 * pseudo-random permutation (i ↦ a·i + b mod n, a coprime with n) is cut into consecutive
 * slices of `sampleSize`, month after month, so the sample looks random but every file is
 * checked within ceil(n / sampleSize) months. Returned sorted.
 */
export function planFixitySample(
  fileCount: number,
  monthIndex: number,
  sampleSize: number,
  seed = 0x2545f491,
): number[] {
  const n = Math.floor(fileCount);
  const k = Math.min(Math.max(0, Math.floor(sampleSize)), n);
  if (n <= 0 || k <= 0) return [];
  if (k === n) return Array.from({ length: n }, (_, i) => i);
  let a = (Math.abs(seed) % n) | 1;
  while (gcd(a, n) !== 1) a = (a + 1) % n || 1;
  const b = Math.abs(Math.imul(seed, 0x9e3779b1)) % n;
  const months = Math.ceil(n / k);
  const m = ((Math.floor(monthIndex) % months) + months) % months;
  const out: number[] = [];
  for (let j = m * k; j < m * k + k; j++) {
    const pos = j % n; // the last slice wraps round to the first files again
    out.push(Number((BigInt(a) * BigInt(pos) + BigInt(b)) % BigInt(n)));
  }
  return [...new Set(out)].sort((x, y) => x - y);
}

function gcd(x: number, y: number): number {
  while (y) [x, y] = [y, x % y];
  return x;
}

// ---------------------------------------------------------------------------------------
// Duties

export interface DutyInput {
  /** Policy §8. */
  batches?: readonly BatchRetentionInput[];
  retentionDays?: number;
  holds?: readonly HoldRef[];
  /** Releases awaiting the written acknowledgement (policy §5). */
  receipts?: readonly { id: string; releasedAt: Date; acknowledgedAt?: Date; agency?: string; ackDays?: number }[];
  /** Purges that destroyed data and have no certificate of destruction (policy §8). */
  uncertifiedPurges?: readonly { id: string; finishedAt: Date }[];
  /** @default 10 */
  ackDays?: number;
  requests?: readonly { id: string; openedAt: Date; closedAt?: Date; agency?: string }[];
  /** @default 30 */
  openRequestDays?: number;
  /** Active operators and when their training was recorded (policy §3). */
  operators?: readonly { id: string; trainedAt?: Date; trainingExpiresAt?: Date; active?: boolean }[];
  /** Searches over the period, and the request each was made under (policy §1, Civ. Code 1798.90.52). */
  searches?: readonly AuditedSearch[];
  /** Requests with how many releases each had (a request searched for and never answered is audited). */
  requestReleases?: readonly AuditedRequest[];
  /** The period the searches cover, for the sentences (the last check to now). */
  searchPeriod?: { from?: Date; to: Date };
  timeZone?: string;
}

/** A search as the access record holds it. */
export interface AuditedSearch {
  id: string;
  at: Date;
  operatorId?: string;
  requestId?: string;
  purpose?: string;
}

export interface AuditedRequest {
  id: string;
  agency?: string;
  receivedAt: Date;
  status: string;
  releases: number;
}

export interface SearchAudit {
  /** Searches in the period. */
  searches: number;
  /** Searches tied to no request (a case number typed, or nothing). */
  untied: AuditedSearch[];
  /** Searches by operator and purpose, most first. */
  byOperatorPurpose: { operator: string; purpose: string; searches: number; untied: number }[];
  /** Requests received up to the end of the period with no release (denied and withdrawn ones aside). */
  requestsWithoutRelease: AuditedRequest[];
}

/**
 * The search audit (policy §1; Civ. Code 1798.90.52; the State Auditor's report 2019-118 found
 * agencies did not audit searches): which searches were tied to no request, who searched for
 * what purpose, and which requests were never answered with a release.
 */
export function searchAudit(
  searches: readonly AuditedSearch[],
  requests: readonly AuditedRequest[],
  period: { from?: Date; to: Date },
): SearchAudit {
  const inP = (d: Date): boolean =>
    (!period.from || d.getTime() >= period.from.getTime()) && d.getTime() <= period.to.getTime();
  const xs = searches.filter((x) => inP(x.at));
  const groups = new Map<string, { operator: string; purpose: string; searches: number; untied: number }>();
  for (const x of xs) {
    const operator = x.operatorId ?? '(unknown)';
    const purpose = x.purpose ?? '(none)';
    const g = groups.get(`${operator}\u0000${purpose}`) ?? { operator, purpose, searches: 0, untied: 0 };
    g.searches++;
    if (!x.requestId) g.untied++;
    groups.set(`${operator}\u0000${purpose}`, g);
  }
  return {
    searches: xs.length,
    untied: xs.filter((x) => !x.requestId),
    byOperatorPurpose: [...groups.values()].sort(
      (a, b) => b.searches - a.searches || a.operator.localeCompare(b.operator) || a.purpose.localeCompare(b.purpose),
    ),
    requestsWithoutRelease: requests.filter(
      (q) =>
        q.releases === 0 &&
        q.receivedAt.getTime() <= period.to.getTime() &&
        q.status !== 'denied' &&
        q.status !== 'withdrawn',
    ),
  };
}

function searchAuditFindings(input: DutyInput, now: Date, date: (d: Date) => string): Finding[] {
  const period = input.searchPeriod ?? { to: now };
  const a = searchAudit(input.searches ?? [], input.requestReleases ?? [], period);
  const out: Finding[] = [];
  const since = period.from ? ` since ${date(period.from)}` : '';
  if (a.untied.length) {
    out.push({
      severity: 'warning',
      area: 'duty',
      subject: 'searches',
      message: `${a.untied.length === 1 ? '1 search was' : `${a.untied.length} searches were`} not tied to a request${since} (${list(a.untied.map((x) => x.id))}); every search must serve a named investigation (policy §1).`,
    });
  }
  for (const g of a.byOperatorPurpose) {
    out.push({
      severity: 'info',
      area: 'duty',
      subject: `searches:${g.operator}`,
      message: `Operator ${g.operator} made ${plural(g.searches, 'search', 'searches')} for "${g.purpose}"${since}${g.untied ? `, ${g.untied} not tied to a request` : ', all under a request'} (Civ. Code 1798.90.52).`,
    });
  }
  for (const q of a.requestsWithoutRelease) {
    out.push({
      severity: q.status === 'fulfilled' ? 'warning' : 'info',
      area: 'duty',
      subject: q.id,
      message:
        q.status === 'fulfilled'
          ? `Request ${q.id}${q.agency ? ` from ${q.agency}` : ''} is marked fulfilled but has no release on record (policy §5).`
          : `Request ${q.id}${q.agency ? ` from ${q.agency}` : ''} (received ${date(q.receivedAt)}, ${q.status}) has no release.`,
    });
  }
  return out;
}

/**
 * The custodian's duties as findings: destruction overdue, holds past review, releases not
 * acknowledged, requests open too long, operators without training, searches not tied to a
 * request.
 */
export function dutyFindings(input: DutyInput, now: Date): Finding[] {
  const tz = input.timeZone ?? 'UTC';
  const date = (d: Date): string => isoInZone(d, tz).slice(0, 10);
  const t = now.getTime();
  const out: Finding[] = [];

  if (input.batches?.length) {
    const status = retentionStatus({ batches: input.batches, drives: [] }, now, {
      retentionDays: input.retentionDays ?? 60,
    });
    for (const b of status.batches) {
      if (b.state !== 'due' || !b.dueDate) continue;
      out.push({
        severity: b.overdueDays >= 7 ? 'critical' : 'warning',
        area: 'duty',
        subject: b.id,
        message:
          b.overdueDays === 0
            ? `Import batch ${b.id} reached its destruction date today and is not yet destroyed (policy §8).`
            : `Import batch ${b.id} is ${plural(b.overdueDays, 'day')} past its destruction date of ${date(b.dueDate)} and is not destroyed (policy §8).`,
        period: { from: isoInZone(b.dueDate, tz), to: isoInZone(now, tz) },
      });
    }
  }

  for (const h of input.holds ?? []) {
    if (!holdStands(h, now) || h.reviewDate.getTime() > t) continue;
    out.push({
      severity: 'warning',
      area: 'duty',
      subject: h.id,
      message: `Hold ${h.id} was due for review on ${date(h.reviewDate)}; confirm the investigation or proceeding still needs it, or release it (policy §8).`,
    });
  }

  for (const p of input.uncertifiedPurges ?? [])
    out.push({
      severity: 'warning',
      area: 'duty',
      subject: p.id,
      message: `Purge ${p.id} destroyed data on ${date(p.finishedAt)} and has no certificate of destruction (policy §8); \`custody purge --yes\` writes it from the recorded facts.`,
    });

  const ackDays = input.ackDays ?? 10;
  for (const r of input.receipts ?? []) {
    if (r.acknowledgedAt && r.acknowledgedAt.getTime() <= t) continue;
    const due = addDays(r.releasedAt, r.ackDays ?? ackDays);
    if (due.getTime() > t) continue;
    out.push({
      severity: 'warning',
      area: 'duty',
      subject: r.id,
      message: `Release ${r.id}${r.agency ? ` to ${r.agency}` : ''} on ${date(r.releasedAt)} has no written acknowledgement of receipt after ${plural(ageDays(r.releasedAt, now), 'day')} (policy §5).`,
    });
  }

  const openDays = input.openRequestDays ?? 30;
  for (const q of input.requests ?? []) {
    if (q.closedAt && q.closedAt.getTime() <= t) continue;
    const age = ageDays(q.openedAt, now);
    if (age < openDays) continue;
    out.push({
      severity: 'info',
      area: 'duty',
      subject: q.id,
      message: `Request ${q.id}${q.agency ? ` from ${q.agency}` : ''} has been open for ${plural(age, 'day')}; fulfil or close it.`,
    });
  }

  for (const o of input.operators ?? []) {
    if (o.active === false) continue;
    const trained = o.trainedAt && o.trainedAt.getTime() <= t;
    const expired = o.trainingExpiresAt && o.trainingExpiresAt.getTime() <= t;
    if (trained && !expired) continue;
    out.push({
      severity: 'warning',
      area: 'duty',
      subject: o.id,
      message: expired
        ? `Operator ${o.id}'s training expired on ${date(o.trainingExpiresAt!)}; they may not use the system until trained again (policy §3).`
        : `Operator ${o.id} has no training on record; they may not use the system until trained (policy §3).`,
    });
  }

  out.push(...searchAuditFindings(input, now, date));
  return out;
}

// ---------------------------------------------------------------------------------------

export interface HealthSummary {
  critical: number;
  warning: number;
  info: number;
  /** The health command exits with EXIT.critical when true. */
  exitCritical: boolean;
}

export function summarize(findings: readonly Finding[]): HealthSummary {
  const s = { critical: 0, warning: 0, info: 0 };
  for (const f of findings) s[f.severity]++;
  return { ...s, exitCritical: s.critical > 0 };
}

const ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Most severe first, then by area and subject (stable for reports and snapshots). */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      ORDER[a.severity] - ORDER[b.severity] ||
      a.area.localeCompare(b.area) ||
      a.subject.localeCompare(b.subject) ||
      a.message.localeCompare(b.message),
  );
}
