/**
 * Attack (e): Ctrl-C during a release's export. The SIGINT handler (src/cli/main.ts) exits at once
 * and prints "interrupted; nothing half-written was kept", but writeBag (src/media/bagit.ts) builds
 * the bag in `<to>.partial` and only its own catch removes it: the decrypted images written so far
 * stay on the destination disk, unrecorded. (A kill -9 leaves them too.)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { endExiftool } from '../../src/media/exif.js';
import {
  BIN,
  ECSO_AGENCY_ADD,
  ecsoRequest,
  INIT_ARGS,
  newTestHome,
  okRunner,
  ROOT,
  tmpDir,
  type TestHome,
} from '../helpers/cli.js';

const clock = manualClock('2026-11-05T00:00:00.000-08:00');
let t: TestHome;
let req = '';

beforeAll(async () => {
  t = newTestHome();
  const ok = okRunner(t, clock);
  await ok(INIT_ARGS);
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
  // A drive of a few hundred images (the demo images under many names), so the bag takes a while.
  const drive = path.join(t.dir, 'CAMDRIVE');
  fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
  const src = path.join(drive, 'DCIM', '100CAM');
  const names = fs.readdirSync(src);
  for (let d = 101; d <= 112; d++) {
    const dir = path.join(drive, 'DCIM', `${d}CAM`);
    fs.mkdirSync(dir);
    for (const n of names) fs.copyFileSync(path.join(src, n), path.join(dir, n));
  }
  await ok(['import', '--source', drive, '--camera', 'CAM-01', '--enrol', '--json']);
  await ok(ECSO_AGENCY_ADD);
  req = (
    JSON.parse(
      (await ok(ecsoRequest('--cameras', 'CAM-01', '--from', '2026-10-01', '--to', '2026-11-05', '--json'))).stdout,
    ) as { id: string }
  ).id;
}, 300_000);

afterAll(async () => {
  await endExiftool();
});

function hasPayload(dir: string): boolean {
  try {
    return (fs.readdirSync(path.join(dir, 'data'), { recursive: true }) as string[]).some((f) => /\.JPG$/i.test(f));
  } catch {
    return false;
  }
}

describe('Ctrl-C during a release export', () => {
  it('leaves no decrypted image at the destination', async () => {
    const out = tmpDir('custody-sigint-');
    const bag = path.join(out, 'bag');
    const child = spawn(
      process.execPath,
      [BIN, 'release', '--request', req, '--to', bag, '--receipt', path.join(out, 'r.pdf')],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...t.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    let signalled = false;
    // Wait until the bag has decrypted images in it (not a time: a state), then press Ctrl-C.
    for (;;) {
      if (hasPayload(`${bag}.partial`)) {
        child.kill('SIGINT');
        signalled = true;
        break;
      }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    const code = await exited;
    expect(signalled, `the export finished before it could be interrupted (exit ${code}): ${stderr}`).toBe(true);
    expect(code).toBe(130);
    const left = (fs.readdirSync(out, { recursive: true }) as string[]).filter((f) => /\.JPG$/i.test(f));
    expect({ left: left.length, stderr: stderr.trim().split('\n').at(-1) }).toEqual({
      left: 0,
      stderr: 'custody: interrupted; nothing half-written was kept.',
    });
  }, 180_000);
});
