/**
 * Attack (LOW-MEDIUM, interrupted commands; "messages never say nothing was changed unless true"):
 * Ctrl-C during an import (the terminal sends SIGINT: no prompt is open). `import` and `swap`
 * register their own SIGINT listener, which stops the import between files and says what is done
 * ("Import of D001 stopped; n of m files are done" — the batch stays open to resume), but the global
 * handler of src/cli/main.ts was registered first and exits at once: the operator read "custody:
 * interrupted; nothing half-written was kept." while an open batch with stored files (and, in a swap,
 * the drive's removal) was on the record. A command that handles its own interruption now does.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endExiftool } from '../../src/media/exif.js';
import { BIN, INIT_ARGS, newTestHome, okRunner, run, type TestHome } from '../helpers/cli.js';
import { smallCameraDrive } from '../helpers/drives.js';

let t: TestHome;
let drive = '';

beforeAll(async () => {
  t = newTestHome();
  const ok = okRunner(t);
  await ok(INIT_ARGS);
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-08-01T00:00:00-07:00']);
  ({ dir: drive } = await smallCameraDrive('custody-attack-import-sigint-', {
    seed: 31,
    days: 2,
    perDay: 150,
    imageBytes: 20_000,
  }));
}, 300_000);
afterAll(async () => {
  await endExiftool();
});

/** Some files of the batch are in the store already (the import is under way). */
function storing(home: string): boolean {
  try {
    const store = path.join(home, 'store');
    return fs.readdirSync(store).some((b) => fs.readdirSync(path.join(store, b)).length >= 10);
  } catch {
    return false;
  }
}

describe('Ctrl-C during an import', () => {
  it('says what was imported and how to resume, not that nothing was kept; the rerun resumes', async () => {
    const child = spawn(process.execPath, [BIN, 'import', '--source', drive, '--camera', 'CAM-01', '--enrol'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...t.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    let signalled = false;
    // Wait until files are being stored (a state, not a time), then press Ctrl-C.
    for (;;) {
      if (storing(t.home)) {
        child.kill('SIGINT');
        signalled = true;
        break;
      }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    const code = await exited;
    expect(signalled, `the import finished before it could be interrupted (exit ${code}): ${stderr}`).toBe(true);
    expect(code).toBe(130);
    expect(stderr).not.toMatch(/nothing half-written was kept/);
    expect(stderr).toMatch(/Import of D001 stopped; \d+ of 300 files are done/);
    expect(stderr).toMatch(/again to resume/);

    const again = await run(['import', '--source', drive, '--camera', 'CAM-01', '--json'], { env: t.env });
    expect(again.code, again.stderr).toBe(0);
    const sum = JSON.parse(again.stdout) as { resumed: boolean; stored: number; files: number };
    expect(sum.resumed).toBe(true);
    expect(sum.files).toBe(300);
  }, 240_000);
});
