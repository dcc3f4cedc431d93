/**
 * A release killed in flight (ledger/pending-outputs.ts; operations/release.ts
 * settlePendingReleases): the next log-in finishes a release the ledger records (its bag and
 * receipt moved into place from their `.partial` names) and removes what an unrecorded one wrote,
 * and says which. The states are those a kill leaves: a note naming the release, with the pid of a
 * process that is gone, and the outputs under their `.partial` names.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { endExiftool } from '../../src/media/exif.js';
import {
  ECSO_AGENCY_ADD,
  ecsoRequest,
  INIT_ARGS,
  newTestHome,
  okRunner,
  ROOT,
  run,
  type TestHome,
  tmpDir,
} from '../helpers/cli.js';

const clock = manualClock('2026-11-05T00:00:00.000-08:00');
let t: TestHome;

beforeAll(async () => {
  t = newTestHome();
  const ok = okRunner(t, clock);
  await ok(INIT_ARGS);
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
  const drive = path.join(t.dir, 'CAMDRIVE');
  fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
  await ok(['import', '--source', drive, '--camera', 'CAM-01', '--enrol', '--json']);
  await ok(ECSO_AGENCY_ADD);
}, 240_000);

afterAll(async () => {
  await endExiftool();
});

/** A pid no process has any more. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

function note(receipt: string, bag: string, receiptFile: string): void {
  const dir = path.join(t.home, 'pending');
  fs.mkdirSync(dir, { recursive: true });
  const pid = deadPid();
  fs.writeFileSync(
    path.join(dir, `${receipt}.${pid}.json`),
    JSON.stringify({ receipt, bag, receiptFile, pid, startedAt: '2026-11-05T00:00:00.000-08:00' }),
  );
}

async function newRequest(): Promise<string> {
  const ok = okRunner(t, clock);
  const r = await ok(ecsoRequest('--cameras', 'CAM-01', '--from', '2026-10-01', '--to', '2026-11-05', '--json'));
  return (JSON.parse(r.stdout) as { id: string }).id;
}

describe('a release killed in flight', () => {
  it('after its commit: the next log-in moves the bag and receipt into place and says so', async () => {
    const ok = okRunner(t, clock);
    const req = await newRequest();
    const out = tmpDir('custody-interrupted-');
    const bag = path.join(out, 'bag');
    const receipt = path.join(out, 'r.pdf');
    const r = JSON.parse(
      (await ok(['release', '--request', req, '--to', bag, '--receipt', receipt, '--json'])).stdout,
    ) as { release: { receipt: string } };
    // What a kill between the commit and the renames leaves.
    fs.renameSync(bag, `${bag}.partial`);
    fs.renameSync(receipt, `${receipt}.partial`);
    note(r.release.receipt, bag, receipt);
    const login = await run(['log', '--type', 'release.recorded', '--json'], { env: t.env, clock });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toMatch(
      new RegExp(`Release ${r.release.receipt} was interrupted after it was recorded: its bag is now at`),
    );
    expect(fs.readdirSync(out).sort()).toEqual(['bag', 'r.pdf']);
    expect(fs.readdirSync(path.join(t.home, 'pending'))).toEqual([]);
    const check = await run(['receipt', 'verify', receipt, '--bag', bag], { env: t.env, clock });
    expect(check.code, check.stdout + check.stderr).toBe(0);
  }, 120_000);

  it('before its commit: the next log-in removes what it wrote, says nothing was handed over, and records nothing', async () => {
    const ok = okRunner(t, clock);
    const req = await newRequest();
    const out = tmpDir('custody-interrupted-');
    const bag = path.join(out, 'bag');
    const receipt = path.join(out, 'r.pdf');
    // A bag as far as a kill leaves it (a complete one made elsewhere stands in for any point).
    const other = await newRequest();
    await ok(['release', '--request', other, '--to', path.join(out, 'made'), '--receipt', path.join(out, 'made.pdf')]);
    fs.renameSync(path.join(out, 'made'), `${bag}.partial`);
    fs.renameSync(path.join(out, 'made.pdf'), `${receipt}.partial`);
    note('R-2026-0099', bag, receipt);
    const login = await run(['request', 'show', req, '--json'], { env: t.env, clock });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toMatch(
      /Release R-2026-0099 was interrupted before it was recorded: nothing was handed over; removed/,
    );
    expect(fs.readdirSync(out)).toEqual([]);
    expect(JSON.parse(login.stdout)).toMatchObject({ status: 'open', releases: [] });
  }, 120_000);
});
