/**
 * The hold-later-import fix (a batch imported after a hold is held when its request's scope reaches
 * it) must not make a hold on an open-ended scope keep every future recording: a plate request over
 * a camera with no time range, held, reached each batch the camera would ever record, so nothing of
 * that camera would be purged again (policy §8: kept longer only what a written request asks for; a
 * request cannot ask for what is recorded after it was received). A batch the hold did not name is
 * held only if it holds recordings made by the end of the scope — or, with no end, by the request's
 * receipt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { manualClock } from '../../src/core/time.js';
import { endExiftool } from '../../src/media/exif.js';
import { ECSO_AGENCY_ADD, ecsoRequest, INIT_ARGS, newTestHome, okRunner } from '../helpers/cli.js';
import { smallCameraDrive } from '../helpers/drives.js';

let before = '';
let after = '';

beforeAll(async () => {
  const o = { days: 1, perDay: 2, imageBytes: 4000, distinctFrames: 1 };
  ({ dir: before } = await smallCameraDrive('custody-attack-hold-open-a-', { ...o, seed: 21 }));
  ({ dir: after } = await smallCameraDrive('custody-attack-hold-open-b-', {
    ...o,
    seed: 22,
    start: new Date('2026-09-10T19:00:00Z'),
  }));
}, 180_000);
afterAll(async () => {
  await endExiftool();
});

describe('a hold on a plate request over a camera with no time range', () => {
  it('keeps what was recorded by the request, not every later batch of the camera', async () => {
    const clock = manualClock('2026-09-02T09:00:00-07:00');
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-08-01T00:00:00-07:00']);
    await ok(['drive', 'enrol', '--source', before, '--id', 'D001']);
    await ok(['swap', '--source', before, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement']);
    await ok(ECSO_AGENCY_ADD);

    clock.set('2026-09-03T10:00:00-07:00');
    const req = JSON.parse((await ok(ecsoRequest('--plate', '7ABC123', '--cameras', 'CAM-01', '--json'))).stdout) as {
      id: string;
    };
    const letter = path.join(t.dir, 'preservation.txt');
    fs.writeFileSync(letter, 'ECSO preservation letter\n');
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
    ]);

    clock.set('2026-09-12T09:00:00-07:00');
    await ok(['drive', 'enrol', '--source', after, '--id', 'D002']);
    await ok(['swap', '--source', after, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement']);

    clock.set('2026-12-01T09:00:00-08:00');
    const plan = JSON.parse((await ok(['purge', '--json'])).stdout) as {
      due: { drive: string }[];
      held: { drive?: string; batch: string }[];
    };
    expect(plan.held.length, JSON.stringify(plan)).toBeGreaterThan(0);
    expect(
      plan.due.map((d) => d.drive),
      JSON.stringify(plan),
    ).toEqual(['D002']);
  }, 240_000);
});
