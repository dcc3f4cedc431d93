/**
 * Attack (LOW, interrupted commands): Ctrl-C during `custody purge --yes`. The purge's work between
 * recording days never gave the event loop a turn, so the SIGINT was not even seen until every day
 * due was destroyed (exit 0: the operator's Ctrl-C did nothing), and the only handler, the global one
 * of src/cli/main.ts, would have said "nothing half-written was kept" of a purge that had destroyed
 * days and written no certificate. The purge now sees Ctrl-C between recording days, stops there and
 * says what it destroyed, that no certificate was written yet and that `custody purge --yes` finishes
 * and certifies it — which it does.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endExiftool } from '../../src/media/exif.js';
import { BIN, INIT_ARGS, newTestHome, okRunner, run, type TestHome } from '../helpers/cli.js';
import { smallCameraDrive } from '../helpers/drives.js';

let t: TestHome;

beforeAll(async () => {
  t = newTestHome();
  const ok = okRunner(t); // the real clock: the spawned purge runs on it
  await ok(INIT_ARGS);
  const start = new Date(Date.now() - 100 * 86_400_000);
  await ok([
    'camera',
    'add',
    'CAM-01',
    '--location',
    'Main St',
    '--since',
    new Date(start.getTime() - 86_400_000).toISOString(),
  ]);
  const { dir } = await smallCameraDrive('custody-attack-purge-sigint-', {
    seed: 41,
    days: 30,
    perDay: 3,
    imageBytes: 4000,
    start,
  });
  await ok(['import', '--source', dir, '--camera', 'CAM-01', '--enrol']);
}, 300_000);
afterAll(async () => {
  await endExiftool();
});

const dayKeys = () => fs.readdirSync(path.join(t.home, 'keys')).filter((f) => f.includes('@')).length;

describe('Ctrl-C during a purge', () => {
  it('says what was destroyed and that purge --yes finishes and certifies it', async () => {
    const before = dayKeys();
    expect(before).toBeGreaterThan(2);
    const child = spawn(process.execPath, [BIN, 'purge', '--yes', '--no-certificate'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...t.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    let signalled = false;
    // Wait until a day's key is shredded (a state, not a time), then press Ctrl-C.
    for (;;) {
      if (dayKeys() < before) {
        child.kill('SIGINT');
        signalled = true;
        break;
      }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    const code = await exited;
    expect(signalled, `the purge finished before it could be interrupted (exit ${code}): ${stderr}`).toBe(true);
    expect(code, stderr).toBe(130);
    expect(stderr).not.toMatch(/nothing half-written was kept/);
    expect(stderr).toMatch(/Purge stopped: [1-9]\d* recording day\(s\) destroyed/);
    expect(stderr).toMatch(/custody purge --yes/);
    expect(dayKeys()).toBeGreaterThan(0); // it stopped before the end

    const again = await run(['purge', '--yes', '--no-certificate'], { env: t.env });
    expect(again.code, again.stderr).toBe(0);
    const plan = JSON.parse((await run(['purge', '--json'], { env: t.env })).stdout) as { due: unknown[] };
    expect(plan.due).toEqual([]);
    expect(dayKeys()).toBe(0);
  }, 300_000);
});
