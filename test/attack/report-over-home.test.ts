/**
 * Attack (c): a report written over the home's own files. writeOutputFile(…, { replace: true })
 * (src/ledger/fsutil.ts, used by operations/health.ts writeHealthReport, transparency, breach and
 * purge certificates) opens any existing path with 'w': `custody health --pdf` naming the home's
 * keyring.json (a typo, a tab completion) replaces the only copy of every operator's slot with a
 * PDF, exit 0; nobody can log in again. A signed receipt kept elsewhere is replaced silently too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INIT_ARGS, newTestHome, okRunner, run } from '../helpers/cli.js';

describe('health --pdf naming a file of the home', () => {
  it('is refused and the home stays as it was (log-in still works)', async () => {
    const t = newTestHome();
    const ok = okRunner(t);
    await ok(INIT_ARGS);
    const keyring = path.join(t.home, 'keyring.json');
    const before = fs.readFileSync(keyring);
    const r = await run(['health', '--pdf', keyring], { env: t.env });
    const after = fs.readFileSync(keyring);
    const login = await run(['log'], { env: t.env });
    expect(
      { keyringKept: after.equals(before), loginCode: login.code, refused: r.code !== 0 },
      `${r.stderr}\n${login.stderr}`,
    ).toEqual({ keyringKept: true, loginCode: 0, refused: true });
  });
});
