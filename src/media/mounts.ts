/**
 * Which paths are mount points. `custody watch` sees a new folder appear under /media or
 * /Volumes (chokidar) and asks here whether it is a real new mount before touching it.
 *
 * Linux: /proc/self/mountinfo (proc(5)). macOS: the output of `mount`. The parsers are pure
 * and tested on recorded text; the readers around them are thin.
 */
import { execFile } from 'node:child_process';
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface MountEntry {
  /** Where it is mounted (escapes decoded). */
  mountPath: string;
  /** What is mounted: a device (`/dev/sdb1`), an image file for FUSE, or a pseudo name. */
  source: string;
  /** `vfat`, `exfat`, `fuse.fusefat`, `msdos`, `apfs`, … */
  fsType: string;
  readOnly: boolean;
  /** Linux only: `major:minor` of the mounted device. */
  majorMinor?: string;
  options: string[];
}

/** proc(5): space, tab, newline and backslash in mountinfo fields are written as octal escapes. */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Parse /proc/self/mountinfo. Lines look like
 * `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`
 * (proc(5)); optional fields end at the lone `-`. Malformed lines are skipped.
 */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (fields.length < 7 || sep < 0 || fields.length < sep + 3) continue;
    const options = (fields[5] ?? '').split(',');
    const superOptions = (fields[sep + 3] ?? '').split(',');
    out.push({
      mountPath: unescapeMountinfo(fields[4]!),
      source: unescapeMountinfo(fields[sep + 2]!),
      fsType: unescapeMountinfo(fields[sep + 1]!),
      readOnly: options.includes('ro') || superOptions.includes('ro'),
      majorMinor: fields[2],
      options,
    });
  }
  return out;
}

/**
 * Parse the output of macOS (BSD) `mount`:
 * `/dev/disk4s1 on /Volumes/NO NAME (msdos, local, nodev, nosuid, noowners)`.
 * Paths may contain spaces and even " on ", so the split is at the last ` (` and the first
 * ` on /`.
 */
export function parseMacMount(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(.*?) on (\/.*) \(([^()]*)\)\s*$/.exec(line);
    if (!m) continue;
    const opts = m[3]!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const [fsType = '', ...options] = opts;
    out.push({
      mountPath: m[2]!,
      source: m[1]!,
      fsType,
      readOnly: options.includes('read-only'),
      options,
    });
  }
  return out;
}

/** @internal for tests: where the readers look. */
export const mountSources = {
  mountinfo: '/proc/self/mountinfo',
  platform: process.platform as NodeJS.Platform,
};

/** The mounts of this machine, newest last. Empty (never throws) if they cannot be read. */
export async function listMounts(): Promise<MountEntry[]> {
  if (mountSources.platform === 'linux') {
    try {
      return parseMountinfo(await readFile(mountSources.mountinfo, 'utf8'));
    } catch {
      /* fall through to `mount` */
    }
  }
  try {
    const { stdout } = await execFileP('mount', [], { timeout: 10_000, maxBuffer: 4 * 1024 * 1024 });
    return mountSources.platform === 'linux' ? parseLinuxMountCommand(stdout) : parseMacMount(stdout);
  } catch {
    return [];
  }
}

/** util-linux `mount` output: `/dev/sdb1 on /media/x type vfat (rw,nosuid)`. */
export function parseLinuxMountCommand(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(.*?) on (\/.*) type (\S+) \(([^()]*)\)\s*$/.exec(line);
    if (!m) continue;
    const options = m[4]!.split(',');
    out.push({ mountPath: m[2]!, source: m[1]!, fsType: m[3]!, readOnly: options.includes('ro'), options });
  }
  return out;
}

/** The mount entry whose mount point is exactly `p` (after resolving symlinks), last one wins. */
export async function findMount(p: string, mounts?: MountEntry[]): Promise<MountEntry | undefined> {
  let real: string;
  try {
    real = await realpath(p);
  } catch {
    return undefined;
  }
  const list = mounts ?? (await listMounts());
  let found: MountEntry | undefined;
  for (const m of list) if (m.mountPath === real || m.mountPath === p) found = m;
  return found;
}

/** The mount that holds `p`: the entry with the longest mount path that is a prefix of it. */
export async function mountContaining(p: string, mounts?: MountEntry[]): Promise<MountEntry | undefined> {
  let real: string;
  try {
    real = await realpath(p);
  } catch {
    return undefined;
  }
  const list = mounts ?? (await listMounts());
  let best: MountEntry | undefined;
  for (const m of list) {
    const prefix = m.mountPath.endsWith('/') ? m.mountPath : `${m.mountPath}/`;
    if (real === m.mountPath || real.startsWith(prefix)) {
      if (!best || m.mountPath.length >= best.mountPath.length) best = m;
    }
  }
  return best;
}

/**
 * True when `p` is the root of a mounted file system. Uses the mount table; if that cannot be
 * read, falls back to comparing the device of `p` with its parent's (a different device means
 * a mount point; the same device is not conclusive for bind mounts, so that says false).
 */
export async function isMountPoint(p: string): Promise<boolean> {
  const mounts = await listMounts();
  if (mounts.length > 0) return (await findMount(p, mounts)) !== undefined;
  try {
    const real = await realpath(p);
    // A file system root ("/", "E:\\") is its own parent.
    if (path.dirname(real) === real) return true;
    const [a, b] = await Promise.all([stat(real), stat(path.dirname(real))]);
    return a.dev !== b.dev;
  } catch {
    return false;
  }
}

/**
 * Pure: the mounts in `after` that were not in `before` (same mount path and source). `custody
 * watch` compares the table before and after a chokidar event so that a folder merely created
 * under /media is not taken for a drive.
 */
export function newMounts(before: readonly MountEntry[], after: readonly MountEntry[]): MountEntry[] {
  const key = (m: MountEntry) => `${m.mountPath}\u0000${m.source}`;
  const seen = new Set(before.map(key));
  return after.filter((m) => !seen.has(key(m)));
}

/**
 * Where desktop systems mount removable drives, for `custody watch` to watch: udisks2
 * (`/media/<user>`, `/run/media/<user>`), plain `/media` and `/mnt`, macOS `/Volumes`.
 */
export function removableMountRoots(platform: NodeJS.Platform = process.platform, user?: string): string[] {
  if (platform === 'darwin') return ['/Volumes'];
  if (platform !== 'linux') return [];
  const roots = ['/media', '/run/media', '/mnt'];
  if (user) roots.unshift(`/media/${user}`, `/run/media/${user}`);
  return roots;
}
