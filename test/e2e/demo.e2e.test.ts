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
  }, 300_000);
});
