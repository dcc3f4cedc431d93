/**
 * Attack (interrupted commands): a command that fails leaves a kept document behind. keepDocument
 * (src/ledger/features/requests.ts) seals the written request, hold letter or acknowledgement scan
 * into `documents/` before the use case commits; when the commit fails (a full disk, a clash with
 * another command), the command says it failed and the ledger names no such document, but the
 * sealed letter — officer, case, suspect's details — stays in the home, in every backup after, on
 * no record (README: a command that fails changes nothing).
 *
 * Severity LOW: no disclosure (sealed with the record key), but an unrecorded confidential file the
 * ledger cannot account for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { Session } from '../../src/ledger/session.js';
import { ECSO_AGENCY_ADD, ecsoRequest, INIT_ARGS, newTestHome, okRunner, run } from '../helpers/cli.js';

const clock = manualClock('2026-11-05T10:00:00-08:00');

function documents(home: string): string[] {
  const dir = path.join(home, 'documents');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !f.startsWith('.')) : [];
}

describe('a request whose commit fails', () => {
  it('leaves no kept document behind, and the same command then keeps it', async () => {
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
    await ok(ECSO_AGENCY_ADD);
    const letter = path.join(t.dir, 'letter.txt');
    fs.writeFileSync(letter, 'Request for footage: suspect Jane Roe, case ECSO-26-004417.\n');
    const before = documents(t.home);
    const args = ecsoRequest('--cameras', 'CAM-01', '--from', '2026-11-01', '--to', '2026-11-02', '--document', letter);
    const commit = vi.spyOn(Session.prototype, 'commit').mockImplementationOnce(() => {
      throw new Error('disk full');
    });
    const r = await run(args, { env: t.env, clock });
    commit.mockRestore();
    expect(r.code).not.toBe(0);
    expect(documents(t.home)).toEqual(before);
    await ok(args);
    expect(documents(t.home)).toHaveLength(before.length + 1);
  });
});
