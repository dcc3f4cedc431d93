/**
 * A full home disk during an import, with the built binary on a home that lives on a 2 MiB
 * tmpfs: exit 10 saying the disk is full (not a drive read error), the batch left open, and the
 * rerun with space resuming the same batch to the end, every file once, `verify` exit 0.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSession } from '../../src/ledger/session.js';
import { INIT_ARGS, newTestHome, PASSWORD, ROOT, spawnBin, tmpDir } from '../helpers/cli.js';

const DEMO = path.join(ROOT, 'fixtures', 'demo-drive', 'DCIM', '100CAM');

describe('a full home disk', () => {
  it('stops the import with exit 10 and the batch open; with space, the rerun resumes it', async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip('mounting a small tmpfs needs root');
    const t = newTestHome();
    const mnt = tmpDir('custody-smallhome-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
    try {
      const home = path.join(mnt, 'home');
      const env = { ...t.env, CUSTODY_HOME: home };
      for (const args of [
        INIT_ARGS,
        ['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00'],
      ])
        expect((await spawnBin(args, { env })).code).toBe(0);
      // 40 different images of ~100 KB (a demo frame, then bytes after its end, then an end marker).
      const drive = path.join(tmpDir('custody-bigdrive-'), 'drive');
      fs.mkdirSync(path.join(drive, 'DCIM'), { recursive: true });
      const frames = fs.readdirSync(DEMO).sort();
      for (let i = 0; i < 40; i++) {
        const frame = fs.readFileSync(path.join(DEMO, frames[i % frames.length]!));
        const body = Buffer.concat([frame, randomBytes(80_000), Buffer.from([0xff, 0xd9])]);
        fs.writeFileSync(path.join(drive, 'DCIM', `IMG_${String(i + 1).padStart(4, '0')}.JPG`), body);
      }
      const full = await spawnBin(['import', '--source', drive, '--camera', 'CAM-01', '--enrol'], {
        env,
        timeoutMs: 120_000,
      });
      console.log(`[home-full] ${full.stderr.split('\n')[0]}`);
      expect(full.code).toBe(10);
      expect(full.stderr.split('\n')[0]).toMatch(/^custody: The disk is full while (storing|recording)/);
      expect(full.stderr).not.toMatch(/cannot be read from the drive/);
      const s = await openSession({
        homeDir: home,
        credentials: { username: 'asd', password: PASSWORD },
        clock: () => new Date(),
        command: 'test',
      });
      const open = s.ledger.rows<{ id: string; status: string }>('SELECT id, status FROM batches');
      s.close();
      expect(open).toEqual([{ id: expect.any(String), status: 'importing' }]);

      execFileSync('mount', ['-o', 'remount,size=64m', mnt]);
      const again = await spawnBin(['import', '--source', drive, '--json'], { env, timeoutMs: 120_000 });
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
      const sum = JSON.parse(again.stdout) as Record<string, unknown>;
      expect(sum).toMatchObject({ batch: open[0]!.id, resumed: true, files: 40, stored: 40, duplicates: 0, failed: 0 });
      expect(fs.readdirSync(path.join(home, 'store', String(sum.batch)))).toHaveLength(40);
      expect((await spawnBin(['verify'], { env, timeoutMs: 120_000 })).code).toBe(0);
    } finally {
      execFileSync('umount', ['-l', mnt]);
    }
  }, 300_000);
});
