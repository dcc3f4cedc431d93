/**
 * The check before a release starts from the signed-state mark the last passing check left
 * (src/ledger/signed-mark.ts): an auditor's edit made after it is refused as before. The built
 * commands in-process on a real home; the auditor's edit on the raw ledger file with the record key
 * from their own slot.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { endExiftool } from '../../src/media/exif.js';
import {
  addTrainedOperator,
  ECSO_AGENCY_ADD,
  ecsoRequest,
  INIT_ARGS,
  newTestHome,
  okRunner,
  run,
  tmpDir,
} from '../helpers/cli.js';
import { importDemoDrive } from '../helpers/drives.js';
import { editRawLedger, forgeSignedStateMark, homeKeyringFiles, openRawSlot } from '../helpers/raw-keys.js';

const AUDITOR_PW = 'auditor password 1';
const clock = manualClock('2026-11-05T00:00:00.000-08:00');

afterAll(async () => {
  await endExiftool();
});

describe('an auditor who edits the derived tables after a check passed', () => {
  it('is refused all the same: the release, export, look and search after the mark exit 8 and write nothing, a forged mark changes nothing; the table put back, it is served from the mark', async () => {
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await addTrainedOperator(t, ok, 'audit1', 'auditor', AUDITOR_PW);
    const batch = await importDemoDrive(t, ok);
    await ok(ECSO_AGENCY_ADD);
    const req = JSON.parse(
      (await ok(ecsoRequest('--cameras', 'CAM-01', '--from', '2026-11-01', '--to', '2026-11-04', '--json'))).stdout,
    ) as { id: string };
    // A look under the request passes the gate: the check leaves its mark.
    const mark = path.join(t.home, 'signed-state.enc');
    expect(fs.existsSync(mark)).toBe(false);
    await ok(['image', 'show', `${batch}:1`, '--request', req.id, '--json']);
    expect(fs.existsSync(mark)).toBe(true);
    const marked = fs.readFileSync(mark);

    // The auditor widens the request to the whole month in the derived table.
    const slot = await openRawSlot(homeKeyringFiles(t.home), 'audit1', AUDITOR_PW);
    const record = Buffer.from(slot.record!, 'base64');
    await editRawLedger(t.home, record, [
      `UPDATE requests SET scope_from = '2026-10-01T00:00:00.000-07:00' WHERE id = '${req.id}'`,
    ]);
    const out = tmpDir('custody-release-');
    const release = [
      'release',
      '--request',
      req.id,
      '--to',
      path.join(out, 'bag'),
      '--receipt',
      path.join(out, 'r.pdf'),
    ];
    const r = await run([...release, '--json'], { env: t.env, clock });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(8);
    expect(r.stderr).toMatch(/do not match its signed events; run `custody verify`/);
    expect(r.stderr).toMatch(/table requests does not match/i);
    expect(fs.readdirSync(out)).toEqual([]);
    expect(fs.readFileSync(mark).equals(marked), 'a refused check leaves the mark as it was').toBe(true);
    const show = await run(['image', 'show', `${batch}:1`, '--request', req.id, '--json'], { env: t.env, clock });
    const exp = await run(['image', 'export', `${batch}:1`, '--to', path.join(out, 'x'), '--request', req.id], {
      env: t.env,
      clock,
    });
    const search = await run(['search', '7ABC123', '--request', req.id, '--json'], { env: t.env, clock });
    expect(
      { show: show.code, export: exp.code, search: search.code },
      `${show.stderr}${exp.stderr}${search.stderr}`,
    ).toEqual({ show: 8, export: 8, search: 8 });
    // A mark forged with the keys the auditor holds, whose tables are the widened ones: not read.
    await forgeSignedStateMark(t.home, record);
    const forged = await run([...release, '--json'], { env: t.env, clock });
    expect(forged.code, forged.stderr).toBe(8);
    expect(forged.stderr).toMatch(/table requests does not match/i);
    expect(fs.readdirSync(out)).toEqual([]);
    fs.writeFileSync(mark, marked);

    // The table put back as the signed events say: the same release passes, from the mark.
    await editRawLedger(t.home, record, [
      `UPDATE requests SET scope_from = '2026-11-01T00:00:00.000-07:00' WHERE id = '${req.id}'`,
    ]);
    const served = await run([...release, '--json'], { env: t.env, clock });
    expect(served.code, served.stderr).toBe(0);
    expect(fs.readFileSync(mark).equals(marked), 'the check passed and moved the mark').toBe(false);
  }, 180_000);
});
