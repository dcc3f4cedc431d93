/**
 * Drive arrivals for `custody watch`: a new mount under one of the mount roots, confirmed against
 * the mount table (a watcher event is only a hint), that carries a custody id file.
 */
import os from 'node:os';
import path from 'node:path';
import { CustodyError } from '../core/errors.js';
import type { MountEntry } from '../media/mounts.js';

export type DriveArrival =
  | { mountPath: string; driveId: string }
  | { mountPath: string; driveId?: undefined; detail: string };

export interface MountWatch {
  /** The folders watched. */
  roots: string[];
  /** The mounts that appeared under the roots since the last poll, each read for its id file. */
  poll(): Promise<DriveArrival[]>;
}

/** Start watching: the mounts already there are not arrivals. `roots` is comma-separated (default: the platform's). */
export async function watchMounts(roots?: string): Promise<MountWatch> {
  const { listMounts, newMounts, removableMountRoots } = await import('../media/mounts.js');
  const { readDriveIdFile } = await import('../media/drives.js');
  const list = (roots ? roots.split(',') : removableMountRoots(process.platform, os.userInfo().username))
    .map((r) => path.resolve(r.trim()))
    .filter(Boolean);
  if (list.length === 0) throw new CustodyError('usage', 'No mount roots to watch.', 'Give them with --roots.');
  const under = (p: string) => list.some((r) => p === r || p.startsWith(`${r}${path.sep}`));
  const mounted = async () => (await listMounts()).filter((m) => under(m.mountPath));
  let known: MountEntry[] = await mounted();
  const handled = new Set(known.map((m) => m.mountPath));
  return {
    roots: list,
    async poll() {
      const now = await mounted();
      const fresh = newMounts(known, now).filter((m) => !handled.has(m.mountPath));
      known = now;
      for (const m of fresh) handled.add(m.mountPath);
      // Forget mounts that went away, so the same drive plugged in again is seen again.
      for (const p of [...handled]) if (!now.some((m) => m.mountPath === p)) handled.delete(p);
      const out: DriveArrival[] = [];
      for (const m of fresh) {
        const id = await readDriveIdFile(m.mountPath);
        out.push(
          id.info
            ? { mountPath: m.mountPath, driveId: id.info.driveId }
            : { mountPath: m.mountPath, detail: id.detail },
        );
      }
      return out;
    },
  };
}
