/** One writer at a time: the lock file is taken, refused while held, and a stale one is reported, never broken silently. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CustodyError } from '../../src/core/errors.js';
import { acquireLock, breakLock, isStale, type LockInfo, readLock, releaseAllLocks } from '../../src/ledger/lock.js';
import { tmpDir } from './helpers.js';

/** The pid of a process that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

function writeLock(dir: string, info: Partial<LockInfo>): void {
  const full: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    user: 'someone',
    command: 'custody swap',
    since: '2026-09-01T16:00:00.000Z',
    ...info,
  };
  fs.writeFileSync(path.join(dir, 'lock'), JSON.stringify(full));
}

describe('the lock', () => {
  it('is taken with who holds it, and released', async () => {
    const dir = tmpDir();
    const lock = await acquireLock(dir, 'custody import', 0);
    const info = readLock(path.join(dir, 'lock'))!;
    expect(info).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'custody import' });
    expect(isStale(info)).toBe(false);
    lock.release();
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);
    lock.release(); // twice is harmless
    const again = await acquireLock(dir, 'custody import', 0);
    again.release();
  });

  it('is refused while held, naming the holder, after waiting', async () => {
    const dir = tmpDir();
    const first = await acquireLock(dir, 'custody swap', 0);
    const t0 = Date.now();
    const err = await acquireLock(dir, 'custody purge', 150).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(err).toBeInstanceOf(CustodyError);
    expect((err as CustodyError).code).toBe('locked');
    expect((err as CustodyError).message).toMatch(/in use by `custody swap` \(process \d+/);
    first.release();
  });

  it('is taken as soon as the holder lets go', async () => {
    const dir = tmpDir();
    const first = await acquireLock(dir, 'custody swap', 0);
    setTimeout(() => first.release(), 50);
    const second = await acquireLock(dir, 'custody purge', 2000);
    expect(readLock(path.join(dir, 'lock'))!.command).toBe('custody purge');
    second.release();
  });

  it('left by a process that is gone is reported as stale, and only `unlock` removes it', async () => {
    const dir = tmpDir();
    const pid = deadPid();
    writeLock(dir, { pid });
    expect(isStale(readLock(path.join(dir, 'lock'))!)).toBe(true);
    const err = await acquireLock(dir, 'custody swap', 1000).catch((e: unknown) => e);
    expect((err as CustodyError).code).toBe('locked');
    expect((err as CustodyError).message).toMatch(new RegExp(`stale lock .*process ${pid}.*no longer running`));
    expect((err as CustodyError).hint).toMatch(/custody unlock/);
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(true);
    expect(breakLock(dir, false)).toMatchObject({ pid });
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);
    expect(breakLock(dir, false)).toBeUndefined();
  });

  it('held by a running process (or on another machine) is not broken without --force', () => {
    const dir = tmpDir();
    writeLock(dir, { pid: process.pid });
    expect(() => breakLock(dir, false)).toThrow(/held by a running process/);
    writeLock(dir, { pid: deadPid(), host: 'another-machine' });
    expect(isStale(readLock(path.join(dir, 'lock'))!)).toBe(false);
    expect(() => breakLock(dir, false)).toThrow(/held by a running process/);
    expect(breakLock(dir, true)).toMatchObject({ host: 'another-machine' });
  });

  it('an unreadable lock file still keeps others out until it is removed', async () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'lock'), 'not json');
    await expect(acquireLock(dir, 'custody swap', 20)).rejects.toThrow(/in use by another custody process/);
    expect(breakLock(dir, false)).toMatchObject({ command: '(unreadable lock file)' });
  });

  it('releaseAllLocks lets go of every lock this process holds (Ctrl-C)', async () => {
    const a = tmpDir();
    const b = tmpDir();
    await acquireLock(a, 'x', 0);
    await acquireLock(b, 'y', 0);
    releaseAllLocks();
    expect(fs.existsSync(path.join(a, 'lock'))).toBe(false);
    expect(fs.existsSync(path.join(b, 'lock'))).toBe(false);
  });

  it('does not remove a lock another process took after this one was broken', async () => {
    const dir = tmpDir();
    const mine = await acquireLock(dir, 'custody swap', 0);
    writeLock(dir, { pid: deadPid(), command: 'someone else' });
    mine.release();
    expect(readLock(path.join(dir, 'lock'))!.command).toBe('someone else');
  });
});
