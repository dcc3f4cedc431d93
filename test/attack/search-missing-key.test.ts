/**
 * Attack (MEDIUM, policy §1/§5, Civ. Code 1798.90.52): a batch's key file `keys/<batch>.key` removed
 * (or damaged) by anyone with file access, and the merged plate index `plates.idx` with it. searchPlates
 * (src/operations/search.ts) skipped the batch in silence (`catch { continue; }`): `search` answered
 * "no image" with exit 0 and a JSON result that looked complete, the access record said 0 results,
 * and a plate request's release disclosed what the other batches held as if that were all the plate
 * search finds. A key goes missing legitimately only for a moment (a purge destroys a key before it
 * records that), so this is no exit 8: the result must say it is incomplete — a warning line, a JSON
 * flag naming the batch — and a plate request's release, which certifies what the plate search
 * finds, is refused while a batch in its range cannot be searched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { endExiftool } from '../../src/media/exif.js';
import { ECSO_AGENCY_ADD, ecsoRequest, INIT_ARGS, newTestHome, okRunner, run, type TestHome } from '../helpers/cli.js';
import { importDemoDrive } from '../helpers/drives.js';
import { DEMO_PLATES, readAllWith, scriptedReader } from '../helpers/scripted-ocr.js';

const clock = manualClock('2026-11-05T00:00:00.000-08:00');
const REASON = ['--purpose', 'criminal investigation', '--case', 'ECSO-26-004417'];

let t: TestHome;
let batch = '';

beforeAll(async () => {
  t = newTestHome();
  const ok = okRunner(t, clock);
  await ok(INIT_ARGS);
  batch = await importDemoDrive(t, ok);
  await ok(ECSO_AGENCY_ADD);
  await readAllWith(t.home, clock, scriptedReader('new-2'), false);
}, 300_000);

afterAll(async () => {
  await endExiftool();
});

describe('a batch whose key file is gone', () => {
  it('search says its result is incomplete, naming the batch; a plate request is not released on it', async () => {
    const ok = okRunner(t, clock);
    const plate = DEMO_PLATES[0]!;
    const before = JSON.parse((await ok(['search', plate, ...REASON, '--json'])).stdout) as {
      results: unknown[];
    };
    expect(before.results.length).toBeGreaterThan(0);
    const req = JSON.parse((await ok(ecsoRequest('--plate', plate, '--cameras', 'CAM-01', '--json'))).stdout) as {
      id: string;
    };

    fs.rmSync(path.join(t.home, 'keys', `${batch}.key`));
    fs.rmSync(path.join(t.home, 'plates.idx'), { force: true });

    const json = await run(['search', plate, ...REASON, '--json'], { env: t.env, clock });
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout) as { results: unknown[]; complete?: boolean; skipped?: { batch: string }[] };
    expect(r.complete, json.stdout).toBe(false);
    expect(r.skipped?.map((x) => x.batch)).toEqual([batch]);

    const text = await run(['search', plate, ...REASON], { env: t.env, clock });
    expect(text.code, text.stderr).toBe(0);
    expect(`${text.stdout}${text.stderr}`).toMatch(new RegExp(`could not be searched.*${batch}`, 's'));

    const out = path.join(t.dir, 'bag');
    const rel = await run(['release', '--request', req.id, '--to', out, '--yes'], { env: t.env, clock });
    expect(rel.code, `${rel.stdout}\n${rel.stderr}`).not.toBe(0);
    expect(rel.code).not.toBe(8);
    expect(rel.stderr).toMatch(new RegExp(`could not be searched: ${batch}`));
    expect(fs.existsSync(out)).toBe(false);
  }, 240_000);
});
