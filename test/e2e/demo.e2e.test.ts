/**
 * The README's first command: `npm run demo` (after the build `npm test` has done) runs the main
 * job on the bundled demo drive to the end, and the receipt it prints is signed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tmpDir } from '../helpers/cli.js';

describe('npm run demo', () => {
  it('runs every step to a valid signed receipt and an intact ledger', () => {
    const home = path.join(tmpDir(), 'home');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'demo.js'), '--home', home], {
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(r.stderr).not.toMatch(/exited with/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/OK: the ledger is intact\./);
    const receipt = /The signed receipt:\s+(\S+\.pdf)/.exec(r.stdout)?.[1];
    expect(receipt && fs.existsSync(receipt)).toBe(true);
    const sig = spawnSync('pdfsig', [receipt!], { encoding: 'utf8' });
    expect(sig.stdout).toMatch(/Signature is Valid/);

    // Every search the demo makes is one it shows: the access record holds exactly those.
    const pw = path.join(path.dirname(home), 'pw');
    fs.writeFileSync(pw, 'demo password (not for real use)\n');
    const audit = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'custody.js'), 'audit', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, CUSTODY_HOME: home, CUSTODY_USER: 'asd', CUSTODY_PASSWORD_FILE: pw },
    });
    expect(audit.status, audit.stderr).toBe(0);
    const searches = (JSON.parse(audit.stdout) as { action: string }[]).filter((a) => a.action === 'search');
    const shown = r.stdout.split('\n').filter((l) => l.startsWith('$ custody search ')).length;
    expect(shown).toBeGreaterThan(0);
    expect(searches).toHaveLength(shown);
  }, 300_000);
});
