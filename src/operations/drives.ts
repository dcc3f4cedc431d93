/**
 * The drive ledger's use cases (policy §8: a log of every drive, with its dates of recordation,
 * of storage and of reinstall into a camera): enrol, install, remove, store, retire, and the
 * data of `drive list`, `drive show` and `drive forecast`.
 */
import { checkVolume } from '../core/drive-identity.js';
import { CustodyError } from '../core/errors.js';
import { type CameraForecast, driveForecast, standingHolds } from '../core/retention.js';
import { parseIsoWithOffset } from '../core/time.js';
import { findCamera, listCameras } from '../ledger/cameras.js';
import {
  allDrives,
  checkDestroyable,
  checkInstallable,
  type DriveRow,
  driveExists,
  driveHistory,
  driveInCamera,
  driveJson,
  drivesBySerial,
  findDrive,
  type InstallVerdict,
  listDrives,
  nextDriveId,
  removalsFromCameras,
} from '../ledger/drives.js';
import { BatchFiles, loadBatchKey, openSegment, segmentRecords } from '../ledger/batches.js';
import { holdsForDrive } from '../ledger/holds.js';
import { checkSourceOutsideHome } from '../ledger/outputs.js';
import type { Session } from '../ledger/session.js';
import { requireSignedState } from '../ledger/verify.js';
import { lastImportOf, type SwapBatchRow } from '../ledger/swaps.js';
import type { VolumeInfo } from '../media/drives.js';

const DRIVE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export type DriveJson = ReturnType<typeof driveJson>;

export interface EnrolInput {
  /** Where the drive is mounted: it is marked with its id file. */
  source?: string;
  id?: string;
  label?: string;
  serial?: string;
  capacityBytes?: number;
  note?: string;
}

/** The drive with this id (a `notFound` error if there is none). */
export function requireDrive(s: Session, id: string): DriveJson {
  return driveJson(findDrive(s, id));
}

/** An enrolled drive, and whether it carries its id file (`read-only`: known by its volume serial). */
export type EnrolledDrive = DriveRow & { marked?: 'written' | 'read-only' };

/** Enrol a drive: mark it with its id file (the only write custody makes to a drive), record it, commit. */
export async function enrolDrive(s: Session, o: EnrolInput): Promise<EnrolledDrive> {
  const { DRIVE_ID_FILE, markDrive, readDriveIdFile, readVolumeInfo } = await import('../media/drives.js');
  let vol: VolumeInfo = {};
  if (o.source) {
    checkSourceOutsideHome(s.home.dir, o.source);
    const existing = await readDriveIdFile(o.source);
    if (existing.info) {
      const known = driveExists(s, existing.info.driveId);
      if (known && existing.info.home === s.home.json.homeId)
        throw new CustodyError(
          'conflict',
          `This drive is already enrolled as ${existing.info.driveId}.`,
          `See \`custody drive show ${existing.info.driveId}\`.`,
        );
      if (existing.info.home && existing.info.home !== s.home.json.homeId)
        throw new CustodyError(
          'conflict',
          `This drive carries the id ${existing.info.driveId} of another custody home.`,
          `Check where it came from; remove ${DRIVE_ID_FILE} from it only if it is truly free.`,
        );
    }
    // A plain folder (not a mount point) has no volume of its own: its sizes would be the host disk's.
    const { isMountPoint } = await import('../media/mounts.js');
    if (await isMountPoint(o.source).catch(() => false)) vol = await readVolumeInfo(o.source).catch(() => ({}));
  }
  const id = o.id ?? (o.source ? nextDriveId(s) : undefined);
  if (!id)
    throw new CustodyError(
      'usage',
      'Give --source (the mounted drive) or --id.',
      'With --source the drive is marked with its id file.',
    );
  if (!DRIVE_ID.test(id)) throw new CustodyError('usage', `"${id}" is not a valid drive id.`);
  if (driveExists(s, id)) throw new CustodyError('conflict', `Drive ${id} already exists.`);
  const at = s.now();
  // What is on it now is kept nowhere else: the drive may not be recorded over until it is imported.
  const mediaFiles = o.source ? (await mediaOnSource(o.source)).length : null;
  const serial = o.serial ?? vol.serial ?? null;
  const marked = o.source
    ? await markDrive(o.source, { driveId: id, enrolledAt: at, home: s.home.json.homeId })
    : undefined;
  if (marked === 'read-only') readOnlyCheck(s, o.source!, serial);
  s.append('drive.enrolled', {
    mediaFiles,
    drive: id,
    label: o.label ?? vol.label ?? null,
    serial,
    // A drive that cannot be written carries no id file: the next swap knows it by its serial.
    idFile: marked === undefined ? null : marked === 'written',
    capacityBytes: o.capacityBytes ?? vol.capacityBytes ?? null,
    fsType: vol.fsType ?? null,
    // The USB device the volume is on (media/usb-device.ts): a stick given this volume's serial is not it.
    usbSerial: vol.usbSerial ?? null,
    usbVendor: vol.usbVendor ?? null,
    usbModel: vol.usbModel ?? null,
    note: o.note ?? null,
  });
  s.commit();
  return marked ? { ...findDrive(s, id), marked } : findDrive(s, id);
}

/**
 * The volume at `source` is the recorded drive's (core/drive-identity.ts): a volume serial, a size
 * or a USB device serial that disagrees with what its enrolment recorded is refused (exit 8,
 * nothing read or recorded — an id file copied onto another stick, or into a folder of copies,
 * or a stick given the enrolled volume serial); what cannot be compared, or differs without
 * proving another volume (file-system type, label, the USB device's maker), comes back as warnings
 * to print.
 */
export async function requireRecordedVolume(drive: DriveRow, source: string, doing: string): Promise<string[]> {
  const { DRIVE_ID_FILE } = await import('../media/drives.js');
  const check = checkVolume(
    drive.id,
    {
      serial: drive.serial,
      capacityBytes: drive.capacity_bytes,
      fsType: drive.fs_type,
      label: drive.label,
      usbSerial: drive.usb_serial,
      usbVendor: drive.usb_vendor,
      usbModel: drive.usb_model,
    },
    await mountedVolume(source),
  );
  if (check.refuse.length)
    throw new CustodyError(
      'integrity',
      `The drive at ${source} is taken for drive ${drive.id}, but it is not the volume ${drive.id} was enrolled as: ${check.refuse.join('; ')}. Nothing was ${doing}.`,
      `${check.usbOnly ? `If it is ${drive.id} read through another card reader or adapter than at its enrolment, read it through that one; if it` : 'If it'} is another stick carrying a copy of ${drive.id}'s ${DRIVE_ID_FILE}, keep it apart and record it (\`custody problem add\`); see \`custody drive show ${drive.id}\` for what was recorded.`,
    );
  return check.warn.map((w) => `Warning: the drive at ${source}: ${w}.`);
}

/** The volume mounted at `source`, or undefined when it is a folder (its facts would be the host disk's). */
export async function mountedVolume(source: string): Promise<VolumeInfo | undefined> {
  const { isMountPoint } = await import('../media/mounts.js');
  if (!(await isMountPoint(source).catch(() => false))) return undefined;
  const { readVolumeInfo } = await import('../media/drives.js');
  return readVolumeInfo(source).catch(() => ({}));
}

/** A read-only drive is known only by its volume serial: it needs one, and one no other drive has. */
function readOnlyCheck(s: Session, source: string, serial: string | null): void {
  if (!serial)
    throw new CustodyError(
      'io',
      `The drive at ${source} cannot be written (read-only) and its volume serial could not be read, so it could not be recognised again.`,
      'Slide its write-protect switch off and enrol it again, or give the serial with --serial.',
    );
  const same = drivesBySerial(s, serial);
  if (same.length > 0)
    throw new CustodyError(
      'conflict',
      `The drive at ${source} cannot be written (read-only), and drive ${same[0]!.id} already has its volume serial ${serial}.`,
      `If it is that drive, use it as ${same[0]!.id}; otherwise make it writable so it can carry its own id file.`,
    );
}

async function mediaOnSource(source: string) {
  const { mediaOnDrive } = await import('../media/contents.js');
  return mediaOnDrive(source).catch(() => []);
}

export interface DriveContents {
  /** Images and clips on the drive now. */
  media: number;
  /** Of those, the ones its newest import did not see (by name and size); null when not known. */
  unimported: number | null;
  /** Its newest finished import, if any. */
  lastImport?: SwapBatchRow;
}

/**
 * What the drive at `source` holds against its newest import: a drive whose every image was
 * imported holds nothing new; one with images the import never saw recorded since (or was never
 * imported). Unknown when the import's record is no longer readable (its batch destroyed).
 */
export async function driveContents(s: Session, driveId: string, source: string): Promise<DriveContents> {
  const media = await mediaOnSource(source);
  const lastImport = lastImportOf(s, driveId);
  if (!lastImport) return { media: media.length, unimported: media.length };
  const seen = await importedNames(s, lastImport.id);
  if (!seen) return { media: media.length, unimported: null, lastImport };
  return {
    media: media.length,
    unimported: media.filter((m) => !seen.has(`${m.size}:${m.relPath}`)).length,
    lastImport,
  };
}

/** Every file (size and name) a batch's segment records, or undefined when it cannot be read. */
async function importedNames(s: Session, batch: string): Promise<Set<string> | undefined> {
  try {
    const bf = new BatchFiles(s.home, batch);
    const db = await openSegment(bf, loadBatchKey(bf, s.master));
    try {
      return new Set(segmentRecords(db).map((r) => `${r.size}:${r.relPath}`));
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

export type DriveListEntry = DriveJson & { reinstall: InstallVerdict | null };

/** Every drive (or those in one state), with whether a stored one may go back into a camera. */
export function listDriveStates(s: Session, o: { state?: string } = {}): DriveListEntry[] {
  return listDrives(s, o.state).map((d) => ({
    ...driveJson(d),
    reinstall: d.state === 'stored' ? checkInstallable(s, d) : null,
  }));
}

export interface DriveHistoryEntry {
  event: number;
  action: string;
  /** When it happened (the time given with --at or at the prompt). */
  at: string;
  /** When it was recorded, and by whom. */
  recordedAt: string;
  by: string;
  camera: string | null;
  location: string | null;
  note: string | null;
}

/** One drive and its history. */
export function showDrive(s: Session, id: string): DriveJson & { history: DriveHistoryEntry[] } {
  const d = findDrive(s, id);
  return {
    ...driveJson(d),
    history: driveHistory(s, id).map((h) => ({
      event: h.seq,
      action: h.action,
      at: h.at,
      recordedAt: h.recorded_at,
      by: h.actor,
      camera: h.camera_id,
      location: h.location,
      note: h.note,
    })),
  };
}

/** How many drives each camera needs at its swap cadence, and when one would run out (policy §8). */
export function forecastDrives(s: Session, o: { horizonDays?: number } = {}): CameraForecast[] {
  const settings = s.settings;
  const swaps = removalsFromCameras(s);
  return driveForecast(
    listCameras(s).map((c) => ({
      id: c.id,
      swapCadenceDays: c.swap_cadence_days ?? undefined,
      swapHistory: swaps.filter((x) => x.camera_id === c.id).map((x) => new Date(x.at)),
    })),
    allDrives(s).map((d) => {
      const v = d.state === 'stored' ? checkInstallable(s, d) : undefined;
      return {
        id: d.id,
        state: d.state,
        cameraId: d.state === 'spare' ? undefined : (d.camera_id ?? undefined),
        eligibleFrom: v?.eligibleFrom ? new Date(v.eligibleFrom) : undefined,
      };
    }),
    s.clock(),
    settings.retentionDays,
    { horizonDays: o.horizonDays, timeZone: settings.timeZone },
  );
}

/**
 * Before a drive move that a hold or the retention period may forbid (an install, a retirement, a
 * wipe or destruction): the holds, batches and drive records it is decided on must be what the
 * signed events give (exit 8 otherwise, nothing recorded), as before a purge — an operator holding
 * only the record key could otherwise delete a hold's rows and have a held drive recorded over.
 */
export async function requireSignedDriveRecords(s: Session): Promise<void> {
  await requireSignedState(s, 'holds and drive records');
}

/** Record that a drive went into a camera; refused while its data may not be recorded over (policy §8). */
export async function installDrive(s: Session, o: { id: string; camera: string; at?: string }): Promise<DriveJson> {
  await requireSignedDriveRecords(s);
  const d = findDrive(s, o.id);
  const c = findCamera(s, o.camera);
  if (c.status !== 'active') throw new CustodyError('conflict', `Camera ${o.camera} is retired.`);
  const other = driveInCamera(s, o.camera);
  if (other)
    throw new CustodyError(
      'conflict',
      `Camera ${o.camera} already holds drive ${other.id}.`,
      `Record its removal first (\`custody drive remove ${other.id}\`).`,
    );
  const verdict = checkInstallable(s, d);
  if (!verdict.eligible)
    throw new CustodyError(
      'denied',
      verdict.reason,
      verdict.blockingHolds.length
        ? 'A hold is released with `custody hold release`.'
        : 'See `custody drive list` for the drives that may go in now.',
    );
  s.append('drive.installed', { drive: o.id, camera: o.camera, at: o.at ?? s.now() });
  s.commit();
  return driveJson(findDrive(s, o.id));
}

/** Record that a drive was taken out of its camera; `camera` is the one it came out of. */
export function removeDrive(s: Session, o: { id: string; at?: string }): { drive: DriveJson; camera: string | null } {
  const d = findDrive(s, o.id);
  s.append('drive.removed', { drive: o.id, camera: d.camera_id, at: o.at ?? s.now() });
  s.commit();
  return { drive: driveJson(findDrive(s, o.id)), camera: d.camera_id };
}

/** Record where a removed drive is kept (and since when: `at`, default now). */
export function storeDrive(s: Session, o: { id: string; location: string; at?: string }): DriveJson {
  findDrive(s, o.id);
  s.append('drive.stored', { drive: o.id, location: o.location, at: o.at ?? s.now() });
  s.commit();
  return driveJson(findDrive(s, o.id));
}

/**
 * Take a drive out of use for good (`at`: when, default now). Its data is not destroyed by this;
 * refused while a hold keeps what it holds (policy §8).
 */
export async function retireDrive(s: Session, o: { id: string; reason: string; at?: string }): Promise<DriveJson> {
  await requireSignedDriveRecords(s);
  findDrive(s, o.id);
  const held = standingHolds(holdsForDrive(s, o.id), s.clock());
  if (held.length)
    throw new CustodyError(
      'denied',
      `Drive ${o.id} is under hold ${held.join(', ')}; a held drive cannot be retired (policy §8: kept on written request).`,
      'A hold is released with `custody hold release`.',
    );
  s.append('drive.retired', { drive: o.id, reason: o.reason, at: o.at ?? s.now() });
  s.commit();
  return driveJson(findDrive(s, o.id));
}

export interface DestructionInput {
  id: string;
  /** How: e.g. "full overwrite with zeros (dd)", "shredded by ShredCo, certificate 1234". */
  method: string;
  /** When it was done (default now); never later than now. */
  at?: string;
}

/**
 * Record that a drive's data was destroyed (policy §8): wiped (the drive stays in use) or the
 * drive itself destroyed. Refused while the data may not yet be destroyed: a hold, images never
 * imported, or the retention period not over.
 */
export async function destroyDriveData(
  s: Session,
  o: DestructionInput & { how: 'wipe' | 'destroy' },
): Promise<DriveJson> {
  await requireSignedDriveRecords(s);
  const d = findDrive(s, o.id);
  const method = o.method.trim();
  if (!method)
    throw new CustodyError(
      'usage',
      '--method must say how it was done.',
      'For example --method "overwritten with zeros (dd)".',
    );
  const at = o.at ?? s.now();
  const when = parseIsoWithOffset(at);
  if (when && when.getTime() > s.clock().getTime())
    throw new CustodyError('usage', `--at ${at} is in the future.`, 'Record a wipe or destruction once it is done.');
  const v = checkDestroyable(s, d, when ?? s.clock());
  if (!v.eligible)
    throw new CustodyError(
      'denied',
      v.reason,
      v.blockingHolds.length
        ? 'A hold is released with `custody hold release`.'
        : `See \`custody drive show ${d.id}\`.`,
    );
  s.append(o.how === 'wipe' ? 'drive.wiped' : 'drive.destroyed', { drive: d.id, method, at });
  s.commit();
  return driveJson(findDrive(s, o.id));
}
