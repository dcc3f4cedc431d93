/**
 * Breaches (policy §10; Cal. Civ. Code 1798.29), the contractor's ALPR system (policy §2, §5) and
 * the public transparency report: the queries and decisions the commands and the health check
 * share. The duty rules (`breachDuties`) are pure functions of a row and today's date.
 */
import { CustodyError } from '../core/errors.js';
import type { Finding } from '../core/health.js';
import { destructionDate, type HoldRef } from '../core/retention.js';
import { DAY_MS, isoInZone, localDate, startOfLocalDate } from '../core/time.js';
import type { Session } from './session.js';
import { accessLog, auditedRequests } from './access.js';
import { batchHolds } from './purge.js';

/** Policy §10: the notice stays posted on the website for at least this many days. */
export const POSTING_DAYS = 30;

export interface BreachRow {
  id: string;
  status: 'open' | 'closed';
  opened_at: string;
  opened_by: string;
  discovered_at: string;
  occurred_date: string | null;
  occurred_from: string | null;
  occurred_to: string | null;
  occurred_estimated: number;
  what_happened: string;
  information_involved: string;
  information_types: string;
  what_we_are_doing: string;
  what_you_can_do: string | null;
  more_information: string | null;
  delayed_by_law_enforcement: number;
  /** Law enforcement asked the city to wait until this day (Civ. Code 1798.29(c)). */
  delayed_until: string | null;
  contact: string;
  notice_date: string | null;
  notice_pdf_sha256: string | null;
  notice_html_sha256: string | null;
  notice_written_at: string | null;
  posted_on: string | null;
  posted_url: string | null;
  media_on: string | null;
  media_outlets: string | null;
  ois_on: string | null;
  closed_at: string | null;
  closed_by: string | null;
  close_note: string | null;
}

export interface BreachContact {
  name?: string;
  title?: string;
  phone: string;
  email?: string;
  address?: string;
  website?: string;
}

export interface PermitRow {
  id: string;
  contractor: string;
  scope: string;
  starts_on: string;
  ends_on: string;
  document_name: string;
  document_sha256: string;
  document_bytes: number;
  signed_by: string | null;
  recorded_at: string;
  recorded_by: string;
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
}

export interface ContractorRequestRow {
  id: string;
  contractor: string;
  agency: string;
  agency_id: string | null;
  agency_kind: string | null;
  officer: string;
  badge: string | null;
  case_number: string;
  purpose: string;
  requested_on: string;
  status: 'open' | 'fulfilled' | 'denied' | 'withdrawn';
  status_at: string;
  status_reason: string | null;
  recorded_at: string;
  recorded_by: string;
}

// ---------------------------------------------------------------------------------------------
// Dates (calendar dates, YYYY-MM-DD, in the home's zone)

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function isDate(s: string): boolean {
  return (
    DATE_RE.test(s) &&
    !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) &&
    new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s
  );
}

export function addDaysToDate(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from date `a` to date `b`. */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

// ---------------------------------------------------------------------------------------------
// Breaches

export function nextId(
  s: Session,
  table: 'breaches' | 'contractor_permits' | 'contractor_requests',
  prefix: string,
): string {
  const n = Number(s.ledger.one<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)?.n ?? 0);
  for (let i = n + 1; ; i++) {
    const id = `${prefix}${i}`;
    if (!s.ledger.one(`SELECT id FROM ${table} WHERE id = ?`, [id])) return id;
  }
}

export function findBreach(s: Session, id: string): BreachRow {
  const b = s.ledger.one<BreachRow>('SELECT * FROM breaches WHERE id = ?', [id]);
  if (!b) throw new CustodyError('notFound', `No breach ${id}.`, 'See `custody breach list`.');
  return b;
}

export function allBreaches(s: Session): BreachRow[] {
  return s.ledger.rows<BreachRow>('SELECT * FROM breaches ORDER BY opened_at, id');
}

export interface BreachDuty {
  duty: 'delayed' | 'posted' | 'posting-period' | 'media' | 'ois';
  severity: Finding['severity'];
  /** Short words for the log-in line. */
  short: string;
  /** One sentence for the health check. */
  message: string;
}

export interface BreachDutyState {
  /** The day the 30 days of posting end (the notice may come down from then), once posted. */
  postingEnds: string | null;
  unmet: BreachDuty[];
}

/**
 * What policy §10 still asks of a breach on `today` (YYYY-MM-DD, the home's zone): the notice
 * posted on the website and kept there for 30 days, major statewide media told, the state's
 * Office of Information Security told. A closed breach asks nothing.
 */
export function breachDuties(
  b: Pick<BreachRow, 'id' | 'status' | 'posted_on' | 'media_on' | 'ois_on'> & Partial<Pick<BreachRow, 'delayed_until'>>,
  today: string,
): BreachDutyState {
  const postingEnds = b.posted_on ? addDaysToDate(b.posted_on, POSTING_DAYS) : null;
  const unmet: BreachDuty[] = [];
  if (b.status !== 'open') return { postingEnds, unmet };
  // Civ. Code 1798.29(c): notice waits while law enforcement says it would impede a criminal
  // investigation; the duties start when that delay ends.
  if (b.delayed_until && today < b.delayed_until && !b.posted_on) {
    unmet.push({
      duty: 'delayed',
      severity: 'info',
      short: `notice delayed at law enforcement's request until ${b.delayed_until}; then post it and notify`,
      message: `Breach ${b.id}: notice is delayed at law enforcement's request until ${b.delayed_until} (Civ. Code 1798.29(c)); then post it for ${POSTING_DAYS} days and notify statewide media and the Office of Information Security (policy §10).`,
    });
    return { postingEnds, unmet };
  }
  const cmd = `custody breach duty ${b.id}`;
  if (!b.posted_on) {
    unmet.push({
      duty: 'posted',
      severity: 'warning',
      short: `notice not yet posted on the website (for at least ${POSTING_DAYS} days)`,
      message: `Breach ${b.id}: the Notice of Data Breach is not yet posted on the city's website, where it must stay for at least ${POSTING_DAYS} days (policy §10; record it with \`${cmd} --posted DATE\`).`,
    });
  } else if (postingEnds && today < postingEnds) {
    const left = daysBetween(today, postingEnds);
    unmet.push({
      duty: 'posting-period',
      severity: 'info',
      short: `keep the notice posted until at least ${postingEnds} (the ${POSTING_DAYS} days end then; ${left} ${left === 1 ? 'day' : 'days'} left)`,
      message: `Breach ${b.id}: the notice was posted on ${b.posted_on}; keep it posted until at least ${postingEnds}, when the ${POSTING_DAYS} days end (policy §10).`,
    });
  }
  if (!b.media_on) {
    unmet.push({
      duty: 'media',
      severity: 'warning',
      short: 'major statewide media not yet notified',
      message: `Breach ${b.id}: major statewide media have not been notified (policy §10; record it with \`${cmd} --media DATE --outlets ...\`).`,
    });
  }
  if (!b.ois_on) {
    unmet.push({
      duty: 'ois',
      severity: 'warning',
      short: "the state's Office of Information Security not yet notified",
      message: `Breach ${b.id}: the state's Office of Information Security has not been notified (policy §10; record it with \`${cmd} --ois DATE\`).`,
    });
  }
  return { postingEnds, unmet };
}

function today(s: Session): string {
  return localDate(s.clock(), s.settings.timeZone);
}

function hasTable(s: Session, name: string): boolean {
  return !!s.ledger.one("SELECT name FROM sqlite_master WHERE type='table' AND name=?", [name]);
}

/** Each open breach's unmet duties, for the health check (area 'duty'). */
export function breachFindings(
  s: Session,
): { severity: Finding['severity']; area: 'duty'; subject: string; message: string }[] {
  if (!hasTable(s, 'breaches')) return [];
  const t = today(s);
  return s.ledger.rows<BreachRow>("SELECT * FROM breaches WHERE status = 'open' ORDER BY opened_at, id").flatMap((b) =>
    breachDuties(b, t).unmet.map((d) => ({
      severity: d.severity,
      area: 'duty' as const,
      subject: b.id,
      message: d.message,
    })),
  );
}

/**
 * One line per open breach whose duties are not all met (printed at log-in): `Overdue:` while the
 * notice is not posted or media or the Office of Information Security are not told (policy §10
 * asks for them without delay), `Due:` while it only has to stay posted or is delayed.
 */
export function breachNoticeLines(s: Session): string[] {
  if (!hasTable(s, 'breaches')) return [];
  const t = today(s);
  return s.ledger
    .rows<BreachRow>("SELECT * FROM breaches WHERE status = 'open' ORDER BY opened_at, id")
    .flatMap((b) => {
      const d = breachDuties(b, t);
      if (!d.unmet.length) return [];
      const lead = d.unmet.some((u) => u.severity !== 'info') ? 'Overdue' : 'Due';
      return [
        `${lead}: breach ${b.id} (discovered ${b.discovered_at.slice(0, 10)}, policy §10): ${d.unmet.map((u) => u.short).join('; ')}.`,
      ];
    });
}

export type BreachJson = ReturnType<typeof breachJson>;

export function breachJson(b: BreachRow, todayDate: string) {
  const d = breachDuties(b, todayDate);
  return {
    id: b.id,
    status: b.status,
    openedAt: b.opened_at,
    openedBy: b.opened_by,
    discoveredAt: b.discovered_at,
    occurred:
      b.occurred_from || b.occurred_to
        ? { from: b.occurred_from, to: b.occurred_to, estimated: !!b.occurred_estimated }
        : b.occurred_date
          ? { date: b.occurred_date, estimated: !!b.occurred_estimated }
          : null,
    whatHappened: b.what_happened,
    informationInvolved: b.information_involved,
    informationTypes: JSON.parse(b.information_types) as string[],
    whatWeAreDoing: b.what_we_are_doing,
    whatYouCanDo: b.what_you_can_do,
    moreInformation: b.more_information,
    delayedByLawEnforcement: !!b.delayed_by_law_enforcement,
    delayedUntil: b.delayed_until,
    contact: JSON.parse(b.contact) as BreachContact,
    notice: b.notice_date
      ? {
          date: b.notice_date,
          writtenAt: b.notice_written_at,
          pdfSha256: b.notice_pdf_sha256,
          htmlSha256: b.notice_html_sha256,
        }
      : null,
    duties: {
      posted: b.posted_on ? { on: b.posted_on, url: b.posted_url, until: d.postingEnds } : null,
      media: b.media_on ? { on: b.media_on, outlets: JSON.parse(b.media_outlets ?? '[]') as string[] } : null,
      ois: b.ois_on ? { on: b.ois_on } : null,
      unmet: d.unmet.map((u) => ({ duty: u.duty, severity: u.severity, message: u.message })),
    },
    closedAt: b.closed_at,
    closedBy: b.closed_by,
    closeNote: b.close_note,
  };
}

// ---------------------------------------------------------------------------------------------
// The contractor's ALPR system

export function permitActive(p: Pick<PermitRow, 'starts_on' | 'ends_on' | 'revoked_at'>, todayDate: string): boolean {
  return !p.revoked_at && p.starts_on <= todayDate && todayDate <= p.ends_on;
}

export function allPermits(s: Session): PermitRow[] {
  return s.ledger.rows<PermitRow>('SELECT * FROM contractor_permits ORDER BY starts_on, id');
}

/** The city's written permissions for its contractor to access footage that are in force today. */
export function activeContractorPermits(s: Session): PermitRow[] {
  if (!hasTable(s, 'contractor_permits')) return [];
  const t = today(s);
  return allPermits(s).filter((p) => permitActive(p, t));
}

export function findPermit(s: Session, id: string): PermitRow {
  const p = s.ledger.one<PermitRow>('SELECT * FROM contractor_permits WHERE id = ?', [id]);
  if (!p) throw new CustodyError('notFound', `No contractor permission ${id}.`, 'See `custody contractor list`.');
  return p;
}

export function findContractorRequest(s: Session, id: string): ContractorRequestRow {
  const r = s.ledger.one<ContractorRequestRow>('SELECT * FROM contractor_requests WHERE id = ?', [id]);
  if (!r) throw new CustodyError('notFound', `No contractor request ${id}.`, 'See `custody contractor requests`.');
  return r;
}

export type PermitJson = ReturnType<typeof permitJson>;

export function permitJson(p: PermitRow, todayDate: string) {
  return {
    id: p.id,
    contractor: p.contractor,
    scope: p.scope,
    from: p.starts_on,
    until: p.ends_on,
    active: permitActive(p, todayDate),
    document: { name: p.document_name, sha256: p.document_sha256, bytes: p.document_bytes },
    signedBy: p.signed_by,
    recordedAt: p.recorded_at,
    recordedBy: p.recorded_by,
    revokedAt: p.revoked_at,
    revokedBy: p.revoked_by,
    revokeReason: p.revoke_reason,
  };
}

/** The log of requests for data held by the contractor, oldest first. */
export function allContractorRequests(s: Session): ContractorRequestRow[] {
  return s.ledger.rows<ContractorRequestRow>('SELECT * FROM contractor_requests ORDER BY requested_on, id');
}

export type ContractorRequestJson = ReturnType<typeof contractorRequestJson>;

export function contractorRequestJson(r: ContractorRequestRow) {
  return {
    id: r.id,
    contractor: r.contractor,
    agency: r.agency,
    agencyId: r.agency_id,
    agencyKind: r.agency_kind,
    officer: r.officer,
    badge: r.badge,
    case: r.case_number,
    purpose: r.purpose,
    requestedOn: r.requested_on,
    status: r.status,
    statusAt: r.status_at,
    statusReason: r.status_reason,
    recordedAt: r.recorded_at,
    recordedBy: r.recorded_by,
  };
}

/** An agency named on a contractor request: the register's entry when the id is known there. */
export function agencyForContractorRequest(
  s: Session,
  agency: string,
): { agencyId: string | null; agencyKind: string | null; name: string } {
  if (hasTable(s, 'agencies')) {
    const a = s.ledger.one<{ id: string; name: string; kind: string }>(
      'SELECT id, name, kind FROM agencies WHERE id = ?',
      [agency],
    );
    if (a) return { agencyId: a.id, agencyKind: a.kind, name: a.name };
  }
  return { agencyId: null, agencyKind: null, name: agency };
}

// ---------------------------------------------------------------------------------------------
// Transparency report: counts only, never a plate, a name, a badge, a case number or a place.

export interface KindCounts {
  kind: string;
  received: number;
  fulfilled: number;
  denied: number;
  withdrawn: number;
}

export interface TransparencyData {
  organization: string;
  custodianTitle: string;
  period: { from: string; to: string };
  generatedAt: string;
  /** The moment what is held, standing or overdue "at the end" is counted at: the period's end, or now when it ends today. */
  countedTo: string;
  cameras: { inService: number; addedInPeriod: number; retiredInPeriod: number };
  images: { importedInPeriod: number; heldAtEnd: number; batchesHeldAtEnd: number };
  retentionDays: number;
  requests: { total: KindCounts; byAgencyKind: KindCounts[]; source: 'requests' | 'not recorded' };
  contractor: {
    requests: { total: KindCounts; byAgencyKind: KindCounts[] };
    permissionsInForce: number;
    permissionsGranted: number;
  };
  releases: number | null;
  /** The custodian's signed overrides of an agency's eligibility (policy §4/§5): signed, releases resting on one, revocations. */
  overrides: { signed: number; releases: number; revoked: number };
  holds: { placed: number; released: number; standingAtEnd: number } | null;
  /**
   * Destruction counted by recording day and by image (policy §8 destroys each image on its own
   * date, by recording day), from the purge events' record (`batch_days`; a batch destroyed whole
   * before days were recorded counts as one day). On time: within a day of the day's own date.
   */
  destruction: {
    recordingDaysDestroyed: number;
    imagesDestroyed: number;
    /** Batches whose last recording day (or whole self) was destroyed in the period. */
    batchesDestroyed: number;
    onTime: number;
    late: number;
    afterHold: number;
    imagesOnTime: number;
    imagesLate: number;
    imagesAfterHold: number;
    /** Recording days past their date, not held, not destroyed at the end of the period. */
    overdueAtEnd: number;
  } | null;
  health: { checksRun: number; problemsLogged: number; outageDays: number } | null;
  searches: {
    run: number;
    imageViews: number;
    exports: number;
    /** Searches tied to no request (policy §1). */
    notTiedToRequest: number;
    /** Requests received in the period that had no release. */
    requestsWithoutRelease: number;
  };
  breaches: { discovered: number };
  ledgerHead: string;
}

function emptyCounts(kind: string): KindCounts {
  return { kind, received: 0, fulfilled: 0, denied: 0, withdrawn: 0 };
}

function countByKind(
  items: { kind: string; received: boolean; fulfilled: boolean; denied: boolean; withdrawn: boolean }[],
  kinds: readonly string[],
): { total: KindCounts; byAgencyKind: KindCounts[] } {
  const by = new Map<string, KindCounts>(kinds.map((k) => [k, emptyCounts(k)]));
  const total = emptyCounts('all');
  for (const it of items) {
    const c = by.get(it.kind) ?? by.set(it.kind, emptyCounts(it.kind)).get(it.kind)!;
    for (const x of [c, total]) {
      if (it.received) x.received++;
      if (it.fulfilled) x.fulfilled++;
      if (it.denied) x.denied++;
      if (it.withdrawn) x.withdrawn++;
    }
  }
  return { total, byAgencyKind: [...by.values()] };
}

const AGENCY_KINDS = ['law-enforcement', 'prosecutorial', 'other'] as const;

/** Overrides signed and releases resting on one, in the period (read from the event log, where both are). */
function overrideCounts(s: Session, inP: (iso: string) => boolean): TransparencyData['overrides'] {
  const events = (type: string) =>
    s.ledger
      .rows<{ at: string; data: string }>('SELECT at, data FROM events WHERE type = ?', [type])
      .filter((e) => inP(e.at));
  return {
    signed: events('agency.confirmed').length,
    releases: events('release.recorded').filter((e) => 'override' in (JSON.parse(e.data) as object)).length,
    revoked: events('agency.confirmation_revoked').length,
  };
}

/** The numbers of the public transparency report for the calendar dates `from`..`to` (inclusive). */
export function transparencyData(s: Session, from: string, to: string): TransparencyData {
  const settings = s.settings;
  const tz = settings.timeZone;
  const start = startOfLocalDate(from, tz).getTime();
  // What is counted "at the end" is never later than now: a period ending today is counted as of
  // the time prepared (a period ending after today is refused by operations/transparency.ts).
  const end = Math.min(startOfLocalDate(addDaysToDate(to, 1), tz).getTime(), s.clock().getTime() + 1);
  const inP = (iso: string | null | undefined): boolean => {
    if (!iso) return false;
    if (isDate(iso)) return iso >= from && iso <= to;
    const t = Date.parse(iso);
    return t >= start && t < end;
  };
  const before = (iso: string | null | undefined, t: number): boolean =>
    !!iso && (isDate(iso) ? startOfLocalDate(iso, tz).getTime() : Date.parse(iso)) < t;

  const cams = s.ledger.rows<{ in_service_since: string; retired_at: string | null }>(
    'SELECT in_service_since, retired_at FROM cameras',
  );
  const cameras = {
    inService: cams.filter((c) => before(c.in_service_since, end) && !before(c.retired_at, start)).length,
    addedInPeriod: cams.filter((c) => inP(c.in_service_since)).length,
    retiredInPeriod: cams.filter((c) => inP(c.retired_at)).length,
  };

  const batches = s.ledger.rows<{
    id: string;
    stored: number | null;
    finished_at: string | null;
    recorded_first: string | null;
    recorded_last: string | null;
    destroyed_at: string | null;
    key_destroyed_at: string | null;
  }>(
    "SELECT id, stored, finished_at, recorded_first, recorded_last, destroyed_at, key_destroyed_at FROM batches WHERE status = 'imported'",
  );
  const gone = (b: (typeof batches)[number]) => b.key_destroyed_at ?? b.destroyed_at;
  const heldAtEnd = batches.filter((b) => before(b.finished_at, end) && !before(gone(b), end));
  // Recording days destroyed before the end no longer hold their images (policy §8 destroys by day).
  const goneDays = destroyedDays(s).filter((d) => before(d.key_destroyed_at ?? d.destroyed_at, end));
  const daysGoneBefore = (id: string) =>
    goneDays.filter((d) => d.batch_id === id).reduce((a, d) => a + (d.stored ?? 0), 0);
  const images = {
    importedInPeriod: batches.filter((b) => inP(b.finished_at)).reduce((a, b) => a + (b.stored ?? 0), 0),
    heldAtEnd: heldAtEnd.reduce((a, b) => a + Math.max(0, (b.stored ?? 0) - daysGoneBefore(b.id)), 0),
    batchesHeldAtEnd: heldAtEnd.length,
  };

  let requests: TransparencyData['requests'] = { ...countByKind([], AGENCY_KINDS), source: 'not recorded' };
  let releases: number | null = null;
  if (hasTable(s, 'requests') && hasTable(s, 'agencies')) {
    const rows = s.ledger.rows<{ received_at: string; status: string; status_at: string; kind: string | null }>(
      'SELECT r.received_at, r.status, r.status_at, a.kind FROM requests r LEFT JOIN agencies a ON a.id = r.agency_id',
    );
    requests = {
      ...countByKind(
        rows.map((r) => ({
          kind: r.kind ?? 'unregistered',
          received: inP(r.received_at),
          fulfilled: r.status === 'fulfilled' && inP(r.status_at),
          denied: r.status === 'denied' && inP(r.status_at),
          withdrawn: r.status === 'withdrawn' && inP(r.status_at),
        })),
        AGENCY_KINDS,
      ),
      source: 'requests',
    };
    if (hasTable(s, 'releases'))
      releases = s.ledger
        .rows<{ released_at: string }>('SELECT released_at FROM releases')
        .filter((r) => inP(r.released_at)).length;
  }

  const cr = s.ledger.rows<ContractorRequestRow>('SELECT * FROM contractor_requests');
  const permits = allPermits(s);
  const contractor = {
    requests: countByKind(
      cr.map((r) => ({
        kind: r.agency_kind ?? 'unregistered',
        received: inP(r.requested_on),
        fulfilled: r.status === 'fulfilled' && inP(r.status_at),
        denied: r.status === 'denied' && inP(r.status_at),
        withdrawn: r.status === 'withdrawn' && inP(r.status_at),
      })),
      AGENCY_KINDS,
    ),
    permissionsInForce: permits.filter(
      (p) => p.starts_on <= to && p.ends_on >= from && !(p.revoked_at && before(p.revoked_at, start)),
    ).length,
    permissionsGranted: permits.filter((p) => inP(p.recorded_at)).length,
  };

  let holds: TransparencyData['holds'] = null;
  const heldBatches = new Set<string>();
  if (hasTable(s, 'holds')) {
    const hs = s.ledger.rows<{ placed_at: string; released_at: string | null }>(
      'SELECT placed_at, released_at FROM holds',
    );
    holds = {
      placed: hs.filter((h) => inP(h.placed_at)).length,
      released: hs.filter((h) => inP(h.released_at)).length,
      standingAtEnd: hs.filter((h) => before(h.placed_at, end) && !before(h.released_at, end)).length,
    };
    if (hasTable(s, 'hold_items'))
      for (const r of s.ledger.rows<{ item_id: string }>("SELECT item_id FROM hold_items WHERE kind = 'batch'"))
        heldBatches.add(r.item_id);
  }

  const destruction = destructionCounts(s, batches, { start, end, inP });
  let health: TransparencyData['health'] = null;
  if (hasTable(s, 'health_checks') && hasTable(s, 'problems')) {
    const checks = s.ledger.rows<{ at: string }>('SELECT at FROM health_checks').filter((c) => inP(c.at)).length;
    const problems = s.ledger.rows<{ discovered_at: string; down_from: string | null; down_to: string | null }>(
      'SELECT discovered_at, down_from, down_to FROM problems',
    );
    const nowMs = s.clock().getTime();
    let outageMs = 0;
    for (const p of problems) {
      if (!p.down_from) continue;
      const a = Math.max(Date.parse(p.down_from), start);
      const b = Math.min(p.down_to ? Date.parse(p.down_to) : nowMs, end);
      if (b > a) outageMs += b - a;
    }
    health = {
      checksRun: checks,
      problemsLogged: problems.filter((p) => inP(p.discovered_at)).length,
      outageDays: Math.round((outageMs / DAY_MS) * 10) / 10,
    };
  }

  // The whole access record: the archive's rows and the live file's (access.ts).
  const access = hasTable(s, 'access_log') ? accessLog(s).filter((r) => inP(r.at)) : [];
  const searches = {
    run: access.filter((r) => r.action === 'search').length,
    imageViews: access.filter((r) => r.action === 'view').length,
    exports: access.filter((r) => r.action === 'export').length,
    notTiedToRequest: access.filter((r) => r.action === 'search' && !r.request_id).length,
    requestsWithoutRelease: auditedRequests(s).filter(
      (q) => q.releases === 0 && q.status !== 'denied' && q.status !== 'withdrawn' && inP(q.receivedAt.toISOString()),
    ).length,
  };

  return {
    organization: settings.agencyName,
    custodianTitle: settings.custodianTitle,
    period: { from, to },
    generatedAt: s.now(),
    countedTo: isoInZone(new Date(end), tz),
    cameras,
    images,
    retentionDays: settings.retentionDays,
    requests,
    contractor,
    releases,
    overrides: overrideCounts(s, inP),
    holds,
    destruction,
    health,
    searches,
    breaches: { discovered: allBreaches(s).filter((b) => inP(b.discovered_at)).length },
    ledgerHead: s.ledger.head.hash,
  };
}

interface DestroyedDayRow {
  batch_id: string;
  day: string;
  recorded_first: string | null;
  recorded_last: string | null;
  stored: number | null;
  files: number;
  key_destroyed_at: string | null;
  destroyed_at: string | null;
}

/** Every recording day with a destruction on record (key destroyed or files gone). */
function destroyedDays(s: Session): DestroyedDayRow[] {
  if (!hasTable(s, 'batch_days')) return [];
  return s.ledger.rows<DestroyedDayRow>(
    'SELECT batch_id, day, recorded_first, recorded_last, stored, files, key_destroyed_at, destroyed_at FROM batch_days WHERE key_destroyed_at IS NOT NULL OR destroyed_at IS NOT NULL',
  );
}

/** Whether a hold reached the recordings from `first` to `last` (its request's time range, or all of its batch). */
function holdReaches(h: HoldRef, first: number, last: number): boolean {
  if (!h.scope) return true;
  return (!h.scope.from || h.scope.from.getTime() <= last) && (!h.scope.to || h.scope.to.getTime() >= first);
}

/**
 * The destruction counts of a period, by recording day and by image (policy §8): each day against
 * its own destruction date (its newest date of recordation + the retention period).
 */
function destructionCounts(
  s: Session,
  batches: readonly {
    id: string;
    stored: number | null;
    recorded_first?: string | null;
    recorded_last: string | null;
    destroyed_at: string | null;
    key_destroyed_at: string | null;
  }[],
  p: { start: number; end: number; inP: (iso: string | null | undefined) => boolean },
): TransparencyData['destruction'] {
  const cols = s.ledger.rows<{ name: string }>('PRAGMA table_info(batches)').map((c) => c.name);
  if (!cols.includes('destroyed_at')) return null;
  const days = hasTable(s, 'batch_days')
    ? s.ledger.rows<DestroyedDayRow>(
        'SELECT batch_id, day, recorded_first, recorded_last, stored, files, key_destroyed_at, destroyed_at FROM batch_days',
      )
    : [];
  const split = new Set(days.map((d) => d.batch_id));
  const retention = s.settings.retentionDays;
  // The units kept and destroyed: recording days, and batches destroyed whole before days were recorded.
  const units = [
    ...days.map((d) => ({
      batch: d.batch_id,
      first: d.recorded_first,
      last: d.recorded_last,
      images: d.stored ?? d.files,
      gone: d.key_destroyed_at ?? d.destroyed_at,
    })),
    ...batches
      .filter((b) => !split.has(b.id))
      .map((b) => ({
        batch: b.id,
        first: b.recorded_first ?? b.recorded_last,
        last: b.recorded_last,
        images: b.stored ?? 0,
        gone: b.key_destroyed_at ?? b.destroyed_at,
      })),
  ];
  const holdsOf = new Map<string, HoldRef[]>();
  const holds = (batch: string) => {
    if (!holdsOf.has(batch)) holdsOf.set(batch, batchHolds(s, batch));
    return holdsOf.get(batch)!;
  };
  const due = (u: (typeof units)[number]) =>
    u.last ? destructionDate(new Date(u.last), retention).getTime() : undefined;
  const reached = (u: (typeof units)[number]) => {
    const last = u.last ? Date.parse(u.last) : Number.NaN;
    const first = u.first ? Date.parse(u.first) : last;
    return holds(u.batch).filter((h) => holdReaches(h, first, last));
  };
  // A day's grace: purge runs on the day a recording day falls due, not at its exact minute.
  const late = (u: (typeof units)[number]) => {
    const d = due(u);
    return d !== undefined && Date.parse(u.gone!) > d + DAY_MS;
  };
  const destroyed = units.filter((u) => p.inP(u.gone));
  const onTime = destroyed.filter((u) => !late(u));
  const lateHeld = destroyed.filter((u) => late(u) && reached(u).length > 0);
  const lateNotHeld = destroyed.filter((u) => late(u) && reached(u).length === 0);
  const images = (us: typeof units) => us.reduce((a, u) => a + u.images, 0);
  const batchGone = (b: (typeof batches)[number]) => b.key_destroyed_at ?? b.destroyed_at;
  return {
    recordingDaysDestroyed: destroyed.length,
    imagesDestroyed: images(destroyed),
    batchesDestroyed: batches.filter((b) => p.inP(batchGone(b))).length,
    onTime: onTime.length,
    late: lateNotHeld.length,
    afterHold: lateHeld.length,
    imagesOnTime: images(onTime),
    imagesLate: images(lateNotHeld),
    imagesAfterHold: images(lateHeld),
    overdueAtEnd: units.filter((u) => {
      const d = due(u);
      if (d === undefined || d + DAY_MS >= p.end) return false;
      if (u.gone && Date.parse(u.gone) < p.end) return false;
      // Held at the end: a hold reaching it, placed before the end and not released by then.
      return !reached(u).some(
        (h) => (!h.placedAt || h.placedAt.getTime() < p.end) && (!h.releasedAt || h.releasedAt.getTime() >= p.end),
      );
    }).length,
  };
}
