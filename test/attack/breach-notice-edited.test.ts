/**
 * Attack (MEDIUM, policy §10, Cal. Civ. Code 1798.29): the Notice of Data Breach the city posts for
 * 30 days and sends to the media is written from the derived `breaches` table, which an auditor
 * (record key only) can rewrite with raw SQL and seal again: what happened, what information was
 * involved, the dates. The custodian's next `breach notice --out` wrote the forged account into the
 * public notice and recorded its hash as the notice written. It now writes only from a table that is
 * what the signed events give (exit 8, nothing written or recorded, otherwise).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { addTrainedOperator, INIT_ARGS, newTestHome, okRunner, run } from '../helpers/cli.js';
import { editRawLedger, homeKeyringFiles, openRawSlot } from '../helpers/raw-keys.js';

const AUDITOR_PW = 'auditor password 1';

describe('a breach notice from an edited table', () => {
  it('is refused (exit 8): nothing written, nothing recorded', async () => {
    const clock = manualClock('2026-11-20T10:00:00-08:00');
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await addTrainedOperator(t, ok, 'audit1', 'auditor', AUDITOR_PW);
    await ok([
      ...['breach', 'open', '--discovered', '2026-11-18'],
      ...['--occurred-from', '2026-11-10', '--occurred-to', '2026-11-14'],
      ...['--what-happened', 'A laptop holding an export of camera images was stolen from a parked car.'],
      ...['--information', 'Images of vehicles passing two cameras, with the time and place.'],
      ...['--information-type', 'Images of vehicles and their licence plates'],
      ...['--doing', 'We reported the theft to the police and now encrypt every export.'],
      ...['--delayed', 'no', '--phone', '(555) 010-0199', '--email', 'alpr@example.gov'],
      ...['--website', 'https://example.gov/alpr'],
    ]);
    const slot = await openRawSlot(homeKeyringFiles(t.home), 'audit1', AUDITOR_PW);
    await editRawLedger(t.home, Buffer.from(slot.record!, 'base64'), [
      "UPDATE breaches SET what_happened = 'A routine test; no data left the city.', information_involved = 'None.'",
    ]);
    const ledger = fs.readFileSync(path.join(t.home, 'ledger.enc'));
    const out = path.join(t.dir, 'notice');
    const r = await run(['breach', 'notice', 'B1', '--out', out], { env: t.env, clock });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(8);
    expect(r.stderr).toMatch(/do not match its signed events; run `custody verify`/);
    expect(fs.existsSync(out) ? fs.readdirSync(out) : []).toEqual([]);
    expect(fs.readFileSync(path.join(t.home, 'ledger.enc')).equals(ledger), 'nothing recorded').toBe(true);
  }, 120_000);
});
