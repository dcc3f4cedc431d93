/**
 * A backup disk that fills up, and a backup folder that goes away while a backup is written
 * (issue 20, bad input): each a one-line error with exit 10 (the disk), recorded in the ledger as a
 * failed backup; the previous backup stays whole and verifiable; a vanished folder is not made again.
 * The full disk is a real small tmpfs (root only, as the FAT-image tests).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCustodyError } from '../../src/core/errors.js';
import { manualClock } from '../../src/core/time.js';
import { openSession } from '../../src/ledger/session.js';
import { endExiftool } from '../../src/media/exif.js';
import { backup } from '../../src/operations/backup.js';
import { makeFixtureDrive } from '../../tools/fixture-drive.js';
import { INIT_ARGS, newTestHome, okRunner, PASSWORD, ROOT, run, tmpDir, type TestHome } from '../helpers/cli.js';

const isRoot = process.getuid?.() === 0;
let bigDrive = '';

beforeAll(async () => {
  const et = new ExifTool({ maxProcs: 1 });
  try {
    bigDrive = path.join(tmpDir('custody-backup-faults-'), 'drive');
    await makeFixtureDrive(bigDrive, {
      seed: 31,
      camera: { make: 'Acme', model: 'LPR-2', serial: 'AC-0001' },
      start: new Date('2026-10-20T16:00:00Z'),
      days: 1,
      perDay: 40,
      timeZone: 'America/Los_Angeles',
      imageBytes: 60_000,
      distinctFrames: 4,
      exiftool: et,
    });
  } finally {
    await et.end();
  }
}, 180_000);

afterAll(async () => {
  await endExiftool();
});

const clock = manualClock('2026-11-05T09:00:00-08:00');

async function homeWithDemo(): Promise<{
  t: TestHome;
  ok: (a: string[]) => Promise<{ stdout: string; stderr: string }>;
}> {
  const t = newTestHome();
  const ok = okRunner(t, clock);
  await ok(INIT_ARGS);
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T08:00:00-07:00']);
  const drive = path.join(t.dir, 'CAMDRIVE1');
  fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
  await ok(['drive', 'enrol', '--source', drive, '--id', 'D001']);
  await ok(['swap', '--source', drive, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement']);
  return { t, ok };
}

async function importBigDrive(t: TestHome, ok: (a: string[]) => Promise<unknown>): Promise<void> {
  // A copy per home: enrolling writes the drive's id file onto it.
  const drive = path.join(t.dir, 'CAMDRIVE2');
  fs.cpSync(bigDrive, drive, { recursive: true });
  await ok(['drive', 'enrol', '--source', drive, '--id', 'D002']);
  await ok(['swap', '--source', drive, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement']);
}

function backupLog(t: TestHome): Promise<{ type: string; data: Record<string, unknown> }[]> {
  return run(['log', '--json'], { env: t.env, clock }).then((r) =>
    (JSON.parse(r.stdout) as { type: string; data: Record<string, unknown> }[]).filter((e) =>
      e.type.startsWith('backup.'),
    ),
  );
}

describe('backup faults', () => {
  it.skipIf(!isRoot)(
    'a full backup disk: exit 10, recorded, the previous backup untouched and verifiable',
    async () => {
      const { t, ok } = await homeWithDemo();
      const mnt = tmpDir('custody-small-disk-');
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]);
      try {
        const dest = path.join(mnt, 'custody');
        await ok(['backup', '--to', dest]);
        const manifest = fs.readFileSync(path.join(dest, 'manifest.json'));
        await importBigDrive(t, ok);
        const full = await run(['backup', '--to', dest], { env: t.env, clock });
        expect(full.code).toBe(10);
        expect(full.stderr).toMatch(/^custody: The backup disk at .* is full; the previous backup there is untouched/);
        expect(full.stderr.trim().split('\n').length).toBeLessThanOrEqual(2); // the error and its hint
        expect(fs.readFileSync(path.join(dest, 'manifest.json'))).toEqual(manifest);
        expect((await ok(['backup', 'verify', dest])).stdout).toMatch(/Generation:\s+1,/);
        const log = await backupLog(t);
        expect(log.map((e) => e.type)).toEqual(['backup.completed', 'backup.failed', 'backup.verified']);
        expect(String(log[1]!.data.error)).toMatch(/is full/);
        expect(fs.readdirSync(path.join(dest, 'keys'))).toEqual(['1.enc']);
      } finally {
        execFileSync('umount', [mnt]);
      }
    },
    240_000,
  );

  it('a backup folder removed while a backup is written: exit 10, not made again, the previous backup whole', async () => {
    const { t, ok } = await homeWithDemo();
    const dest = path.join(t.dir, 'nas');
    await ok(['backup', '--to', dest]);
    await importBigDrive(t, ok);
    const gone = `${dest}.unplugged`;
    const s = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock,
      command: 't',
    });
    let err: unknown;
    try {
      await backup(s, {
        to: dest,
        // Halfway through the home's files the share disappears (unmounted, unplugged).
        onFile: (done, total) => {
          if (done === Math.floor(total / 2)) fs.renameSync(dest, gone);
        },
      });
    } catch (e) {
      err = e;
    } finally {
      s.close();
    }
    expect(isCustodyError(err, 'io'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(
      /^The backup folder .*nas went away while the backup was written \(ENOENT\)/,
    );
    expect(fs.existsSync(dest)).toBe(false);
    // The folder as it was when it went: still the previous backup, whole.
    expect((await ok(['backup', 'verify', gone])).stdout).toMatch(/Generation:\s+1,/);
    const log = await backupLog(t);
    expect(log.map((e) => e.type)).toEqual(['backup.completed', 'backup.failed', 'backup.verified']);
    // Back in place, the next backup completes and copies only what is missing.
    fs.renameSync(gone, dest);
    const next = JSON.parse((await ok(['backup', '--to', dest, '--json'])).stdout) as {
      generation: number;
      copied: number;
      files: number;
    };
    expect(next.generation).toBe(2);
    expect(next.copied).toBeLessThan(next.files);
  }, 240_000);
});
