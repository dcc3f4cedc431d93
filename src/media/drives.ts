/**
 * USB drives: which are plugged in (drivelist), what volume a mount point holds, and the one
 * small file the tool writes on a drive to recognise it at the next swap.
 *
 * The parsing is pure and tested on recorded drivelist output from Linux, macOS and Windows;
 * the functions that call drivelist, lsblk, blkid and statfs are thin edges.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CustodyError } from '../core/errors.js';
import { parseIsoWithOffset } from '../core/time.js';
import { findMount, type MountEntry } from './mounts.js';
import { readUsbDevice } from './usb-device.js';

const execFileP = promisify(execFile);

export interface UsbDrive {
  /** `/dev/sdb`, `/dev/disk4`, `\\.\PHYSICALDRIVE1`. */
  device: string;
  /** Vendor, model and labels as the OS describes the drive. */
  description: string;
  /** Bytes; 0 when the OS did not say. */
  size: number;
  mountpoints: { path: string; label?: string }[];
  /** The USB device's serial number, when the OS exposes it (Linux: lsblk SERIAL). */
  serial?: string;
  isReadOnly: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * Pure: keep the USB drives of drivelist's `list()` output and reshape them.
 *
 * A drive counts when `isUSB === true` or `busType === 'USB'`, and it is neither virtual nor
 * the system disk. `isRemovable` alone is not used: drivelist sets it for zram and other
 * virtual devices. Entries of the wrong shape are skipped, never thrown on.
 *
 * @param serials device → serial number, from `lsblk` on Linux (drivelist does not report it).
 */
export function parseDrivelist(raw: unknown[], serials: ReadonlyMap<string, string> = new Map()): UsbDrive[] {
  const out: UsbDrive[] = [];
  if (!Array.isArray(raw)) return out;
  for (const d of raw) {
    if (!isRecord(d)) continue;
    const device = str(d.device);
    if (!device) continue;
    const usb = d.isUSB === true || (typeof d.busType === 'string' && d.busType.toUpperCase() === 'USB');
    if (!usb || d.isVirtual === true || d.isSystem === true) continue;
    const mountpoints: UsbDrive['mountpoints'] = [];
    if (Array.isArray(d.mountpoints)) {
      for (const m of d.mountpoints) {
        if (!isRecord(m)) continue;
        const p = str(m.path);
        if (!p) continue;
        const label = str(m.label);
        mountpoints.push(label ? { path: p, label } : { path: p });
      }
    }
    const size = typeof d.size === 'number' && Number.isFinite(d.size) && d.size > 0 ? d.size : 0;
    const drive: UsbDrive = {
      device,
      description: (str(d.description) ?? '').trim(),
      size,
      mountpoints,
      isReadOnly: d.isReadOnly === true,
    };
    const serial = serials.get(device);
    if (serial) drive.serial = serial;
    out.push(drive);
  }
  out.sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
  return out;
}

/** Pure: device path → SERIAL from `lsblk -J -o PATH,SERIAL` output. */
export function parseLsblkSerials(json: string): Map<string, string> {
  const out = new Map<string, string>();
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return out;
  }
  const visit = (devs: unknown) => {
    if (!Array.isArray(devs)) return;
    for (const d of devs) {
      if (!isRecord(d)) continue;
      const p = str(d.path) ?? (str(d.name) ? `/dev/${d.name as string}` : undefined);
      const s = str(d.serial)?.trim();
      if (p && s) out.set(p, s);
      visit(d.children);
    }
  };
  if (isRecord(data)) visit(data.blockdevices);
  return out;
}

/** The USB drives plugged into this machine. Throws CustodyError('io') if drivelist fails. */
export async function listUsbDrives(): Promise<UsbDrive[]> {
  let raw: unknown[];
  try {
    // Loaded on demand: it is a native module and most commands never list drives.
    const drivelist = (await import('drivelist')) as unknown as { list(): Promise<unknown[]> };
    raw = await drivelist.list();
  } catch (e) {
    throw new CustodyError('io', `Could not list drives: ${e instanceof Error ? e.message : String(e)}`, undefined, {
      cause: e,
    });
  }
  let serials = new Map<string, string>();
  if (process.platform === 'linux') {
    try {
      const { stdout } = await execFileP('lsblk', ['-J', '-d', '-o', 'PATH,SERIAL'], { timeout: 10_000 });
      serials = parseLsblkSerials(stdout);
    } catch {
      /* serials are optional */
    }
  }
  return parseDrivelist(raw, serials);
}

export interface VolumeInfo {
  label?: string;
  /** The file system's volume serial / UUID (FAT: `ABCD-1234`), not the USB device's serial. */
  serial?: string;
  /** `vfat`, `exfat`, `ntfs`… as probed; else the mount table's type (`fuse.fusefat`). */
  fsType?: string;
  capacityBytes?: number;
  usedBytes?: number;
  /** What is mounted there: a device, or an image file for a FUSE mount. */
  source?: string;
  /** The USB device's own serial number (iSerial) that the volume is on, where the machine tells it (`usb-device.ts`). */
  usbSerial?: string;
  /** That USB device's maker and product, as it names itself. */
  usbVendor?: string;
  usbModel?: string;
}

/** Pure: `blkid -o export` output → label, UUID and type. */
export function parseBlkidExport(text: string): { label?: string; uuid?: string; type?: string } {
  const out: { label?: string; uuid?: string; type?: string } = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i <= 0) continue;
    const k = line.slice(0, i);
    // blkid -o export escapes with backslashes for shell use.
    const v = line.slice(i + 1).replace(/\\(.)/g, '$1');
    if (!v) continue;
    if (k === 'LABEL') out.label = v;
    else if (k === 'UUID') out.uuid = v;
    else if (k === 'TYPE') out.type = v;
  }
  return out;
}

/** Pure: `lsblk -J -o LABEL,UUID,FSTYPE` for one device → the same fields. */
export function parseLsblkVolume(json: string): { label?: string; uuid?: string; type?: string } {
  try {
    const data = JSON.parse(json) as unknown;
    if (!isRecord(data) || !Array.isArray(data.blockdevices) || !isRecord(data.blockdevices[0])) return {};
    const d = data.blockdevices[0];
    const out: { label?: string; uuid?: string; type?: string } = {};
    if (str(d.label)) out.label = d.label as string;
    if (str(d.uuid)) out.uuid = d.uuid as string;
    if (str(d.fstype)) out.type = d.fstype as string;
    return out;
  } catch {
    return {};
  }
}

async function probe(source: string): Promise<{ label?: string; uuid?: string; type?: string }> {
  if (source.startsWith('/dev/')) {
    try {
      const { stdout } = await execFileP('lsblk', ['-J', '-n', '-o', 'LABEL,UUID,FSTYPE', source], { timeout: 10_000 });
      const r = parseLsblkVolume(stdout);
      if (r.type) return r;
    } catch {
      /* try blkid */
    }
  }
  try {
    // -p: low-level probe, no cache (the cache may describe the previous drive in this slot).
    const { stdout } = await execFileP('blkid', ['-p', '-o', 'export', source], { timeout: 10_000 });
    return parseBlkidExport(stdout);
  } catch {
    return {};
  }
}

/**
 * Pure: the source (device or image file) of the FUSE mount at `mountPath`, from the command
 * lines of running processes (`fusefat -o ro /dev/loop0 /media/x`): FUSE mounts such as fusefat
 * record their source in the mount table as just `fusefat`. The source is the positional argument
 * just before the mount point; options and their values (`-o ro`) are skipped.
 */
export function fuseSourceFromCmdlines(cmdlines: readonly string[][], mountPath: string): string | undefined {
  for (const argv of cmdlines) {
    const positional: string[] = [];
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '-o') i++;
      else if (!a.startsWith('-')) positional.push(a);
    }
    const at = positional.lastIndexOf(mountPath);
    if (at >= 1 && positional[at - 1]!.startsWith('/')) return positional[at - 1];
  }
  return undefined;
}

/** The command lines of this machine's processes (Linux /proc), each split into its arguments. */
async function processCmdlines(): Promise<string[][]> {
  const out: string[][] = [];
  let pids: string[] = [];
  try {
    pids = (await fsp.readdir('/proc')).filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const argv = (await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
      if (argv.length > 1) out.push(argv);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

/**
 * Pure: the volume id and label in a FAT boot sector (the first 512 bytes of the volume), as
 * blkid writes them (`1A2B-3C4D`). FAT12/16 keep them at 0x27/0x2B, FAT32 (no 16-bit FAT size)
 * at 0x43/0x47, each only when the extended boot signature 0x29 is there.
 */
export function parseFatBootSector(b: Buffer): { uuid?: string; label?: string; type?: string } {
  if (b.length < 512 || b[510] !== 0x55 || b[511] !== 0xaa) return {};
  const bytesPerSector = b.readUInt16LE(11);
  if (![512, 1024, 2048, 4096].includes(bytesPerSector) || b[16] === 0) return {};
  const fat32 = b.readUInt16LE(22) === 0;
  const sig = fat32 ? 0x42 : 0x26;
  if (b[sig] !== 0x29) return { type: 'vfat' };
  const id = b.readUInt32LE(sig + 1);
  const hex = id.toString(16).toUpperCase().padStart(8, '0');
  const label = b.toString('latin1', sig + 5, sig + 16).trim();
  return {
    type: 'vfat',
    uuid: `${hex.slice(0, 4)}-${hex.slice(4)}`,
    ...(label && label !== 'NO NAME' ? { label } : {}),
  };
}

async function readBootSector(source: string): Promise<{ uuid?: string; label?: string; type?: string }> {
  try {
    const fh = await fsp.open(source, 'r');
    try {
      const b = Buffer.alloc(512);
      await fh.read(b, 0, 512, 0);
      return parseFatBootSector(b);
    } finally {
      await fh.close();
    }
  } catch {
    return {};
  }
}

export interface ReadVolumeOptions {
  /** The mount table to use. @default read now with `listMounts()` */
  mounts?: MountEntry[];
  /**
   * The device or image to probe. @default the mount table's source; for a FUSE mount whose
   * table entry says only `fusefat`, the device or image named on the FUSE process's command line
   */
  source?: string;
  /** @internal for tests: the command lines of running processes. @default read from /proc */
  cmdlines?: string[][];
}

/**
 * What is known about the volume mounted at `mountPath`. Anything that cannot be found out
 * is left undefined; never throws. The serial and label come from `lsblk`/`blkid` on the device
 * or image behind the mount, else from its FAT boot sector; the USB device's serial, maker and
 * product from sysfs (`readUsbDevice`), when that device is a USB one.
 */
export async function readVolumeInfo(mountPath: string, opts: ReadVolumeOptions = {}): Promise<VolumeInfo> {
  const info: VolumeInfo = {};
  try {
    const s = await fsp.statfs(mountPath);
    // Some FUSE file systems (fusefat) answer statfs with zeros: that is "unknown", not empty.
    if (s.blocks > 0 && s.bsize > 0) {
      info.capacityBytes = s.blocks * s.bsize;
      info.usedBytes = (s.blocks - s.bfree) * s.bsize;
    }
  } catch {
    /* unknown */
  }
  const entry = await findMount(mountPath, opts.mounts).catch(() => undefined);
  if (entry) {
    info.source = entry.source;
    info.fsType = entry.fsType;
    if (!entry.source.startsWith('/') && entry.fsType.startsWith('fuse')) {
      const found = fuseSourceFromCmdlines(opts.cmdlines ?? (await processCmdlines()), entry.mountPath);
      if (found) info.source = found;
    }
  }
  if (opts.source) info.source = opts.source;
  // Only a path (a device or an image file) can be probed; "fusefat" or "tmpfs" cannot.
  if (entry && info.source?.startsWith('/')) {
    let p = await probe(info.source);
    if (!p.uuid) {
      const boot = await readBootSector(info.source);
      if (boot.uuid) p = { ...boot, ...p, uuid: boot.uuid, label: p.label ?? boot.label };
    }
    if (p.label) info.label = p.label;
    if (p.uuid) info.serial = p.uuid;
    if (p.type) info.fsType = p.type;
    const usb = await readUsbDevice(info.source);
    if (usb?.serial) info.usbSerial = usb.serial;
    if (usb?.vendor) info.usbVendor = usb.vendor;
    if (usb?.model) info.usbModel = usb.model;
  }
  return info;
}

// ——— the drive id file ———————————————————————————————————————————————

/** The one file the tool writes on a drive: who it is, so the next swap recognises it. */
export const DRIVE_ID_FILE = '.custody-drive.json';

/** Bigger than this is not ours. */
const DRIVE_ID_MAX_BYTES = 16 * 1024;
const DRIVE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface DriveIdInfo {
  driveId: string;
  /** ISO-8601 with offset. */
  enrolledAt: string;
  /** An identifier of the custody home that enrolled the drive. */
  home?: string;
}

export type DriveIdReadFailure =
  /** No id file: a new drive, or one formatted since. */
  | 'missing'
  /** The path is a folder, a link or something else that is not a plain file. */
  | 'not-a-file'
  | 'too-large'
  | 'unreadable'
  | 'not-json'
  /** JSON, but not of the expected shape (missing or bad fields). */
  | 'invalid';

export type DriveIdRead =
  | { info: DriveIdInfo; reason?: undefined; detail?: undefined }
  | { info: null; reason: DriveIdReadFailure; detail: string };

/** Pure: validate parsed JSON as a drive id. */
export function parseDriveIdJson(data: unknown): DriveIdRead {
  if (!isRecord(data)) return { info: null, reason: 'invalid', detail: 'not a JSON object' };
  const { driveId, enrolledAt, home } = data;
  if (typeof driveId !== 'string' || !DRIVE_ID_RE.test(driveId))
    return { info: null, reason: 'invalid', detail: 'driveId missing or malformed' };
  if (typeof enrolledAt !== 'string' || !parseIsoWithOffset(enrolledAt))
    return { info: null, reason: 'invalid', detail: 'enrolledAt missing or not ISO-8601 with offset' };
  if (home !== undefined && (typeof home !== 'string' || home.length === 0 || home.length > 200))
    return { info: null, reason: 'invalid', detail: 'home malformed' };
  const info: DriveIdInfo = { driveId, enrolledAt };
  if (typeof home === 'string') info.home = home;
  return { info };
}

/**
 * Read the drive id file at the root of a drive. Never throws: a missing, oversized or
 * garbled file comes back as `{ info: null, reason, detail }`.
 */
export async function readDriveIdFile(root: string): Promise<DriveIdRead> {
  const p = path.join(root, DRIVE_ID_FILE);
  let st: Awaited<ReturnType<typeof fsp.lstat>>;
  try {
    st = await fsp.lstat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return { info: null, reason: 'missing', detail: `${DRIVE_ID_FILE} not found` };
    return { info: null, reason: 'unreadable', detail: String((e as Error).message ?? e) };
  }
  if (!st.isFile()) return { info: null, reason: 'not-a-file', detail: `${DRIVE_ID_FILE} is not a regular file` };
  if (st.size > DRIVE_ID_MAX_BYTES) return { info: null, reason: 'too-large', detail: `${st.size} bytes` };
  let text: string;
  try {
    text = await fsp.readFile(p, 'utf8');
  } catch (e) {
    return { info: null, reason: 'unreadable', detail: String((e as Error).message ?? e) };
  }
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    return { info: null, reason: 'not-json', detail: String((e as Error).message ?? e) };
  }
  return parseDriveIdJson(data);
}

/** Errors that mean the drive cannot be written at all (a write-protect switch, a read-only mount). */
const READ_ONLY = new Set(['EROFS', 'EACCES', 'EPERM']);

/**
 * Mark a drive with its id file; `read-only` when the drive cannot be written (it is then known
 * by its volume serial instead). Other failures (a full drive, an I/O error) are thrown.
 */
export async function markDrive(root: string, info: DriveIdInfo): Promise<'written' | 'read-only'> {
  try {
    await writeDriveIdFile(root, info);
    return 'written';
  } catch (e) {
    const code = ((e as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    if (code && READ_ONLY.has(code)) return 'read-only';
    throw e;
  }
}

/**
 * Write the drive id file atomically: a temporary file in the same folder, fsync, rename over
 * the old one, fsync the folder. The only write the tool ever makes to a camera drive.
 * Throws CustodyError('io') on failure, leaving any previous id file as it was.
 */
export async function writeDriveIdFile(root: string, info: DriveIdInfo): Promise<void> {
  const check = parseDriveIdJson(info);
  if (!check.info) throw new CustodyError('internal', `Refusing to write an invalid drive id: ${check.detail}`);
  const target = path.join(root, DRIVE_ID_FILE);
  // Named so that walkDrive skips it if a crash leaves it behind.
  const tmp = path.join(root, `${DRIVE_ID_FILE}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const body = `${JSON.stringify({ custody: 1, ...check.info }, null, 2)}\n`;
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(tmp, 'wx');
    await fh.writeFile(body, 'utf8');
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fsp.rename(tmp, target);
  } catch (e) {
    await fh?.close().catch(() => {});
    await fsp.unlink(tmp).catch(() => {});
    throw new CustodyError(
      'io',
      `Could not write ${DRIVE_ID_FILE} on ${root}: ${(e as Error).message ?? e}`,
      'Is the drive write-protected or full?',
      { cause: e },
    );
  }
  // Make the rename durable. Directories cannot be fsynced on every platform/file system
  // (Windows, some FUSE), so a failure here is not an error: the data file itself is synced.
  try {
    const dh = await fsp.open(root, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    /* best effort */
  }
}
