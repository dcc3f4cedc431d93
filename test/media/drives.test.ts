import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync, symlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DRIVE_ID_FILE,
  fuseSourceFromCmdlines,
  listUsbDrives,
  parseFatBootSector,
  parseBlkidExport,
  parseDrivelist,
  parseLsblkSerials,
  parseLsblkVolume,
  readDriveIdFile,
  readVolumeInfo,
  writeDriveIdFile,
} from '../../src/media/drives.js';
import { isCustodyError } from '../../src/core/errors.js';

const recorded = (name: string): unknown[] =>
  JSON.parse(readFileSync(new URL(`./recorded/${name}`, import.meta.url), 'utf8')) as unknown[];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'custody-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('parseDrivelist on recorded output', () => {
  it('this machine (a VM: zram is "removable" but virtual, the disk is the system) has no USB drive', () => {
    const raw = recorded('drivelist-linux-vm-no-usb.json');
    expect(raw.length).toBeGreaterThan(0);
    expect(parseDrivelist(raw)).toEqual([]);
  });

  it('Linux: the USB sticks, not NVMe or zram; serials from lsblk', () => {
    const serials = parseLsblkSerials(
      JSON.stringify({
        blockdevices: [
          { path: '/dev/sdb', serial: '4C530001230915110404 ' },
          { path: '/dev/nvme0n1', serial: 'S4EWNX0R' },
        ],
      }),
    );
    expect(parseDrivelist(recorded('drivelist-linux-usb-stick.json'), serials)).toEqual([
      {
        device: '/dev/sdb',
        description: 'SanDisk Cruzer Blade (CAM-07)',
        size: 32015679488,
        mountpoints: [{ path: '/media/asd/CAM-07', label: 'CAM-07' }],
        serial: '4C530001230915110404',
        isReadOnly: false,
      },
      { device: '/dev/sdc', description: 'Generic Flash Disk', size: 15518924800, mountpoints: [], isReadOnly: true },
    ]);
  });

  it('macOS: the USB stick, not APFS containers or a mounted disk image', () => {
    expect(parseDrivelist(recorded('drivelist-macos-usb-stick.json'))).toEqual([
      {
        device: '/dev/disk4',
        description: 'SanDisk Cruzer Blade Media',
        size: 32015679488,
        mountpoints: [{ path: '/Volumes/CAM 07', label: 'CAM 07' }],
        isReadOnly: false,
      },
    ]);
  });

  it('Windows: the USB stick, not the system disk or a VHD', () => {
    expect(parseDrivelist(recorded('drivelist-windows-usb-stick.json'))).toEqual([
      {
        device: '\\\\.\\PhysicalDrive1',
        description: 'SanDisk Cruzer Blade USB Device',
        size: 32015679488,
        mountpoints: [{ path: 'E:\\', label: 'CAM-07' }],
        isReadOnly: false,
      },
    ]);
  });

  it('skips entries of the wrong shape instead of throwing', () => {
    const raw = [
      null,
      3,
      'x',
      { busType: 'USB' },
      { device: '/dev/sdz', isUSB: true, size: 'big', mountpoints: [null, { path: 7 }, { path: '/m' }] },
    ];
    expect(parseDrivelist(raw)).toEqual([
      { device: '/dev/sdz', description: '', size: 0, mountpoints: [{ path: '/m' }], isReadOnly: false },
    ]);
    expect(parseDrivelist('nope' as unknown as unknown[])).toEqual([]);
    expect(parseLsblkSerials('not json').size).toBe(0);
  });
});

describe('listUsbDrives on this machine', () => {
  it('runs drivelist and returns only USB drives (none on this VM, or some on a desk)', async () => {
    const drives = await listUsbDrives();
    expect(Array.isArray(drives)).toBe(true);
    for (const d of drives) expect(d.device).toMatch(/\S/);
  });
});

describe('volume probes', () => {
  it('parses blkid -o export and lsblk -J', () => {
    expect(parseBlkidExport('DEVNAME=/dev/loop3\nLABEL=CAM\\ 07\nUUID=1A2B-3C4D\nBLOCK_SIZE=512\nTYPE=vfat\n')).toEqual(
      { label: 'CAM 07', uuid: '1A2B-3C4D', type: 'vfat' },
    );
    expect(parseLsblkVolume('{"blockdevices":[{"label":"CAM-07","uuid":"1A2B-3C4D","fstype":"vfat"}]}')).toEqual({
      label: 'CAM-07',
      uuid: '1A2B-3C4D',
      type: 'vfat',
    });
    expect(parseLsblkVolume('{"blockdevices":[{"label":null,"uuid":null,"fstype":null}]}')).toEqual({});
    expect(parseLsblkVolume('garbage')).toEqual({});
  });

  it('reads sizes of a folder on this machine and leaves the unknown undefined', async () => {
    const v = await readVolumeInfo(tmp);
    expect(v.capacityBytes).toBeGreaterThan(0);
    expect(v.usedBytes).toBeGreaterThanOrEqual(0);
    expect(v.label).toBeUndefined();
    const none = await readVolumeInfo(path.join(tmp, 'missing'));
    expect(none).toEqual({});
  });
});

describe('drive id file', () => {
  const info = { driveId: 'DRV-0007', enrolledAt: '2026-11-26T04:42:27.123-08:00', home: 'city-of-example' };

  it('writes atomically (no temp left) and reads back', async () => {
    const root = mkdtempSync(path.join(tmp, 'drive-'));
    await writeDriveIdFile(root, info);
    expect(readdirSync(root)).toEqual([DRIVE_ID_FILE]);
    expect(await readDriveIdFile(root)).toEqual({ info });
    // Overwrite in place.
    await writeDriveIdFile(root, { driveId: 'DRV-0008', enrolledAt: '2026-11-27T00:00:00Z' });
    expect(await readDriveIdFile(root)).toEqual({ info: { driveId: 'DRV-0008', enrolledAt: '2026-11-27T00:00:00Z' } });
    expect(readdirSync(root)).toEqual([DRIVE_ID_FILE]);
  });

  it('refuses to write an invalid id', async () => {
    const root = mkdtempSync(path.join(tmp, 'drive-'));
    await expect(writeDriveIdFile(root, { driveId: '../x', enrolledAt: 'now' })).rejects.toSatisfy((e) =>
      isCustodyError(e, 'internal'),
    );
    expect(readdirSync(root)).toEqual([]);
  });

  it('reports an unwritable drive as an io error and leaves no temp file', async () => {
    await expect(writeDriveIdFile(path.join(tmp, 'no-such-drive'), info)).rejects.toSatisfy((e) =>
      isCustodyError(e, 'io'),
    );
  });

  it.each([
    ['missing', null, 'missing'],
    ['not json', 'hello', 'not-json'],
    ['empty', '', 'not-json'],
    ['array', '[1,2]', 'invalid'],
    ['no driveId', '{"enrolledAt":"2026-11-26T04:42:27Z"}', 'invalid'],
    ['bad driveId', '{"driveId":"a/b","enrolledAt":"2026-11-26T04:42:27Z"}', 'invalid'],
    ['driveId number', '{"driveId":7,"enrolledAt":"2026-11-26T04:42:27Z"}', 'invalid'],
    ['date without offset', '{"driveId":"D1","enrolledAt":"2026-11-26T04:42:27"}', 'invalid'],
    ['home not string', '{"driveId":"D1","enrolledAt":"2026-11-26T04:42:27Z","home":{}}', 'invalid'],
    ['too large', 'x'.repeat(20_000), 'too-large'],
    ['binary', '\u0000\u0001\u00ff', 'not-json'],
  ])('never throws on garbage: %s', async (_name, content, reason) => {
    const root = mkdtempSync(path.join(tmp, 'drive-'));
    if (content !== null) writeFileSync(path.join(root, DRIVE_ID_FILE), content);
    const r = await readDriveIdFile(root);
    expect(r.info).toBeNull();
    expect(r.reason).toBe(reason);
    expect(typeof r.detail).toBe('string');
  });

  it('accepts a BOM and ignores unknown fields', async () => {
    const root = mkdtempSync(path.join(tmp, 'drive-'));
    writeFileSync(
      path.join(root, DRIVE_ID_FILE),
      '\uFEFF{"custody":1,"driveId":"D1","enrolledAt":"2026-11-26T04:42:27Z","extra":true}',
    );
    expect(await readDriveIdFile(root)).toEqual({ info: { driveId: 'D1', enrolledAt: '2026-11-26T04:42:27Z' } });
  });

  it('does not follow a link or read a folder in its place', async () => {
    const root = mkdtempSync(path.join(tmp, 'drive-'));
    writeFileSync(path.join(tmp, 'elsewhere.json'), JSON.stringify(info));
    symlinkSync(path.join(tmp, 'elsewhere.json'), path.join(root, DRIVE_ID_FILE));
    expect((await readDriveIdFile(root)).reason).toBe('not-a-file');
    const root2 = mkdtempSync(path.join(tmp, 'drive-'));
    mkdirSync(path.join(root2, DRIVE_ID_FILE));
    expect((await readDriveIdFile(root2)).reason).toBe('not-a-file');
  });
});

describe('the device behind a FUSE mount', () => {
  it('is the argument before the mount point on the FUSE process command line, options skipped', () => {
    const procs = [
      ['/usr/lib/systemd/systemd', '--user'],
      ['fusefat', '-o', 'ro', '/dev/loop3', '/media/asd/CAMDRIVE'],
      ['fusefat', '-o', 'ro,allow_other', '-d', '/home/asd/cam.img', '/media/asd/OTHER'],
      ['vim', '/media/asd/CAMDRIVE'],
    ];
    expect(fuseSourceFromCmdlines(procs, '/media/asd/CAMDRIVE')).toBe('/dev/loop3');
    expect(fuseSourceFromCmdlines(procs, '/media/asd/OTHER')).toBe('/home/asd/cam.img');
    expect(fuseSourceFromCmdlines(procs, '/media/asd/NONE')).toBeUndefined();
  });

  it('reads a FAT32 boot sector, and nothing from one without the boot signature', () => {
    const b = Buffer.alloc(512);
    b.writeUInt16LE(512, 11);
    b[13] = 8;
    b[16] = 2;
    b.writeUInt16LE(0, 22); // no 16-bit FAT size: FAT32
    b[0x42] = 0x29;
    b.writeUInt32LE(0x4c530001, 0x43);
    b.write('CAM 07     ', 0x47, 'latin1');
    b[510] = 0x55;
    b[511] = 0xaa;
    expect(parseFatBootSector(b)).toEqual({ type: 'vfat', uuid: '4C53-0001', label: 'CAM 07' });
    b[511] = 0;
    expect(parseFatBootSector(b)).toEqual({});
  });
});
