/**
 * Attack (LOW, policy §4/§5, §6): two overrides signed at once (the custodian confirms two agencies
 * from two terminals, or a confirmation runs while another is being typed). The override's id is
 * the count of overrides + 1, computed from each command's own view, and nothing about an override
 * id made the two commits clash: both landed as the same `OVR-000n`, so the receipts, the
 * transparency report and a later `revoke-confirmation` (which names the overrides it ends) named
 * one override for two agencies. The second commit is now refused (exit 6, nothing saved) and the
 * same command run again takes the next id.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CustodyError } from '../../src/core/errors.js';
import { manualClock } from '../../src/core/time.js';
import { openSession } from '../../src/ledger/session.js';
import { confirmAgency } from '../../src/operations/agencies.js';
import { INIT_ARGS, newTestHome, okRunner, PASSWORD } from '../helpers/cli.js';

const clock = manualClock('2026-11-05T10:00:00-08:00');

describe('two overrides signed at once', () => {
  it('never share an id: the later commit is refused, and run again takes the next one', async () => {
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    for (const id of ['EPD', 'WPD'])
      await ok([
        ...['agency', 'add', '--id', id, '--name', `${id} Police Department`],
        ...['--kind', 'law-enforcement', '--jurisdiction', 'california-local'],
      ]);
    const conf = path.join(t.dir, 'confirmation.txt');
    fs.writeFileSync(conf, 'Both report under the county ORI CA0019900.\n');
    const login = () =>
      openSession({ homeDir: t.home, credentials: { username: 'asd', password: PASSWORD }, clock, command: 'agency' });
    const confirm = { reason: 'reports under the county ORI CA0019900', document: conf, purposes: [] };
    const a = await login();
    const b = await login();
    let refused: unknown;
    try {
      confirmAgency(a, { id: 'EPD', ...confirm });
      try {
        confirmAgency(b, { id: 'WPD', ...confirm });
      } catch (e) {
        refused = e;
      }
    } finally {
      a.close();
      b.close();
    }
    expect(refused, 'the later override is refused').toBeInstanceOf(CustodyError);
    expect((refused as CustodyError).code).toBe('conflict');
    await ok(['agency', 'confirm', 'WPD', '--reason', confirm.reason, '--document', conf]);
    const ids = await Promise.all(
      ['EPD', 'WPD'].map(async (id) => {
        const j = JSON.parse((await ok(['agency', 'show', id, '--json'])).stdout) as Record<string, unknown>;
        return JSON.stringify(j).match(/OVR-\d{4}/g)?.[0];
      }),
    );
    expect(ids[0]).toBeDefined();
    expect(new Set(ids).size, JSON.stringify(ids)).toBe(2);
  });
});
