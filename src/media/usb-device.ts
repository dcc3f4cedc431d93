/**
 * The USB device a volume is on: its own serial number (the iSerial string the stick reports,
 * which a copy of its files or a forged volume serial does not carry over), its maker and product.
 * README "Drives", core/drive-identity.ts.
 *
 * Linux only, from sysfs: the block device's node (`/sys/dev/block/<major>:<minor>`, a partition
 * or the whole disk) is a link into the device tree; the first folder above it holding `idVendor`
 * is the USB device (its interfaces hold none; a hub, further up, is not reached). Its `serial`,
 * `manufacturer` and `product` files are the strings udev reports as ID_SERIAL_SHORT, ID_VENDOR
 * and ID_MODEL (udev reads them there, and mangles spaces), so no udev daemon, `udevadm` or
 * `lsblk` is needed: it works in a minimal install or a container as well. What sysfs does not
 * show is unknown: a loop device or an image file (no USB device above it), a disk on SATA or
 * NVMe, a mapped (LUKS, LVM) volume, macOS and Windows — `undefined`, never an error.
 *
 * `readUsbDevice` is the one place custody asks the system about the USB bus; tests that need a
 * USB stick where there is none replace that function alone.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';

export interface UsbDeviceFacts {
  /** The USB device's serial number (iSerial); absent when the device reports none. */
  serial?: string;
  /** Its maker as the device names itself (`manufacturer`), else its USB vendor id (`0781`). */
  vendor?: string;
  /** Its product as the device names itself (`product`), else its USB product id (`5567`). */
  model?: string;
}

/** A USB string descriptor holds at most 126 characters; anything longer is not one. */
const MAX_ATTR = 126;

/** Pure: one sysfs attribute's text as a fact: control characters dropped, trimmed, bounded; empty → undefined. */
export function sysfsText(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const v = raw.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  return v && v.length <= MAX_ATTR ? v : undefined;
}

/** Pure: Linux's `dev_t` (stat's `rdev`) → `major:minor` (glibc's gnu_dev_major/minor). */
export function majorMinor(rdev: bigint): string {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

async function attr(dir: string, name: string): Promise<string | undefined> {
  try {
    const fh = await fsp.open(path.join(dir, name), 'r');
    try {
      const b = Buffer.alloc(512);
      const { bytesRead } = await fh.read(b, 0, b.length, 0);
      return sysfsText(b.toString('utf8', 0, bytesRead));
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * The USB device above block device `devNumber` (`8:17`) in the sysfs tree at `sysRoot`, or
 * undefined when there is none (a loop device, a SATA disk) or sysfs cannot be read.
 */
export async function usbDeviceInSysfs(sysRoot: string, devNumber: string): Promise<UsbDeviceFacts | undefined> {
  let dir: string;
  let top: string;
  try {
    dir = await fsp.realpath(path.join(sysRoot, 'dev', 'block', devNumber));
    top = await fsp.realpath(path.join(sysRoot, 'devices'));
  } catch {
    return undefined;
  }
  while (dir.startsWith(`${top}${path.sep}`)) {
    const idVendor = await attr(dir, 'idVendor');
    if (idVendor) {
      const facts: UsbDeviceFacts = {};
      const serial = await attr(dir, 'serial');
      const vendor = (await attr(dir, 'manufacturer')) ?? idVendor;
      const model = (await attr(dir, 'product')) ?? (await attr(dir, 'idProduct'));
      if (serial) facts.serial = serial;
      if (vendor) facts.vendor = vendor;
      if (model) facts.model = model;
      return facts;
    }
    dir = path.dirname(dir);
  }
  return undefined;
}

/**
 * The USB device that `device` (what a volume is mounted from: `/dev/sdb1`, `/dev/loop0`, an
 * image file) is on, as this machine tells it; undefined when it is not a block device on a USB
 * device, or the machine cannot tell (not Linux). Never throws.
 */
export async function readUsbDevice(device: string, sysRoot = '/sys'): Promise<UsbDeviceFacts | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    const st = await fsp.stat(device, { bigint: true });
    if (!st.isBlockDevice()) return undefined;
    return await usbDeviceInSysfs(sysRoot, majorMinor(st.rdev));
  } catch {
    return undefined;
  }
}
