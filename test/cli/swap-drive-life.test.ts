/**
 * The drive's life recorded truly (policy §8: a log of every drive): each move carries the time
 * it happened beside the time it was recorded; a drive holding images never imported cannot go
 * into a camera; a wipe or destruction is recorded (who, when, how) and ends the overdue line;
 * a purge is not done twice when the clock steps back; an interrupted save leaves no temporary
 * file behind. Real files, real sql.js, real exiftool; the demo drive.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { openSession } from '../../src/ledger/session.js';
import { endExiftool } from '../../src/media/exif.js';
import { INIT_ARGS, newTestHome, PASSWORD, ROOT, run, type TestHome } from '../helpers/cli.js';

const DEMO = path.join(ROOT, 'fixtures', 'demo-drive');
const NOW = '2026-11-30T19:04:00-08:00';
/** NOW as the ledger writes an event's own time. */
const RECORDED = '2026-11-30T19:04:00.000-08:00';
const DAY = 86_400_000;

afterAll(async () => {
  await endExiftool();
});

type Clock = ReturnType<typeof manualClock>;

async function ok(t: TestHome, clock: Clock, args: string[]) {
  const r = await run(args, { env: t.env, clock });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

async function newHome(clock: Clock): Promise<TestHome> {
  const t = newTestHome();
  await ok(t, clock, INIT_ARGS);
  await ok(t, clock, ['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
  await ok(t, clock, ['drive', 'enrol', '--id', 'D002', '--label', 'spare']);
  return t;
}

function demoCopy(t: TestHome, name: string): string {
  const d = path.join(t.dir, name);
  fs.cpSync(DEMO, d, { recursive: true });
  return d;
}

async function count(t: TestHome, type: string): Promise<number> {
  const s = await openSession({
    homeDir: t.home,
    credentials: { username: 'asd', password: PASSWORD },
    clock: () => new Date(NOW),
    command: 'test',
  });
  try {
    return s.ledger.one<{ n: number }>('SELECT count(*) AS n FROM events WHERE type = ?', [type])!.n;
  } finally {
    s.close();
  }
}

/** D001 swapped out of CAM-01 (D002 in its place) and stored; returns its newest recording. */
async function swappedDrive(t: TestHome, clock: Clock): Promise<{ newest: number; batch: string }> {
  const src = path.join(t.dir, 'CAMDRIVE1');
  fs.mkdirSync(src);
  await ok(t, clock, ['drive', 'enrol', '--source', src, '--id', 'D001']);
  await ok(t, clock, ['drive', 'install', 'D001', '--camera', 'CAM-01', '--at', '2026-11-01T08:00:00-08:00']);
  fs.cpSync(DEMO, src, { recursive: true });
  const r = await ok(t, clock, [
    'swap',
    '--source',
    src,
    '--camera',
    'CAM-01',
    '--removed-at',
    '2026-11-04T09:00:00-08:00',
    '--store-location',
    'safe',
    '--replacement',
    'D002',
    '--json',
  ]);
  const sum = JSON.parse(r.stdout) as { batch: string; recordedLast: string };
  return { newest: Date.parse(sum.recordedLast), batch: sum.batch };
}

describe('times as they happened', () => {
  it('drive show, camera show and the log give the time of the move, the log also when it was recorded', async () => {
    const clock = manualClock(NOW);
    const t = await newHome(clock);
    await ok(t, clock, ['drive', 'install', 'D002', '--camera', 'CAM-01', '--at', '2026-10-31T07:00-07:00']);
    await ok(t, clock, ['drive', 'remove', 'D002', '--at', '2026-11-14T08:30-08:00']);
    await ok(t, clock, ['drive', 'store', 'D002', '--location', 'safe', '--at', '2026-11-14T09:15-08:00']);
    await ok(t, clock, ['drive', 'retire', 'D002', '--reason', 'worn', '--at', '2026-11-20T10:00-08:00']);

    const show = JSON.parse((await ok(t, clock, ['drive', 'show', 'D002', '--json'])).stdout) as {
      history: { action: string; at: string; recordedAt: string; by: string }[];
      retiredAt: string;
    };
    expect(show.history.map((h) => [h.action, h.at])).toEqual([
      ['enrol', RECORDED],
      ['install', '2026-10-31T07:00-07:00'],
      ['remove', '2026-11-14T08:30-08:00'],
      ['store', '2026-11-14T09:15-08:00'],
      ['retire', '2026-11-20T10:00-08:00'],
    ]);
    for (const h of show.history) expect(h).toMatchObject({ recordedAt: RECORDED, by: 'asd' });
    expect(show.retiredAt).toBe('2026-11-20T10:00-08:00');
    const text = (await ok(t, clock, ['drive', 'show', 'D002'])).stdout;
    expect(text).toMatch(/install\s+2026-10-31T07:00-07:00\s+2026-11-30T19:04:00.000-08:00/);

    const cam = await ok(t, clock, ['camera', 'show', 'CAM-01']);
    expect(cam.stdout).toMatch(/D002\s+install\s+2026-10-31T07:00-07:00\s+2026-11-30T19:04:00.000-08:00/);
    expect(cam.stdout).toMatch(/D002\s+remove\s+2026-11-14T08:30-08:00/);
    expect(cam.stdout).not.toMatch(/D002\s+install\s+2026-11-30/);

    const log = await ok(t, clock, ['log', '--drive', 'D002']);
    expect(log.stdout).toMatch(/2026-11-30T19:04:00.000-08:00\s+2026-10-31T07:00-07:00\s+drive\.installed/);
    const logJson = JSON.parse((await ok(t, clock, ['log', '--drive', 'D002', '--json'])).stdout) as {
      type: string;
      at: string;
      happenedAt: string | null;
    }[];
    expect(logJson.find((e) => e.type === 'drive.removed')).toMatchObject({
      at: RECORDED,
      happenedAt: '2026-11-14T08:30-08:00',
    });
    expect((await run(['verify'], { env: t.env, clock })).code).toBe(0);
  });
});

describe('the reinstall guard knows what is on the drive', () => {
  it('a drive enrolled during a refused swap, full of images never imported, cannot go into a camera', async () => {
    const clock = manualClock('2026-11-05T10:00:00-08:00');
    const t = await newHome(clock);
    await ok(t, clock, ['drive', 'install', 'D002', '--camera', 'CAM-01']);
    const src = demoCopy(t, 'CAMDRIVE3');
    const refused = await run(
      ['swap', '--source', src, '--camera', 'CAM-01', '--enrol', '--store-location', 'safe', '--no-replacement'],
      { env: t.env, clock },
    );
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/The ledger says drive D002 is in camera CAM-01, not drive D003/);
    const d3 = JSON.parse((await ok(t, clock, ['drive', 'show', 'D003', '--json'])).stdout) as {
      state: string;
      filesUnimported: number;
    };
    expect(d3).toMatchObject({ state: 'spare', filesUnimported: 24 });

    await ok(t, clock, ['drive', 'remove', 'D002']);
    const install = await run(['drive', 'install', 'D003', '--camera', 'CAM-01'], { env: t.env, clock });
    expect(install.code).toBe(4);
    expect(install.stderr).toMatch(/Drive D003 holds 24 images or clips that were never imported/);
    const list = JSON.parse((await ok(t, clock, ['drive', 'list', '--json'])).stdout) as { id: string }[];
    expect(list.map((d) => d.id)).toContain('D003');
    // A wipe of it is refused too: those images exist nowhere else.
    const wipe = await run(['drive', 'wipe', 'D003', '--method', 'zeros'], { env: t.env, clock });
    expect(wipe.code).toBe(4);
    expect(wipe.stderr).toMatch(/never imported/);

    // Once imported, the images are kept: the refusal is then the retention period's, not this one.
    await ok(t, clock, ['import', '--source', src, '--camera', 'CAM-01']);
    const after = await run(['drive', 'install', 'D003', '--camera', 'CAM-01'], { env: t.env, clock });
    expect(after.code).toBe(4);
    expect(after.stderr).not.toMatch(/never imported/);
    expect(after.stderr).toMatch(/may be recorded over from/);
  });

  it('an empty drive enrolled from its folder may go in', async () => {
    const clock = manualClock('2026-11-05T10:00:00-08:00');
    const t = await newHome(clock);
    const empty = path.join(t.dir, 'EMPTY');
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, 'README.TXT'), 'vendor notes, not an image\n');
    await ok(t, clock, ['drive', 'enrol', '--source', empty, '--id', 'D005']);
    await ok(t, clock, ['drive', 'install', 'D005', '--camera', 'CAM-01']);
  });
});

describe('drive wipe and drive destroy', () => {
  it('record who, when and how; refused while the data must be kept; the overdue line stops, also for a retired drive', async () => {
    const clock = manualClock('2026-11-05T10:00:00-08:00');
    const t = await newHome(clock);
    const { newest } = await swappedDrive(t, clock);

    const early = await run(['drive', 'wipe', 'D001', '--method', 'zeros'], { env: t.env, clock });
    expect(early.code).toBe(4);
    expect(early.stderr).toMatch(/may be recorded over from/);

    clock.set(new Date(newest + 61 * DAY));
    const overdue = /Drive D001 holds data past its destruction date .*record over it or wipe it/;
    expect((await ok(t, clock, ['drive', 'list'])).stderr).toMatch(overdue);
    // Retiring a drive does not destroy what is on it.
    await ok(t, clock, ['drive', 'retire', 'D001', '--reason', 'worn out']);
    expect((await ok(t, clock, ['drive', 'list'])).stderr).toMatch(overdue);

    const future = await run(['drive', 'wipe', 'D001', '--method', 'zeros', '--at', '2030-01-01T00:00:00-08:00'], {
      env: t.env,
      clock,
    });
    expect(future.code).toBe(2);
    const at = new Date(newest + 61 * DAY - 3_600_000).toISOString();
    const wiped = JSON.parse(
      (await ok(t, clock, ['drive', 'wipe', 'D001', '--method', 'overwritten with zeros (dd)', '--at', at, '--json']))
        .stdout,
    ) as { wipedAt: string; wipeMethod: string; state: string };
    expect(wiped).toMatchObject({ wipedAt: at, wipeMethod: 'overwritten with zeros (dd)', state: 'retired' });
    expect((await ok(t, clock, ['drive', 'list'])).stderr).not.toMatch(/Drive D001 holds data/);
    const show = JSON.parse((await ok(t, clock, ['drive', 'show', 'D001', '--json'])).stdout) as {
      history: { action: string; at: string; by: string; note: string }[];
    };
    expect(show.history.at(-1)).toMatchObject({ action: 'wipe', at, by: 'asd', note: 'overwritten with zeros (dd)' });

    const destroyed = JSON.parse(
      (await ok(t, clock, ['drive', 'destroy', 'D001', '--method', 'shredded by ShredCo, certificate 77', '--json']))
        .stdout,
    ) as { state: string };
    expect(destroyed.state).toBe('destroyed');
    expect((await run(['drive', 'install', 'D001', '--camera', 'CAM-01'], { env: t.env, clock })).code).not.toBe(0);
    expect((await run(['verify'], { env: t.env, clock })).code).toBe(0);
  });

  it('a stored drive past its period, wiped, may go back into a camera', async () => {
    const clock = manualClock('2026-11-05T10:00:00-08:00');
    const t = await newHome(clock);
    const { newest } = await swappedDrive(t, clock);
    clock.set(new Date(newest + 61 * DAY));
    await ok(t, clock, ['drive', 'wipe', 'D001', '--method', 'quick format']);
    await ok(t, clock, ['drive', 'remove', 'D002']);
    const r = await ok(t, clock, ['drive', 'install', 'D001', '--camera', 'CAM-01', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'in_camera' });
  });
});

describe('purge and the clock', () => {
  it('a purge run again after the clock stepped back a day destroys nothing twice', async () => {
    const clock = manualClock('2026-11-05T10:00:00-08:00');
    const t = await newHome(clock);
    const { newest, batch } = await swappedDrive(t, clock);
    clock.set(new Date(newest + 62 * DAY));
    const first = await ok(t, clock, ['purge', '--yes', '--no-certificate', '--json']);
    expect(JSON.stringify(JSON.parse(first.stdout))).toContain(batch);
    expect(await count(t, 'batch.destroyed')).toBe(1);
    clock.set(new Date(newest + 61 * DAY));
    const again = await run(['purge', '--yes', '--no-certificate', '--json'], { env: t.env, clock });
    expect(again.code).toBe(0);
    expect(await count(t, 'batch.destroyed')).toBe(1);
    expect(await count(t, 'batch.destruction_started')).toBe(1);
    expect(again.stderr).not.toMatch(/Import batch .* not destroyed/);
    expect((await run(['verify'], { env: t.env, clock })).code).toBe(0);
  });
});

describe('an interrupted save', () => {
  it('leaves temporary files that the next log-in removes, and nothing else', async () => {
    const clock = manualClock('2026-11-05T10:00:00-08:00');
    const t = await newHome(clock);
    const leftovers = [
      path.join(t.home, '.ledger.enc.48213.tmp'),
      path.join(t.home, '.checkpoints.jsonl.48213.tmp'),
      path.join(t.home, 'keys', '.B20261105-abcdef.key.48213.tmp'),
      path.join(t.home, 'segments', '.B20261105-abcdef.seg.48213.tmp'),
    ];
    for (const f of leftovers) {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, 'half-written');
    }
    const keep = path.join(t.home, 'notes.tmp');
    fs.writeFileSync(keep, 'not ours');
    const ledger = fs.readFileSync(path.join(t.home, 'ledger.enc'));
    await ok(t, clock, ['drive', 'list']);
    for (const f of leftovers) expect(fs.existsSync(f), f).toBe(false);
    expect(fs.existsSync(keep)).toBe(true);
    expect(fs.readFileSync(path.join(t.home, 'ledger.enc')).equals(ledger)).toBe(true);
    expect((await run(['verify'], { env: t.env, clock })).code).toBe(0);
  });
});
