/**
 * A key rotation whose last step fails: the ledger is saved under the new keys but keyring.json
 * cannot be replaced (immutable, read-only). The command says so (exit 10, not "internal error"),
 * and the next log-in finishes it with the new password.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { INIT_ARGS, newTestHome, passwordFileFor, run } from '../helpers/cli.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('operator passwd with keyring.json that cannot be replaced', () => {
  it('exits 10 saying the change is recorded; the next log-in puts the new keyring in place', async () => {
    const t = newTestHome();
    expect((await run(INIT_ARGS, { env: t.env })).code).toBe(0);
    const f = path.join(t.dir, 'rlee-new.pw');
    fs.writeFileSync(f, 'designee password 1\n');
    expect(
      (
        await run(['operator', 'add', 'rlee', '--name', 'R Lee', '--role', 'designee', '--new-password-file', f], {
          env: t.env,
        })
      ).code,
    ).toBe(0);
    await run(['operator', 'train', 'rlee', '--date', '2026-02-01', '--course', 'c', '--trainer', 't'], { env: t.env });
    const keyring = path.join(t.home, 'keyring.json');
    const real = fs.renameSync;
    vi.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
      if (to === keyring) throw Object.assign(new Error('EPERM: operation not permitted'), { code: 'EPERM' });
      return real(from, to);
    });
    const np = path.join(t.dir, 'rlee-2.pw');
    fs.writeFileSync(np, 'designee password 2\n');
    const r = await run(['operator', 'passwd', 'rlee', '--new-password-file', np], { env: t.env });
    vi.restoreAllMocks();
    expect(r.code, r.stderr).toBe(10);
    expect(r.stderr).not.toMatch(/internal error|bug/i);
    expect(r.stderr).toMatch(
      /The change is recorded and the ledger saved under the new keys, but keyring\.json could not be replaced \(EPERM\)/,
    );
    expect(fs.existsSync(path.join(t.home, 'keyring.next.json'))).toBe(true);
    // The new password is the one in force; the log-in finishes the rotation.
    const ok = await run(['camera', 'list'], { env: passwordFileFor(t, 'rlee', 'designee password 2') });
    expect(ok.code, ok.stderr).toBe(0);
    expect(fs.existsSync(path.join(t.home, 'keyring.next.json'))).toBe(false);
    expect((await run(['camera', 'list'], { env: passwordFileFor(t, 'rlee', 'designee password 1') })).code).toBe(3);
    expect((await run(['verify'], { env: t.env })).code).toBe(0);
  });
});
