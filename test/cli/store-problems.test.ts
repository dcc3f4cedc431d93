/**
 * Store problems named as such: a stored copy missing or damaged during `image export` or
 * `release` is exit 8 naming the image; nothing is written at the destination, no decrypted
 * byte is left next to it, and nothing is recorded as accessed or released.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { BatchFiles, loadBatchKey, openSegment, segmentRecords } from '../../src/ledger/batches.js';
import { openSession } from '../../src/ledger/session.js';
import { endExiftool } from '../../src/media/exif.js';
import {
  ECSO_AGENCY_ADD,
  INIT_ARGS,
  newTestHome,
  okRunner,
  PASSWORD,
  ROOT,
  run,
  tmpDir,
  type TestHome,
} from '../helpers/cli.js';

const NOW = '2026-11-05T00:00:00.000-08:00';
const DEMO = path.join(ROOT, 'fixtures', 'demo-drive');
const clock = manualClock(NOW);
let t: TestHome;
let batch: string;

beforeAll(async () => {
  t = newTestHome();
  const ok = okRunner(t, clock);
  await ok(INIT_ARGS);
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
  const drive = path.join(t.dir, 'CAMDRIVE');
  fs.cpSync(DEMO, drive, { recursive: true });
  const imp = await ok(['import', '--source', drive, '--camera', 'CAM-01', '--enrol', '--json']);
  batch = (JSON.parse(imp.stdout) as { batch: string }).batch;
  await ok(ECSO_AGENCY_ADD);
}, 240_000);

afterAll(async () => {
  await endExiftool();
});

/** A copy of the home, and its stored images (image id → store file), in segment order. */
async function homeWithImages(): Promise<{ t: TestHome; images: { id: string; file: string; day: string }[] }> {
  const dir = tmpDir();
  const home = path.join(dir, 'home');
  fs.cpSync(t.home, home, { recursive: true });
  const copy = { ...t, dir, home, env: { ...t.env, CUSTODY_HOME: home } };
  const s = await openSession({
    homeDir: home,
    credentials: { username: 'asd', password: PASSWORD },
    clock,
    command: 't',
  });
  try {
    const bf = new BatchFiles(s.home, batch);
    const db = await openSegment(bf, loadBatchKey(bf, s.master));
    const images = segmentRecords(db)
      .filter((r) => r.outcome === 'stored')
      .map((r) => ({ id: `${batch}:${r.id}`, file: bf.storeFile(r.storeName!), day: r.recordedAt!.slice(0, 10) }));
    db.close();
    return { t: copy, images };
  } finally {
    s.close();
  }
}

/** The events of a kind in the home's ledger. */
async function events(home: TestHome, type: string): Promise<Record<string, unknown>[]> {
  const s = await openSession({
    homeDir: home.home,
    credentials: { username: 'asd', password: PASSWORD },
    clock,
    command: 't',
  });
  try {
    return s.ledger
      .rows<{ data: string }>('SELECT data FROM events WHERE type = ?', [type])
      .map((e) => JSON.parse(e.data) as Record<string, unknown>);
  } finally {
    s.close();
  }
}

/** Nothing at `dest`, and nothing custody left beside it. */
function nothingAt(dest: string): void {
  expect(fs.existsSync(dest)).toBe(false);
  expect(fs.readdirSync(path.dirname(dest))).toEqual([]);
}

/** A request for CAM-01 over the demo drive's days: `image export` is a release on a request (policy §5). */
async function exportRequest(h: TestHome): Promise<string[]> {
  const letter = path.join(h.dir, 'export-letter.txt');
  fs.writeFileSync(letter, 'Request for ALPR images.\n');
  const r = await run(
    [
      'request',
      'new',
      '--agency',
      'ECSO',
      '--officer',
      'Sgt. Rita Alvarez',
      '--badge',
      '4417',
      '--case',
      '26-001234',
      '--purpose',
      'criminal investigation',
      '--document',
      letter,
      '--cameras',
      'CAM-01',
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-05',
      '--json',
    ],
    { env: h.env, clock },
  );
  expect(r.code, r.stderr).toBe(0);
  return ['--request', (JSON.parse(r.stdout) as { id: string }).id];
}

describe('image export', () => {
  it('of an image whose stored copy is missing is exit 8 naming it; nothing written, nothing recorded', async () => {
    const { t: h, images } = await homeWithImages();
    const [a, b, c] = images;
    fs.rmSync(b!.file);
    const REASON = await exportRequest(h);
    const dest = path.join(tmpDir('custody-out-'), 'out');
    const r = await run(['image', 'export', a!.id, b!.id, c!.id, '--to', dest, ...REASON], { env: h.env, clock });
    expect(r.code).toBe(8);
    expect(r.stderr.split('\n')[0]).toBe(
      `custody: The stored copy of image ${b!.id} is missing from the store (${b!.file}).`,
    );
    expect(r.stderr).toMatch(/custody verify/);
    nothingAt(dest);
    expect((await events(h, 'access.recorded')).filter((e) => e.action === 'export')).toEqual([]);
    // The others still export, and that is recorded.
    const ok = await run(['image', 'export', a!.id, c!.id, '--to', dest, ...REASON, '--json'], { env: h.env, clock });
    expect(ok.code, ok.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dest, 'manifest-sha256.txt'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect((await events(h, 'access.recorded')).filter((e) => e.action === 'export')).toHaveLength(1);
  });

  it('of an image whose stored copy is damaged is exit 8 naming it, into an existing empty folder left empty', async () => {
    const { t: h, images } = await homeWithImages();
    const [a, b] = images;
    const bytes = fs.readFileSync(b!.file);
    bytes[bytes.length - 40]! ^= 0x01;
    fs.writeFileSync(b!.file, bytes);
    const REASON = await exportRequest(h);
    const dest = path.join(tmpDir('custody-out-'), 'out');
    fs.mkdirSync(dest);
    const r = await run(['image', 'export', a!.id, b!.id, '--to', dest, ...REASON], { env: h.env, clock });
    expect(r.code).toBe(8);
    expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^custody: The stored copy of image ${b!.id} is damaged: `));
    expect(fs.readdirSync(dest)).toEqual([]);
    expect(fs.readdirSync(path.dirname(dest))).toEqual(['out']);
    expect((await events(h, 'access.recorded')).filter((e) => e.action === 'export')).toEqual([]);
  });
});

/** A request for one day of CAM-01's images, in the home copy `h`. */
async function requestFor(h: TestHome, day: string): Promise<string> {
  const letter = path.join(h.dir, 'letter.txt');
  fs.writeFileSync(letter, 'Request for ALPR images.\n');
  const req = await run(
    [
      'request',
      'new',
      '--agency',
      'ECSO',
      '--officer',
      'Sgt. Rita Alvarez',
      '--badge',
      '4417',
      '--case',
      '26-001234',
      '--purpose',
      'criminal investigation',
      '--received-at',
      '2026-11-05T09:15:00-08:00',
      '--document',
      letter,
      '--cameras',
      'CAM-01',
      '--from',
      day,
      '--to',
      day,
      '--json',
    ],
    { env: h.env, clock },
  );
  expect(req.code, req.stderr).toBe(0);
  return (JSON.parse(req.stdout) as { id: string }).id;
}

describe('release', () => {
  it('with a stored copy missing is exit 8 naming the image: no bag, no receipt, no release or access record', async () => {
    const { t: h, images } = await homeWithImages();
    const day = images[0]!.day;
    const victim = images.filter((i) => i.day === day).at(-1)!;
    fs.rmSync(victim.file);
    const id = await requestFor(h, day);
    const out = tmpDir('custody-release-');
    const bag = path.join(out, 'bag');
    const receipt = path.join(out, 'receipt.pdf');
    const r = await run(['release', '--request', id, '--to', bag, '--receipt', receipt], { env: h.env, clock });
    expect(r.code).toBe(8);
    expect(r.stderr.split('\n')[0]).toBe(
      `custody: The stored copy of image ${victim.id} is missing from the store (${victim.file}).`,
    );
    expect(fs.readdirSync(out)).toEqual([]);
    expect(await events(h, 'release.recorded')).toEqual([]);
    expect((await events(h, 'access.recorded')).filter((e) => e.action === 'export')).toEqual([]);
  });

  it('with a stored copy damaged is exit 8 naming the image, and no decrypted byte is left', async () => {
    const { t: h, images } = await homeWithImages();
    const day = images[0]!.day;
    const victim = images.filter((i) => i.day === day).at(-1)!;
    const bytes = fs.readFileSync(victim.file);
    bytes[100]! ^= 0x01;
    fs.writeFileSync(victim.file, bytes);
    const id = await requestFor(h, day);
    const out = tmpDir('custody-release-');
    const r = await run(
      ['release', '--request', id, '--to', path.join(out, 'bag'), '--receipt', path.join(out, 'r.pdf')],
      { env: h.env, clock },
    );
    expect(r.code).toBe(8);
    expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^custody: The stored copy of image ${victim.id} is damaged: `));
    expect(fs.readdirSync(out)).toEqual([]);
    expect(await events(h, 'release.recorded')).toEqual([]);
  });
});
