/**
 * What `custody health` prints means what it says: "Health check N" counts the home's health
 * checks (the ledger event is named as an event), and the days of imports left are said as a
 * person would ("more than 10 years", not "about 3888916 days") by the one `formatDaysLeft`.
 * A real fixture drive, real exiftool, a real home on disk.
 */
import path from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDaysLeft } from '../../src/core/format.js';
import { manualClock } from '../../src/core/time.js';
import { endExiftool } from '../../src/media/exif.js';
import { makeFixtureDrive } from '../../tools/fixture-drive.js';
import { INIT_ARGS, newTestHome, okRunner, run, tmpDir } from '../helpers/cli.js';

afterAll(async () => {
  await endExiftool();
});

describe('health wording', () => {
  it('counts health checks and says the days left in words', async () => {
    const drive = path.join(tmpDir('custody-health-words-'), 'drive');
    const et = new ExifTool({ maxProcs: 1 });
    try {
      await makeFixtureDrive(drive, {
        seed: 7,
        camera: { make: 'Acme', model: 'LPR-2', serial: 'AC-0001' },
        start: new Date('2026-11-28T19:00:00Z'),
        days: 1,
        perDay: 4,
        timeZone: 'America/Los_Angeles',
        imageBytes: 6000,
        distinctFrames: 2,
        exiftool: et,
      });
    } finally {
      await et.end();
    }
    const t = newTestHome();
    const clock = manualClock('2026-11-29T09:00:00-08:00');
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-11-01']);
    await ok(['drive', 'enrol', '--source', drive, '--id', 'D001']);
    await ok([
      'swap',
      '--source',
      drive,
      '--camera',
      'CAM-01',
      '--removed-at',
      'today 8am',
      '--store-location',
      'safe',
      '--no-replacement',
    ]);

    clock.set('2026-11-30T19:04:00-08:00');
    const first = await run(['health'], { env: t.env, clock });
    const second = await run(['health'], { env: t.env, clock });
    const firstLine = first.stdout.split('\n')[0]!;
    expect(firstLine).toMatch(/^Health check 1 of this home \(ledger event #\d+\), 2026-11-30 7:04 PM PST, by asd: /);
    expect(second.stdout.split('\n')[0]).toMatch(/^Health check 2 of this home \(ledger event #\d+\)/);
    // A few kilobytes a day against a disk of gigabytes: years, said as years.
    const storage = first.stdout.split('\n').find((l) => l.startsWith('Storage:'))!;
    expect(storage).toMatch(
      /free, (more than 10 years|about \d+ (days?|months?|years?)) of imports left at the last 30 days' rate;/,
    );
    expect(storage).not.toMatch(/\d{4,} days/);
    const json = JSON.parse((await run(['health', '--json'], { env: t.env, clock })).stdout.split('\n{"error"')[0]!);
    expect(json.number).toBe(3);
    expect(storage).toContain(formatDaysLeft(json.storage.daysLeft));
  }, 180_000);
});

describe('formatDaysLeft (core/format.ts, the terminal and the PDF alike)', () => {
  it.each([
    [0.5, 'less than a day'],
    [1, 'about 1 day'],
    [20, 'about 20 days'],
    [120, 'about 4 months'],
    [800, 'about 2 years'],
    [3_888_916, 'more than 10 years'],
    [Number.POSITIVE_INFINITY, 'more than 10 years'],
  ])('%d → %s', (days, words) => {
    expect(formatDaysLeft(days)).toBe(words);
  });
});
