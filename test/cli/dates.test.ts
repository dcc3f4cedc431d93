/**
 * Every flag that takes a date or a time goes through the one reader (core/time.ts parseWhen /
 * parseDate via cli/options.ts): dates as people type them, read in the home's time zone;
 * impossible dates refused everywhere; a range whose start is after its end refused with exit 2
 * before anything is done or audited. In-process runs against a real home on disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { localDate, manualClock } from '../../src/core/time.js';
import { openSession } from '../../src/ledger/session.js';
import { ECSO_AGENCY_ADD, INIT_ARGS, newTestHome, PASSWORD, run, type TestHome } from '../helpers/cli.js';

// 30 November 2026, 7:04 PM in Los Angeles; already 1 December in UTC.
const NOW = '2026-11-30T19:04:50.914-08:00';
const clock = manualClock(NOW);
let t: TestHome;

const cli = (args: string[]) => run(args, { env: t.env, clock });
const ok = async (args: string[]) => {
  const r = await cli(args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
};
const json = async <T>(args: string[]) => JSON.parse((await ok([...args, '--json'])).stdout) as T;

/** The number of events and access records: a refused command changes neither. */
async function ledgerCounts(): Promise<{ events: number; access: number }> {
  const s = await openSession({
    homeDir: t.home,
    credentials: { username: 'asd', password: PASSWORD },
    clock: () => new Date(NOW),
    command: 'test',
  });
  try {
    const n = (sql: string) => s.ledger.one<{ n: number }>(sql)!.n;
    return {
      events: n('SELECT count(*) AS n FROM events'),
      access: n("SELECT count(*) AS n FROM events WHERE type LIKE 'access%' OR type LIKE 'search%'"),
    };
  } finally {
    s.close();
  }
}

/** A command that must be refused with exit 2, a one-line error, and nothing recorded. */
async function refused(args: string[], message: RegExp | string) {
  const before = await ledgerCounts();
  const r = await cli(args);
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(2);
  if (typeof message === 'string') expect(r.stderr).toContain(message);
  else expect(r.stderr).toMatch(message);
  expect(await ledgerCounts()).toEqual(before);
  return r;
}

beforeAll(async () => {
  t = newTestHome();
  await ok(INIT_ARGS);
  await ok(ECSO_AGENCY_ADD);
  await ok(['drive', 'enrol', '--id', 'D001']);
}, 120_000);

describe('date flags read as people type them, in the home’s zone', () => {
  it('camera add --since 2026-10-20 is the start of that day in Los Angeles', async () => {
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-20']);
    const cam = await json<{ inServiceSince: string }>(['camera', 'show', 'CAM-01']);
    expect(cam.inServiceSince).toBe('2026-10-20T00:00:00.000-07:00');
  });

  it('camera add --since 10/20/2026 and --since "yesterday 5pm"', async () => {
    await ok(['camera', 'add', 'CAM-02', '--location', 'Oak Ave', '--since', '10/20/2026']);
    expect((await json<{ inServiceSince: string }>(['camera', 'show', 'CAM-02'])).inServiceSince).toBe(
      '2026-10-20T00:00:00.000-07:00',
    );
    await ok(['camera', 'add', 'CAM-03', '--location', 'Elm St', '--since', 'yesterday 5pm']);
    expect((await json<{ inServiceSince: string }>(['camera', 'show', 'CAM-03'])).inServiceSince).toBe(
      '2026-11-29T17:00:00.000-08:00',
    );
  });

  it('drive install --at 2026-10-31', async () => {
    await ok(['drive', 'install', 'D001', '--camera', 'CAM-01', '--at', '2026-10-31']);
    const d = await json<{ installedAt: string; history: { action: string; at: string }[] }>(['drive', 'show', 'D001']);
    expect(d.installedAt).toBe('2026-10-31T00:00:00.000-07:00');
    expect(d.history.find((h) => h.action === 'install')?.at).toBe('2026-10-31T00:00:00.000-07:00');
  });

  it('problem add --from 2026-11-24 --to "2026-11-25 4:45pm"', async () => {
    const p = await json<{ notWorkingFrom: string; notWorkingTo: string }>([
      'problem',
      'add',
      '--camera',
      'CAM-01',
      '--description',
      'lens cover cracked',
      '--from',
      '2026-11-24',
      '--to',
      '2026-11-25 4:45pm',
    ]);
    expect(p.notWorkingFrom).toBe('2026-11-24T00:00:00.000-08:00');
    expect(p.notWorkingTo).toBe('2026-11-25T16:45:00.000-08:00');
  });

  it('operator train --date "Nov 2, 2026" and --date today (the home’s day, not UTC’s)', async () => {
    await ok(['operator', 'train', 'asd', '--date', 'Nov 2, 2026', '--course', 'refresher', '--trainer', 'P. T.']);
    expect((await json<{ training: { date: string } }>(['operator', 'show', 'asd'])).training.date).toBe('2026-11-02');
    await ok(['operator', 'train', 'asd', '--date', 'today', '--course', 'refresher', '--trainer', 'P. T.']);
    expect((await json<{ training: { date: string } }>(['operator', 'show', 'asd'])).training.date).toBe('2026-11-30');
  });
});

describe('impossible dates are refused everywhere (exit 2, nothing recorded)', () => {
  it('operator train --date 2026-11-31', async () => {
    await refused(
      ['operator', 'train', 'asd', '--date', '2026-11-31', '--course', 'x', '--trainer', 'y'],
      '--date "2026-11-31" is not a date: November 2026 has 30 days.',
    );
  });

  it('camera add --since 2026-11-31, drive install --at 2/30/2026, problem add --from 2026-11-31', async () => {
    await refused(['camera', 'add', 'CAM-09', '--location', 'x', '--since', '2026-11-31'], 'November 2026 has 30 days');
    await refused(['drive', 'remove', 'D001', '--at', '2/30/2026'], 'February 2026 has 28 days');
    await refused(
      ['problem', 'add', '--camera', 'CAM-01', '--description', 'x', '--from', '2026-11-31'],
      'November 2026 has 30 days',
    );
  });

  it('a time that does not exist: drive remove --at 13pm', async () => {
    await refused(
      ['drive', 'remove', 'D001', '--at', '13pm'],
      '--at "13pm" is not a date or time: no such time of day.',
    );
  });

  it('init --trained-on 2026-02-30 creates no home', async () => {
    const fresh = newTestHome();
    const args = [...INIT_ARGS];
    args[args.indexOf('--trained-on') + 1] = '2026-02-30';
    const r = await run(args, { env: fresh.env, clock });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--trained-on "2026-02-30" is not a date: February 2026 has 28 days.');
    expect(fs.existsSync(path.join(fresh.home, 'home.json'))).toBe(false);
  });

  it('breach duty --posted 2026-11-31 and transparency --from 2026-11-31', async () => {
    await refused(['breach', 'duty', 'B1', '--ois', '2026-11-31'], 'November 2026 has 30 days');
    await refused(['transparency', '--from', '2026-11-31', '--to', '2026-12-31'], 'November 2026 has 30 days');
  });
});

describe('a range whose start is after its end is refused (exit 2, nothing done or audited)', () => {
  it('search --from after --to', async () => {
    const r = await refused(
      [
        'search',
        '7ABC123',
        '--purpose',
        'criminal investigation',
        '--case',
        '26-1',
        '--from',
        '2026-11-05',
        '--to',
        '2026-11-01',
      ],
      '--from 2026-11-05 is after --to 2026-11-01.',
    );
    expect(r.stdout).toBe('');
  });

  it('request new --from after --to', async () => {
    await refused(
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
        '--document-ref',
        'RMS-1',
        '--cameras',
        'CAM-01',
        '--from',
        '11/5/2026',
        '--to',
        '11/1/2026',
      ],
      '--from 11/5/2026 is after --to 11/1/2026.',
    );
  });

  it('audit --review, log, problem add and transparency', async () => {
    await refused(['audit', '--review', '--from', '2026-11-05', '--to', '2026-11-01'], 'is after --to');
    await refused(['log', '--since', 'today', '--until', 'yesterday'], '--since today is after --until yesterday.');
    await refused(
      ['problem', 'add', '--camera', 'CAM-01', '--description', 'x', '--from', '2026-11-05', '--to', '2026-11-01 5pm'],
      '--from 2026-11-05 is after --to 2026-11-01 5pm.',
    );
    await refused(['transparency', '--from', '2026-11-30', '--to', '2026-11-01'], 'is after --to');
  });

  it('the same day as start and end is one whole day, not an empty range', async () => {
    const r = await cli(['log', '--since', '2026-11-30', '--until', '11/30/2026', '--json']);
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('drive forecast names one day for one event', () => {
  it('the table and the warning give the same date, the home’s (7:04 PM in Los Angeles is already tomorrow in UTC)', async () => {
    await ok(['camera', 'add', 'CAM-F', '--location', 'Fir St', '--since', '2026-11-01']);
    await ok(['drive', 'enrol', '--id', 'DF1']);
    await ok(['drive', 'install', 'DF1', '--camera', 'CAM-F', '--at', '2026-11-01']);
    const r = await ok(['drive', 'forecast']);
    const row = r.stdout.split('\n').find((l) => l.startsWith('CAM-F'))!;
    const j = await json<{ cameraId: string; nextSwapDate: string; runsOutOn: string; runsOutOnDate: string }[]>([
      'drive',
      'forecast',
    ]);
    const f = j.find((c) => c.cameraId === 'CAM-F')!;
    // The swap it runs out at is at 7:04 PM in Los Angeles, already the next day in UTC.
    expect(f.runsOutOn).toMatch(/T03:04:50\.914Z$/);
    expect(f.runsOutOnDate).toBe(localDate(new Date(f.runsOutOn), 'America/Los_Angeles'));
    expect(f.runsOutOnDate).not.toBe(f.runsOutOn.slice(0, 10));
    // Table and warning: the same day.
    expect(row.match(/\d{4}-\d{2}-\d{2}/g)).toEqual([f.nextSwapDate, f.runsOutOnDate]);
    expect(r.stdout).toContain(`warning: Camera CAM-F runs out of drives on ${f.runsOutOnDate}:`);
  });
});
