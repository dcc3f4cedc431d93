/**
 * Attack (HIGH, policy §8): a hold placed on a request for a camera and a time range while the
 * drive holding those recordings was still in the camera (the usual case: the deputy asks first,
 * the drive comes out at the next swap) held only the batches that existed when it was placed
 * (`hold.placed` batches). The drive was held — it could not go back into a camera — but the batch
 * its swap imported was on no hold, and the purge 60 days later destroyed exactly the recordings
 * the written request asked to keep, while `hold list` still showed the hold standing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { endExiftool } from '../../src/media/exif.js';
import { ECSO_AGENCY_ADD, ecsoRequest, INIT_ARGS, newTestHome, okRunner, run } from '../helpers/cli.js';
import { smallCameraDrive } from '../helpers/drives.js';

let drive = '';

beforeAll(async () => {
  ({ dir: drive } = await smallCameraDrive('custody-attack-hold-later-', {
    seed: 11,
    days: 2,
    perDay: 2,
    imageBytes: 4000,
    distinctFrames: 1,
  }));
}, 180_000);
afterAll(async () => {
  await endExiftool();
});

describe('a hold placed before the drive holding its scope was imported', () => {
  it('keeps the batch imported after it: purge destroys none of the held recordings', async () => {
    const clock = manualClock('2026-08-31T09:00:00-07:00');
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-08-01T00:00:00-07:00']);
    // An empty drive goes into the camera; it records 1-2 September there.
    const stick = path.join(t.dir, 'STICK');
    fs.mkdirSync(stick);
    await ok(['drive', 'enrol', '--source', stick, '--id', 'D001']);
    await ok(['drive', 'install', 'D001', '--camera', 'CAM-01', '--at', '2026-08-31T08:00:00-07:00']);
    await ok(ECSO_AGENCY_ADD);

    // 3 September: the deputy asks for CAM-01's recordings of 1-2 September and to keep them.
    clock.set('2026-09-03T10:00:00-07:00');
    const req = JSON.parse(
      (await ok(ecsoRequest('--cameras', 'CAM-01', '--from', '2026-09-01', '--to', '2026-09-02', '--json'))).stdout,
    ) as { id: string };
    const letter = path.join(t.dir, 'preservation.txt');
    fs.writeFileSync(letter, 'ECSO preservation letter\n');
    const hold = JSON.parse(
      (
        await ok([
          'hold',
          'add',
          req.id,
          '--reason',
          'ongoing criminal investigation',
          '--document',
          letter,
          '--review',
          '2027-06-30',
          '--json',
        ])
      ).stdout,
    ) as { id: string };

    // 4 September: the ordinary swap brings the drive in; its batch holds the scope's recordings.
    clock.set('2026-09-04T09:00:00-07:00');
    for (const f of fs.readdirSync(drive)) fs.cpSync(path.join(drive, f), path.join(stick, f), { recursive: true });
    await ok(['swap', '--source', stick, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement']);

    // December: long past 60 days; only the hold keeps them.
    clock.set('2026-12-01T09:00:00-08:00');
    const holds = JSON.parse((await ok(['hold', 'list', '--json'])).stdout) as { id: string; batches: string[] }[];
    expect(holds.map((h) => h.id)).toEqual([hold.id]);
    // The hold names the batch it keeps now.
    expect(holds[0]!.batches).toHaveLength(1);
    const plan = JSON.parse((await ok(['purge', '--json'])).stdout) as { due: unknown[]; held: unknown[] };
    expect(plan.due, JSON.stringify(plan)).toEqual([]);
    expect(plan.held.length).toBeGreaterThan(0);

    // And a purge run anyway destroys nothing held.
    await ok(['purge', '--yes', '--no-certificate']);
    const ret = await run(['retention', '--json'], { env: t.env, clock });
    expect(ret.code).toBe(0);
    expect(ret.stdout).not.toMatch(/"destroyedAt":\s*"2026/);
  }, 240_000);
});
