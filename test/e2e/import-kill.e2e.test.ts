/**
 * An import killed (SIGKILL) between files, in the middle of a file, and while finishing; the
 * rerun must end with exactly the right files, hashes and ledger events.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchFiles, loadBatchKey, openSegment, segmentRecords } from '../../src/ledger/batches.js';
import { openSession } from '../../src/ledger/session.js';
import { endExiftool } from '../../src/media/exif.js';
import { makeFixtureDrive, minimalMp4, type FixtureManifest } from '../../tools/fixture-drive.js';
import { BIN, INIT_ARGS, newTestHome, PASSWORD, spawnBin, tmpDir, type TestHome } from '../helpers/cli.js';

let drive: string;
let manifest: FixtureManifest;
const BIG = 'DCIM/101CLIP/CLIP0001.MP4';

beforeAll(async () => {
  drive = path.join(tmpDir('custody-kill-'), 'drive');
  manifest = await makeFixtureDrive(drive, {
    seed: 5,
    camera: { make: 'Acme', model: 'LPR-2', serial: 'AC-9' },
    start: new Date('2026-11-01T12:00:00Z'),
    days: 2,
    perDay: 12,
    timeZone: 'America/Los_Angeles',
    imageBytes: 30_000,
  });
  // A large clip widens the "middle of a file" window.
  const clip = Buffer.concat([minimalMp4(new Date('2026-11-02T18:00:00Z')), randomBytes(60 * 1024 * 1024)]);
  fs.mkdirSync(path.join(drive, 'DCIM/101CLIP'), { recursive: true });
  fs.writeFileSync(path.join(drive, BIG), clip);
}, 180_000);

afterAll(async () => {
  await endExiftool();
});

async function setUp(): Promise<{ t: TestHome; src: string }> {
  const t = newTestHome();
  expect((await spawnBin(INIT_ARGS, { env: t.env })).code).toBe(0);
  expect((await spawnBin(['camera', 'add', 'CAM-01', '--location', 'Main St'], { env: t.env })).code).toBe(0);
  const src = path.join(tmpDir('custody-kill-src-'), 'drive');
  fs.cpSync(drive, src, { recursive: true });
  expect((await spawnBin(['drive', 'enrol', '--source', src, '--id', 'D001'], { env: t.env })).code).toBe(0);
  return { t, src };
}

function journalLines(home: string): number {
  const seg = path.join(home, 'segments');
  const j = fs.readdirSync(seg).find((f) => f.endsWith('.journal'));
  return j ? fs.readFileSync(path.join(seg, j), 'utf8').split('\n').filter(Boolean).length : 0;
}

function tmpInStore(home: string): boolean {
  const store = path.join(home, 'store');
  return fs.readdirSync(store).some((b) => fs.readdirSync(path.join(store, b)).some((f) => f.endsWith('.tmp')));
}

/** Stored copies in place (renamed from their temporary files) that the journal does not list yet. */
function storedNotJournaled(home: string): boolean {
  const store = path.join(home, 'store');
  const stored = fs
    .readdirSync(store)
    .reduce((n, b) => n + fs.readdirSync(path.join(store, b)).filter((f) => !f.endsWith('.tmp')).length, 0);
  return stored > journalLines(home);
}

/** True when the import was killed (not finished before `when` held). */
async function killWhen(t: TestHome, src: string, when: () => boolean): Promise<boolean> {
  const child = spawn(process.execPath, [BIN, 'import', '--source', src, '--camera', 'CAM-01'], {
    env: { PATH: process.env.PATH, ...t.env },
    stdio: 'ignore',
  });
  let exited = false;
  let killed = false;
  child.on('exit', () => (exited = true));
  const deadline = Date.now() + 120_000;
  while (!exited && Date.now() < deadline) {
    if (when()) {
      killed = child.kill('SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => (exited ? r(null) : child.once('exit', r)));
  // The killed process could not give its lock back; `custody unlock` removes it once it is stale.
  if (fs.existsSync(path.join(t.home, 'lock'))) expect((await spawnBin(['unlock'], { env: t.env })).code).toBe(0);
  return killed;
}

async function checkExact(t: TestHome): Promise<void> {
  const s = await openSession({
    homeDir: t.home,
    credentials: { username: 'asd', password: PASSWORD },
    clock: () => new Date(),
    command: 'test',
  });
  try {
    const batches = s.ledger.rows<{ id: string; status: string }>('SELECT id, status FROM batches');
    expect(batches).toHaveLength(1);
    expect(batches[0]!.status).toBe('imported');
    const bf = new BatchFiles(s.home, batches[0]!.id);
    const key = loadBatchKey(bf, s.master);
    const db = await openSegment(bf, key);
    const recs = segmentRecords(db);
    db.close();
    const expected = [...manifest.files.map((f) => [f.relPath, f.sha256]), [BIG, null]];
    expect(recs.map((r) => r.relPath).sort()).toEqual(expected.map((e) => e[0]).sort());
    for (const f of manifest.files) expect(recs.find((r) => r.relPath === f.relPath)!.sha256).toBe(f.sha256);
    expect(recs.every((r) => r.outcome === 'stored' || r.outcome === 'duplicate')).toBe(true);
    expect(fs.readdirSync(bf.storeDir).sort()).toEqual(
      recs
        .filter((r) => r.outcome === 'stored')
        .map((r) => r.storeName!)
        .sort(),
    );
    const types = s.ledger
      .rows<{ type: string }>("SELECT type FROM events WHERE type LIKE 'import.%' ORDER BY seq")
      .map((e) => e.type);
    expect(types).toEqual(['import.started', 'import.finished']);
    expect(fs.existsSync(bf.journalFile)).toBe(false);
  } finally {
    s.close();
  }
  expect((await spawnBin(['verify'], { env: t.env })).code).toBe(0);
}

describe('an import killed and run again', () => {
  it.each([
    ['between files', (t: TestHome) => journalLines(t.home) >= 5],
    ['in the middle of a file', (t: TestHome) => tmpInStore(t.home)],
    [
      'while the workers and the journal hold files not yet recorded',
      (t: TestHome) => tmpInStore(t.home) && storedNotJournaled(t.home),
    ],
    ['while finishing (all files journaled)', (t: TestHome) => journalLines(t.home) >= manifest.files.length + 1],
  ])('%s', async (name, when) => {
    const { t, src } = await setUp();
    const killed = await killWhen(t, src, () => when(t));
    // Stored copies in place and not yet journaled hold for most of an import: it is always met.
    if (name.startsWith('while the workers')) expect(killed).toBe(true);
    const r = await spawnBin(['import', '--source', src, '--camera', 'CAM-01', '--json'], {
      env: t.env,
      timeoutMs: 180_000,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await checkExact(t);
  });
});
