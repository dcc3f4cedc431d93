/**
 * A backup whose run stops after its manifest went in and before `backup.completed` was committed
 * (found by backup.e2e's SIGKILL test at load 20: `backup verify` then said the home records no
 * backup of that generation). The record is staged first, sealed with the evidence key, and the next
 * log-in of a custodian or designee records it. The stop is made real: the ledger's save fails
 * because a folder holds its temporary file's name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { INIT_ARGS, newTestHome, okRunner, run, tmpDir } from '../helpers/cli.js';

const clock = manualClock('2026-11-05T09:00:00-08:00');

async function interruptedBackup() {
  const t = newTestHome();
  const ok = okRunner(t, clock);
  await ok(INIT_ARGS);
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St']);
  const dest = path.join(tmpDir(), 'backup-disk');
  await ok(['backup', '--to', dest]);
  await ok(['camera', 'add', 'CAM-02', '--location', 'Oak Ave']);
  // The backup's record cannot be saved (nor its failure): the run stops with the manifest in place.
  const blocker = path.join(t.home, `.ledger.enc.${process.pid}.tmp`);
  fs.mkdirSync(blocker);
  const stopped = await run(['backup', '--to', dest], { env: t.env, clock });
  fs.rmdirSync(blocker);
  expect(stopped.code, stopped.stderr).not.toBe(0);
  expect(
    (JSON.parse(fs.readFileSync(path.join(dest, 'manifest.json'), 'utf8')) as { generation: number }).generation,
  ).toBe(2);
  return { t, ok, dest };
}

describe('a backup stopped between its manifest and its record', () => {
  it('is recorded at the next log-in, and then verifies against the home', async () => {
    const { t, ok, dest } = await interruptedBackup();
    expect(fs.existsSync(path.join(t.home, 'backup.staged.enc'))).toBe(true);
    const v = await ok(['backup', 'verify', dest]);
    expect(v.stderr).toMatch(
      /Backup 2 to .* was written but its run stopped before recording it; it is recorded now\./,
    );
    expect(v.stdout).toMatch(/OK: the backup is whole/);
    expect(fs.existsSync(path.join(t.home, 'backup.staged.enc'))).toBe(false);
    const log = JSON.parse((await ok(['log', '--json'])).stdout) as { type: string; data: { generation?: number } }[];
    const completed = log.filter((e) => e.type === 'backup.completed').map((e) => e.data.generation);
    expect(completed).toEqual([1, 2]);
    expect((await ok(['verify'])).code).toBe(0);
  }, 120_000);

  it('without the staged record the same folder is refused (the control), and a forged record opens nothing', async () => {
    const { t, dest } = await interruptedBackup();
    fs.writeFileSync(path.join(t.home, 'backup.staged.enc'), 'not sealed with the evidence key');
    const v = await run(['backup', 'verify', dest], { env: t.env, clock });
    expect(v.stderr).toMatch(/does not open with the evidence key was removed; nothing was recorded/);
    expect(v.code).toBe(8);
    expect(v.stdout + v.stderr).toMatch(/records no backup of generation 2/);
  }, 120_000);
});
