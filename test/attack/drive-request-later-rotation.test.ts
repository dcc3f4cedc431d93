/**
 * Attack (search/scope): a request for a drive reaches what the drive recorded AFTER the request.
 * scopeBatches (src/ledger/features/requests.ts) takes every batch of the drive imported since its
 * last installation before the request, with no end: once the drive goes back into the camera
 * (allowed once its import is verified, `reuse-after-verified-import`) and is swapped again, the
 * next rotation's batch is in the request's scope too, and a release of the request hands over
 * recordings of days the agency never asked for (policy §5: only what the request asks for).
 *
 * Severity HIGH: a disclosure beyond the request, with a receipt that certifies it. Needs nothing
 * but the ordinary life of a drive while a request stays open.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { endExiftool } from '../../src/media/exif.js';
import { ECSO_AGENCY_ADD, ecsoRequest, INIT_ARGS, newTestHome, okRunner, ROOT, run, tmpDir } from '../helpers/cli.js';
import { smallCameraDrive } from '../helpers/drives.js';

const clock = manualClock('2026-11-05T10:00:00-08:00');

afterAll(async () => {
  await endExiftool();
});

function filesUnder(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(root, f)).isFile())
    .map((f) => f.split(path.sep).join('/'));
}

describe('a drive request while the drive goes on recording', () => {
  it('releases only what the drive held when the request came, not its next rotation', async () => {
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok(['settings', 'set', 'reuse-after-verified-import', 'true']);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
    await ok(ECSO_AGENCY_ADD);
    // D001 in the camera from 1 November; the demo drive recorded 2–4 November.
    const drive = path.join(t.dir, 'CAMDRIVE');
    fs.mkdirSync(drive);
    await ok(['drive', 'enrol', '--source', drive, '--id', 'D001']);
    await ok(['drive', 'install', 'D001', '--camera', 'CAM-01', '--at', '2026-11-01T08:00:00-08:00']);
    fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
    const first = JSON.parse(
      (
        await ok([
          ...['swap', '--source', drive, '--camera', 'CAM-01', '--store-location', 'safe'],
          ...['--no-replacement', '--no-ocr', '--json'],
        ])
      ).stdout,
    ) as { batch: string };
    // The Sheriff asks for the drive.
    const req = JSON.parse((await ok(ecsoRequest('--drive', 'D001', '--json'))).stdout) as { id: string };

    // The drive goes back into the camera the next day and records 10–11 November.
    clock.set('2026-11-06T09:00:00-08:00');
    await ok(['drive', 'install', 'D001', '--camera', 'CAM-01']);
    const { dir: later } = await smallCameraDrive('custody-attack-rotation-', {
      seed: 11,
      days: 2,
      perDay: 3,
      imageBytes: 4000,
      distinctFrames: 1,
      start: new Date('2026-11-10T18:00:00Z'),
    });
    fs.rmSync(path.join(drive, 'DCIM'), { recursive: true });
    fs.cpSync(path.join(later, 'DCIM'), path.join(drive, 'DCIM'), { recursive: true });
    clock.set('2026-11-12T10:00:00-08:00');
    const second = JSON.parse(
      (
        await ok([
          ...['swap', '--source', drive, '--camera', 'CAM-01', '--store-location', 'safe'],
          ...['--no-replacement', '--no-ocr', '--json'],
        ])
      ).stdout,
    ) as { batch: string };
    expect(second.batch).not.toBe(first.batch);

    const out = tmpDir('custody-release-');
    // The drive itself is not handed over on the request: it now holds the later rotation.
    const receipt = path.join(out, 'drive-receipt.pdf');
    const handed = await run(
      ['release', '--request', req.id, '--drive', 'D001', '--source', drive, '--receipt', receipt],
      { env: t.env, clock },
    );
    expect(handed.code, handed.stderr).toBe(4);
    expect(handed.stderr).toMatch(/another rotation of drive D001/);
    expect(fs.existsSync(receipt)).toBe(false);
    // A look under the request at the later rotation's image is refused as outside it.
    const show = await run(['image', 'show', `${second.batch}:1`, '--request', req.id, '--json'], {
      env: t.env,
      clock,
    });
    expect(show.code, show.stdout).toBe(4);
    expect(show.stderr).toMatch(/another rotation of drive D001/);
    // The release of the request (made on 5 November) holds the first rotation only.
    const bag = path.join(out, 'bag');
    const r = await run(['release', '--request', req.id, '--to', bag, '--receipt', path.join(out, 'r.pdf')], {
      env: t.env,
      clock,
    });
    expect(r.code, r.stderr).toBe(0);
    const files = filesUnder(path.join(bag, 'data'));
    expect(files.some((f) => f.includes(first.batch))).toBe(true);
    expect(files.filter((f) => f.includes(second.batch))).toEqual([]);
  }, 240_000);
});
