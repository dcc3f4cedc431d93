/**
 * Is the volume mounted now the drive the ledger recorded? (README "Drives".) A drive is named by
 * its id file (`.custody-drive.json`), which anyone can copy onto another stick, or into a folder,
 * with the files beside it: taken for the recorded drive, that stick's files would be imported, or
 * handed over on a receipt, as the recorded drive's. So what was recorded about the volume at its
 * enrolment is compared with what it is now:
 * - its volume serial (the file system's UUID; FAT `1A2B-3C4D`) differs: another file system, so not
 *   that drive as enrolled — refused;
 * - its size differs by more than 2 %: another stick — refused;
 * - its file-system type or label differs, or a fact recorded cannot be read now: a warning only
 *   (a label is renamed by people; one file system is named `vfat` by blkid and `fuse.fusefat` by a
 *   FUSE mount with no blkid; an unreadable serial proves nothing);
 * - a source that is a folder, not a mounted volume: nothing of a volume to compare — a warning
 *   when the drive was recorded with a volume serial.
 * What was never recorded (a drive enrolled from a folder, or with `--id` only) is not compared.
 * Pure: the facts in, the findings out.
 */
import { formatBytes } from './format.js';

export interface VolumeFacts {
  serial?: string | null;
  capacityBytes?: number | null;
  fsType?: string | null;
  label?: string | null;
}

export interface VolumeCheck {
  /** Disagreements that make it another volume than the one recorded: refuse. */
  refuse: string[];
  /** What could not be compared, or differs without proving another volume. */
  warn: string[];
}

/** Sizes closer than this (as a share of the larger) are one size: file systems count blocks differently. */
export const CAPACITY_TOLERANCE = 0.02;

const serialKey = (s: string) =>
  s
    .trim()
    .toUpperCase()
    .replace(/[^0-9A-Z]/g, '');
const fsKey = (s: string) =>
  s
    .trim()
    .toLowerCase()
    .replace(/^fuse\./, '');
const known = <T>(v: T | null | undefined): v is T => v !== null && v !== undefined && v !== '';

/**
 * The recorded drive's facts against the volume at the source now (`now` undefined: the source is
 * a folder, not a mounted volume).
 */
export function checkVolume(driveId: string, recorded: VolumeFacts, now: VolumeFacts | undefined): VolumeCheck {
  const refuse: string[] = [];
  const warn: string[] = [];
  if (!now) {
    if (known(recorded.serial))
      warn.push(
        `the source is a folder, not a mounted volume: it cannot be compared with drive ${driveId}'s volume serial ${recorded.serial}`,
      );
    return { refuse, warn };
  }
  if (known(recorded.serial)) {
    if (!known(now.serial))
      warn.push(`its volume serial could not be read to compare with drive ${driveId}'s ${recorded.serial}`);
    else if (serialKey(now.serial) !== serialKey(recorded.serial))
      refuse.push(`its volume serial is ${now.serial}, drive ${driveId} was enrolled with ${recorded.serial}`);
  }
  if (
    known(recorded.capacityBytes) &&
    recorded.capacityBytes > 0 &&
    known(now.capacityBytes) &&
    now.capacityBytes > 0
  ) {
    const a = recorded.capacityBytes;
    const b = now.capacityBytes;
    if (Math.abs(a - b) / Math.max(a, b) > CAPACITY_TOLERANCE)
      refuse.push(`it holds ${formatBytes(b)}, drive ${driveId} was enrolled at ${formatBytes(a)}`);
  }
  if (known(recorded.fsType) && known(now.fsType) && fsKey(recorded.fsType) !== fsKey(now.fsType))
    warn.push(`its file system is ${now.fsType}, drive ${driveId} was enrolled as ${recorded.fsType}`);
  if (known(recorded.label) && known(now.label) && recorded.label.trim() !== now.label.trim())
    warn.push(`its volume label is ${now.label}, drive ${driveId} was enrolled as ${recorded.label}`);
  return { refuse, warn };
}
