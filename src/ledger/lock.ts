/**
 * One writer at a time: an exclusive lock file created with O_EXCL. A second process waits
 * briefly, then says who holds the lock. A lock left by a process that no longer runs is
 * reported (never silently broken): `custody unlock` removes it after a look.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CustodyError } from '../core/errors.js';

export interface LockInfo {
  pid: number;
  host: string;
  user: string;
  command: string;
  since: string;
}

export function readLock(file: string): LockInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function isStale(info: LockInfo): boolean {
  return info.host === os.hostname() && !processAlive(info.pid);
}

export interface HeldLock {
  release(): void;
}

const held = new Set<HeldLock>();

/** Used by the entry point on Ctrl-C. */
export function releaseAllLocks(): void {
  for (const l of [...held]) l.release();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function acquireLock(homeDir: string, command: string, waitMs: number): Promise<HeldLock> {
  const file = path.join(homeDir, 'lock');
  const mine: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    user: os.userInfo().username,
    command,
    since: new Date().toISOString(),
  };
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, JSON.stringify(mine));
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      let released = false;
      const lock: HeldLock = {
        release() {
          if (released) return;
          released = true;
          held.delete(lock);
          const now = readLock(file);
          if (now && now.pid === mine.pid && now.host === mine.host) fs.rmSync(file, { force: true });
        },
      };
      held.add(lock);
      return lock;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readLock(file);
    if (holder && isStale(holder)) {
      throw new CustodyError(
        'locked',
        `A stale lock was left by \`${holder.command}\` (process ${holder.pid}, ${holder.user}, since ${holder.since}), which is no longer running.`,
        'Make sure no custody command is running, then run `custody unlock`; `custody verify` afterwards checks the ledger.',
      );
    }
    if (Date.now() >= deadline) {
      const who = holder
        ? `\`${holder.command}\` (process ${holder.pid} on ${holder.host}, ${holder.user}, since ${holder.since})`
        : 'another custody process';
      throw new CustodyError('locked', `The home is in use by ${who}.`, 'Wait for it to finish, then try again.');
    }
    await sleep(Math.min(200, Math.max(10, deadline - Date.now())));
  }
}

/** Remove a lock, only if its process is gone (or `force`). Returns what was removed. */
export function breakLock(homeDir: string, force: boolean): LockInfo | undefined {
  const file = path.join(homeDir, 'lock');
  if (!fs.existsSync(file)) return undefined;
  const holder = readLock(file);
  if (holder && !isStale(holder) && !force) {
    throw new CustodyError(
      'locked',
      `The lock is held by a running process ${holder.pid} (\`${holder.command}\`) on ${holder.host}.`,
      'Wait for it to finish; use --force only if that process is on another machine and is certainly gone.',
    );
  }
  fs.rmSync(file, { force: true });
  return holder ?? { pid: 0, host: '?', user: '?', command: '(unreadable lock file)', since: '?' };
}
