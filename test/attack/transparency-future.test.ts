/**
 * Attack (reports): a transparency report of a period that has not ended states, signed, facts no
 * ledger can hold yet. transparencyData (src/ledger/breach.ts) takes "the end of the period" as the
 * end of `--to` even when that is months ahead: every recording day whose destruction date falls
 * before it is counted "Past due and not destroyed at the end" although none is due today, and
 * "Images held at the end of the period" is a forecast printed as a count.
 *
 * Severity MEDIUM: a public, signed document says the city kept data past its destruction date
 * (policy §8) when it did not; anyone can make it by mistake with a year's `--to` run early
 * (the README's own example is `--from 2026-01-01 --to 2026-12-31`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { endExiftool } from '../../src/media/exif.js';
import { pdftotext } from '../documents/helpers.js';
import { INIT_ARGS, newTestHome, okRunner, ROOT, run, type TestHome, tmpDir } from '../helpers/cli.js';

// The demo drive recorded 2–4 November 2026; its days are due for destruction early in January 2027.
const clock = manualClock('2026-11-05T10:00:00-08:00');
let t: TestHome;

beforeAll(async () => {
  t = newTestHome();
  const ok = okRunner(t, clock);
  await ok(INIT_ARGS);
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
  const drive = path.join(t.dir, 'CAMDRIVE');
  fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
  await ok(['import', '--source', drive, '--camera', 'CAM-01', '--enrol']);
}, 120_000);

afterAll(async () => {
  await endExiftool();
});

describe('a transparency report of a period that has not ended', () => {
  it('is refused (exit 2), nothing written: it would count data "past due" that is not due yet', async () => {
    const out = tmpDir('custody-transparency-');
    const r = await run(['transparency', '--from', '2026-11-01', '--to', '2027-01-31', '--out', out, '--json'], {
      env: t.env,
      clock,
    });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr).toMatch(/--to 2027-01-31 is after today \(2026-11-05\)/);
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('up to today: nothing is past due that is not, and what is held is what is held now', async () => {
    const out = tmpDir('custody-transparency-');
    const r = await okRunner(
      t,
      clock,
    )([...['transparency', '--from', '2026-11-01', '--to', 'today', '--out', out, '--json']]);
    const d = JSON.parse(r.stdout) as {
      images: { importedInPeriod: number; heldAtEnd: number };
      destruction: { overdueAtEnd: number };
    };
    expect(d.destruction.overdueAtEnd).toBe(0);
    expect(d.images.heldAtEnd).toBe(d.images.importedInPeriod);
    expect(d.images.heldAtEnd).toBeGreaterThan(0);
    // The signed PDF says what "the end" is for a period ending today.
    const text = pdftotext(fs.readFileSync(path.join(out, 'transparency-2026-11-01-2026-11-05.pdf')), []);
    expect(text.replace(/\s+/g, ' ')).toMatch(/counted as of .*2026.*10:00/);
  });
});
