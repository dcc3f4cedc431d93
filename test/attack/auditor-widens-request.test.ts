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
import { editRawLedger, homeKeyringFiles, openRawSlot } from '../helpers/raw-keys.js';

const AUDITOR_PW = 'auditor password 1';
const clock = manualClock('2026-11-05T00:00:00.000-08:00');

afterAll(async () => {
  await endExiftool();
});

describe('a request widened by an auditor in the derived table', () => {
  it('is not served: the release is refused (exit 8) or holds only what the signed request asked for', async () => {
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await addTrainedOperator(t, ok, 'audit1', 'auditor', AUDITOR_PW);
    const batch = await importDemoDrive(t, ok);
    await ok(ECSO_AGENCY_ADD);
    // The agency asks for one day.
    const req = JSON.parse(
      (await ok(ecsoRequest('--cameras', 'CAM-01', '--from', '2026-11-04', '--to', '2026-11-04', '--json'))).stdout,
    ) as { id: string };

    // The auditor, with their password and the raw files, widens it to the whole month.
    const slot = await openRawSlot(homeKeyringFiles(t.home), 'audit1', AUDITOR_PW);
    expect(slot.evidence).toBeUndefined();
    await editRawLedger(t.home, Buffer.from(slot.record!, 'base64'), [
      `UPDATE requests SET scope_from = '2026-10-01T00:00:00.000-07:00' WHERE id = '${req.id}'`,
    ]);

    const out = tmpDir('custody-release-');
    const bag = path.join(out, 'bag');
    const r = await run(['release', '--request', req.id, '--to', bag, '--receipt', path.join(out, 'r.pdf'), '--json'], {
      env: t.env,
      clock,
    });
    // Refused before anything leaves (the fix: the gate replays the signed events first).
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(8);
    expect(r.stderr).toMatch(/do not match its signed events; run `custody verify`/);
    expect(r.stderr, r.stderr).toMatch(/table requests does not match/i);
    expect(fs.readdirSync(out)).toEqual([]);
    // Every other way out under the request is refused the same way: an export, a look, a search.
    const img = `${batch}:1`;
    const exp = await run(['image', 'export', img, '--to', path.join(out, 'x'), '--request', req.id], {
      env: t.env,
      clock,
    });
    const show = await run(['image', 'show', img, '--request', req.id, '--json'], { env: t.env, clock });
    const search = await run(['search', '7ABC123', '--request', req.id, '--json'], { env: t.env, clock });
    expect(
      { export: exp.code, show: show.code, search: search.code },
      `${exp.stderr}${show.stderr}${search.stderr}`,
    ).toEqual({ export: 8, show: 8, search: 8 });
    expect(fs.readdirSync(out)).toEqual([]);
    // Nothing was recorded: the custodian's verify names the edited table.
    const v = await run(['verify', '--json'], { env: t.env, clock });
    expect(v.code).toBe(8);
    expect(`${v.stdout}${v.stderr}`).toMatch(/table requests does not match/i);
    expect(`${v.stdout}${v.stderr}`).not.toMatch(/release\.recorded|access\.recorded/);
  }, 180_000);
});
