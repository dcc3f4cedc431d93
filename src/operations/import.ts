/**
 * The import of a drive (policy §2: the custodian retrieves the stored data): find the drive,
 * recognise it (or enrol it), then copy, hash, encrypt and verify every file into a new batch.
 * The steps are separate so a command can ask its questions between them.
 */
import { CustodyError } from '../core/errors.js';
import { type DriveRow, drivesBySerial, getDrive } from '../ledger/drives.js';
import type { Session } from '../ledger/session.js';
import { checkSourceOutsideHome } from '../ledger/outputs.js';
import type { ImportProgress, ImportSummary } from '../media/import.js';
import { enrolDrive, mountedVolume, requireRecordedVolume } from './drives.js';

export interface SourceChoice {
  path: string;
  label?: string;
}

/** The mounted USB drives that drivelist sees, one entry per mount point. */
export async function usbSources(): Promise<SourceChoice[]> {
  const { listUsbDrives } = await import('../media/drives.js');
  const usb = (await listUsbDrives().catch(() => [])).flatMap((d) =>
    d.mountpoints.map((m) => ({ path: m.path, label: m.label ?? d.description })),
  );
  if (usb.length === 0)
    throw new CustodyError(
      'notFound',
      'No mounted USB drive was found.',
      'Plug the drive in (and mount it), or give its folder with --source PATH.',
    );
  return usb;
}

/**
 * A drive recognised by the ledger (with warnings to print: what of its volume could not be
 * compared with its enrolment), or an unknown one (with its volume label, to ask about it).
 */
export type Recognised =
  | { drive: DriveRow; warnings: string[] }
  | { drive?: undefined; source: string; volumeLabel?: string };

/**
 * Recognise the drive at `source`: its id file, else its volume serial; either way the volume must
 * be the one the drive was enrolled as (`requireRecordedVolume`: a serial or size that disagrees is
 * exit 8, nothing imported or recorded).
 */
export async function recogniseDrive(s: Session, source: string): Promise<Recognised> {
  checkSourceOutsideHome(s.home.dir, source);
  const { readDriveIdFile } = await import('../media/drives.js');
  const id = await readDriveIdFile(source);
  if (id.info) {
    if (id.info.home && id.info.home !== s.home.json.homeId)
      throw new CustodyError(
        'conflict',
        `This drive (${id.info.driveId}) was enrolled by another custody home.`,
        'Check where it came from before importing it.',
      );
    const row = getDrive(s, id.info.driveId);
    if (row) return { drive: row, warnings: await requireRecordedVolume(row, source, 'imported or recorded') };
  }
  const vol = (await mountedVolume(source)) ?? {};
  if (vol.serial) {
    const bySerial = drivesBySerial(s, vol.serial);
    if (bySerial.length === 1)
      return {
        drive: bySerial[0]!,
        warnings: await requireRecordedVolume(bySerial[0]!, source, 'imported or recorded'),
      };
  }
  return { source, volumeLabel: vol.label };
}

/** An unknown drive is enrolled (and committed) only when the custodian agreed to. */
export async function enrolUnknownDrive(s: Session, source: string, agreed: boolean): Promise<DriveRow> {
  if (!agreed)
    throw new CustodyError(
      'notFound',
      `The drive at ${source} is not enrolled.`,
      'Enrol it with --enrol (or `custody drive enrol --source PATH`).',
    );
  return enrolDrive(s, { source });
}

export interface ImportInput {
  /** Where the drive is mounted. */
  source: string;
  driveId: string;
  /** The camera it came from (null: not known). */
  cameraId: string | null;
  /** When the drive was taken out of the camera (recorded with the batch). */
  removedAt?: string;
  /** Also re-read each file from the drive and compare. @default false */
  verifySource?: boolean;
  onProgress?: (p: ImportProgress) => void;
  /** An aborted import stops cleanly between files and resumes next time. */
  signal?: AbortSignal;
}

/** `--verify` takes only "source". */
export function checkVerify(verify: string | undefined): void {
  if (verify !== undefined && verify !== 'source') throw new CustodyError('usage', '--verify takes "source".');
}

/** Import (or resume the import of) one drive into one batch; the batch commits itself. */
export async function importMedia(s: Session, o: ImportInput): Promise<ImportSummary> {
  const { importDrive } = await import('../media/import.js');
  const { endExiftool } = await import('../media/exif.js');
  checkSourceOutsideHome(s.home.dir, o.source);
  try {
    return await importDrive(s, {
      source: o.source,
      driveId: o.driveId,
      cameraId: o.cameraId,
      removedAt: o.removedAt,
      verifySource: o.verifySource,
      signal: o.signal,
      onProgress: o.onProgress,
    });
  } finally {
    await endExiftool();
  }
}

/** A partial failure: what failed is listed, the rest is stored, and the command exits non-zero. */
export function partialFailure(sum: ImportSummary): CustodyError | undefined {
  if (sum.failed === 0) return undefined;
  return new CustodyError(
    'partial',
    `${sum.failed} file(s) failed to import or verify; the other ${sum.files - sum.failed} are stored and recorded.`,
    'Fix the cause (see the list) and run the import again: it imports only what is missing.',
  );
}
