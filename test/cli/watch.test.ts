import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { endExiftool } from '../../src/media/exif.js';
import { INIT_ARGS, newTestHome, run, tmpDir } from '../helpers/cli.js';

afterAll(async () => {
  await endExiftool();
});

describe('custody watch', () => {
  it('confirms a new mount under a root against the mount table and runs the swap for a custody drive', async (ctx) => {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) {
      ctx.skip('needs Linux and root to make a real mount (bind mount)');
      return;
    }
    const t = newTestHome();
    expect((await run(INIT_ARGS, { env: t.env })).code).toBe(0);
    expect((await run(['camera', 'add', 'CAM-01', '--location', 'Main St'], { env: t.env })).code).toBe(0);
    const drive = path.join(tmpDir('custody-watch-src-'), 'drive');
    fs.cpSync(path.resolve('fixtures/demo-drive'), drive, { recursive: true });
    expect((await run(['drive', 'enrol', '--source', drive, '--id', 'D001'], { env: t.env })).code).toBe(0);
    const root = tmpDir('custody-watch-root-');
    const mnt = path.join(root, 'CAMDRIVE');
    fs.mkdirSync(mnt);
    const watching = run(
      [
        'watch',
        '--roots',
        root,
        '--once',
        '--interval',
        '0.3',
        '--camera',
        'CAM-01',
        '--store-location',
        'safe',
        '--no-replacement',
      ],
      { env: t.env },
    );
    await new Promise((r) => setTimeout(r, 800));
    // A folder appearing is not a drive: nothing happens until a mount shows in the mount table.
    fs.mkdirSync(path.join(root, 'not-a-mount'));
    await new Promise((r) => setTimeout(r, 800));
    execFileSync('mount', ['--bind', '-o', 'ro', drive, mnt]);
    try {
      const r = await watching;
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/Drive D001 mounted at .*CAMDRIVE: starting the swap/);
      expect(r.stdout).toMatch(/Files: 24 \(24 stored/);
    } finally {
      execFileSync('umount', ['-l', mnt]);
    }
    const d = JSON.parse((await run(['drive', 'show', 'D001', '--json'], { env: t.env })).stdout) as { state: string };
    expect(d.state).toBe('stored');
  });
});
