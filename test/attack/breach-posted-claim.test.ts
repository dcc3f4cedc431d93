/**
 * Attack (d): the Notice of Data Breach says it "was posted on" a day the ledger does not record it
 * posted. breachNotice (src/operations/breach.ts) takes the posting day from --post-on, else the
 * recorded posting, else the notice date itself, and the template's "posting" sentence prints it as
 * a fact; `breach show` says the same breach is "not yet" posted.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { INIT_ARGS, newTestHome, okRunner } from '../helpers/cli.js';

const clock = manualClock('2026-12-01T09:00:00-08:00');

describe('breach notice before any posting is recorded', () => {
  it('does not say the notice was posted', async () => {
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok([
      ...['breach', 'open', '--discovered', '2026-11-20', '--occurred', '2026-11-10'],
      ...['--what-happened', 'A laptop was stolen.', '--information', 'Images.', '--doing', 'Investigating.'],
      ...['--delayed', 'no', '--phone', '555-0100'],
    ]);
    const show = JSON.parse((await ok(['breach', 'show', 'B1', '--json'])).stdout);
    expect(JSON.stringify(show)).not.toMatch(/"posted(On|_on)?":\s*"2026/);
    const out = path.join(t.dir, 'notice');
    await ok(['breach', 'notice', 'B1', '--out', out]);
    const pdf = fs.readdirSync(out).find((f) => f.endsWith('.pdf'))!;
    const text = execFileSync('pdftotext', [path.join(out, pdf), '-'])
      .toString()
      .replace(/\s+/g, ' ');
    expect(text).not.toMatch(/was posted on/);
  }, 60_000);
});
