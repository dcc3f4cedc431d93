/**
 * Attack (MEDIUM, policy §8: kept longer only on a written request): an auditor (record key only)
 * widens an open request's time range in the derived `requests` table (raw SQL, sealed again). The
 * gate refuses to disclose under it (test/attack/auditor-widens-request.test.ts), but `hold add` read
 * the forged scope: the custodian's signed `hold.placed` then named the batches of days the written
 * request never asked for, and they were kept past 60 days under a hold — still so after the
 * auditor put the table back, with nothing left to show the edit. `hold add` now checks the
 * request and the records it reads against the signed events first (exit 8, nothing recorded).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { endExiftool } from '../../src/media/exif.js';
import {
  addTrainedOperator,
  ecsoRequest,
  INIT_ARGS,
  newTestHome,
  okRunner,
  run,
  swappedDriveHome,
} from '../helpers/cli.js';
import { smallCameraDrive } from '../helpers/drives.js';
import { editRawLedger, homeKeyringFiles, openRawSlot } from '../helpers/raw-keys.js';

const AUDITOR_PW = 'auditor password 1';
let drive = '';

beforeAll(async () => {
  ({ dir: drive } = await smallCameraDrive('custody-attack-hold-widened-', {
    seed: 9,
    days: 1,
    perDay: 2,
    imageBytes: 4000,
    distinctFrames: 1,
  }));
}, 180_000);
afterAll(async () => {
  await endExiftool();
});

describe("a request's scope widened in the derived table", () => {
  it('is not what a hold keeps: hold add is refused (exit 8), nothing recorded', async () => {
    const clock = manualClock('2026-09-04T09:00:00-07:00');
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await addTrainedOperator(t, ok, 'audit1', 'auditor', AUDITOR_PW);
    await swappedDriveHome(ok, drive);
    // The written request asks for 3 September only; the drive recorded 1 September.
    const req = JSON.parse(
      (await ok(ecsoRequest('--cameras', 'CAM-01', '--from', '2026-09-03', '--to', '2026-09-03', '--json'))).stdout,
    ) as { id: string };
    const letter = path.join(t.dir, 'preservation.txt');
    fs.writeFileSync(letter, 'ECSO preservation letter\n');
    const hold = ['hold', 'add', req.id, '--reason', 'ongoing criminal investigation', '--document', letter];
    const nothing = await run([...hold, '--review', '2027-06-30'], { env: t.env, clock });
    expect(nothing.code, nothing.stderr).not.toBe(0); // it reaches no batch

    const slot = await openRawSlot(homeKeyringFiles(t.home), 'audit1', AUDITOR_PW);
    await editRawLedger(t.home, Buffer.from(slot.record!, 'base64'), [
      `UPDATE requests SET scope_from = '2026-08-01T00:00:00.000-07:00' WHERE id = '${req.id}'`,
    ]);
    const ledger = fs.readFileSync(path.join(t.home, 'ledger.enc'));
    const r = await run([...hold, '--review', '2027-06-30'], { env: t.env, clock });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(8);
    expect(r.stderr).toMatch(/do not match its signed events; run `custody verify`/);
    expect(fs.readFileSync(path.join(t.home, 'ledger.enc')).equals(ledger), 'nothing recorded').toBe(true);
  }, 240_000);
});
