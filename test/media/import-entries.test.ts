/**
 * What an import records of a drive, on real files, a real home and real sql.js segments: every
 * entry accounted for (links, FIFOs, sockets, deep folders), files swapped or grown after the
 * scan, content already stored from another drive, names that are not UTF-8, and a drive that
 * vanishes (lazily unmounted) in the middle.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import {
  BatchFiles,
  loadBatchKey,
  openSegment,
  StoreKeys,
  segmentEntries,
  segmentRecords,
  storeContext,
} from '../../src/ledger/batches.js';
import { openSession, type Session } from '../../src/ledger/session.js';
import { endExiftool } from '../../src/media/exif.js';
import { importDrive, type ImportOptions } from '../../src/media/import.js';
import { hashStored } from '../../src/media/store.js';
import { INIT_ARGS, newTestHome, PASSWORD, ROOT, run, type TestHome, tmpDir } from '../helpers/cli.js';

const DEMO = path.join(ROOT, 'fixtures', 'demo-drive', 'DCIM', '100CAM');
const NOW = '2026-11-05T00:00:00.000-08:00';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const demo = (n: number) => path.join(DEMO, `IMG_${String(n).padStart(4, '0')}.JPG`);

afterAll(async () => {
  await endExiftool();
});

/** A drive folder with demo images at the given paths (relPath → demo image number). */
function makeDrive(files: Record<string, number>): string {
  const d = path.join(tmpDir('custody-drive-'), 'drive');
  for (const [rel, n] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(d, rel)), { recursive: true });
    fs.copyFileSync(demo(n), path.join(d, rel));
  }
  return d;
}

async function newHome(): Promise<TestHome> {
  const clock = manualClock(NOW);
  const t = newTestHome();
  expect((await run(INIT_ARGS, { env: t.env, clock })).code).toBe(0);
  for (const args of [
    ['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00'],
    ['drive', 'enrol', '--id', 'D001'],
    ['drive', 'enrol', '--id', 'D002'],
  ])
    expect((await run(args, { env: t.env, clock })).code).toBe(0);
  return t;
}

async function session(t: TestHome): Promise<Session> {
  return openSession({
    homeDir: t.home,
    credentials: { username: 'asd', password: PASSWORD },
    clock: manualClock(NOW),
    command: 'test',
  });
}

async function importWith(t: TestHome, o: Omit<ImportOptions, 'cameraId'> & { cameraId?: string | null }) {
  const s = await session(t);
  try {
    return await importDrive(s, { cameraId: 'CAM-01', ...o });
  } finally {
    s.close();
  }
}

/** The batch's segment (files and other entries), its events and its store folder. */
async function batchState(t: TestHome, batch: string) {
  const s = await session(t);
  try {
    const bf = new BatchFiles(s.home, batch);
    const key = loadBatchKey(bf, s.master);
    const db = await openSegment(bf, key);
    const recs = segmentRecords(db);
    const entries = segmentEntries(db);
    db.close();
    const finished = s.ledger
      .rows<{ data: string }>("SELECT data FROM events WHERE type = 'import.finished'")
      .map((e) => JSON.parse(e.data) as Record<string, unknown>)
      .find((d) => d.batch === batch);
    const status = s.ledger.one<{ status: string }>('SELECT status FROM batches WHERE id = ?', [batch])?.status;
    const stored = new Map<string, string>();
    // Each stored file opens with its own key, sealed with its recording day's key (policy §8).
    const keys = new StoreKeys(s.home, s.master);
    const byName = new Map(recs.filter((r) => r.storeName && r.outcome !== 'duplicate').map((r) => [r.storeName!, r]));
    for (const f of fs.readdirSync(bf.storeDir))
      stored.set(
        f,
        (await hashStored(bf.storeFile(f), keys.forFile(batch, byName.get(f) ?? {}), storeContext(batch))).sha256,
      );
    return { recs, entries, finished, status, stored };
  } finally {
    s.close();
  }
}

describe('every entry on a drive is accounted for', () => {
  it('imports a file 70 folders deep and records links, a FIFO and a socket with their reasons', async () => {
    const t = await newHome();
    const deep = `${Array.from({ length: 70 }, (_, i) => `L${i + 1}`).join('/')}/IMG_0002.JPG`;
    const drive = makeDrive({ 'DCIM/100CAM/IMG_0001.JPG': 1, [deep]: 2 });
    fs.symlinkSync('/etc/shadow', path.join(drive, 'DCIM/100CAM/shadow.jpg'));
    execFileSync('mkfifo', [path.join(drive, 'DCIM/100CAM/pipe.jpg')]);
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(path.join(drive, 'DCIM/sock'), r));
    let sum: Awaited<ReturnType<typeof importDrive>>;
    try {
      sum = await importWith(t, { source: drive, driveId: 'D001' });
    } finally {
      server.close();
    }
    expect(sum).toMatchObject({ files: 2, stored: 2, failed: 0, folders: 72 });
    expect(sum.notImported).toEqual([
      {
        relPath: 'DCIM/100CAM/pipe.jpg',
        kind: 'special-file',
        reason: 'a FIFO (named pipe); not read',
      },
      {
        relPath: 'DCIM/100CAM/shadow.jpg',
        kind: 'symlink',
        reason: expect.stringMatching(/symbolic link; not followed.*points to "\/etc\/shadow"/),
      },
      { relPath: 'DCIM/sock', kind: 'special-file', reason: 'a socket; not read' },
    ]);
    const st = await batchState(t, sum.batch);
    expect(st.recs.map((r) => [r.relPath, r.outcome])).toEqual([
      ['DCIM/100CAM/IMG_0001.JPG', 'stored'],
      [deep, 'stored'],
    ]);
    expect([...st.stored.values()].sort()).toEqual(
      [sha(fs.readFileSync(demo(1))), sha(fs.readFileSync(demo(2)))].sort(),
    );
    // The segment holds every entry; the event (which outlives the segment) every one not imported.
    const kinds = new Map(st.entries.map((e) => [e.relPath, e.kind]));
    expect(st.entries.filter((e) => e.kind === 'folder')).toHaveLength(72);
    expect(kinds.get('DCIM/100CAM/shadow.jpg')).toBe('symlink');
    expect(st.entries.find((e) => e.kind === 'symlink')?.target).toBe('/etc/shadow');
    expect(kinds.get('DCIM/100CAM/pipe.jpg')).toBe('special-file');
    expect(kinds.get('DCIM/sock')).toBe('special-file');
    expect(st.finished).toMatchObject({ files: 2, folders: 72, notImported: 3 });
    expect(st.finished!.notImportedEntries).toEqual(sum.notImported);
  });

  it('says so in the summary printed by `custody import`', async () => {
    const t = await newHome();
    const drive = makeDrive({ 'DCIM/IMG_0001.JPG': 1 });
    fs.symlinkSync('../elsewhere/IMG_0009.JPG', path.join(drive, 'DCIM/IMG_0009.JPG'));
    const r = await run(['import', '--source', drive, '--camera', 'CAM-01', '--enrol'], {
      env: t.env,
      clock: manualClock(NOW),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /Not imported, recorded \(1\):\n {2}"DCIM\/IMG_0009\.JPG": a symbolic link; not followed, so nothing outside the drive is read \(it points to "\.\.\/elsewhere\/IMG_0009\.JPG"\)/,
    );
  });
});

describe('a drive that changes after the scan', () => {
  it('refuses a file replaced by a symbolic link (or reached through a swapped folder) and never reads its target', async () => {
    const t = await newHome();
    const drive = makeDrive({
      'DCIM/100CAM/IMG_0001.JPG': 1,
      'DCIM/100CAM/IMG_0002.JPG': 2,
      'DCIM/101CAM/IMG_0003.JPG': 3,
    });
    const outside = tmpDir('custody-outside-');
    fs.writeFileSync(path.join(outside, 'IMG_0003.JPG'), 'a secret that is not on the drive');
    const secrets = [sha(fs.readFileSync(path.join(outside, 'IMG_0003.JPG'))), sha(fs.readFileSync('/etc/shadow'))];
    const sum = await importWith(t, {
      source: drive,
      driveId: 'D001',
      onProgress: (p) => {
        if (p.phase !== 'scan') return;
        const victim = path.join(drive, 'DCIM/100CAM/IMG_0002.JPG');
        fs.rmSync(victim);
        fs.symlinkSync('/etc/shadow', victim);
        fs.rmSync(path.join(drive, 'DCIM/101CAM'), { recursive: true });
        fs.symlinkSync(outside, path.join(drive, 'DCIM/101CAM'));
      },
    });
    expect(sum).toMatchObject({ files: 3, stored: 1, failed: 2 });
    expect(sum.failures).toEqual([
      {
        relPath: 'DCIM/100CAM/IMG_0002.JPG',
        problem: 'DCIM/100CAM/IMG_0002.JPG was replaced by a symbolic link after the scan; it was not followed',
      },
      {
        relPath: 'DCIM/101CAM/IMG_0003.JPG',
        problem: 'DCIM/101CAM/IMG_0003.JPG was replaced by another file after the scan; it was not read',
      },
    ]);
    const st = await batchState(t, sum.batch);
    expect(st.recs.filter((r) => r.outcome === 'failed').every((r) => r.sha256 === undefined)).toBe(true);
    for (const h of secrets) {
      expect([...st.stored.values()]).not.toContain(h);
      expect(st.recs.map((r) => r.sha256)).not.toContain(h);
    }
  });

  it('records a file that grew after the scan with the size and hash of the bytes read, flagged', async () => {
    const t = await newHome();
    const drive = makeDrive({ 'DCIM/IMG_0001.JPG': 1, 'DCIM/IMG_0002.JPG': 2 });
    const grown = path.join(drive, 'DCIM/IMG_0002.JPG');
    const before = fs.statSync(grown).size;
    const sum = await importWith(t, {
      source: drive,
      driveId: 'D001',
      onProgress: (p) => {
        // Still a whole JPEG: the camera wrote a second one after it (bytes after FF D9).
        if (p.phase === 'scan') fs.appendFileSync(grown, fs.readFileSync(demo(3)));
      },
    });
    const now = fs.readFileSync(grown);
    expect(now.length).toBeGreaterThan(before);
    const st = await batchState(t, sum.batch);
    const rec = st.recs.find((r) => r.relPath === 'DCIM/IMG_0002.JPG')!;
    expect(rec).toMatchObject({ outcome: 'stored', size: now.length, sha256: sha(now) });
    expect(rec.flags).toContain('changed');
    expect(st.stored.get(rec.storeName!)).toBe(sha(now));
    expect(sum.attention).toContainEqual({
      relPath: 'DCIM/IMG_0002.JPG',
      what: expect.stringMatching(
        /changed between the scan and the end of its read; the size recorded is the size hashed/,
      ),
    });
    expect(sum.bytes).toBe(fs.statSync(path.join(drive, 'DCIM/IMG_0001.JPG')).size + now.length);
  });
});

describe('content already stored', () => {
  it('stores the same file on two drives once, recording the second as a duplicate of the first copy', async () => {
    const t = await newHome();
    const a = makeDrive({ 'DCIM/IMG_0001.JPG': 1, 'DCIM/IMG_0002.JPG': 2 });
    const b = makeDrive({ 'DCIM/100CAM/OTHER_NAME.JPG': 2, 'DCIM/100CAM/IMG_0004.JPG': 4 });
    const first = await importWith(t, { source: a, driveId: 'D001' });
    const second = await importWith(t, { source: b, driveId: 'D002' });
    expect(second).toMatchObject({ files: 2, stored: 1, duplicates: 1 });
    const sa = await batchState(t, first.batch);
    const sb = await batchState(t, second.batch);
    const original = sa.recs.find((r) => r.relPath === 'DCIM/IMG_0002.JPG')!;
    const dup = sb.recs.find((r) => r.relPath === 'DCIM/100CAM/OTHER_NAME.JPG')!;
    expect(dup).toMatchObject({ outcome: 'duplicate', sha256: original.sha256 });
    expect(dup.duplicateOf).toBe(`${first.batch}/${original.storeName}`);
    expect([...sb.stored.values()]).toEqual([sha(fs.readFileSync(demo(4)))]);
  });
});

describe('content whose first copy cannot be read', () => {
  it('is stored again when the batch holding it lost its key (a purge cut short), not pointed at', async () => {
    const t = await newHome();
    const first = await importWith(t, { source: makeDrive({ 'DCIM/IMG_0001.JPG': 1 }), driveId: 'D001' });
    fs.rmSync(path.join(t.home, 'keys', `${first.batch}.key`));
    const second = await importWith(t, { source: makeDrive({ 'DCIM/IMG_0001.JPG': 1 }), driveId: 'D002' });
    expect(second).toMatchObject({ files: 1, stored: 1, duplicates: 0, failed: 0 });
  });
});

describe('names that are not UTF-8', () => {
  it('imports a file by its raw bytes and records its name losslessly', async () => {
    const t = await newHome();
    const drive = makeDrive({ 'DCIM/IMG_0001.JPG': 1 });
    const raw = Buffer.concat([Buffer.from(`${drive}/DCIM/caf`), Buffer.from([0xe9]), Buffer.from('.JPG')]);
    fs.copyFileSync(demo(5), raw);
    const sum = await importWith(t, { source: drive, driveId: 'D001' });
    expect(sum).toMatchObject({ files: 2, stored: 2, failed: 0 });
    const st = await batchState(t, sum.batch);
    const rec = st.recs.find((r) => r.relPath === 'DCIM/caf\\xe9.JPG')!;
    expect(rec).toMatchObject({ outcome: 'stored', sha256: sha(fs.readFileSync(demo(5))) });
    expect(rec.flags).toContain('name-escaped');
    expect(st.stored.get(rec.storeName!)).toBe(rec.sha256);
    expect(rec.recordedAt).toMatch(/^2026-11-0/);
  });
});

describe('a drive that vanishes', () => {
  it('lazily unmounted mid-import: exit 10 (io), the batch stays open, and the rerun resumes it', async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip('bind mounts need root');
    const t = await newHome();
    const files: Record<string, number> = {};
    for (let n = 1; n <= 12; n++) files[`DCIM/IMG_${String(n).padStart(4, '0')}.JPG`] = n;
    const folder = makeDrive(files);
    const mnt = tmpDir('custody-mnt-');
    execFileSync('mount', ['--bind', folder, mnt]);
    let err: unknown;
    try {
      await importWith(t, {
        source: mnt,
        driveId: 'D001',
        onProgress: (p) => {
          if (p.phase === 'import' && p.files === 2) execFileSync('umount', ['-l', mnt]);
        },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'io',
      message: expect.stringMatching(/^The drive D001 vanished .*the batch is kept open\.$/),
    });
    const s = await session(t);
    const open = s.ledger.rows<{ id: string; status: string }>('SELECT id, status FROM batches');
    s.close();
    expect(open).toEqual([{ id: expect.any(String), status: 'importing' }]);
    execFileSync('mount', ['--bind', folder, mnt]);
    try {
      const again = await importWith(t, { source: mnt, driveId: 'D001' });
      expect(again).toMatchObject({ batch: open[0]!.id, resumed: true, files: 12, stored: 12, failed: 0 });
      expect((await batchState(t, again.batch)).stored.size).toBe(12);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
