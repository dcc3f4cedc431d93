/**
 * `init` asks for the time zone (offering the machine's) and checks each answer as it is given
 * (the password's length at the password prompt, not after every question); `custody settings
 * show | set` changes the settings after `init`, custodian only, each change a `settings.changed`
 * event; retention never above policy §8's 60 days. In-process runs against real homes on disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PromptDriver } from '../../src/cli/context.js';
import { machineTimeZone, manualClock } from '../../src/core/time.js';
import { openSession } from '../../src/ledger/session.js';
import { INIT_ARGS, newTestHome, PASSWORD, passwordFileFor, run, type TestHome } from '../helpers/cli.js';

const NOW = '2026-11-30T19:04:50.914-08:00';
const clock = manualClock(NOW);

/** Answers each question from its own queue (recording every question and the default offered). */
function driver(
  answers: Record<string, string[]>,
): PromptDriver & { asked: string[]; defaults: Record<string, string> } {
  const asked: string[] = [];
  const defaults: Record<string, string> = {};
  const answer = (message: string, dflt?: string) => {
    asked.push(message);
    if (dflt !== undefined) defaults[message] = dflt;
    const q = answers[message];
    if (!q?.length) throw new Error(`no answer for ${message}`);
    return q.shift()!;
  };
  return {
    asked,
    defaults,
    input: async (o) => answer(o.message, o.default),
    password: async (o) => answer(o.message),
    confirm: async (o) => Boolean(answer(o.message)),
    select: async (o) => answer(o.message, o.default) as never,
  };
}

async function events(t: TestHome, type: string): Promise<{ data: Record<string, unknown>; actor: string }[]> {
  const s = await openSession({
    homeDir: t.home,
    credentials: { username: 'asd', password: PASSWORD },
    clock: () => new Date(NOW),
    command: 'test',
  });
  try {
    return s.ledger
      .rows<{ data: string; actor: string }>('SELECT data, actor FROM events WHERE type = ? ORDER BY seq', [type])
      .map((r) => ({ data: JSON.parse(r.data) as Record<string, unknown>, actor: r.actor }));
  } finally {
    s.close();
  }
}

const TZ_Q = 'Time zone (IANA, e.g. America/Los_Angeles):';

describe('init at a terminal', () => {
  it('asks the time zone (offering the machine’s) and checks every answer as it is given', async () => {
    const t = newTestHome();
    const env = { CUSTODY_HOME: t.home, NO_COLOR: '1' };
    const prompts = driver({
      'City or agency name:': ['City of Example'],
      "Custodian's title:": ['Administrative Services Director'],
      [TZ_Q]: ['EST', 'Mars/Olympus', 'america/new_york'],
      "Custodian's username:": ['Dana Example', 'asd'],
      "Custodian's full name:": ['', 'Dana Example'],
      'Date of training:': ['2026-02-30', '11/2/2026'],
      'Training course:': ['ALPR policy and law'],
      'Trainer:': ['Pat Trainer'],
      'Choose a password:': ['short', PASSWORD],
      'Type it again:': [PASSWORD],
    });
    const r = await run(['init'], { env, clock, isTTY: true, prompts });
    expect(r.code, r.stderr).toBe(0);
    expect(prompts.defaults[TZ_Q]).toBe(machineTimeZone());
    // Each refused answer is asked again at once; the short password before its confirmation.
    expect(prompts.asked).toEqual([
      'City or agency name:',
      "Custodian's title:",
      TZ_Q,
      TZ_Q,
      TZ_Q,
      "Custodian's username:",
      "Custodian's username:",
      "Custodian's full name:",
      "Custodian's full name:",
      'Date of training:',
      'Date of training:',
      'Training course:',
      'Trainer:',
      'Choose a password:',
      'Choose a password:',
      'Type it again:',
    ]);
    expect(r.stderr).toContain('Time zone "EST" is not a known IANA time zone.');
    expect(r.stderr).toContain('"Dana Example" is not a valid username.');
    expect(r.stderr).toContain('February 2026 has 28 days');
    expect(r.stderr).toContain('The password is too short.');
    const shown = await run(['settings', 'show', '--json'], { env: passwordFileFor(t, 'asd'), clock });
    expect(JSON.parse(shown.stdout)).toMatchObject({ timeZone: 'America/New_York', agencyName: 'City of Example' });
    const trained = await run(['operator', 'show', 'asd', '--json'], { env: passwordFileFor(t, 'asd'), clock });
    expect(JSON.parse(trained.stdout).training.date).toBe('2026-11-02');
  });

  it('a bad flag is refused before the first question', async () => {
    for (const [flag, value, message] of [
      ['--time-zone', 'PST', '--time-zone "PST" is not a known IANA time zone.'],
      [
        '--health-interval-days',
        '0',
        '--health-interval-days 0: healthIntervalDays must be a whole number from 1 to 365.',
      ],
      ['--trained-on', '2026-11-31', '--trained-on "2026-11-31" is not a date: November 2026 has 30 days.'],
    ] as const) {
      const t = newTestHome();
      const prompts = driver({});
      const r = await run(['init', flag, value], {
        env: { CUSTODY_HOME: t.home, NO_COLOR: '1' },
        clock,
        isTTY: true,
        prompts,
      });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
      expect(prompts.asked).toEqual([]);
      expect(fs.existsSync(path.join(t.home, 'home.json'))).toBe(false);
    }
  });

  it('a password that is too short, from a file, is refused before anything is asked', async () => {
    const t = newTestHome('asd', 'short');
    const prompts = driver({});
    const r = await run(['init'], { env: t.env, clock, isTTY: true, prompts });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The password is too short.');
    expect(prompts.asked).toEqual([]);
  });
});

describe('custody settings show | set', () => {
  let t: TestHome;
  const cli = (args: string[], env = t.env) => run(args, { env, clock });
  const designee = () => passwordFileFor(t, 'rlee', 'designee password 1');

  beforeAll(async () => {
    t = newTestHome();
    expect((await cli(INIT_ARGS)).code).toBe(0);
    const f = path.join(t.dir, 'rlee-new.pw');
    fs.writeFileSync(f, 'designee password 1\n');
    expect(
      (await cli(['operator', 'add', 'rlee', '--name', 'R. Lee', '--role', 'designee', '--new-password-file', f])).code,
    ).toBe(0);
    await cli(['operator', 'train', 'rlee', '--date', '2026-02-01', '--course', 'c', '--trainer', 't']);
  }, 120_000);

  it('show lists every setting; --json gives them as the ledger holds them', async () => {
    const r = await cli(['settings', 'show']);
    expect(r.code, r.stderr).toBe(0);
    for (const name of ['time-zone', 'retention-days', 'health-interval-days', 'acknowledgement-days', 'purposes'])
      expect(r.stdout).toContain(name);
    expect(r.stdout).toContain('  - criminal investigation\n');
    const j = JSON.parse((await cli(['settings', 'show', '--json'])).stdout);
    expect(j).toMatchObject({ timeZone: 'America/Los_Angeles', retentionDays: 60, healthIntervalDays: 30 });
    // Every role may read the settings.
    expect((await cli(['settings', 'show', '--json'], designee())).code).toBe(0);
  });

  it('set changes the time zone, intervals and purposes, each a settings.changed event by the custodian', async () => {
    const set = async (...a: string[]) => {
      const r = await cli(['settings', 'set', ...a]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    };
    expect(await set('time-zone', 'America/Denver')).toBe(
      'time-zone: America/Los_Angeles → America/Denver (recorded). Times already recorded keep their offsets; dates are read and printed in the new zone from now on.\n',
    );
    // Dates typed from now on are read in the new zone.
    expect((await cli(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-20'])).code).toBe(0);
    expect(JSON.parse((await cli(['camera', 'show', 'CAM-01', '--json'])).stdout).inServiceSince).toBe(
      '2026-10-20T00:00:00.000-06:00',
    );
    expect(await set('health-interval-days', '14')).toBe('health-interval-days: 30 → 14 (recorded).\n');
    expect(await set('acknowledgement-days', '5')).toBe('acknowledgement-days: 10 → 5 (recorded).\n');
    expect(await set('purposes', '--add', 'locating a wanted person')).toBe(
      'purposes: added "locating a wanted person" (recorded).\n',
    );
    expect(await set('purposes', '--remove', 'AMBER or Silver alert')).toBe(
      'purposes: removed "AMBER or Silver alert" (recorded).\n',
    );
    expect(await set('retention-days', '30')).toContain('retention-days: 60 → 30 (recorded).');
    expect(await set('retention-days', '30')).toBe('retention-days is already 30; nothing was recorded.\n');
    const j = JSON.parse((await cli(['settings', 'show', '--json'])).stdout);
    expect(j).toMatchObject({
      timeZone: 'America/Denver',
      healthIntervalDays: 14,
      acknowledgementDays: 5,
      retentionDays: 30,
    });
    expect(j.purposes).toContain('locating a wanted person');
    expect(j.purposes).not.toContain('AMBER or Silver alert');
    const changed = await events(t, 'settings.changed');
    expect(changed.map((e) => [e.data.key, e.data.previous, e.data.value])).toEqual([
      ['timeZone', 'America/Los_Angeles', 'America/Denver'],
      ['healthIntervalDays', 30, 14],
      ['acknowledgementDays', 10, 5],
      ['purposes', expect.any(Array), expect.arrayContaining(['locating a wanted person'])],
      ['purposes', expect.any(Array), expect.not.arrayContaining(['AMBER or Silver alert'])],
      ['retentionDays', 60, 30],
    ]);
    expect(new Set(changed.map((e) => e.actor))).toEqual(new Set(['asd']));
    // The change survives a replay of the ledger.
    expect((await cli(['verify'])).code).toBe(0);
  });

  it('refusals: exit 2 (above 60 days cites §8, a bad zone, a bad number, a kept purpose), exit 4 for a designee; nothing recorded', async () => {
    const before = (await events(t, 'settings.changed')).length;
    const refused = async (args: string[], code: number, message: string, env = t.env) => {
      const r = await cli(['settings', 'set', ...args], env);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toContain(message);
    };
    await refused(['retention-days', '61'], 2, 'a retention of 61 days is longer than policy §8 allows');
    await refused(['retention-days', '0'], 2, 'retentionDays must be a whole number from 1 to 60');
    await refused(['time-zone', 'EST'], 2, 'time-zone "EST" is not a known IANA time zone.');
    await refused(['health-interval-days', 'soon'], 2, 'healthIntervalDays must be a whole number from 1 to 365');
    await refused(
      ['purposes', '--remove', 'criminal investigation'],
      2,
      'must keep "criminal investigation" (policy §1)',
    );
    await refused(['purposes', '--remove', 'no such purpose'], 2, '"no such purpose" is not one of the purposes.');
    await refused(['colour', 'blue'], 2, 'There is no setting "colour".');
    await refused(
      ['health-interval-days', '7'],
      4,
      'Operator rlee (designee) may not change the policy settings.',
      designee(),
    );
    expect((await events(t, 'settings.changed')).length).toBe(before);
  });
});
