/**
 * Attack (MEDIUM, policy §1–§10, "every sentence on a document comes from recorded facts"): the
 * public transparency report is signed by the custodian and counted from the derived tables, which
 * an auditor (record key only) can rewrite with raw SQL and seal again. Deleting a request's row
 * (or a release's) made the custodian's next `transparency --out` sign and publish a report that
 * left it out, and record the PDF's hash as issued. The report now counts only tables that are what
 * the signed events give (exit 8, nothing written or recorded, otherwise).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import {
  addTrainedOperator,
  ECSO_AGENCY_ADD,
  ecsoRequest,
  INIT_ARGS,
  newTestHome,
  okRunner,
  run,
} from '../helpers/cli.js';
import { editRawLedger, homeKeyringFiles, openRawSlot } from '../helpers/raw-keys.js';

const AUDITOR_PW = 'auditor password 1';

describe('a transparency report over edited tables', () => {
  it('is refused (exit 8): nothing written, nothing recorded', async () => {
    const clock = manualClock('2026-11-05T10:00:00-08:00');
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await addTrainedOperator(t, ok, 'audit1', 'auditor', AUDITOR_PW);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
    await ok(ECSO_AGENCY_ADD);
    await ok(ecsoRequest('--cameras', 'CAM-01', '--from', '2026-11-01', '--to', '2026-11-02'));
    const period = ['transparency', '--from', '2026-11-01', '--to', '2026-11-05'];
    const honest = JSON.parse((await ok([...period, '--json'])).stdout) as {
      requests: { total: { received: number } };
    };
    expect(honest.requests.total.received).toBe(1);

    const slot = await openRawSlot(homeKeyringFiles(t.home), 'audit1', AUDITOR_PW);
    await editRawLedger(t.home, Buffer.from(slot.record!, 'base64'), ['DELETE FROM requests']);
    const ledger = fs.readFileSync(path.join(t.home, 'ledger.enc'));
    const out = path.join(t.dir, 'public');
    const r = await run([...period, '--out', out], { env: t.env, clock });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(8);
    expect(r.stderr).toMatch(/do not match its signed events; run `custody verify`/);
    expect(fs.existsSync(out) ? fs.readdirSync(out) : []).toEqual([]);
    expect(fs.readFileSync(path.join(t.home, 'ledger.enc')).equals(ledger), 'nothing recorded').toBe(true);
  }, 120_000);
});
