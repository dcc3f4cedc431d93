/**
 * Is the volume mounted now the drive the ledger recorded? (README "Drives".) A drive is named by
 * its id file (`.custody-drive.json`), which anyone can copy onto another stick, or into a folder,
 * with the files beside it: taken for the recorded drive, that stick's files would be imported, or
 * handed over on a receipt, as the recorded drive's. So what was recorded about the volume at its
 * enrolment is compared with what it is now:
 * - its volume serial (the file system's UUID; FAT `1A2B-3C4D`) differs: another file system, so not
 *   that drive as enrolled — refused;
 * - its size differs by more than 2 %: another stick — refused;
 * - the USB device it is on has another serial number (its iSerial, which copying the files or
 *   forging the volume serial with `mkfs.vfat -i` / `mlabel -N` does not change): another stick —
 *   refused;
 * - its file-system type or label differs, the USB device's maker or product differs, or a fact
 *   recorded cannot be read now: a warning only (a label is renamed by people; one file system is
 *   named `vfat` by blkid and `fuse.fusefat` by a FUSE mount with no blkid; an unreadable serial
 *   proves nothing: a loop device or an image has no USB device, a card reader or hub may hide it);
 * - a USB device serial read now for a drive whose enrolment recorded none (enrolled before custody
 *   recorded it, from a folder, or where it could not be read): a warning that it is not compared;
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
  /** The serial number of the USB device the volume is on (not the file system's). */
  usbSerial?: string | null;
  usbVendor?: string | null;
  usbModel?: string | null;
}

export interface VolumeCheck {
  /** Disagreements that make it another volume than the one recorded: refuse. */
  refuse: string[];
  /** What could not be compared, or differs without proving another volume. */
  warn: string[];
  /**
   * True when the USB device's serial is the only refusal: the volume is the enrolled one's to the
   * byte count and serial, so it may be the same card read through another card reader or adapter
   * (whose serial is the one a reader reports), or a copy with the volume serial forged.
   */
  usbOnly?: true;
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
    const facts = [
      known(recorded.serial) ? `volume serial ${recorded.serial}` : undefined,
      known(recorded.usbSerial) ? `USB device serial ${recorded.usbSerial}` : undefined,
    ].filter(known);
    if (facts.length)
      warn.push(
        `the source is a folder, not a mounted volume: it cannot be compared with drive ${driveId}'s ${facts.join(' and ')}`,
      );
    return { refuse, warn };
  }
  if (known(recorded.serial)) {
    if (!known(now.serial))
      warn.push(`its volume serial could not be read to compare with drive ${driveId}'s ${recorded.serial}`);
    else if (serialKey(now.serial) !== serialKey(recorded.serial))
      refuse.push(`its volume serial is ${now.serial}, drive ${driveId} was enrolled with ${recorded.serial}`);
  }
  const volumeRefusals = refuse.length;
  checkUsb(driveId, recorded, now, refuse, warn);
  const usbRefused = refuse.length > volumeRefusals;
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
  return usbRefused && refuse.length === 1 ? { refuse, warn, usbOnly: true } : { refuse, warn };
}

/** The USB device under the volume: another serial refuses; one unread, unrecorded, or another maker or product warns. */
function checkUsb(driveId: string, recorded: VolumeFacts, now: VolumeFacts, refuse: string[], warn: string[]): void {
  if (known(recorded.usbSerial)) {
    if (!known(now.usbSerial))
      warn.push(
        `the serial of the USB device it is on could not be read (a loop device or image, a card reader or hub that hides it, or not Linux) to compare with drive ${driveId}'s ${recorded.usbSerial}`,
      );
    else if (serialKey(now.usbSerial) !== serialKey(recorded.usbSerial))
      refuse.push(
        `it is on the USB device with serial ${now.usbSerial}, drive ${driveId} was enrolled on the one with serial ${recorded.usbSerial}`,
      );
  } else if (known(now.usbSerial))
    warn.push(
      `drive ${driveId}'s enrolment recorded no USB device serial (enrolled before custody recorded it, or where it could not be read), so this one's, ${now.usbSerial}, is not compared`,
    );
  const maker = (f: VolumeFacts) => [f.usbVendor, f.usbModel].filter(known).join(' ');
  for (const k of ['usbVendor', 'usbModel'] as const) {
    const a = recorded[k];
    const b = now[k];
    if (known(a) && known(b) && serialKey(a) !== serialKey(b)) {
      warn.push(`it is on a ${maker(now)} USB device, drive ${driveId} was enrolled on a ${maker(recorded)}`);
      return;
    }
  }
}
