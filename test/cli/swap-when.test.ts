/**
 * The swap's "When was it taken out?" prompt reads what people type (`5pm`, `2026-11-30 16:45`),
 * refuses an impossible date and asks again, and offers its default as people write it
 * (`today 7:04 PM`), not ISO-8601. The demo drive, real exiftool, real sql.js files; prompts
 * through the CliContext driver; Ctrl-C at the next question (the removal is then on the record).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PromptDriver } from '../../src/cli/context.js';
import { manualClock } from '../../src/core/time.js';
import { openSession } from '../../src/ledger/session.js';
import { endExiftool } from '../../src/media/exif.js';
import { INIT_ARGS, newTestHome, PASSWORD, ROOT, run, type TestHome, tmpDir } from '../helpers/cli.js';

const NOW = '2026-11-30T19:04:50.914-08:00';
const CAMERA = 'Which camera did this drive come out of?';
const REMOVED_Q = 'When was it taken out?';
let base: TestHome;

beforeAll(async () => {
  base = newTestHome();
  const clock = manualClock(NOW);
  const ok = async (args: string[]) => expect((await run(args, { env: base.env, clock })).code).toBe(0);
  await ok(INIT_ARGS);
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01']);
  const drive = path.join(base.dir, 'CAMDRIVE1');
  fs.mkdirSync(drive);
  await ok(['drive', 'enrol', '--source', drive, '--id', 'D001']);
  await ok(['drive', 'install', 'D001', '--camera', 'CAM-01', '--at', '11/1/2026 8am']);
  fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
}, 120_000);

afterAll(async () => {
  await endExiftool();
});

function homeCopy(): TestHome {
  const dir = tmpDir();
  const home = path.join(dir, 'home');
  fs.cpSync(base.home, home, { recursive: true });
  fs.cpSync(path.join(base.dir, 'CAMDRIVE1'), path.join(dir, 'CAMDRIVE1'), { recursive: true });
  return { ...base, dir, home, env: { ...base.env, CUSTODY_HOME: home } };
}

/** Answers the removal question from `removed` in turn (recording the default offered); Ctrl-C where the drive is kept. */
function driver(removed: string[]): PromptDriver & { defaults: (string | undefined)[] } {
  const defaults: (string | undefined)[] = [];
  const answer = (message: string, dflt?: string) => {
    if (message === CAMERA) return 'CAM-01';
    if (message === REMOVED_Q) {
      defaults.push(dflt);
      return removed.shift() ?? '';
    }
    const e = new Error(`Ctrl-C at ${message}`);
    e.name = 'ExitPromptError';
    throw e;
  };
  return {
    defaults,
    input: async (o) => String(answer(o.message, o.default)),
    password: async (o) => String(answer(o.message)),
    confirm: async (o) => Boolean(answer(o.message)),
    select: async (o) => String(answer(o.message, o.default)) as never,
  };
}

async function removedAt(t: TestHome): Promise<string | undefined> {
  const s = await openSession({
    homeDir: t.home,
    credentials: { username: 'asd', password: PASSWORD },
    clock: () => new Date(NOW),
    command: 'test',
  });
  try {
    return s.ledger.one<{ removed_at: string }>('SELECT removed_at FROM swaps')?.removed_at;
  } finally {
    s.close();
  }
}

describe('the swap asks when the drive was taken out as people say it', () => {
  it.each([
    ['5pm', '2026-11-30T17:00:00.000-08:00'],
    ['2026-11-30 16:45', '2026-11-30T16:45:00.000-08:00'],
  ])(
    'accepts %s, refusing 2026-11-31 first; the default offered is "today 7:04 PM"',
    async (typed, iso) => {
      const t = homeCopy();
      const prompts = driver(['2026-11-31 16:45', typed]);
      const r = await run(['swap', '--source', path.join(t.dir, 'CAMDRIVE1')], {
        env: t.env,
        clock: manualClock(NOW),
        isTTY: true,
        prompts,
      });
      expect(r.code, r.stderr).toBe(130);
      expect(prompts.defaults).toEqual(['today 7:04 PM', 'today 7:04 PM']);
      expect(r.stderr).toContain('"2026-11-31 16:45" is not a date: November 2026 has 30 days.');
      expect(r.stderr).toContain('Recorded so far');
      expect(await removedAt(t)).toBe(iso);
    },
    120_000,
  );
});
