/** The built binary, spawned: stdout, stderr and exit codes as a custodian's script sees them. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomKey } from '../../src/ledger/crypto.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { INIT_ARGS, newTestHome, PASSWORD, ROOT, spawnBin, tmpDir } from '../helpers/cli.js';

describe('custody (spawned)', () => {
  it('init → operator add/train → camera add → drive enrol → verify exits 0', async () => {
    const t = newTestHome();
    const env = { ...t.env };
    delete env.CUSTODY_PASSWORD_FILE;
    const withStdin = (args: string[]) => spawnBin([...args, '--password-stdin'], { env, stdin: `${PASSWORD}\n` });
    let r = await withStdin(INIT_ARGS);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Created a custody home at/);
    const pw = path.join(t.dir, 'rlee.pw');
    fs.writeFileSync(pw, 'designee password 1\n');
    r = await withStdin([
      'operator',
      'add',
      'rlee',
      '--name',
      'Robin Lee',
      '--role',
      'designee',
      '--new-password-file',
      pw,
    ]);
    expect(r.code).toBe(0);
    r = await withStdin([
      'operator',
      'train',
      'rlee',
      '--date',
      '2026-02-01',
      '--course',
      'ALPR policy',
      '--trainer',
      'Pat Trainer',
    ]);
    expect(r.code).toBe(0);
    r = await withStdin(['camera', 'add', 'CAM-01', '--location', 'Main St & 3rd', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'CAM-01', status: 'active' });
    const usb = path.join(t.dir, 'usb stick');
    fs.mkdirSync(usb);
    r = await withStdin(['drive', 'enrol', '--source', usb]);
    expect(r.code).toBe(0);
    r = await withStdin(['verify']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK: the ledger is intact/);
    r = await spawnBin(['verify', '--password-stdin'], { env, stdin: 'wrong password\n' });
    expect(r.code).toBe(3);
    expect(r.stderr.split('\n')[0]).toMatch(/^custody: Log-in failed/);
  });

  it('prints help with examples and exit codes, and a usage error exits 2', async () => {
    const h = await spawnBin(['--help'], { env: {} });
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Exit status: 0 ok, 1 internal, 2 usage/);
    const c = await spawnBin(['camera', 'add', '--help'], { env: {} });
    expect(c.stdout).toMatch(/Example:/);
    const bad = await spawnBin(['camera', 'add', 'X', '--no-such-flag'], { env: {} });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown option/);
  });

  it('a save killed at any moment leaves a loadable ledger (the previous state or the new one)', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'ledger.enc');
    const key = randomKey();
    const seed = await Ledger.createEmpty();
    for (let i = 0; i < 2000; i++)
      seed.append('operator.password_changed', 'x', '2026-01-01T00:00:00.000+00:00', {
        username: 'x',
        pad: 'p'.repeat(500),
        i,
      });
    seed.save(file, key);
    seed.close();
    const script = `
      import { Ledger } from ${JSON.stringify(path.join(ROOT, 'dist/ledger/ledger.js'))};
      const key = Buffer.from(${JSON.stringify(key.toString('hex'))}, 'hex');
      const l = await Ledger.load(${JSON.stringify(file)}, key);
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) { l.append('operator.password_changed', 'x', '2026-01-01T00:00:00.000+00:00', { username: 'x', i }); l.save(${JSON.stringify(file)}, key); }
    `;
    for (const delay of [5, 20, 45, 80, 130]) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
      const l = await Ledger.load(file, key);
      expect(l.verifyChain().problem).toBeUndefined();
      expect(l.head.seq).toBeGreaterThanOrEqual(2000);
      l.close();
    }
  });
});
