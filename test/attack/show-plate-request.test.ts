/**
 * Attack (c): `image show --request` on a plate request shows any image. showImage
 * (src/operations/images.ts) calls checkItems(s, pass, [item]) without the plate search's hits, and
 * scopeProblem (src/operations/gate.ts) only tests the plate when hits are given: a request for
 * one plate (no cameras, no range) admits a look at every image of the home, recorded as a viewing
 * "under request". `image export` of the same image on the same request is refused (exit 4).
 */
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
  tmpDir,
  type TestHome,
} from '../helpers/cli.js';

const clock = manualClock('2026-11-05T00:00:00.000-08:00');
let t: TestHome;
let batch = '';

beforeAll(async () => {
  t = newTestHome();
  const ok = okRunner(t, clock);
  await ok(INIT_ARGS);
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
  const drive = path.join(t.dir, 'CAMDRIVE');
  fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
  batch = JSON.parse((await ok(['import', '--source', drive, '--camera', 'CAM-01', '--enrol', '--json'])).stdout).batch;
  await ok(['ocr', '--no-progress']);
  await ok(ECSO_AGENCY_ADD);
}, 300_000);

afterAll(async () => {
  await endExiftool();
});

describe('image show under a plate request', () => {
  it('refuses an image the plate search does not find, as image export does', async () => {
    const ok = okRunner(t, clock);
    const req = JSON.parse((await ok(ecsoRequest('--plate', 'AT7921C', '--json'))).stdout) as { id: string };
    // Image 1 reads AT7921C; image 2 is another car.
    const other = `${batch}:2`;
    const shown = JSON.parse(
      (await ok(['image', 'show', other, '--purpose', 'criminal investigation', '--case', 'X', '--json'])).stdout,
    );
    expect(shown.readings.best.text).not.toBe('AT7921C');
    const exp = await run(['image', 'export', other, '--request', req.id, '--to', path.join(tmpDir(), 'b')], {
      env: t.env,
      clock,
    });
    expect(exp.code, exp.stderr).toBe(4);
    const r = await run(['image', 'show', other, '--request', req.id, '--json'], { env: t.env, clock });
    expect(r.code, `image show under ${req.id} (plate AT7921C) showed ${other}: ${r.stdout.slice(0, 200)}`).toBe(4);
  }, 120_000);

  it('search under the plate request is held to its plate (a wildcard over every plate is refused)', async () => {
    const ok = okRunner(t, clock);
    const req = JSON.parse((await ok(ecsoRequest('--plate', 'AT7921C', '--json'))).stdout) as { id: string };
    const r = await run(['search', '03*', '--request', req.id, '--json'], { env: t.env, clock });
    const found =
      r.code === 0 ? (JSON.parse(r.stdout) as { results: { reading: string }[] }).results.map((x) => x.reading) : [];
    expect({ code: r.code, found }, r.stderr).toMatchObject({ code: 4 });
  }, 120_000);
});
