/**
 * A real FAT file system for the "real drive" tests: a disk image made with mtools and
 * mounted read-only with fusefat (FUSE), through a loop device when possible.
 *
 * Where that cannot work (not root, no /dev/fuse, no fusefat or mtools) `mountFatImage`
 * returns a `skipReason` that the test prints and skips on, rather than failing.
 *
 * Known limits of this stack, which the tests allow for:
 * - mtools stores names in a single-byte code page: accents survive, emoji and line breaks
 *   do not (mangled or refused), so awkward names belong in the plain-folder tests.
 * - fusefat shows the volume label as an empty file at the root, and its modification times
 *   are off by a month; compare contents, not times.
 */
import { execFile } from 'node:child_process';
import { constants, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { isMountPoint } from '../../src/media/mounts.js';

const run = promisify(execFile);
const MTOOLS_ENV = { ...process.env, MTOOLS_SKIP_CHECK: '1', MTOOLS_NO_VFAT: '0' };

export interface FatImageOptions {
  /** Image size in MiB. @default twice the content plus 16, at least 32 */
  sizeMiB?: number;
  /** The volume serial, 8 hex digits, for a repeatable image. @default '1a2b3c4d' */
  serial?: string;
}

async function duBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await duBytes(p);
    else if (e.isFile()) total += (await fsp.stat(p)).size;
  }
  return total;
}

/** Make a FAT image of `srcDir`'s contents with volume label `label` (at most 11 characters). */
export async function makeFatImage(
  srcDir: string,
  imgPath: string,
  label: string,
  opts: FatImageOptions = {},
): Promise<void> {
  const content = await duBytes(srcDir);
  const size = opts.sizeMiB ?? Math.max(32, Math.ceil((content * 2) / 2 ** 20) + 16);
  await fsp.rm(imgPath, { force: true });
  const fh = await fsp.open(imgPath, 'wx');
  await fh.truncate(size * 2 ** 20);
  await fh.close();
  await run('mformat', ['-i', imgPath, '-v', label.slice(0, 11), '-N', opts.serial ?? '1a2b3c4d', '::'], {
    env: MTOOLS_ENV,
  });
  const entries = (await fsp.readdir(srcDir)).sort().map((n) => path.join(srcDir, n));
  if (entries.length === 0) return;
  // -s recursive, -p -m keep attributes and times, -Q stop at the first error, -D o: never prompt on a clash.
  await run('mcopy', ['-s', '-p', '-m', '-Q', '-D', 'o', '-i', imgPath, ...entries, '::/'], {
    env: MTOOLS_ENV,
    maxBuffer: 16 * 2 ** 20,
  });
}

export interface FatMount {
  mountPath: string;
  /** The loop device, when the image was attached to one. */
  device?: string;
  via: 'loop' | 'image';
  skipReason?: undefined;
  /** Unmount, detach the loop device and remove the mount folder. Idempotent. */
  unmount(): Promise<void>;
}

export type FatMountResult = FatMount | { skipReason: string };

async function onPath(cmd: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/sbin', '/sbin'])) {
    try {
      await fsp.access(path.join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/**
 * Mount `img` read-only with fusefat (`writable`: read-write, fusefat's `rw+`, for a target an
 * export is written to: it folds case as a FAT stick does); returns how to unmount, or why it
 * cannot be done here.
 */
export async function mountFatImage(
  img: string,
  opts: { via?: FatMount['via']; writable?: boolean } = {},
): Promise<FatMountResult> {
  if (process.platform !== 'linux')
    return { skipReason: `FAT image mounting needs Linux (this is ${process.platform})` };
  if (!(await onPath('fusefat'))) return { skipReason: 'fusefat is not installed (apt-get install fusefat)' };
  const isRoot = process.getuid?.() === 0;
  try {
    await fsp.access('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      skipReason:
        code === 'ENOENT'
          ? 'no /dev/fuse (FUSE not available in this container)'
          : `cannot open /dev/fuse (${code})${isRoot ? '' : ': not root and not in the fuse group'}`,
    };
  }
  const mountPath = await fsp.mkdtemp(path.join(os.tmpdir(), 'custody-fat-'));

  let device: string | undefined;
  if (opts.via !== 'image' && isRoot && (await onPath('losetup'))) {
    try {
      const { stdout } = await run('losetup', ['-f', '--show', ...(opts.writable ? [] : ['-r']), img]);
      device = stdout.trim() || undefined;
    } catch {
      device = undefined; // no free loop device, or no permission: fall back to the file
    }
  }
  const detach = async () => {
    if (device) await run('losetup', ['-d', device]).catch(() => {});
  };

  const attempts: Array<[string, FatMount['via']]> = device
    ? [
        [device, 'loop'],
        [img, 'image'],
      ]
    : [[img, 'image']];
  const errors: string[] = [];
  for (const [source, via] of attempts) {
    try {
      // fusefat daemonises once the file system is mounted; it prints debug text on stdout.
      await run('fusefat', ['-o', opts.writable ? 'rw+' : 'ro', source, mountPath], { timeout: 30_000 });
    } catch (e) {
      errors.push(`${via}: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    let mounted = false;
    for (let i = 0; i < 50 && !mounted; i++) {
      mounted = await isMountPoint(mountPath);
      if (!mounted) await sleep(100);
    }
    if (!mounted) {
      errors.push(`${via}: fusefat returned but nothing is mounted`);
      continue;
    }
    if (via === 'image') await detach();
    let done = false;
    const unmount = async () => {
      if (done) return;
      done = true;
      for (let i = 0; i < 20; i++) {
        try {
          await run(isRoot ? 'umount' : 'fusermount3', isRoot ? [mountPath] : ['-u', mountPath]);
          break;
        } catch {
          if (!(await isMountPoint(mountPath))) break;
          await sleep(200); // EBUSY right after a read: try again
        }
      }
      if (via === 'loop') await detach();
      await fsp.rmdir(mountPath).catch(() => {});
    };
    return { mountPath, device: via === 'loop' ? device : undefined, via, unmount };
  }
  await detach();
  await fsp.rmdir(mountPath).catch(() => {});
  return { skipReason: `fusefat could not mount ${img}${isRoot ? '' : ' (not root)'}: ${errors.join('; ')}` };
}

/**
 * An empty exFAT file system (the file system of most sticks over 32 GB), made with mkfs.exfat on a
 * loop device and mounted read-write with exfat-fuse: a real target that folds case (IMG_1.JPG and
 * img_1.jpg are one file) and keeps no modes of its own, as an export meets it on a deputy's stick.
 * Root only (losetup); returns why not otherwise.
 */
export async function mountExfatImage(img: string, label: string, sizeMiB = 64): Promise<FatMountResult> {
  if (process.platform !== 'linux')
    return { skipReason: `exFAT image mounting needs Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { skipReason: 'an exFAT image on a loop device needs root' };
  for (const cmd of ['mkfs.exfat', 'mount.exfat-fuse', 'losetup'])
    if (!(await onPath(cmd))) return { skipReason: `${cmd} is not installed (apt-get install exfatprogs exfat-fuse)` };
  try {
    await fsp.access('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch (e) {
    return { skipReason: `cannot open /dev/fuse (${(e as NodeJS.ErrnoException).code})` };
  }
  await fsp.rm(img, { force: true });
  const fh = await fsp.open(img, 'wx');
  await fh.truncate(sizeMiB * 2 ** 20);
  await fh.close();
  await run('mkfs.exfat', ['-L', label.slice(0, 11), img]);
  let device: string;
  try {
    device = (await run('losetup', ['-f', '--show', img])).stdout.trim();
  } catch (e) {
    return { skipReason: `no loop device: ${(e as Error).message.split('\n')[0]}` };
  }
  const mountPath = await fsp.mkdtemp(path.join(os.tmpdir(), 'custody-exfat-'));
  try {
    await run('mount.exfat-fuse', [device, mountPath], { timeout: 30_000 });
  } catch (e) {
    await run('losetup', ['-d', device]).catch(() => {});
    await fsp.rmdir(mountPath).catch(() => {});
    return { skipReason: `exfat-fuse could not mount ${img}: ${(e as Error).message.split('\n')[0]}` };
  }
  let done = false;
  const unmount = async () => {
    if (done) return;
    done = true;
    for (let i = 0; i < 20; i++) {
      try {
        await run('umount', [mountPath]);
        break;
      } catch {
        if (!(await isMountPoint(mountPath))) break;
        await sleep(200);
      }
    }
    await run('losetup', ['-d', device]).catch(() => {});
    await fsp.rmdir(mountPath).catch(() => {});
  };
  return { mountPath, device, via: 'loop', unmount };
}
