/**
 * Attack (ocr): a batch's plate index (`segments/<batch>.idx`) changed on disk by someone with file
 * access and no key at all (an auditor, anyone who can write the home's folder). searchPlates
 * (src/operations/search.ts) takes whatever `.idx` is there: a missing one is skipped in silence
 * (`if (!idx) continue`), and an older one still opens (a batch keeps its older keys), and nothing
 * compares either with what `custody ocr` recorded.
 *
 * Severity HIGH.
 * - Hide: delete the `.idx` and every search, and the plate search behind a plate request, says the
 *   plate is not there (exit 0 or "found no image"), and the access record says 0 results.
 * - Invent: put back the `.idx` an older model wrote (kept from before the `ocr --reread` that
 *   corrected a misreading) and a plate request for the misread plate releases the image of another
 *   car, with a signed receipt.
 *
 * The readings come from scripted readers (as in test/cli/search.test.ts): an older model that
 * misreads one image and the model the custodian re-read with.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { endExiftool } from '../../src/media/exif.js';
import type { PlateReader } from '../../src/ocr/reader.js';
import {
  ECSO_AGENCY_ADD,
  ecsoRequest,
  INIT_ARGS,
  newTestHome,
  okRunner,
  run,
  type TestHome,
  tmpDir,
} from '../helpers/cli.js';
import { importDemoDrive } from '../helpers/drives.js';
import { DEMO_PLATES, readAllWith, scriptedReader } from '../helpers/scripted-ocr.js';

const clock = manualClock('2026-11-05T00:00:00.000-08:00');
const REASON = ['--purpose', 'criminal investigation', '--case', 'ECSO-26-004417'];
/** The car the older model misread, and what it read. */
const MISREAD = DEMO_PLATES[2]!;
const FAKE = '9ZZZ999';
const MISREADING = { plate: MISREAD, as: FAKE };
const readAll = (t: TestHome, reader: PlateReader, reread: boolean) => readAllWith(t.home, clock, reader, reread);

let t: TestHome;
let batch = '';
let oldIndex: Buffer;
const indexFile = () => path.join(t.home, 'segments', `${batch}.idx`);
let oldReadings: Buffer;

beforeAll(async () => {
  t = newTestHome();
  const ok = okRunner(t, clock);
  await ok(INIT_ARGS);
  batch = await importDemoDrive(t, ok);
  await ok(ECSO_AGENCY_ADD);
  // The older model reads the batch; someone with file access keeps its index and readings.
  await readAll(t, scriptedReader('old-1', MISREADING), false);
  oldIndex = fs.readFileSync(indexFile());
  oldReadings = fs.readFileSync(path.join(t.home, 'segments', `${batch}.ocr`));
  // The custodian re-reads with the newer model: the misreading is gone.
  await readAll(t, scriptedReader('new-2'), true);
  const fake = await run(['search', FAKE, ...REASON, '--json'], { env: t.env, clock });
  expect(JSON.parse(fake.stdout).results).toHaveLength(0);
}, 300_000);

afterAll(async () => {
  await endExiftool();
});

describe("a batch's plate index changed on disk", () => {
  it('deleted: a search does not say the plate is not there (exit 8 naming the index)', async () => {
    const idx = indexFile();
    const keep = fs.readFileSync(idx);
    const before = await run(['search', DEMO_PLATES[0]!, ...REASON, '--json'], { env: t.env, clock });
    expect(JSON.parse(before.stdout).results.length).toBeGreaterThan(0);
    fs.rmSync(idx);
    try {
      const r = await run(['search', DEMO_PLATES[0]!, ...REASON, '--json'], { env: t.env, clock });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(8);
      expect(r.stderr).toMatch(/plate index of batch .* (is missing|not the one)/i);
      // The plate search behind a plate request is refused the same way, before anything leaves.
      const req = JSON.parse((await okRunner(t, clock)(ecsoRequest('--plate', DEMO_PLATES[0]!, '--json'))).stdout) as {
        id: string;
      };
      const out = tmpDir('custody-release-');
      const rel = await run(
        ['release', '--request', req.id, '--to', path.join(out, 'bag'), '--receipt', path.join(out, 'r.pdf')],
        { env: t.env, clock },
      );
      expect(rel.code, rel.stderr).toBe(8);
      expect(fs.readdirSync(out)).toEqual([]);
      // `verify` names it too.
      const v = await run(['verify'], { env: t.env, clock });
      expect(v.code).toBe(8);
      expect(`${v.stdout}${v.stderr}`).toMatch(/plate index of batch .* is missing/);
      // And the monthly health check, as critical (exit 11).
      const h = await run(['health', '--json'], { env: t.env, clock });
      expect(h.code, h.stderr).toBe(11);
      expect(h.stdout).toMatch(/plate index of batch .* is missing/);
    } finally {
      fs.writeFileSync(idx, keep);
    }
  }, 120_000);

  it('put back from before a re-read: a plate request for the old misreading releases nothing (exit 8)', async () => {
    const idx = indexFile();
    const ocr = path.join(t.home, 'segments', `${batch}.ocr`);
    fs.writeFileSync(idx, oldIndex);
    fs.writeFileSync(ocr, oldReadings);
    const s = await run(['search', FAKE, ...REASON, '--json'], { env: t.env, clock });
    expect(s.code, `${s.stdout}\n${s.stderr}`).toBe(8);
    expect(s.stderr).toMatch(/plate index of batch .* not the one/i);
    const req = JSON.parse((await okRunner(t, clock)(ecsoRequest('--plate', FAKE, '--json'))).stdout) as {
      id: string;
    };
    const out = tmpDir('custody-release-');
    const rel = await run(
      ['release', '--request', req.id, '--to', path.join(out, 'bag'), '--receipt', path.join(out, 'r.pdf')],
      { env: t.env, clock },
    );
    expect(rel.code, `${rel.stdout}\n${rel.stderr}`).toBe(8);
    expect(fs.readdirSync(out)).toEqual([]);
    const v = await run(['verify'], { env: t.env, clock });
    expect(v.code).toBe(8);
    expect(`${v.stdout}${v.stderr}`).toMatch(/plate index of batch .* is not the one the ledger records/);
  }, 120_000);
});
