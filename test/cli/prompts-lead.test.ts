/**
 * Prompts that lead: on a terminal the cursor starts on the safe, usual choice (never on one that
 * cannot be taken), what a command needs is asked rather than refused, and the swap says which
 * drive it recognised before it asks anything. Real homes on disk, the CLI in-process with a
 * prompt driver that records what each menu offered and where it started.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliContext, PromptDriver } from '../../src/cli/context.js';
import { askChoice } from '../../src/cli/prompts.js';
import { runCli } from '../../src/cli/run.js';
import { replacementChoices } from '../../src/cli/commands/swap.js';
import type { DriveRow } from '../../src/ledger/drives.js';
import { endExiftool } from '../../src/media/exif.js';
import { ECSO_AGENCY_ADD, INIT_ARGS, newTestHome, ROOT, run, type TestHome, tmpDir } from '../helpers/cli.js';

afterAll(async () => {
  await endExiftool();
});

interface Asked {
  message: string;
  default?: unknown;
  choices?: { name: string; value: string; disabled?: boolean | string }[];
  /** What the command had written to stdout when the question was asked. */
  stdoutSoFar: string;
}

/** Runs a command "on a terminal": answers in order (undefined: take where the cursor starts). */
async function onTerminal(t: TestHome, args: string[], answers: (string | boolean | undefined)[]) {
  const asked: Asked[] = [];
  let stdout = '';
  let stderr = '';
  const next = (a: Asked) => {
    asked.push(a);
    if (answers.length === 0) throw new Error(`no answer for: ${a.message}`);
    const v = answers.shift();
    return v === undefined ? a.default : v;
  };
  const driver: PromptDriver = {
    input: async (o) => String(next({ message: o.message, default: o.default, stdoutSoFar: stdout }) ?? ''),
    password: async (o) => String(next({ message: o.message, stdoutSoFar: stdout })),
    confirm: async (o) => Boolean(next({ message: o.message, default: o.default, stdoutSoFar: stdout })),
    select: async (o) =>
      String(next({ message: o.message, default: o.default, choices: o.choices, stdoutSoFar: stdout })) as never,
  };
  const ctx: CliContext = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([]),
    env: t.env,
    isTTY: true,
    clock: () => new Date(),
    sleep: async () => {},
    promptOverride: driver,
  };
  const code = await runCli(args, ctx);
  return { code, stdout, stderr, asked };
}

async function ok(t: TestHome, args: string[]): Promise<string> {
  const r = await run(args, { env: t.env });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

async function home(): Promise<TestHome> {
  const t = newTestHome();
  await ok(t, INIT_ARGS);
  return t;
}

describe('menus start on the safe, usual choice', () => {
  it('never on a choice that cannot be taken; without a terminal the start is no answer', async () => {
    const choices = [
      { name: 'D001', value: 'D001', disabled: 'eligible from 2026-12-30' },
      { name: 'D002', value: 'D002' },
    ];
    let started: unknown;
    const ctx = {
      isTTY: true,
      promptOverride: {
        select: async (o: { default?: unknown }) => {
          started = o.default;
          return o.default;
        },
      },
    } as unknown as CliContext;
    expect(await askChoice(ctx, undefined, { flag: '--drive', message: 'Which?', choices })).toBe('D002');
    expect(started).toBe('D002');
    // An initial choice that is disabled is not where it starts either.
    await askChoice(ctx, undefined, { flag: '--drive', message: 'Which?', choices, initial: 'D001' });
    expect(started).toBe('D002');
    // Without a terminal, `initial` answers nothing: the flag is still needed.
    const script = { isTTY: false } as unknown as CliContext;
    await expect(
      askChoice(script, undefined, { flag: '--drive', message: 'Which?', choices, initial: 'D002' }),
    ).rejects.toThrow(/Missing which: pass --drive/);
  });

  it('the role of a new operator starts on designee, not custodian', async () => {
    const t = await home();
    const pw = path.join(tmpDir(), 'pw');
    fs.writeFileSync(pw, 'another long password here');
    const r = await onTerminal(
      t,
      ['operator', 'add', 'rlee', '--name', 'Robin Lee', '--new-password-file', pw],
      [undefined],
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.asked.map((a) => [a.message, a.default])).toEqual([['Role:', 'designee']]);
    expect(r.stdout).toMatch(/Added designee rlee/);
  });

  it('the replacement drive menu lists the drives that may go in first and starts on the first; the others say why not', () => {
    const drive = (id: string, label: string | null = null) => ({ id, label }) as DriveRow;
    const choices = replacementChoices([
      {
        drive: drive('D001'),
        verdict: {
          eligible: false,
          reason: 'recorded until 2026-11-30',
          eligibleFrom: '2027-01-29T00:00:00-08:00',
          blockingHolds: [],
        },
      },
      { drive: drive('D002'), verdict: { eligible: false, reason: 'held', blockingHolds: ['H001'] } },
      { drive: drive('D003', 'SPARE3'), verdict: { eligible: true, reason: '', blockingHolds: [] } },
    ]);
    expect(choices).toEqual([
      { name: 'D003 (SPARE3)', value: 'D003', disabled: false },
      { name: 'D001', value: 'D001', disabled: 'eligible from 2027-01-29' },
      { name: 'D002', value: 'D002', disabled: 'held (H001)' },
      { name: 'none (the camera is not recording)', value: '', disabled: false },
    ]);
  });

  it('the agency menu of a new request lists agencies that may receive data first; the others are disabled with why', async () => {
    const t = await home();
    await ok(t, [
      'agency',
      'add',
      '--id',
      'TPD',
      '--name',
      'Example Transit Police',
      '--kind',
      'law-enforcement',
      '--jurisdiction',
      'california-local',
    ]);
    await ok(t, ECSO_AGENCY_ADD);
    const doc = path.join(tmpDir(), 'request.pdf');
    fs.writeFileSync(doc, '%PDF-1.4 a written request\n');
    const r = await onTerminal(
      t,
      [
        'request',
        'new',
        '--officer',
        'Dep. Example',
        '--badge',
        '1234',
        '--case',
        '26-0001',
        '--purpose',
        'Criminal investigation',
        '--received-at',
        '2026-11-20 10:00',
        '--document',
        doc,
        '--cameras',
        'all',
        '--from',
        '2026-11-01',
        '--to',
        '2026-11-02',
      ],
      [undefined],
    );
    const menu = r.asked.find((a) => a.message === 'Requesting agency:')!;
    expect(menu.choices!.map((c) => [c.value, c.disabled])).toEqual([
      ['ECSO', false],
      ['TPD', 'Example Transit Police (TPD) is unconfirmed'],
    ]);
    expect(menu.default).toBe('ECSO');
  });
});

describe('what a command needs is asked on a terminal', () => {
  it('`search` asks for the purpose and the case instead of failing, and records them', async () => {
    const t = await home();
    const r = await onTerminal(t, ['search', '7ABC123', '--json'], [undefined, '26-0042']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.asked.map((a) => a.message)).toEqual([
      'Official purpose (recorded with this access, policy §1):',
      'Case number:',
    ]);
    const audit = await ok(t, ['audit', '--json']);
    expect(audit).toMatch(/26-0042/);
    // Without a terminal the missing reason is still refused, naming the flags.
    const script = await run(['search', '7ABC123'], { env: t.env });
    expect(script.code).toBe(2);
    expect(script.stderr).toMatch(/--purpose and --case or --request/);
  });

  it('`image show` asks for the purpose and the case before it looks', async () => {
    const t = await home();
    const r = await onTerminal(t, ['image', 'show', 'B20261101-abcdef:1'], [undefined, '26-0043']);
    expect(r.asked.map((a) => a.message)).toEqual([
      'Official purpose (recorded with this access, policy §1):',
      'Case number:',
    ]);
    // Asked, then looked: there is no such image in this home.
    expect(r.code).toBe(5);
  });

  it('the swap says which drive it recognised before it asks anything', async () => {
    const t = await home();
    await ok(t, ['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
    const src = path.join(tmpDir('custody-lead-'), 'CAMDRIVE');
    fs.mkdirSync(src);
    await ok(t, ['drive', 'enrol', '--source', src, '--id', 'D001', '--label', 'CAMDRIVE']);
    await ok(t, ['drive', 'enrol', '--id', 'D002']);
    await ok(t, ['drive', 'install', 'D001', '--camera', 'CAM-01', '--at', '2026-11-01T08:00:00-08:00']);
    fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), src, { recursive: true });
    const r = await onTerminal(
      t,
      ['swap', '--source', src, '--no-ocr'],
      [undefined, '2026-11-04 09:00', 'safe', undefined],
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.asked[0]!.message).toBe('Which camera did this drive come out of?');
    expect(r.asked[0]!.stdoutSoFar).toMatch(/^Recognised drive D001 \(CAMDRIVE\) from CAM-01\.\n/);
    // The replacement menu started on the one spare that may go in.
    expect(r.asked.at(-1)).toMatchObject({ message: 'Which drive went into the camera?', default: 'D002' });
    expect(r.stdout).toMatch(/Drive D002 went into camera CAM-01/);
  }, 180_000);
});
