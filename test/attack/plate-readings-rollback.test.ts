/**
 * Attack (ocr): a batch's plate readings (`segments/<batch>.ocr`) put back from before an `ocr
 * --reread` by someone with file access and no key. The index a search reads is held to the SHA-256
 * the ledger records (plate-index-tamper.test.ts), but a purge of one recording day re-writes the
 * batch's index from the readings file as it finds it, and records the new index's SHA-256: the old
 * model's misreading is back in an index the ledger vouches for, and a plate request for the misread
 * plate releases the image of another car.
 *
 * Severity MEDIUM: needs a copy kept from before a re-read, a batch of more than one recording day,
 * and a purge of one of its days before the next re-read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { endExiftool } from '../../src/media/exif.js';
import type { PlateReader } from '../../src/ocr/reader.js';
import { ECSO_AGENCY_ADD, INIT_ARGS, newTestHome, okRunner, run, type TestHome } from '../helpers/cli.js';
import { importDemoDrive } from '../helpers/drives.js';
import { DEMO_PLATES, readAllWith, scriptedReader } from '../helpers/scripted-ocr.js';

const clock = manualClock('2026-11-05T00:00:00.000-08:00');
const REASON = ['--purpose', 'criminal investigation', '--case', 'ECSO-26-004417'];
/** The car the older model misread, and what it read. */
const MISREAD = DEMO_PLATES[20]!; // recorded 4 November: kept when 2 November is purged
const FAKE = '9ZZZ999';
const MISREADING = { plate: MISREAD, as: FAKE };
const readAll = (t: TestHome, reader: PlateReader, reread: boolean) => readAllWith(t.home, clock, reader, reread);

let t: TestHome;
let batch = '';
let oldReadings: Buffer;

beforeAll(async () => {
  t = newTestHome();
  const ok = okRunner(t, clock);
  await ok(INIT_ARGS);
  batch = await importDemoDrive(t, ok);
  await ok(ECSO_AGENCY_ADD);
  // The older model reads the batch; someone with file access keeps its index and readings.
  await readAll(t, scriptedReader('old-1', MISREADING), false);
  oldReadings = fs.readFileSync(path.join(t.home, 'segments', `${batch}.ocr`));
  // The custodian re-reads with the newer model: the misreading is gone.
  await readAll(t, scriptedReader('new-2'), true);
  const fake = await run(['search', FAKE, ...REASON, '--json'], { env: t.env, clock });
  expect(JSON.parse(fake.stdout).results).toHaveLength(0);
}, 300_000);

afterAll(async () => {
  await endExiftool();
});

describe("a batch's plate readings put back from before a re-read", () => {
  it('are not taken into the index by the next purge: the purge is refused (exit 8) before it destroys anything', async () => {
    fs.writeFileSync(path.join(t.home, 'segments', `${batch}.ocr`), oldReadings);
    // 1 January 2027, evening: 2 November's recordings are past their date.
    const late = manualClock('2027-01-01T23:00:00-08:00');
    const p = await run(['purge', '--yes', '--no-certificate', '--json'], { env: t.env, clock: late });
    expect(p.code, `${p.stdout}\n${p.stderr}`).toBe(8);
    expect(p.stderr).toMatch(/plate readings of batch .* not the one the ledger records/);
    const kept = JSON.parse((await okRunner(t, late)(['retention', '--json'])).stdout);
    expect(JSON.stringify(kept)).not.toMatch(/"destroyed(At|_at)?":\s*"2027/);
    // Nothing of the old reading is searchable.
    const s = await run(['search', FAKE, ...REASON, '--json'], { env: t.env, clock: late });
    expect(s.code === 0 ? JSON.parse(s.stdout).results : [], s.stderr).toEqual([]);
    expect((await run(['verify'], { env: t.env, clock: late })).code).toBe(8);
  }, 240_000);
});
