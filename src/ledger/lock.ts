/**
 * One writer at a time: an exclusive lock file created with O_EXCL, held only while a commit
 * writes the ledger (see session.ts); other locks of the home (`ocr.lock`) use the same file
 * format. A second process waits briefly, then says who holds the lock. A lock left by a process that no longer runs is
 * reported (never silently broken): `custody unlock` removes it after a look.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CustodyError } from '../core/errors.js';
import { formatLocal, isValidTimeZone } from '../core/time.js';

export interface LockInfo {
  pid: number;
  host: string;
  user: string;
  command: string;
  since: string;
  /** The holder's home time zone, when it knew it: a waiting process that does not yet (at log-in) prints `since` in it. */
  timeZone?: string;
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
const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** One attempt: the lock, or who holds it (a stale holder is an error at once). */
function tryAcquire(
  file: string,
  mine: LockInfo,
  breakStale = false,
  timeZone?: string,
): HeldLock | { holder: LockInfo | undefined } {
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
  if (holder && isStale(holder) && breakStale) {
    fs.rmSync(file, { force: true });
    return tryAcquire(file, mine, false, timeZone);
  }
  if (holder && isStale(holder)) {
    throw new CustodyError(
      'locked',
      `A stale lock was left by \`${holder.command}\` (process ${holder.pid}, ${holder.user}, since ${sinceWords(holder.since, timeZone ?? holder.timeZone)}), which is no longer running.`,
      'Make sure no custody command is running, then run `custody unlock`; `custody verify` afterwards checks the ledger.',
    );
  }
  return { holder };
}

/** When the holder took the lock, in the home's time zone when the caller knows it (`2026-11-30 7:04 PM PST`). */
function sinceWords(since: string, timeZone: string | undefined): string {
  const at = new Date(since);
  // The zone may come from the lock file: anything but a known zone is not used.
  return timeZone && isValidTimeZone(timeZone) && !Number.isNaN(at.getTime()) ? formatLocal(at, timeZone) : since;
}

function busy(holder: LockInfo | undefined, what: string, timeZone?: string): CustodyError {
  const who = holder
    ? `\`${holder.command}\` (process ${holder.pid} on ${holder.host}, ${holder.user}, since ${sinceWords(holder.since, timeZone ?? holder.timeZone)})`
    : 'another custody process';
  return new CustodyError('locked', `${what} ${who}.`, 'Wait for it to finish, then try again.');
}

function lockInfo(command: string, timeZone?: string): LockInfo {
  return {
    pid: process.pid,
    host: os.hostname(),
    user: os.userInfo().username,
    command,
    since: new Date().toISOString(),
    ...(timeZone ? { timeZone } : {}),
  };
}

export interface LockOptions {
  /** The lock file's name in the home. @default 'lock' (the ledger's write lock) */
  name?: string;
  /** The start of the error when it stays busy. @default 'The home is in use by' */
  busyMessage?: string;
  /** Take over a lock whose process is gone (for a lock that guards nothing a crash can leave half-done). */
  breakStale?: boolean;
  /** The home's time zone, when known: a holder's time is printed in it, not in UTC. */
  timeZone?: string;
}

/**
 * Take the lock `name` of the home, waiting up to `waitMs` for its holder. The ledger's write lock
 * (`lock`) is held only while a commit writes (or an exclusive step runs), never at a prompt.
 */
export async function acquireLock(
  homeDir: string,
  command: string,
  waitMs: number,
  o: LockOptions = {},
): Promise<HeldLock> {
  const file = path.join(homeDir, o.name ?? 'lock');
  const mine = lockInfo(command, o.timeZone);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const got = tryAcquire(file, mine, o.breakStale, o.timeZone);
    if (!('holder' in got)) return got;
    if (Date.now() >= deadline) throw busy(got.holder, o.busyMessage ?? 'The home is in use by', o.timeZone);
    await sleep(Math.min(200, Math.max(10, deadline - Date.now())));
  }
}

/**
 * The same, blocking the thread while it waits (commits are synchronous and short; worker
 * threads, such as the plate readers, go on meanwhile).
 */
export function acquireLockSync(homeDir: string, command: string, waitMs: number, o: LockOptions = {}): HeldLock {
  const file = path.join(homeDir, o.name ?? 'lock');
  const mine = lockInfo(command, o.timeZone);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const got = tryAcquire(file, mine, o.breakStale, o.timeZone);
    if (!('holder' in got)) return got;
    if (Date.now() >= deadline) throw busy(got.holder, o.busyMessage ?? 'The home is in use by', o.timeZone);
    sleepSync(Math.min(50, Math.max(5, deadline - Date.now())));
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
