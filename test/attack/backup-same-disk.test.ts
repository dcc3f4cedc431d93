/**
 * Attack (careless new user; MEDIUM, policy §9, data loss): `custody backup --to ~/custody-backup`
 * puts the backup on the disk the home is on. It completed, `health` then counted a fresh verified
 * backup, log-in stopped saying one was overdue — and the disk's failure takes the home and its only
 * backup together. Nothing said so. The backup now says it (a warning line, `sameDiskAsHome` in the
 * JSON); a backup on another file system (here tmpfs) says nothing of the kind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { INIT_ARGS, newTestHome, okRunner } from '../helpers/cli.js';

describe('a backup onto the disk the home is on', () => {
  it('says it does not survive that disk; one on another file system does not', async () => {
    const clock = manualClock('2026-11-05T09:00:00-08:00');
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    const same = await ok(['backup', '--to', path.join(t.dir, 'custody-backup'), '--json']);
    expect((JSON.parse(same.stdout) as { sameDiskAsHome?: boolean }).sameDiskAsHome).toBe(true);
    expect(same.stderr).toMatch(/same disk as the home/);

    const shm = '/dev/shm';
    if (!fs.existsSync(shm) || fs.statSync(shm).dev === fs.statSync(t.dir).dev) return; // no second file system here
    const other = fs.mkdtempSync(path.join(shm, 'custody-backup-'));
    try {
      const r = await ok(['backup', '--to', path.join(other, 'b'), '--json']);
      expect((JSON.parse(r.stdout) as { sameDiskAsHome?: boolean }).sameDiskAsHome).toBe(false);
      expect(r.stderr).not.toMatch(/same disk/);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  }, 120_000);
});
