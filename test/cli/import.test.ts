/** Import and swap on real fixture drives: the real exiftool writes EXIF, real files, real sql.js. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import {
  BatchFiles,
  loadBatchKey,
  openSegment,
  StoreKeys,
  segmentRecords,
  storeContext,
} from '../../src/ledger/batches.js';
import { openSession } from '../../src/ledger/session.js';
import { endExiftool } from '../../src/media/exif.js';
import { makeFixtureDrive, type FixtureManifest } from '../../tools/fixture-drive.js';
import { importDrive } from '../../src/media/import.js';
import { hashStored } from '../../src/media/store.js';
import { INIT_ARGS, newTestHome, PASSWORD, run, scriptedPrompts, tmpDir, type TestHome } from '../helpers/cli.js';

const TZ = 'America/Los_Angeles';
let fixtures: string;
let manifest: FixtureManifest;
let driveDir: string;

beforeAll(async () => {
  fixtures = tmpDir('custody-drive-');
  driveDir = path.join(fixtures, 'drive');
  manifest = await makeFixtureDrive(driveDir, {
    seed: 11,
    camera: { make: 'Acme', model: 'LPR-2', serial: 'AC-0001' },
    start: new Date('2026-11-01T12:00:00Z'),
    days: 3,
    perDay: 6,
    timeZone: TZ,
    awkward: true,
    imageBytes: 40_000,
  });
}, 180_000);

afterAll(async () => {
  await endExiftool();
});

function copyDrive(): string {
  const d = path.join(tmpDir('custody-copy-'), 'drive');
  fs.cpSync(driveDir, d, { recursive: true });
  return d;
}

async function homeWithCamera(clock: ReturnType<typeof manualClock>): Promise<TestHome> {
  const t = newTestHome();
  expect((await run(INIT_ARGS, { env: t.env, clock })).code).toBe(0);
  expect(
    (
      await run(['camera', 'add', 'CAM-01', '--location', 'Main St & 3rd', '--since', '2026-10-01T00:00:00-07:00'], {
        env: t.env,
        clock,
      })
    ).code,
  ).toBe(0);
  expect((await run(['drive', 'enrol', '--id', 'D002', '--label', 'spare'], { env: t.env, clock })).code).toBe(0);
  return t;
}

async function storedState(t: TestHome, batch: string) {
  const s = await openSession({
    homeDir: t.home,
    credentials: { username: 'asd', password: PASSWORD },
    clock: () => new Date(manifest.assumedNow),
    command: 'test',
  });
  try {
    const bf = new BatchFiles(s.home, batch);
    const key = loadBatchKey(bf, s.master);
    const db = await openSegment(bf, key);
    const recs = segmentRecords(db);
    db.close();
    const events = s.ledger.rows<{ type: string; data: string }>(
      "SELECT type, data FROM events WHERE type LIKE 'import.%'",
    );
    // Each stored file opens with its own key, sealed with its recording day's key (policy §8).
    const keys = new StoreKeys(s.home, s.master);
    const fileKeys = new Map(recs.filter((r) => r.outcome === 'stored').map((r) => [r.id, keys.forFile(batch, r)]));
    return { bf, key, recs, fileKeys, events, storeFiles: fs.readdirSync(bf.storeDir).sort() };
  } finally {
    s.close();
  }
}

describe('import', () => {
  it('stores every image with its hash, flags the awkward files, never drops one, and says so when run again', async () => {
    const clock = manualClock(manifest.assumedNow);
    const t = await homeWithCamera(clock);
    const src = copyDrive();
    const before = fs.readdirSync(src, { recursive: true }).sort();
    const r = await run(
      [
        'swap',
        '--source',
        src,
        '--camera',
        'CAM-01',
        '--enrol',
        '--store-location',
        'safe, room 102',
        '--replacement',
        'D002',
        '--json',
      ],
      { env: t.env, clock },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const sum = JSON.parse(r.stdout) as {
      batch: string;
      files: number;
      stored: number;
      skipped: number;
      failed: number;
      attention: { relPath: string; what: string }[];
      recordedFirst: string;
      recordedLast: string;
    };
    const media = manifest.files.filter((f) => f.kind !== null && f.size > 0);
    expect(sum.files).toBe(manifest.files.length);
    expect(sum.stored).toBe(new Set(media.map((f) => f.sha256)).size);
    expect(sum.skipped).toBe(manifest.files.filter((f) => f.kind === null || f.size === 0).length);
    expect(sum.failed).toBe(0);

    const st = await storedState(t, sum.batch);
    for (const f of manifest.files) {
      const rec = st.recs.find((x) => x.relPath === f.relPath);
      expect(rec, f.relPath).toBeDefined();
      for (const flag of f.expectedFlags) expect(rec!.flags, `${f.relPath} flags`).toContain(flag);
      if (f.kind !== null && f.size > 0) {
        expect(rec!.sha256).toBe(f.sha256);
        if (rec!.outcome === 'stored')
          expect(
            (await hashStored(st.bf.storeFile(rec!.storeName!), st.fileKeys.get(rec!.id)!, storeContext(sum.batch)))
              .sha256,
          ).toBe(f.sha256);
      }
    }
    // The drive was only read: the id file is the one thing written.
    expect(fs.readdirSync(src, { recursive: true }).sort()).toEqual([...before, '.custody-drive.json'].sort());

    // The same drive again holds nothing new: refused (a second batch would count every image
    // twice), naming its batch and where it is kept.
    const again = await run(['import', '--source', src, '--json'], { env: t.env, clock });
    expect(again.code).toBe(6);
    expect(again.stderr).toContain(`already imported (batch ${sum.batch}, ${sum.files} files`);
    expect(again.stderr).toContain('stored: safe, room 102');
    expect(again.stderr).not.toMatch(/drive remove/);
    expect((await run(['verify'], { env: t.env, clock })).code).toBe(0);
  });

  it('the swap asks every question on a terminal and refuses a drive that may not be recorded over', async () => {
    const clock = manualClock(manifest.assumedNow);
    const t = await homeWithCamera(clock);
    const src = copyDrive();
    // Answers: enrol?, camera, removed at, store location, replacement (D002 is an eligible spare).
    const prompts = scriptedPrompts([true, 'CAM-01', '2026-11-04T09:00:00-08:00', 'safe, room 102', 'D002', false]);
    const r = await run(['swap', '--source', src], { env: t.env, clock, prompts, isTTY: true });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(prompts.asked).toEqual([
      'This drive is not enrolled. Enrol it now?',
      'Which camera did this drive come out of?',
      'When was it taken out?',
      'Where is this drive kept now?',
      'Which drive went into the camera?',
      'The swap is recorded. Read the plates of this batch now?',
    ]);
    expect(r.stdout).toMatch(/Drive D002 went into camera CAM-01/);
    const id = /drive (D\d+), camera CAM-01/.exec(r.stdout)![1]!;
    const d1 = JSON.parse((await run(['drive', 'show', id, '--json'], { env: t.env, clock })).stdout) as {
      state: string;
      location: string;
      recordedLast: string;
    };
    expect(d1).toMatchObject({ state: 'stored', location: 'safe, room 102' });

    // Day 59 after its newest recording: D001 may not go back; day 60: it may.
    const newest = Date.parse(d1.recordedLast);
    await run(['drive', 'remove', 'D002'], { env: t.env, clock });
    clock.set(new Date(newest + 59 * 86_400_000));
    const early = await run(['drive', 'install', id, '--camera', 'CAM-01'], { env: t.env, clock });
    expect(early.code).toBe(4);
    expect(early.stderr).toMatch(/may be recorded over from/);
    clock.set(new Date(newest + 60 * 86_400_000));
    expect((await run(['drive', 'install', id, '--camera', 'CAM-01'], { env: t.env, clock })).code).toBe(0);
  });

  it('a vanished drive ends with a clear error and nothing lost; the rerun resumes with exactly the right files', async () => {
    const clock = manualClock(manifest.assumedNow);
    const t = await homeWithCamera(clock);
    const src = copyDrive();
    expect((await run(['drive', 'enrol', '--source', src, '--id', 'D001'], { env: t.env, clock })).code).toBe(0);
    const hidden = `${src}-pulled`;
    const s = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock,
      command: 'test',
    });
    let err: unknown;
    try {
      await importDrive(s, {
        source: src,
        driveId: 'D001',
        cameraId: 'CAM-01',
        onProgress: (p) => {
          if (p.files === 6 && fs.existsSync(src)) fs.renameSync(src, hidden);
        },
      });
    } catch (e) {
      err = e;
    } finally {
      s.close();
    }
    expect(err).toMatchObject({ code: 'io' });
    expect(String((err as Error).message)).toMatch(/vanished/);
    fs.renameSync(hidden, src);
    const r = await run(['import', '--source', src, '--camera', 'CAM-01', '--json'], { env: t.env, clock });
    expect(r.stderr).toBe('');
    const sum = JSON.parse(r.stdout) as { batch: string; resumed: boolean; files: number };
    expect(sum.resumed).toBe(true);
    const st = await storedState(t, sum.batch);
    expect(st.recs.map((x) => x.relPath).sort()).toEqual(manifest.files.map((f) => f.relPath).sort());
    expect(st.storeFiles).toEqual(
      st.recs
        .filter((x) => x.outcome === 'stored')
        .map((x) => x.storeName!)
        .sort(),
    );
    expect(st.events.filter((e) => e.type === 'import.started')).toHaveLength(1);
    expect(st.events.filter((e) => e.type === 'import.finished')).toHaveLength(1);
  });

  it('a file that cannot be read is listed as failed, the rest is kept, and the rerun imports only it', async () => {
    const clock = manualClock(manifest.assumedNow);
    const t = await homeWithCamera(clock);
    const src = copyDrive();
    expect((await run(['drive', 'enrol', '--source', src, '--id', 'D001'], { env: t.env, clock })).code).toBe(0);
    const victim = manifest.files.filter((f) => f.kind === 'image' && f.expectedFlags.length === 0).at(-1)!;
    const abs = path.join(src, ...victim.relPath.split('/'));
    const aside = path.join(path.dirname(src), 'victim.jpg');
    const s = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock,
      command: 'test',
    });
    let sum: Awaited<ReturnType<typeof importDrive>>;
    try {
      sum = await importDrive(s, {
        source: src,
        driveId: 'D001',
        cameraId: 'CAM-01',
        onProgress: (p) => p.files === 2 && fs.existsSync(abs) && fs.renameSync(abs, aside),
      });
    } finally {
      s.close();
    }
    expect(sum.failed).toBe(1);
    expect(sum.failures[0]).toMatchObject({ relPath: victim.relPath });
    expect(sum.failures[0]!.problem).toMatch(/no longer on the drive \(removed after the scan\)/);
    expect(sum.stored).toBe(
      new Set(manifest.files.filter((f) => f.kind !== null && f.size > 0).map((f) => f.sha256)).size - 1,
    );
    fs.renameSync(aside, abs);
    const r = await run(['import', '--source', src, '--json'], { env: t.env, clock });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ stored: 1, failed: 0 });
  });
});

describe('a swap the ledger contradicts', () => {
  it('refuses a drive found in a camera that the ledger says holds another drive, before reading anything', async () => {
    const clock = manualClock(manifest.assumedNow);
    const t = await homeWithCamera(clock);
    expect((await run(['drive', 'install', 'D002', '--camera', 'CAM-01'], { env: t.env, clock })).code).toBe(0);
    const src = copyDrive();
    const r = await run(
      ['swap', '--source', src, '--camera', 'CAM-01', '--enrol', '--store-location', 'safe', '--no-replacement'],
      { env: t.env, clock },
    );
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/The ledger says drive D002 is in camera CAM-01/);
    expect(fs.readdirSync(path.join(t.home, 'store'))).toEqual([]);
  });
});

describe('drive forecast', () => {
  it('says how many drives each camera needs and warns before it runs out', async () => {
    const clock = manualClock('2026-11-26T09:00:00-08:00');
    const t = await homeWithCamera(clock);
    expect(
      (await run(['camera', 'add', 'CAM-02', '--location', 'Oak Ave', '--swap-days', '14'], { env: t.env, clock }))
        .code,
    ).toBe(0);
    const r = await run(['drive', 'forecast', '--json'], { env: t.env, clock });
    expect(r.code).toBe(0);
    const fc = JSON.parse(r.stdout) as {
      cameraId: string;
      cadenceDays: number;
      drivesNeeded: number;
      warnings: string[];
    }[];
    const c2 = fc.find((c) => c.cameraId === 'CAM-02')!;
    expect(c2).toMatchObject({ cadenceDays: 14, drivesNeeded: Math.ceil(60 / 14) + 1 });
    expect(c2.warnings.join(' ')).toMatch(/runs out of drives/);
  });
});

describe('a full disk', () => {
  it('ends the import with a clear error, loses nothing, and the rerun with space completes', async (ctx) => {
    const { execFileSync } = await import('node:child_process');
    const clock = manualClock(manifest.assumedNow);
    const t = await homeWithCamera(clock);
    const store = path.join(t.home, 'store');
    try {
      if (process.getuid?.() !== 0) throw new Error('not root');
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=300k', 'tmpfs', store], { stdio: 'ignore' });
    } catch (e) {
      ctx.skip(`cannot mount a small tmpfs to fill (${(e as Error).message}); needs root`);
      return;
    }
    try {
      const src = copyDrive();
      const ledgerBefore = fs.readFileSync(path.join(t.home, 'ledger.enc'));
      const r = await run(['import', '--source', src, '--camera', 'CAM-01', '--enrol'], { env: t.env, clock });
      expect(r.code).toBe(10);
      expect(r.stderr.split('\n')[0]).toMatch(/^custody: The disk is full while storing /);
      expect(r.stderr).toMatch(/nothing stored was lost/);
      expect(fs.readFileSync(path.join(t.home, 'ledger.enc')).equals(ledgerBefore)).toBe(false); // the batch start is recorded
      expect((await run(['verify'], { env: t.env, clock })).code).toBe(0);
      execFileSync('mount', ['-o', 'remount,size=50m', store]);
      const again = await run(['import', '--source', src, '--json'], { env: t.env, clock });
      expect(again.stderr).toBe('');
      const sum = JSON.parse(again.stdout) as { resumed: boolean; failed: number; stored: number };
      expect(sum).toMatchObject({ resumed: true, failed: 0 });
      const st = await storedState(t, (JSON.parse(again.stdout) as { batch: string }).batch);
      expect(st.recs.map((x) => x.relPath).sort()).toEqual(manifest.files.map((f) => f.relPath).sort());
      expect(st.storeFiles).toEqual(
        st.recs
          .filter((x) => x.outcome === 'stored')
          .map((x) => x.storeName!)
          .sort(),
      );
    } finally {
      execFileSync('umount', ['-l', store], { stdio: 'ignore' });
    }
  });
});
