import { readFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  isMountPoint,
  listMounts,
  mountSources,
  mountContaining,
  newMounts,
  parseLinuxMountCommand,
  parseMacMount,
  parseMountinfo,
  removableMountRoots,
} from '../../src/media/mounts.js';

const recorded = (name: string) => readFileSync(new URL(`./recorded/${name}`, import.meta.url), 'utf8');

describe('parseMountinfo', () => {
  const mounts = parseMountinfo(recorded('mountinfo-linux-usb.txt'));

  it('reads every well-formed line and skips garbage', () => {
    expect(mounts).toHaveLength(10);
    expect(mounts.find((m) => m.mountPath === '/')).toMatchObject({
      source: '/dev/nvme0n1p2',
      fsType: 'ext4',
      readOnly: false,
    });
  });

  it('finds the USB stick with its device and type', () => {
    expect(mounts.find((m) => m.mountPath === '/media/asd/CAM-07')).toMatchObject({
      source: '/dev/sdb1',
      fsType: 'vfat',
      majorMinor: '8:17',
      readOnly: false,
    });
  });

  it('decodes octal escapes (spaces in names) and read-only', () => {
    expect(mounts.find((m) => m.source === '/dev/sdc1')).toMatchObject({
      mountPath: '/media/asd/CAM 07 (old)',
      fsType: 'exfat',
      readOnly: true,
    });
  });

  it('reads a FUSE mount', () => {
    expect(mounts.find((m) => m.fsType === 'fuse.fusefat')).toMatchObject({ source: '/dev/loop3', readOnly: true });
  });
});

describe('parseMacMount', () => {
  const mounts = parseMacMount(recorded('mount-macos.txt'));
  it('reads names with spaces, types and read-only', () => {
    expect(mounts).toHaveLength(7);
    expect(mounts.find((m) => m.source === '/dev/disk4s1')).toMatchObject({
      mountPath: '/Volumes/CAM 07',
      fsType: 'msdos',
      readOnly: false,
    });
    expect(mounts.find((m) => m.source === '/dev/disk5s1')).toMatchObject({
      mountPath: '/Volumes/Installer',
      fsType: 'hfs',
      readOnly: true,
    });
    expect(mounts.find((m) => m.source === 'map auto_home')?.mountPath).toBe('/System/Volumes/Data/home');
  });
});

describe('parseLinuxMountCommand', () => {
  it('reads util-linux mount output', () => {
    expect(parseLinuxMountCommand('/dev/sdb1 on /media/asd/CAM 07 type vfat (ro,nosuid)\nnoise\n')).toEqual([
      {
        mountPath: '/media/asd/CAM 07',
        source: '/dev/sdb1',
        fsType: 'vfat',
        readOnly: true,
        options: ['ro', 'nosuid'],
      },
    ]);
  });
});

describe('newMounts and removableMountRoots', () => {
  it('finds the mount that appeared, not the folders that did', () => {
    const all = parseMountinfo(recorded('mountinfo-linux-usb.txt'));
    const before = all.filter((m) => m.source !== '/dev/sdb1');
    expect(newMounts(before, all).map((m) => m.mountPath)).toEqual(['/media/asd/CAM-07']);
    expect(newMounts(all, all)).toEqual([]);
    expect(newMounts(all, before)).toEqual([]);
  });

  it('knows where drives are mounted', () => {
    expect(removableMountRoots('darwin')).toEqual(['/Volumes']);
    expect(removableMountRoots('linux', 'asd')).toEqual([
      '/media/asd',
      '/run/media/asd',
      '/media',
      '/run/media',
      '/mnt',
    ]);
    expect(removableMountRoots('win32')).toEqual([]);
  });
});

describe('listMounts sources', () => {
  it('reads the mountinfo file it is pointed at, and falls back to `mount` without it', async () => {
    const saved = { ...mountSources };
    try {
      mountSources.platform = 'linux';
      mountSources.mountinfo = new URL('./recorded/mountinfo-linux-usb.txt', import.meta.url).pathname;
      expect((await listMounts()).map((m) => m.mountPath)).toContain('/media/asd/CAM 07 (old)');
      mountSources.mountinfo = '/nonexistent/mountinfo';
      const viaMount = await listMounts();
      expect(viaMount.some((m) => m.mountPath === '/')).toBe(true);
    } finally {
      Object.assign(mountSources, saved);
    }
  });
});

describe('on this machine', () => {
  it('lists mounts, knows / is one and a temp folder is not', async () => {
    const mounts = await listMounts();
    expect(mounts.length).toBeGreaterThan(0);
    expect(await isMountPoint('/')).toBe(true);
    expect(await isMountPoint(`${os.tmpdir()}/definitely-not-here-${process.pid}`)).toBe(false);
    expect((await mountContaining(os.tmpdir(), mounts))?.mountPath).toBeDefined();
  });
});
