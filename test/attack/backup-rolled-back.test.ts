/**
 * Attack (MEDIUM, policy §8/§9): anyone with write access to the backup disk (a designee before
 * leaving, a thief of the disk who brings it back) keeps a copy of the backup folder and later puts
 * it back in place of the newer backups. `backup verify` checked only that the manifest is one the
 * home recorded for its generation number — any generation — so the rolled-back folder passed and
 * was recorded as verified: the home believed its backup current while the folder held an older home
 * (the disabled designee's keyring slot back in it, every event since missing: a restore after a dead
 * disk would bring back that old state). `backup verify` now refuses a generation older than the
 * home's last backup to that folder (exit 8), and the next `backup --to` numbers its generation after
 * the newest the home recorded there and says what it replaced.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { addTrainedOperator, INIT_ARGS, newTestHome, okRunner, run } from '../helpers/cli.js';

describe('a backup folder put back from an older copy', () => {
  it('fails backup verify (exit 8); the next backup replaces it with a newer generation', async () => {
    const clock = manualClock('2026-11-05T09:00:00-08:00');
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await addTrainedOperator(t, ok, 'rlee', 'designee', 'designee password 1');
    const dest = path.join(t.dir, 'backup');
    await ok(['backup', '--to', dest]);
    const copy = path.join(t.dir, 'backup-copy');
    fs.cpSync(dest, copy, { recursive: true }); // kept by someone with access to the disk

    clock.set('2026-11-12T09:00:00-08:00');
    await ok(['operator', 'disable', 'rlee', '--reason', 'left the city']);
    const second = JSON.parse((await ok(['backup', '--to', dest, '--json'])).stdout) as { generation: number };
    expect(second.generation).toBe(2);
    await ok(['backup', 'verify', dest]);

    fs.rmSync(dest, { recursive: true });
    fs.cpSync(copy, dest, { recursive: true });
    const v = await run(['backup', 'verify', dest], { env: t.env, clock });
    expect(v.code, `${v.stdout}\n${v.stderr}`).toBe(8);
    expect(v.stderr).toMatch(/generation 1.*older than.*generation 2/);

    const next = await run(['backup', '--to', dest, '--json'], { env: t.env, clock });
    expect(next.code, next.stderr).toBe(0);
    expect((JSON.parse(next.stdout) as { generation: number }).generation).toBe(3);
    expect(next.stderr).toMatch(/generation 1.*older than.*generation 2/);
    await ok(['backup', 'verify', dest]);
  }, 240_000);
});
