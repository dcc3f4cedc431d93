/**
 * The USB device under a block device, read from sysfs (src/media/usb-device.ts). A machine with
 * no USB bus cannot show a real stick, so the tree is laid out as Linux lays out a USB stick's
 * (the device, its interface, the SCSI host and disk, the partition; the root hub above it with its
 * own idVendor) in a folder, and the real code walks it; the real /sys and a real loop device are
 * read as well: a loop device has no USB device.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { majorMinor, readUsbDevice, sysfsText, usbDeviceInSysfs } from '../../src/media/usb-device.js';
import { tmpDir } from '../helpers/cli.js';

const HUB = 'devices/pci0000:00/0000:00:14.0/usb2';
const STICK = `${HUB}/2-1`;
const PART = `${STICK}/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb/sdb1`;

function file(root: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

function link(root: string, devNumber: string, target: string): void {
  fs.mkdirSync(path.join(root, 'dev', 'block'), { recursive: true });
  fs.mkdirSync(path.join(root, target), { recursive: true });
  fs.symlinkSync(path.join('..', '..', target), path.join(root, 'dev', 'block', devNumber));
}

/** A sysfs tree holding one SanDisk stick (partition 8:17, disk 8:16), a SATA disk (8:0) and a loop device (7:0). */
function fakeSys(o: { serial?: string; names?: boolean } = {}): string {
  const root = tmpDir('custody-sysfs-');
  for (const [k, v] of Object.entries({
    idVendor: '1d6b',
    idProduct: '0003',
    serial: '0000:00:14.0',
    product: 'xHCI Host Controller',
  }))
    file(root, `${HUB}/${k}`, `${v}\n`);
  file(root, `${STICK}/idVendor`, '0781\n');
  file(root, `${STICK}/idProduct`, '5567\n');
  if (o.names !== false) {
    file(root, `${STICK}/manufacturer`, 'SanDisk\n');
    file(root, `${STICK}/product`, ' Cruzer Blade\n');
  }
  if (o.serial !== undefined) file(root, `${STICK}/serial`, `${o.serial}\n`);
  file(root, `${STICK}/2-1:1.0/bInterfaceClass`, '08\n');
  link(root, '8:17', PART);
  link(root, '8:16', path.dirname(PART));
  link(root, '8:0', 'devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda');
  link(root, '7:0', 'devices/virtual/block/loop0');
  return root;
}

describe('the USB device above a block device in sysfs', () => {
  it('finds the stick above a partition or its disk, not its interface or the root hub', async () => {
    const sys = fakeSys({ serial: '4C530001230101115383' });
    const stick = { serial: '4C530001230101115383', vendor: 'SanDisk', model: 'Cruzer Blade' };
    expect(await usbDeviceInSysfs(sys, '8:17')).toEqual(stick);
    expect(await usbDeviceInSysfs(sys, '8:16')).toEqual(stick);
  });

  it('a stick with no serial string: its maker and product only; with no names: its USB ids', async () => {
    expect(await usbDeviceInSysfs(fakeSys(), '8:17')).toEqual({ vendor: 'SanDisk', model: 'Cruzer Blade' });
    expect(await usbDeviceInSysfs(fakeSys({ serial: 'AB12', names: false }), '8:17')).toEqual({
      serial: 'AB12',
      vendor: '0781',
      model: '5567',
    });
  });

  it('nothing for a SATA disk, a loop device, a device sysfs does not list, or no sysfs', async () => {
    const sys = fakeSys({ serial: 'AB12' });
    expect(await usbDeviceInSysfs(sys, '8:0')).toBeUndefined();
    expect(await usbDeviceInSysfs(sys, '7:0')).toBeUndefined();
    expect(await usbDeviceInSysfs(sys, '8:99')).toBeUndefined();
    expect(await usbDeviceInSysfs(path.join(sys, 'nowhere'), '8:17')).toBeUndefined();
  });

  it('keeps control characters and oversized strings out of the facts', () => {
    expect(sysfsText('AB\u001b[2J12\n')).toBe('AB[2J12');
    expect(sysfsText(' \n')).toBeUndefined();
    expect(sysfsText('x'.repeat(127))).toBeUndefined();
    expect(sysfsText(undefined)).toBeUndefined();
  });
});

describe('the block device a volume is mounted from', () => {
  it('decodes stat rdev as Linux does (major:minor), against the real /sys for a real loop device', async () => {
    expect(majorMinor(0x811n)).toBe('8:17');
    expect(majorMinor(BigInt((259 << 8) | 3))).toBe('259:3');
    // minor 300 spills into the high bits.
    expect(majorMinor(BigInt((8 << 8) | (300 & 0xff) | ((300 & ~0xff) << 12)))).toBe('8:300');
    if (process.platform !== 'linux' || !fs.existsSync('/dev/loop0')) return;
    const dev = fs.readFileSync('/sys/class/block/loop0/dev', 'utf8').trim();
    expect(majorMinor(fs.statSync('/dev/loop0', { bigint: true }).rdev)).toBe(dev);
  });

  it('reads the USB device of a real block device through the tree it is given; nothing for a loop device in the real /sys, a file or a folder', async (ctx) => {
    if (process.platform !== 'linux' || !fs.existsSync('/dev/loop0')) return ctx.skip('no /dev/loop0');
    const dev = fs.readFileSync('/sys/class/block/loop0/dev', 'utf8').trim();
    // The real /dev/loop0, in a tree that puts its number under a stick.
    const sys = tmpDir('custody-sysfs-');
    file(sys, `${STICK}/idVendor`, '0781\n');
    file(sys, `${STICK}/serial`, 'AB12\n');
    link(sys, dev, PART);
    expect(await readUsbDevice('/dev/loop0', sys)).toEqual({ serial: 'AB12', vendor: '0781' });
    expect(await readUsbDevice('/dev/loop0')).toBeUndefined();
    const f = path.join(tmpDir('custody-usbfile-'), 'image.img');
    fs.writeFileSync(f, 'x');
    expect(await readUsbDevice(f, sys)).toBeUndefined();
    expect(await readUsbDevice(path.dirname(f), sys)).toBeUndefined();
    expect(await readUsbDevice('/dev/no-such-device', sys)).toBeUndefined();
  });
});
