import path from 'node:path';
import { CustodyError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { localDate } from '../core/time.js';
import {
  addDaysToDate,
  allBreaches,
  type BreachContact,
  type BreachJson,
  type BreachRow,
  breachDuties,
  breachJson,
  breachNoticeLines,
  findBreach,
  nextId,
  POSTING_DAYS,
} from '../ledger/breach.js';
import type { OutputMode } from '../ledger/fsutil.js';
import { checkOutput, makeOutputFolder, writeOutput } from '../ledger/outputs.js';
import type { Session } from '../ledger/session.js';
import { requireSignedState } from '../ledger/verify.js';

export { POSTING_DAYS };
export type { BreachJson };

const today = (s: Session) => localDate(s.clock(), s.settings.timeZone);

/**
 * The log-in notice of policy §10: one line per open breach whose notification duties are not all
 * met. A notice must never stop a log-in, so a ledger it cannot read gives no line.
 */
export function breachDutiesNotice(s: Session): string[] {
  try {
    return breachNoticeLines(s);
  } catch {
    return [];
  }
}

/** The contact printed on the notice; the title defaults to the custodian's. */
export interface ContactInput {
  phone?: string;
  name?: string;
  title?: string;
  email?: string;
  address?: string;
  website?: string;
}

function contactOf(c: ContactInput, s: Session, phone: string): BreachContact {
  const out: BreachContact = { phone, title: c.title ?? s.settings.custodianTitle };
  if (c.name) out.name = c.name;
  if (c.email) out.email = c.email;
  if (c.address) out.address = c.address;
  if (c.website) out.website = c.website;
  return out;
}

/** When it happened: one date or moment, a range, or not known (all null). */
export interface Occurred {
  occurredDate: string | null;
  occurredFrom: string | null;
  occurredTo: string | null;
}

/**
 * A range must run forwards. A bare date is a whole day of the home's calendar, so when either end is
 * one the two ends are compared as the home's days (a from-time and a to-date on the same day is a
 * range); two moments are compared as moments.
 */
export function checkOccurred(o: Occurred, timeZone: string): Occurred {
  const { occurredFrom: from, occurredTo: to } = o;
  if (!from || !to) return o;
  const bare = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);
  const day = (v: string) => (bare(v) ? v : localDate(new Date(v), timeZone));
  const backwards = bare(from) || bare(to) ? day(to) < day(from) : Date.parse(to) < Date.parse(from);
  if (backwards) throw new CustodyError('usage', '--occurred-to is before --occurred-from.');
  return o;
}

/** A breach cannot be discovered after today (the home's calendar). */
export function checkDiscovered(s: Session, discoveredAt: string): string {
  if (discoveredAt.slice(0, 10) > today(s))
    throw new CustodyError('usage', `--discovered ${discoveredAt} is in the future.`);
  return discoveredAt;
}

export interface BreachOpenInput {
  discoveredAt: string;
  occurred: Occurred;
  estimated: boolean;
  whatHappened: string;
  informationInvolved: string;
  informationTypes: string[];
  whatWeAreDoing: string;
  whatYouCanDo?: string;
  moreInformation?: string;
  delayedByLawEnforcement: boolean;
  /** Law enforcement asked the city to wait until this day (Civ. Code 1798.29(c)). */
  delayedUntil?: string;
  phone: string;
  contact: ContactInput;
}

export function breachOpen(s: Session, o: BreachOpenInput): BreachJson {
  checkDiscovered(s, o.discoveredAt);
  const id = nextId(s, 'breaches', 'B');
  s.append('breach.opened', {
    breach: id,
    discoveredAt: o.discoveredAt,
    ...checkOccurred(o.occurred, s.settings.timeZone),
    occurredEstimated: o.estimated,
    whatHappened: o.whatHappened,
    informationInvolved: o.informationInvolved,
    informationTypes: o.informationTypes,
    whatWeAreDoing: o.whatWeAreDoing,
    whatYouCanDo: o.whatYouCanDo ?? null,
    moreInformation: o.moreInformation ?? null,
    delayedByLawEnforcement: o.delayedByLawEnforcement,
    delayedUntil: o.delayedUntil ?? null,
    contact: contactOf(o.contact, s, o.phone),
  });
  s.commit();
  return breachJson(findBreach(s, id), today(s));
}

/** What `breach update` changes; a field left out stays as it is. */
export interface BreachUpdateInput {
  occurred?: Occurred;
  discoveredAt?: string;
  estimated?: boolean;
  whatHappened?: string;
  informationInvolved?: string;
  informationTypes?: string[];
  whatWeAreDoing?: string;
  whatYouCanDo?: string;
  moreInformation?: string;
  delayedByLawEnforcement?: boolean;
  delayedUntil?: string;
  /** Only the contact fields given; the others keep their values. */
  contact?: ContactInput;
}

function breachChanges(s: Session, b: BreachRow, o: BreachUpdateInput): Record<string, unknown> {
  const changes: Record<string, unknown> = { ...(o.occurred ? checkOccurred(o.occurred, s.settings.timeZone) : {}) };
  if (o.discoveredAt) changes.discoveredAt = o.discoveredAt;
  if (o.estimated) changes.occurredEstimated = true;
  if (o.whatHappened) changes.whatHappened = o.whatHappened;
  if (o.informationInvolved) changes.informationInvolved = o.informationInvolved;
  if (o.informationTypes) changes.informationTypes = o.informationTypes;
  if (o.whatWeAreDoing) changes.whatWeAreDoing = o.whatWeAreDoing;
  if (o.whatYouCanDo) changes.whatYouCanDo = o.whatYouCanDo;
  if (o.moreInformation) changes.moreInformation = o.moreInformation;
  if (o.delayedByLawEnforcement !== undefined) changes.delayedByLawEnforcement = o.delayedByLawEnforcement;
  if (o.delayedUntil) Object.assign(changes, { delayedUntil: o.delayedUntil, delayedByLawEnforcement: true });
  if (o.contact) {
    const old = JSON.parse(b.contact) as BreachContact;
    changes.contact = {
      ...old,
      ...contactOf({ ...o.contact, title: o.contact.title ?? old.title }, s, o.contact.phone ?? old.phone),
    };
  }
  return changes;
}

export function breachUpdate(s: Session, id: string, o: BreachUpdateInput): { breach: BreachJson; changed: string[] } {
  const b = findBreach(s, id);
  if (b.status !== 'open') throw new CustodyError('conflict', `Breach ${id} is closed.`);
  const changes = breachChanges(s, b, o);
  if (!Object.keys(changes).length)
    throw new CustodyError('usage', 'Nothing to change: pass the flags to change (see --help).');
  s.append('breach.updated', { breach: id, changes });
  s.commit();
  return { breach: breachJson(findBreach(s, id), today(s)), changed: Object.keys(changes) };
}

/** Every breach, open and closed, with its duties as of today. */
export function breachList(s: Session): BreachJson[] {
  const t = today(s);
  return allBreaches(s).map((b) => breachJson(b, t));
}

export function breachShow(s: Session, id: string): BreachJson {
  return breachJson(findBreach(s, id), today(s));
}

export interface BreachNoticeInput {
  id: string;
  /** The folder to write the PDF and the HTML page into. */
  outDir: string;
  /** The date of the notice (default: today). */
  date?: string;
  /** The day it goes up on the website (default: when recorded as posted, else the notice date). */
  postOn?: string;
  /** Their permissions (default: 0600; the folder 0700). */
  mode?: OutputMode;
}

export interface BreachNoticeResult {
  breach: string;
  noticeDate: string;
  postedFrom: string;
  postedUntil: string;
  pdf: string;
  html: string;
  pdfSha256: string;
  htmlSha256: string;
}

/** Write the Notice of Data Breach (a PDF to post and print, an HTML page for the website). */
export async function breachNotice(s: Session, o: BreachNoticeInput): Promise<BreachNoticeResult> {
  // A public notice: written only from a table that is what the signed events give (an operator
  // holding the record key can rewrite it; exit 8 otherwise, nothing written).
  await requireSignedState(s, 'breach records the notice is written from');
  const b = findBreach(s, o.id);
  const target = { what: 'the notice of data breach', flag: '--out', replace: true };
  checkOutput(s.home.dir, o.outDir, { ...target, kind: 'dir' });
  const noticeDate = o.date ?? today(s);
  const from = o.postOn ?? b.posted_on ?? noticeDate;
  // "Was posted on" only when the ledger records that posting; any other day is the plan.
  const recorded = b.posted_on != null && from === b.posted_on;
  const { pdf, html } = await renderNotice(s, b, noticeDate, { from, recorded });
  const dir = makeOutputFolder(s.home.dir, o.outDir, target, o.mode);
  const pdfFile = path.join(dir, `notice-of-data-breach-${o.id}.pdf`);
  const htmlFile = path.join(dir, `notice-of-data-breach-${o.id}.html`);
  // A notice written again (after `breach update`) replaces its own earlier files (README).
  writeOutput(s.home.dir, pdfFile, pdf, target, o.mode);
  writeOutput(s.home.dir, htmlFile, html, target, o.mode);
  const out: BreachNoticeResult = {
    breach: o.id,
    noticeDate,
    postedFrom: from,
    postedUntil: addDaysToDate(from, POSTING_DAYS),
    pdf: pdfFile,
    html: htmlFile,
    pdfSha256: sha256Hex(pdf),
    htmlSha256: sha256Hex(html),
  };
  s.append('breach.notice_written', {
    breach: o.id,
    noticeDate,
    pdfSha256: out.pdfSha256,
    htmlSha256: out.htmlSha256,
  });
  s.commit();
  return out;
}

async function renderNotice(
  s: Session,
  b: BreachRow,
  noticeDate: string,
  posted: { from: string; recorded: boolean },
): Promise<{ pdf: Buffer; html: string }> {
  const { renderBreachNotice } = await import('../documents/breach.js');
  const j = breachJson(b, noticeDate);
  return renderBreachNotice({
    organization: s.settings.agencyName,
    contact: j.contact,
    noticeDate,
    breach: j.occurred
      ? 'date' in j.occurred
        ? { date: j.occurred.date ?? undefined, estimated: j.occurred.estimated }
        : { from: j.occurred.from ?? undefined, to: j.occurred.to ?? undefined, estimated: j.occurred.estimated }
      : undefined,
    discoveredAt: b.discovered_at,
    delayedByLawEnforcement: j.delayedByLawEnforcement,
    whatHappened: j.whatHappened,
    informationInvolved: j.informationInvolved,
    informationTypes: j.informationTypes.length ? j.informationTypes : undefined,
    whatWeAreDoing: j.whatWeAreDoing,
    whatYouCanDo: j.whatYouCanDo ?? undefined,
    moreInformation: j.moreInformation ?? undefined,
    posting: { ...posted, until: addDaysToDate(posted.from, POSTING_DAYS) },
  });
}

export interface BreachDutyInput {
  id: string;
  /** The day the notice went up on the city's website, and where. */
  posted?: string;
  url?: string;
  /** The day major statewide media were notified, and which outlets. */
  media?: string;
  outlets: string[];
  /** The day the state's Office of Information Security was notified. */
  ois?: string;
}

/** Record notification duties done (policy §10); a duty is recorded once it is done, never ahead. */
export function breachDuty(s: Session, o: BreachDutyInput): BreachJson {
  const b = findBreach(s, o.id);
  if (b.status !== 'open') throw new CustodyError('conflict', `Breach ${o.id} is closed.`);
  const t = today(s);
  for (const [k, v] of Object.entries({ posted: o.posted, media: o.media, ois: o.ois }))
    if (v && v > t) throw new CustodyError('usage', `--${k} ${v} is in the future; record a duty once it is done.`);
  if (o.posted) s.append('breach.duty_done', { breach: o.id, duty: 'posted', on: o.posted, url: o.url ?? null });
  if (o.media) s.append('breach.duty_done', { breach: o.id, duty: 'media', on: o.media, outlets: o.outlets });
  if (o.ois) s.append('breach.duty_done', { breach: o.id, duty: 'ois', on: o.ois });
  s.commit();
  return breachJson(findBreach(s, o.id), t);
}

export interface BreachCloseInput {
  id: string;
  note?: string;
  /** Close even though duties are unmet (the note says why). */
  force?: boolean;
}

/** Close a breach once its duties are met, or with --force and a note saying why they are not. */
export function breachClose(s: Session, o: BreachCloseInput): BreachJson {
  const b = findBreach(s, o.id);
  if (b.status !== 'open') throw new CustodyError('conflict', `Breach ${o.id} is already closed.`);
  const unmet = breachDuties(b, today(s)).unmet;
  if (unmet.length && !o.force)
    throw new CustodyError(
      'denied',
      `Breach ${o.id} still has unmet duties: ${unmet.map((u) => u.short).join('; ')}.`,
      'Record them with `custody breach duty`, or close with --force --note WHY.',
    );
  s.append('breach.closed', { breach: o.id, note: o.note ?? null, unmetDuties: unmet.map((u) => u.duty) });
  s.commit();
  return breachJson(findBreach(s, o.id), today(s));
}
