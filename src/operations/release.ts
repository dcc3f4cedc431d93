/**
 * A release (policy §5): data handed to a requesting agency, as an export of the request's
 * images (a BagIt bag, RFC 8493) or as a drive itself, with a signed receipt. The command asks
 * its questions between the steps: `checkRelease` (may this request be fulfilled at all),
 * `planRelease` (what exactly would be handed over), then `releaseRequest` writes the bag,
 * records the release, writes the receipt and commits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { canDrive } from '../core/drive-state.js';
import { CustodyError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { officeOf } from '../core/roles.js';
import { parseIsoWithOffset } from '../core/time.js';
import type { ReceiptData, ReceiptHandedOver } from '../documents/receipt.js';
import { type DriveRow, findDrive } from '../ledger/drives.js';
import { requireRecordedVolume } from './drives.js';
import {
  type AgencyRow,
  type BatchRow,
  batchCameras,
  describeScope,
  drivesInScope,
  findRelease,
  nextNumber,
  type ReleaseJson,
  type RequestRow,
  type RequestScope,
  releaseJson,
  scopeBatches,
  openRequests,
} from '../ledger/features/requests.js';
import { BatchFiles, loadBatchKey, openSegment, segmentEntries, segmentRecords } from '../ledger/batches.js';
import { parseImageId } from '../ledger/images.js';
import { refuseDestroyed } from '../ledger/purge.js';
import type { Session } from '../ledger/session.js';
import type { OutputMode } from '../ledger/fsutil.js';
import { checkOutput, writeOutput } from '../ledger/outputs.js';
import {
  beginPending,
  dropNote,
  movePartials,
  type PendingOutput,
  partialOf,
  removePartials,
  strandedReleases,
} from '../ledger/pending-outputs.js';
import type { ReleaseItem } from '../media/release.js';
import {
  admit,
  checkItems,
  checkRetention,
  type GateItem,
  type GatePass,
  recordRelease,
  requireSignedRecords,
  scopeProblem,
} from './gate.js';
import { documentIdentity } from './document-signer.js';
import { requestPlateHits } from './search.js';

type HandedOver = ReceiptHandedOver;

/** The requests a release may fulfil: those open (policy §5). */
export function releaseRequestChoices(s: Session): RequestRow[] {
  return openRequests(s);
}

/** A request that may be fulfilled, with its agency and the batches its scope reaches. */
export interface ReleaseTarget {
  request: RequestRow;
  agency: AgencyRow;
  scope: RequestScope;
  batches: BatchRow[];
  /** Days within which the written acknowledgement is expected (default: the setting). */
  ackDays?: number;
  /** What the gate admitted: the request, its agency's eligibility and any override. */
  pass: GatePass;
  /** How the data leaves: `release` or `image export`. */
  via: string;
}

/**
 * The gate's first half (operations/gate.ts): the request is open, its agency eligible on its
 * facts and its purpose a criminal investigation; otherwise nothing is written and nothing recorded.
 */
export function checkRelease(s: Session, o: { request: string; ackDays?: number; via?: string }): ReleaseTarget {
  if (o.ackDays !== undefined && !(Number.isInteger(o.ackDays) && o.ackDays >= 1 && o.ackDays <= 365))
    throw new CustodyError('usage', '--ack-days must be a whole number from 1 to 365.');
  const pass = admit(s, o.request, 'release');
  const { request, agency, scope } = pass;
  return { request, agency, scope, batches: scopeBatches(s, scope), ackDays: o.ackDays, pass, via: o.via ?? 'release' };
}

/** The drives that may be handed over on a request: within its scope, and removed or stored. */
export function releaseDriveChoices(s: Session, t: ReleaseTarget): DriveRow[] {
  return drivesInScope(s, t.scope, t.batches).filter((d) => canDrive(d.state, 'release'));
}

interface PlanBase {
  target: ReleaseTarget;
  receiptNumber: string;
  releasedAt: string;
}

export interface DriveReleasePlan extends PlanBase {
  how: 'drive';
  drive: DriveRow;
  /** The import batches of what the drive holds (its re-read accounts for every file on it by them). */
  batches: string[];
  handedOver: HandedOver & { kind: 'drive' };
}

export interface ExportReleasePlan extends PlanBase {
  how: 'export';
  /** The files the bag will hold. */
  items: ReleaseItem[];
  /** A plate request: its plate search ran and is in the access record already (what a cancel must say). */
  plateSearchRecorded?: boolean;
}

export type ReleasePlan = DriveReleasePlan | ExportReleasePlan;

/** A drive handed over: the drive, checked against the request's scope, and what it holds. */
export async function planDriveRelease(s: Session, t: ReleaseTarget, driveId: string): Promise<DriveReleasePlan> {
  return planDrive(s, planBase(s, t), driveId);
}

/** An export: the files of the request's scope (for a plate, those the plate search finds). */
export async function planExportRelease(
  s: Session,
  t: ReleaseTarget,
  o: { allInRange?: boolean } = {},
): Promise<ExportReleasePlan> {
  return planExport(s, planBase(s, t), o.allInRange === true);
}

function planBase(s: Session, t: ReleaseTarget): PlanBase {
  return { target: t, receiptNumber: nextNumber(s, 'releases', 'R'), releasedAt: s.now() };
}

async function planDrive(s: Session, base: PlanBase, driveId: string): Promise<DriveReleasePlan> {
  const { scope, batches, request, pass } = base.target;
  const drive = findDrive(s, driveId);
  const inScope = scope.drive === drive.id || batches.some((b) => b.drive_id === drive.id);
  if (!inScope)
    throw new CustodyError(
      'denied',
      `Drive ${drive.id} is not within request ${request.id} (${describeScope(scope)}).`,
      'Only what the request asks for may be released (policy §5).',
    );
  if (!canDrive(drive.state, 'release'))
    throw new CustodyError(
      'conflict',
      `Drive ${drive.id} is ${drive.state}; only a removed or stored drive can be handed over.`,
    );
  // What the drive itself holds: its recordings since it last went into a camera.
  const { collectReleaseItems } = await import('../media/release.js');
  const driveBatches = scopeBatches(s, { cameras: [], drive: drive.id, asOf: base.releasedAt });
  const items = await collectReleaseItems(s, driveBatches);
  // The gate: a drive handed over on a request for cameras and times holds nothing else.
  const outside = scopeProblem(s, pass, items.map(gateItem));
  if (outside)
    throw new CustodyError(
      'denied',
      `Drive ${drive.id} is not within request ${request.id} (${describeScope(scope)}): it holds image ${outside.item.image}, which the request does not ask for (${outside.why}). Only what the request asks for may be released (policy §5).`,
      'Release an export of the images the request asks for (`custody release --to DIR`), or record a request for the drive itself.',
    );
  checkRetention(s, items.map(gateItem));
  const files = items
    .map((i) => ({ path: i.relPath, sha256: i.sha256, bytes: i.size }))
    .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  // A manifest in sha256sum's format of what the drive held when imported.
  const manifestSha256 = files.length ? sha256Hex(files.map((f) => `${f.sha256}  ${f.path}\n`).join('')) : undefined;
  const dates = items
    .map((i) => i.recordedAt)
    .filter((x): x is string => !!x)
    .sort((a, b) => Date.parse(a) - Date.parse(b));
  const handedOver: HandedOver & { kind: 'drive' } = {
    kind: 'drive',
    label: drive.label ?? '',
    serial: drive.serial ?? '',
    capacityBytes: drive.capacity_bytes ?? 0,
    recordedFrom: drive.recorded_first ?? dates[0] ?? base.releasedAt,
    recordedTo: drive.recorded_last ?? dates[dates.length - 1] ?? base.releasedAt,
    fileCount: files.length,
    ...(manifestSha256 ? { manifestSha256 } : {}),
    files,
  };
  return { ...base, how: 'drive', drive, batches: driveBatches.map((b) => b.id), handedOver };
}

/** A file to hand over, as the gate judges it. */
export function gateItem(i: ReleaseItem): GateItem {
  return { image: i.image, batch: i.batch, camera: i.camera, recordedAt: i.recordedAt, flags: i.flags };
}

/**
 * Re-read the drive mounted at `source` before the receipt certifies it unaltered (policy §5):
 * every file the receipt lists must have the SHA-256 recorded at import, and every entry on the
 * drive must be one the import recorded (at its size): a file added since (planted, or anything
 * else) would go to the agency unlisted, so the drive is refused (exit 8) and nothing is recorded.
 */
export async function rereadDrive(
  s: Session,
  plan: DriveReleasePlan,
  source: string,
): Promise<{ at: string; files: number; warnings: string[] }> {
  const { readDriveIdFile } = await import('../media/drives.js');
  const { hashSource } = await import('../media/store.js');
  const root = path.resolve(source);
  const id = await readDriveIdFile(root);
  if (id.info?.driveId !== plan.drive.id)
    throw new CustodyError(
      'usage',
      `${root} is not drive ${plan.drive.id} (${id.info ? `its id file names ${id.info.driveId}` : id.detail}).`,
      'Pass --source with the folder where the drive to hand over is mounted.',
    );
  // The id file names it: the volume must be the one it was enrolled as (a copied id file is not the drive).
  const warnings = await requireRecordedVolume(plan.drive, root, 'recorded');
  const bad: string[] = [];
  for (const f of plan.handedOver.files ?? []) {
    const file = path.join(root, ...f.path.split('/'));
    const got = await hashSource(file, f.path).catch(
      (e: NodeJS.ErrnoException) => `unreadable (${e.code ?? e.message})`,
    );
    if (got !== f.sha256) bad.push(`${f.path}: ${/^[0-9a-f]{64}$/.test(got) ? 'SHA-256 differs' : got}`);
  }
  bad.push(...(await unrecordedOnDrive(s, plan, root)));
  if (bad.length)
    throw new CustodyError(
      'integrity',
      `Drive ${plan.drive.id} is not as imported: ${bad.length} file(s) differ or were not there — ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? '; …' : ''}. It cannot be certified unaltered; nothing was recorded.`,
      'Release an export of the imported copies instead (`custody release --to DIR`), and record the problem (`custody problem add`).',
    );
  return { at: s.now(), files: plan.handedOver.files?.length ?? 0, warnings };
}

/** What is on the drive now that its import did not record (or not at this size), in words. */
async function unrecordedOnDrive(s: Session, plan: DriveReleasePlan, root: string): Promise<string[]> {
  const { walkDrive } = await import('../media/walk.js');
  const sizes = new Map<string, number>();
  const entries = new Set<string>();
  for (const id of plan.batches) {
    const bf = new BatchFiles(s.home, id);
    const db = await openSegment(bf, loadBatchKey(bf, s.master));
    try {
      for (const r of segmentRecords(db)) sizes.set(r.relPath, r.size);
      for (const e of segmentEntries(db)) entries.add(e.relPath);
    } finally {
      db.close();
    }
  }
  const out: string[] = [];
  // Every entry, the folders operating systems add included: what the receipt does not list does not go.
  const walk = walkDrive(root);
  for await (const f of walk) {
    const size = sizes.get(f.relPath);
    if (size === undefined) out.push(`${f.relPath}: not recorded at import (added since?)`);
    else if (size !== f.size) out.push(`${f.relPath}: ${f.size} bytes, ${size} at import`);
  }
  for (const p of walk.problems)
    if (!entries.has(p.relPath) && !sizes.has(p.relPath))
      out.push(`${p.relPath}: ${p.message}, not recorded at import`);
  return out;
}

async function planExport(s: Session, base: PlanBase, allInRange: boolean): Promise<ExportReleasePlan> {
  const { scope, batches, request } = base.target;
  if (!batches.length && !scope.plate)
    throw new CustodyError('notFound', `Nothing in the store matches request ${request.id} (${describeScope(scope)}).`);
  const range = {
    from: scope.from ? parseIsoWithOffset(scope.from) : undefined,
    to: scope.to ? parseIsoWithOffset(scope.to) : undefined,
  };
  const only = scope.plate && !scope.drive && !allInRange ? await requestPlateHits(s, request, 'release') : undefined;
  const found = only ? [...new Set([...only].map((i) => i.split(':')[0]!))].sort() : [];
  const { collectReleaseItems } = await import('../media/release.js');
  const items = await collectReleaseItems(s, only ? batchCameras(s, found) : batches, scope.drive ? {} : range, only);
  checkItems(s, base.target.pass, items.map(gateItem), only ?? (allInRange ? 'all-in-range' : undefined));
  return { ...base, how: 'export', items, ...(only ? { plateSearchRecorded: true } : {}) };
}

/**
 * `image export` under a request: exactly the images named, each checked by the gate against the
 * request's scope (and, for a plate, the plate search) and its destruction date; a release.
 */
export async function planImagesRelease(
  s: Session,
  t: ReleaseTarget,
  ids: readonly string[],
): Promise<ExportReleasePlan> {
  for (const id of ids) {
    const ref = parseImageId(id);
    refuseDestroyed(s, ref.batch, ref.fileId);
  }
  const base = planBase(s, t);
  const wanted = new Set(ids);
  const batchIds = [...new Set(ids.map((i) => i.split(':')[0]!))].sort();
  const known = batchCameras(s, batchIds);
  const missingBatch = batchIds.find((b) => !known.some((k) => k.id === b));
  if (missingBatch)
    throw new CustodyError('notFound', `No batch ${missingBatch}.`, 'Image ids come from `custody search`.');
  const { collectReleaseItems } = await import('../media/release.js');
  const items = await collectReleaseItems(s, known, {}, wanted);
  const missing = ids.find((i) => !items.some((x) => x.image === i));
  if (missing)
    throw new CustodyError('notFound', `No stored image ${missing}.`, 'Image ids come from `custody search`.');
  const hits = t.scope.plate && !t.scope.drive ? await requestPlateHits(s, t.request, 'image export') : undefined;
  checkItems(s, t.pass, items.map(gateItem), hits);
  return { ...base, how: 'export', items };
}

/** Where an export's receipt goes unless told: next to the bag, named by its number. */
export function defaultReceiptFile(plan: ExportReleasePlan, bagDir: string): string {
  return path.join(path.dirname(path.resolve(bagDir)), `${plan.receiptNumber}.pdf`);
}

/** The receipt's file, resolved: a new file outside the home (ledger/outputs.ts). */
export function checkReceiptFile(s: Session, file: string): string {
  return checkOutput(s.home.dir, file, { what: 'the receipt', flag: '--receipt', kind: 'file' });
}

/** The bag's folder, resolved: new or empty, outside the home (ledger/outputs.ts). */
export function checkBagFolder(s: Session, dir: string): string {
  const to = checkOutput(s.home.dir, dir, { what: 'the bag folder', flag: '--to', kind: 'dir' });
  if (fs.existsSync(to) && (!fs.statSync(to).isDirectory() || fs.readdirSync(to).length > 0))
    throw new CustodyError('conflict', `${to} is not a new or empty folder.`, 'Export into a new or empty folder.');
  return to;
}

export interface ReleaseInput {
  /** An export: the new or empty folder to write the bag to. */
  to?: string;
  /** Where to write the receipt PDF (must not exist). */
  receipt: string;
  /** A drive: the folder where it is mounted, to re-read it before it is handed over. */
  source?: string;
  /** The permissions of the bag and the receipt (default: 0600 files, 0700 folders). */
  mode?: OutputMode;
}

export interface ReleaseResult {
  release: ReleaseJson;
  receiptFile: string;
  ledgerHead: string;
  bag?: string;
  /** A drive handed over: what of its volume could not be compared with its enrolment (operations/drives.ts). */
  warnings?: string[];
}

/** The custodian, or a designee of the custodian, as the receipt and the bag name them (policy §6). */
function custodianLine(s: Session): { title: string; name: string; office: string } {
  const office = s.settings.custodianTitle;
  return { title: officeOf(s.operator.role, office), name: s.operator.displayName, office };
}

/**
 * Hand over what the plan lists, never off the record (Civ. Code 1798.90.52): a note in the home
 * names the release in flight (ledger/pending-outputs.ts); the bag (an export) is written and
 * checked in `<to>.partial`; under the write lock the release, its access and its receipt are
 * appended, the signed receipt written as `<receipt>.partial`, and all committed at once; only then
 * are the bag and the receipt moved into place. A failure before the commit removes what was
 * written and says so; Ctrl-C does the same (or, after the commit, moves them into place); a kill
 * is settled at the next log-in (`settlePendingReleases`).
 */
export async function releaseRequest(s: Session, plan: ReleasePlan, o: ReleaseInput): Promise<ReleaseResult> {
  const receiptFile = checkReceiptFile(s, o.receipt);
  const bagDir = plan.how === 'export' ? checkBagFolder(s, requireTo(o.to)) : undefined;
  for (const p of [receiptFile, ...(bagDir ? [bagDir] : [])]) checkOutput(s.home.dir, partialOf(p), PARTIAL);
  await requireSignedRecords(s);
  // A drive is re-read and compared before the receipt certifies it unaltered.
  const reread = plan.how === 'drive' ? await rereadDrive(s, plan, requireSource(o.source)) : undefined;
  const pending = beginPending(s.home, {
    receipt: plan.receiptNumber,
    bag: bagDir ?? null,
    receiptFile,
    startedAt: s.now(),
  });
  let ledgerHead: string;
  let out: HandOver;
  try {
    out = plan.how === 'drive' ? driveOut(plan, reread!) : await writeExport(s, plan, bagDir!, o.mode);
    // The write lock is held from the append to the commit: the head printed is the one saved.
    ledgerHead = await s.exclusive(() => recordWithReceipt(s, plan, out, receiptFile, o.mode, pending));
  } catch (e) {
    throw notReleased(e, pending.abandon(), plan.receiptNumber);
  }
  try {
    pending.finish();
  } catch (e) {
    throw new CustodyError(
      'io',
      `Release ${plan.receiptNumber} is recorded, but ${bagDir ? `its bag (${partialOf(bagDir)}) and ` : ''}its receipt (${partialOf(receiptFile)}) could not be moved into place: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
      'Free the places named (or mount the disk again); the next log-in moves them into place.',
      { cause: e },
    );
  }
  return {
    release: releaseJson(findRelease(s, plan.receiptNumber)),
    receiptFile,
    ledgerHead,
    bag: out.bag,
    ...(reread?.warnings.length ? { warnings: reread.warnings } : {}),
  };
}

const PARTIAL = { what: 'an unfinished release', flag: '--to / --receipt', kind: 'file' as const };

/**
 * Append the release (and its access), render and sign the receipt over the head that records it,
 * write it as `<receipt>.partial`, append its issue, and commit once. Returns the head.
 */
async function recordWithReceipt(
  s: Session,
  plan: ReleasePlan,
  out: HandOver,
  receiptFile: string,
  mode: OutputMode | undefined,
  pending: PendingOutput,
): Promise<string> {
  const drive = plan.how === 'drive' ? plan.drive : undefined;
  recordRelease(s, plan.target.pass, {
    query: disclosedQuery(plan),
    results: Number(out.event.files ?? 0),
    receipt: plan.receiptNumber,
    kind: plan.how === 'drive' ? 'drive' : 'bag',
    release: out.event,
    drive: drive?.id,
    camera: typeof out.event.camera === 'string' ? out.event.camera : undefined,
    ackDays: plan.target.ackDays,
    via: plan.target.via,
  });
  const head = s.ledger.head.hash;
  const pdf = await renderReceiptPdf(s, plan, out.handedOver, head);
  writeOutput(s.home.dir, partialOf(receiptFile), pdf, { what: 'the receipt', flag: '--receipt' }, mode);
  s.append('receipt.issued', {
    receipt: plan.receiptNumber,
    request: plan.target.request.id,
    sha256: sha256Hex(pdf),
    file: receiptFile,
    ledgerHead: head,
    ...(drive ? { drive: drive.id } : {}),
  });
  s.commit();
  pending.recorded();
  return head;
}

/** A release that failed before its commit: what the operator is told, truthfully. */
function notReleased(e: unknown, r: { removed: string[]; left: string[] }, receipt: string): CustodyError {
  const err =
    e instanceof CustodyError
      ? e
      : new CustodyError('io', `Release ${receipt} failed: ${e instanceof Error ? e.message : String(e)}.`, undefined, {
          cause: e,
        });
  if (!r.removed.length && !r.left.length) return err;
  const said = [
    `Release ${receipt} was not recorded and nothing was handed over`,
    r.removed.length ? `what it had written was removed (${r.removed.join(', ')})` : '',
    r.left.length ? `could not be removed: ${r.left.join(', ')} — remove it by hand (the next log-in tries again)` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return new CustodyError(err.code, `${err.message.replace(/\.?$/, '.')} ${said}.`, err.hint, { cause: e });
}

/**
 * Releases a killed process left in flight (ledger/pending-outputs.ts), settled at log-in under
 * the write lock: one the ledger records has its bag and receipt moved into place; one it does not
 * has what was written removed. Returns a line for each, to tell the operator.
 */
export async function settlePendingReleases(s: Session): Promise<string[]> {
  if (!strandedReleases(s.home).length) return [];
  return s.exclusive(() => {
    const lines: string[] = [];
    for (const { file, note } of strandedReleases(s.home)) {
      const recorded = s.ledger.one<{ n: number }>(
        'SELECT count(*) AS n FROM releases WHERE id = ? AND receipt_file = ?',
        [note.receipt, note.receiptFile],
      )!.n;
      if (recorded) {
        try {
          movePartials(note);
          dropNote(file);
          lines.push(
            `Release ${note.receipt} was interrupted after it was recorded: ${note.bag ? `its bag is now at ${note.bag} and ` : ''}its receipt at ${note.receiptFile}.`,
          );
        } catch (e) {
          lines.push(
            `Due: release ${note.receipt} is recorded, but ${note.bag ? `its bag (${partialOf(note.bag)}) and ` : ''}its receipt (${partialOf(note.receiptFile)}) could not be moved into place (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); mount the disk again or free the places, and log in again.`,
          );
        }
        continue;
      }
      const r = removePartials(note);
      if (!r.left.length) dropNote(file);
      lines.push(
        `Release ${note.receipt} was interrupted before it was recorded: nothing was handed over${r.removed.length ? `; removed what it had written (${r.removed.join(', ')})` : ''}${r.left.length ? `; Due: remove by hand ${r.left.join(', ')} (unrecorded, not reachable now)` : ''}.`,
      );
    }
    return lines;
  });
}
/** What the access record says was handed over: the drive, the images named, or the request's scope. */
function disclosedQuery(plan: ReleasePlan): string {
  if (plan.how === 'drive') return `drive ${plan.drive.id}`;
  if (plan.target.via === 'image export') return plan.items.map((i) => i.image).join(' ');
  return describeScope(plan.target.scope);
}

function requireSource(source: string | undefined): string {
  if (source === undefined)
    throw new CustodyError(
      'usage',
      'A drive is re-read before it is handed over: pass --source with the folder where it is mounted.',
      'The receipt certifies the drive unaltered only after every file on it matches its recorded SHA-256.',
    );
  return source;
}

interface HandOver {
  handedOver: HandedOver;
  /** The release event's own fields. */
  event: Record<string, unknown>;
  bag?: string;
}

function driveOut(plan: DriveReleasePlan, rr: { at: string; files: number }): HandOver {
  const reread = { at: rr.at, files: rr.files };
  const h = { ...plan.handedOver, reread };
  const files = h.files ?? [];
  return {
    handedOver: h,
    event: {
      kind: 'drive',
      drive: plan.drive.id,
      files: files.length,
      bytes: files.reduce((n, f) => n + (f.bytes ?? 0), 0),
      manifestSha256: h.manifestSha256 ?? null,
      recordedFrom: h.recordedFrom,
      recordedTo: h.recordedTo,
      destination: null,
      rereadAt: reread.at,
    },
  };
}

function requireTo(to: string | undefined): string {
  if (to === undefined) throw new CustodyError('usage', 'Missing the folder to write the bag to: pass --to.');
  return to;
}

/** Write and check the bag in `<to>.partial` (moved into place once the release is recorded). */
async function writeExport(
  s: Session,
  plan: ExportReleasePlan,
  to: string,
  mode: OutputMode | undefined,
): Promise<HandOver> {
  const { request: req, agency, scope } = plan.target;
  const { exportBag } = await import('../media/release.js');
  const custodian = custodianLine(s);
  const bag = await exportBag(
    s,
    path.resolve(to),
    plan.items,
    {
      'Source-Organization': s.settings.agencyName,
      'Contact-Name': `${custodian.name}, ${custodian.title}`,
      'External-Description': `License plate camera images released to ${agency.name} under policy §5 (${describeScope(scope)})`,
      'Bagging-Date': plan.releasedAt.slice(0, 10),
      'External-Identifier': `case ${req.case_number}; request ${req.id}`,
      'Internal-Sender-Identifier': plan.receiptNumber,
    },
    s.clock(),
    mode,
    { leavePartial: true },
  );
  const { renamedFrom } = await import('../media/release.js');
  const files = plan.items
    .map((i) => {
      const drivePath = renamedFrom(i);
      return { path: i.bagPath, sha256: i.sha256, bytes: i.size, ...(drivePath ? { drivePath } : {}) };
    })
    .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const cameras = [...new Set(plan.items.map((i) => i.camera).filter((c): c is string => !!c))];
  return {
    bag: bag.dir,
    handedOver: {
      kind: 'bag',
      name: path.basename(bag.dir),
      fileCount: bag.files,
      bytes: bag.bytes,
      recordedFrom: bag.recordedFrom ?? plan.releasedAt,
      recordedTo: bag.recordedTo ?? plan.releasedAt,
      manifestSha256: bag.manifestSha256,
      payloadOxum: bag.oxum,
      files,
    },
    event: {
      ...(cameras.length === 1 ? { camera: cameras[0] } : {}),
      kind: 'bag',
      files: bag.files,
      bytes: bag.bytes,
      manifestSha256: bag.manifestSha256,
      oxum: bag.oxum,
      recordedFrom: bag.recordedFrom ?? null,
      recordedTo: bag.recordedTo ?? null,
      destination: bag.dir,
    },
  };
}

/** The receipt's data, from the release as the ledger now records it. */
function receiptData(s: Session, plan: ReleasePlan, handedOver: HandedOver, ledgerHead: string): ReceiptData {
  const rel = findRelease(s, plan.receiptNumber);
  const { request: req, agency } = plan.target;
  return {
    receiptNumber: rel.id,
    agency: { name: agency.name, ori: agency.identifier?.trim() || 'none' },
    officer: rel.officer,
    badge: rel.badge,
    caseNumber: req.case_number,
    requestId: req.id,
    purpose: req.purpose,
    requestedAt: req.received_at,
    releasedAt: rel.released_at,
    custodian: custodianLine(s),
    organization: s.settings.agencyName,
    handedOver,
    ledgerHead,
    requestDocument: { name: req.document_name, sha256: req.document_sha256, reference: req.document_ref },
    ...(plan.target.pass.override
      ? {
          override: {
            id: plan.target.pass.override.id,
            by: plan.target.pass.override.by,
            at: plan.target.pass.override.at,
            reason: plan.target.pass.override.reason,
            purposes: plan.target.pass.override.purposes,
          },
        }
      : {}),
  };
}

/** Render and sign the receipt (written by the caller under a `.partial` name). */
async function renderReceiptPdf(
  s: Session,
  plan: ReleasePlan,
  handedOver: HandedOver,
  ledgerHead: string,
): Promise<Buffer> {
  const { renderReceipt } = await import('../documents/index.js');
  return renderReceipt(receiptData(s, plan, handedOver, ledgerHead), await documentIdentity(s));
}
