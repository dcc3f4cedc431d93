/**
 * A swap is one resumable transaction: Ctrl-C at each of its prompts says exactly what is on the
 * record, and the next `custody swap` resumes from the step it stopped at with the times already
 * given (one batch, every image once, a release of one day gives each image once).
 * The demo drive, real exiftool, real sql.js files; prompts through the CliContext driver.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PromptDriver } from '../../src/cli/context.js';
import { manualClock } from '../../src/core/time.js';
import { openSession } from '../../src/ledger/session.js';
import { endExiftool } from '../../src/media/exif.js';
import { INIT_ARGS, newTestHome, PASSWORD, ROOT, run, tmpDir, type TestHome, ECSO_AGENCY_ADD } from '../helpers/cli.js';

const NOW = '2026-11-05T10:00:00-08:00';
const REMOVED = '2026-11-04T09:00:00-08:00';
const DEMO = path.join(ROOT, 'fixtures', 'demo-drive');
const demoManifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', 'fixture-manifest.json'), 'utf8')) as {
  files: { relPath: string; sha256: string; captureTime: string }[];
};
let base: TestHome;

const ok = async (t: TestHome, clock: ReturnType<typeof manualClock>, args: string[]) => {
  const r = await run(args, { env: t.env, clock });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
};

beforeAll(async () => {
  base = newTestHome();
  const clock = manualClock(NOW);
  await ok(base, clock, INIT_ARGS);
  await ok(base, clock, ['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
  // An empty drive is enrolled and put in the camera, which then records onto it.
  const drive = path.join(base.dir, 'CAMDRIVE1');
  fs.mkdirSync(drive);
  await ok(base, clock, ['drive', 'enrol', '--source', drive, '--id', 'D001']);
  await ok(base, clock, ['drive', 'enrol', '--id', 'D002', '--label', 'spare']);
  await ok(base, clock, ['drive', 'install', 'D001', '--camera', 'CAM-01', '--at', '2026-11-01T08:00:00-08:00']);
  fs.cpSync(DEMO, drive, { recursive: true });
  await ok(base, clock, ECSO_AGENCY_ADD);
}, 120_000);

afterAll(async () => {
  await endExiftool();
});

/** An independent copy of the base home and its drive, so each case starts before the swap. */
function homeCopy(): TestHome {
  const dir = tmpDir();
  const home = path.join(dir, 'home');
  fs.cpSync(base.home, home, { recursive: true });
  fs.cpSync(path.join(base.dir, 'CAMDRIVE1'), path.join(dir, 'CAMDRIVE1'), { recursive: true });
  return { ...base, dir, home, env: { ...base.env, CUSTODY_HOME: home } };
}

/** Answers by question; the question `stopAt` is answered with Ctrl-C (inquirer's ExitPromptError). */
function driver(answers: Record<string, string | boolean>, stopAt?: string): PromptDriver & { asked: string[] } {
  const asked: string[] = [];
  const answer = (message: string) => {
    asked.push(message);
    if (message === stopAt) {
      const e = new Error('User force closed the prompt with SIGINT');
      e.name = 'ExitPromptError';
      throw e;
    }
    if (!(message in answers)) throw new Error(`no answer for ${message}`);
    return answers[message]!;
  };
  return {
    asked,
    input: async (o) => String(answer(o.message)),
    password: async (o) => String(answer(o.message)),
    confirm: async (o) => Boolean(answer(o.message)),
    select: async (o) => String(answer(o.message)) as never,
  };
}

const CAMERA = 'Which camera did this drive come out of?';
const REMOVED_Q = 'When was it taken out?';
const STORED_Q = 'Where is this drive kept now?';
const REPLACEMENT_Q = 'Which drive went into the camera?';
const OCR_Q = 'The swap is recorded. Read the plates of this batch now?';
const ANSWERS = {
  [CAMERA]: 'CAM-01',
  [REMOVED_Q]: REMOVED,
  [STORED_Q]: 'safe, room 102',
  [REPLACEMENT_Q]: 'D002',
  [OCR_Q]: false,
};

async function ledgerFacts(t: TestHome) {
  const s = await openSession({
    homeDir: t.home,
    credentials: { username: 'asd', password: PASSWORD },
    clock: () => new Date(NOW),
    command: 'test',
  });
  try {
    const count = (type: string) =>
      s.ledger.one<{ n: number }>('SELECT count(*) AS n FROM events WHERE type = ?', [type])!.n;
    return {
      batches: s.ledger.rows<{ id: string; status: string; files: number; stored: number; swap_id: string }>(
        'SELECT id, status, files, stored, swap_id FROM batches',
      ),
      swaps: s.ledger.rows<{ id: string; status: string; removed_at: string; location: string; replacement: string }>(
        'SELECT * FROM swaps',
      ),
      removals: count('drive.removed'),
      importsStarted: count('import.started'),
      events: s.ledger.one<{ n: number }>('SELECT count(*) AS n FROM events')!.n,
    };
  } finally {
    s.close();
  }
}

async function releaseOneDay(t: TestHome, clock: ReturnType<typeof manualClock>): Promise<string[]> {
  const letter = path.join(t.dir, 'letter.txt');
  fs.writeFileSync(letter, 'Request for ALPR images, case 26-001234.\n');
  const req = JSON.parse(
    (
      await ok(t, clock, [
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
        '2026-11-03',
        '--to',
        '2026-11-03',
        '--json',
      ])
    ).stdout,
  ) as { id: string };
  const bag = path.join(t.dir, 'bag');
  const r = await ok(t, clock, ['release', '--request', req.id, '--to', bag, '--json']);
  expect((JSON.parse(r.stdout) as { release: { files: number } }).release.files).toBeGreaterThan(0);
  return (fs.readdirSync(path.join(bag, 'data'), { recursive: true }) as string[]).filter((p) =>
    fs.statSync(path.join(bag, 'data', p)).isFile(),
  );
}

describe('Ctrl-C at a swap prompt, then the swap again', () => {
  it.each([
    [CAMERA, [CAMERA, REMOVED_Q, STORED_Q, REPLACEMENT_Q, OCR_Q]],
    [REMOVED_Q, [CAMERA, REMOVED_Q, STORED_Q, REPLACEMENT_Q, OCR_Q]],
    [STORED_Q, [STORED_Q, REPLACEMENT_Q, OCR_Q]],
    [REPLACEMENT_Q, [REPLACEMENT_Q, OCR_Q]],
  ])('stopped at "%s": says what is recorded, and resumes there', async (stopAt, askedAgain) => {
    const t = homeCopy();
    const clock = manualClock(NOW);
    const src = path.join(t.dir, 'CAMDRIVE1');
    const before = await ledgerFacts(t);
    const first = await run(['swap', '--source', src], {
      env: t.env,
      clock,
      isTTY: true,
      prompts: driver(ANSWERS, stopAt),
    });
    expect(first.code).toBe(130);
    const mid = await ledgerFacts(t);
    if (stopAt === CAMERA || stopAt === REMOVED_Q) {
      expect(first.stderr).toMatch(/Cancelled; nothing was changed\./);
      expect(mid.events).toBe(before.events);
    } else {
      expect(first.stderr).not.toMatch(/nothing was changed/);
      const [b] = mid.batches;
      expect(first.stderr).toContain(
        `Recorded so far (swap ${mid.swaps[0]!.id}): the removal of drive D001 from camera CAM-01 at ${REMOVED}; its import (batch ${b!.id}, 24 files)`,
      );
      if (stopAt === REPLACEMENT_Q) expect(first.stderr).toContain('where it is kept (safe, room 102)');
      expect(first.stderr).toMatch(
        stopAt === STORED_Q
          ? /continue from where the drive is kept/
          : /continue from which drive went into the camera/,
      );
      // The next log-in names the unfinished swap.
      const list = await run(['drive', 'list'], { env: t.env, clock });
      expect(list.stderr).toContain(`Due: swap ${mid.swaps[0]!.id} of drive D001 (camera CAM-01) is unfinished`);
    }

    // Later, with another removal time offered: the one already given is kept, nothing is asked twice.
    clock.set('2026-11-05T11:00:00-08:00');
    const prompts = driver({ ...ANSWERS, [REMOVED_Q]: '2026-11-05T10:30:00-08:00' });
    const again = await run(['swap', '--source', src, '--json'], { env: t.env, clock, isTTY: true, prompts });
    expect(again.stderr.replace(/^Due: swap S\S+ of drive D001 .*\n/m, '')).toBe('');
    expect(again.code).toBe(0);
    expect(prompts.asked).toEqual(askedAgain);
    const out = JSON.parse(again.stdout) as { batch: string; files: number; swapResumed: boolean; removedAt: string };
    expect(out.swapResumed).toBe(mid.swaps.length > 0);
    const end = await ledgerFacts(t);
    expect(end.batches).toHaveLength(1);
    expect(end.batches[0]).toMatchObject({ id: out.batch, status: 'imported', files: 24, stored: 24 });
    expect(end.importsStarted).toBe(1);
    expect(end.removals).toBe(1);
    expect(end.swaps).toHaveLength(1);
    expect(end.swaps[0]).toMatchObject({
      status: 'finished',
      removed_at: mid.swaps.length ? REMOVED : '2026-11-05T10:30:00-08:00',
      location: 'safe, room 102',
      replacement: 'D002',
    });
    expect(end.batches[0]!.swap_id).toBe(end.swaps[0]!.id);
    expect((await run(['verify'], { env: t.env, clock })).code).toBe(0);

    if (stopAt === STORED_Q) {
      // The case of the report: a release of one day gives each image once.
      const files = await releaseOneDay(t, clock);
      const day = demoManifest.files.filter((f) => f.captureTime.startsWith('2026-11-03'));
      expect(files.map((f) => path.basename(f)).sort()).toEqual(day.map((f) => path.basename(f.relPath)).sort());
    }
  });

  it('stopped at the plate-reading offer: the swap is recorded in full; the drive is not imported again', async () => {
    const t = homeCopy();
    const clock = manualClock(NOW);
    const src = path.join(t.dir, 'CAMDRIVE1');
    const first = await run(['swap', '--source', src], {
      env: t.env,
      clock,
      isTTY: true,
      prompts: driver(ANSWERS, OCR_Q),
    });
    expect(first.code).toBe(130);
    const facts = await ledgerFacts(t);
    expect(first.stderr).toContain(`Swap ${facts.swaps[0]!.id} is recorded in full`);
    expect(facts.swaps[0]).toMatchObject({ status: 'finished', replacement: 'D002' });
    const again = await run(['swap', '--source', src], { env: t.env, clock, isTTY: true, prompts: driver(ANSWERS) });
    expect(again.code).toBe(6);
    expect(again.stderr).toContain(`Drive D001 was already imported (batch ${facts.batches[0]!.id}, 24 files`);
    expect(again.stderr).toContain('it is stored: safe, room 102');
    // Never a hint to take out D002, which is now recording in the camera.
    expect(again.stderr).not.toMatch(/drive remove D002/);
    expect((await ledgerFacts(t)).batches).toHaveLength(1);
  });

  it('a drive enrolled at the swap and then Ctrl-C: the enrolment is said, not "nothing was changed"', async () => {
    const t = homeCopy();
    const clock = manualClock(NOW);
    const fresh = path.join(t.dir, 'CAMDRIVE3');
    fs.cpSync(DEMO, fresh, { recursive: true });
    await ok(t, clock, ['drive', 'remove', 'D001', '--at', REMOVED]);
    const r = await run(['swap', '--source', fresh], {
      env: t.env,
      clock,
      isTTY: true,
      prompts: driver({ 'This drive is not enrolled. Enrol it now?': true }, CAMERA),
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/Recorded so far: the enrolment of drive D003 \(its id file written\); nothing else\./);
    expect(r.stderr).not.toMatch(/nothing was changed/);
  });
});
