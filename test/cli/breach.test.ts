/**
 * Breach notice and its duties (policy §10, Civ. Code 1798.29), and the contractor's permissions
 * and request log (policy §2, §5), in-process with an injected clock. The notice is checked with
 * poppler's pdftotext and by the font sizes in its content streams and its CSS.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { activeContractorPermits, breachFindings } from '../../src/ledger/breach.js';
import { openSession } from '../../src/ledger/session.js';
import { fontSizesUsed, pdftotext } from '../documents/helpers.js';
import {
  INIT_ARGS,
  newTestHome,
  passwordFileFor,
  PASSWORD,
  run,
  scriptedPrompts,
  type TestHome,
} from '../helpers/cli.js';

const HEADINGS = [
  'What Happened',
  'What Information Was Involved',
  'What We Are Doing',
  'What You Can Do',
  'For More Information',
];
const clock = manualClock('2026-11-20T10:00:00-08:00');
let t: TestHome;

const ok = async (args: string[], env = t.env) => {
  const r = await run(args, { env, clock });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
};
const breachLines = (stderr: string) => stderr.split('\n').filter((l) => /^(Overdue|Due): breach /.test(l));

async function findings() {
  const s = await openSession({
    homeDir: t.home,
    credentials: { username: 'asd', password: PASSWORD },
    clock,
    command: 'test',
  });
  try {
    return { findings: breachFindings(s), permits: activeContractorPermits(s).map((p) => p.id) };
  } finally {
    s.close();
  }
}

const OPEN = [
  'breach',
  'open',
  '--discovered',
  '2026-11-18',
  '--occurred-from',
  '2026-11-10',
  '--occurred-to',
  '2026-11-14',
  '--what-happened',
  'A laptop holding an export of camera images was stolen from a parked car.',
  '--information',
  'Images of vehicles passing two cameras, with the time and place.',
  '--information-type',
  'Images of vehicles and their licence plates',
  '--information-type',
  'The date, time and camera of each image',
  '--doing',
  'We disabled the laptop’s access, reported the theft to the police and now encrypt every export.',
  '--delayed',
  'yes',
  '--phone',
  '(555) 010-0199',
  '--email',
  'alpr@example.gov',
  '--website',
  'https://example.gov/alpr',
  '--json',
];

beforeAll(async () => {
  t = newTestHome();
  await ok(INIT_ARGS);
}, 60_000);

describe('breach', () => {
  it('opens a breach; every log-in then names its unmet duties', async () => {
    const r = await ok(OPEN);
    const b = JSON.parse(r.stdout) as {
      id: string;
      status: string;
      occurred: { from: string; to: string };
      delayedByLawEnforcement: boolean;
      duties: { unmet: { duty: string }[] };
    };
    expect(b.id).toBe('B1');
    expect(b.status).toBe('open');
    expect(b.occurred).toMatchObject({ from: '2026-11-10', to: '2026-11-14' });
    expect(b.delayedByLawEnforcement).toBe(true);
    expect(b.duties.unmet.map((u) => u.duty)).toEqual(['posted', 'media', 'ois']);

    const any = await ok(['contractor', 'list']);
    const lines = breachLines(any.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Overdue: breach B1 /);
    expect(lines[0]).toContain('not yet posted on the website (for at least 30 days)');
    expect(lines[0]).toContain('major statewide media not yet notified');
    expect(lines[0]).toContain('Office of Information Security not yet notified');

    const f = (await findings()).findings;
    expect(f.map((x) => [x.area, x.subject, x.severity])).toEqual([
      ['duty', 'B1', 'warning'],
      ['duty', 'B1', 'warning'],
      ['duty', 'B1', 'warning'],
    ]);
  });

  it('refuses incomplete or wrong input, and other roles', async () => {
    expect((await run(['breach', 'open', '--discovered', '2026-11-18'], { env: t.env, clock })).code).toBe(2);
    expect((await run([...OPEN.slice(0, -1), '--occurred', '2026-11-12'], { env: t.env, clock })).code).toBe(2);
    expect((await run(['breach', 'duty', 'B1'], { env: t.env, clock })).code).toBe(2);
    expect((await run(['breach', 'duty', 'B1', '--media', '2026-11-19'], { env: t.env, clock })).code).toBe(2);
    expect((await run(['breach', 'duty', 'B1', '--posted', '2026-12-25'], { env: t.env, clock })).code).toBe(2);
    expect((await run(['breach', 'show', 'B9'], { env: t.env, clock })).code).toBe(5);
    const pw = path.join(t.dir, 'new.pw');
    fs.writeFileSync(pw, `${PASSWORD}\n`);
    await ok(['operator', 'add', 'aud', '--name', 'Ann Auditor', '--role', 'auditor', '--new-password-file', pw]);
    await ok([
      'operator',
      'train',
      'aud',
      '--date',
      '2026-02-01',
      '--course',
      'ALPR policy',
      '--trainer',
      'Pat Trainer',
    ]);
    const aud = passwordFileFor(t, 'aud');
    expect((await run(OPEN, { env: aud, clock })).code).toBe(4);
    expect((await run(['breach', 'duty', 'B1', '--ois', '2026-11-19'], { env: aud, clock })).code).toBe(4);
    const shown = await run(['breach', 'show', 'B1', '--json'], { env: aud, clock });
    expect(shown.code).toBe(0);
    // The duties are the custodian's (breach duty): an auditor is not reminded of them.
    expect(breachLines(shown.stderr)).toHaveLength(0);
  });

  it('writes the Notice of Data Breach: title, the five headings, every item, no type under 10 point', async () => {
    clock.set('2026-12-01T09:00:00-08:00');
    const out = path.join(t.dir, 'notice');
    const r = await ok(['breach', 'notice', 'B1', '--out', out, '--json']);
    const j = JSON.parse(r.stdout) as {
      pdf: string;
      html: string;
      noticeDate: string;
      postedUntil: string;
      pdfSha256: string;
    };
    expect(j.noticeDate).toBe('2026-12-01');
    expect(j.postedUntil).toBe('2026-12-31');
    expect(path.basename(j.pdf)).toBe('notice-of-data-breach-B1.pdf');
    const pdf = fs.readFileSync(j.pdf);
    expect(createHash('sha256').update(pdf).digest('hex')).toBe(j.pdfSha256);

    // PDF: the title, then the headings in order, then each item the statute asks for.
    const text = pdftotext(pdf, []).replace(/\s+/g, ' ');
    let at = text.indexOf('Notice of Data Breach');
    expect(at).toBeGreaterThanOrEqual(0);
    for (const h of HEADINGS) {
      const i = text.indexOf(h, at);
      expect(i, h).toBeGreaterThan(at);
      at = i;
    }
    for (const s of [
      'Reporting agency City of Example',
      'Date of notice December 1, 2026',
      'November 10, 2026 to November 14, 2026',
      'Date discovered November 18, 2026',
      'Notification was delayed as a result of a law-enforcement investigation.',
      'A laptop holding an export of camera images was stolen',
      'Images of vehicles passing two cameras',
      'Images of vehicles and their licence plates',
      'The date, time and camera of each image',
      'now encrypt every export',
      '(555) 010-0199',
      'alpr@example.gov',
      'Administrative Services Director',
      'This notice is to be posted from December 1, 2026 until at least December 31, 2026.',
    ]) {
      expect(text, s).toContain(s);
    }
    const sizes = fontSizesUsed(pdf);
    expect(sizes.length).toBeGreaterThan(2);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(10);
    // pdftotext's word boxes agree: a Helvetica word's box is its ascent plus descent, 0.925 of
    // the font size, so no box under 9.25 points means no type under 10 point.
    const bbox = pdftotext(pdf, ['-bbox']);
    const heights = [...bbox.matchAll(/yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"/g)].map(
      (m) => Number(m[2]) - Number(m[1]),
    );
    expect(heights.length).toBeGreaterThan(50);
    expect(Math.min(...heights) / 0.925).toBeGreaterThanOrEqual(10 - 0.01);

    // HTML: ready for the website: the same title and headings, CSS sizes all ≥ 10pt, no relative sizes.
    const html = fs.readFileSync(j.html, 'utf8');
    expect(html).toContain('<h1>Notice of Data Breach</h1>');
    expect([...html.matchAll(/<h2>([^<]+)<\/h2>/g)].map((m) => m[1])).toEqual(HEADINGS);
    const css = [...html.matchAll(/font-size:\s*([\d.]+)(pt|px)/g)].map((m) =>
      m[2] === 'px' ? Number(m[1]) * 0.75 : Number(m[1]),
    );
    expect(css.length).toBeGreaterThan(3);
    expect(Math.min(...css)).toBeGreaterThanOrEqual(10);
    expect(html).not.toMatch(/font-size:\s*[\d.]+(em|rem|%)|font-size:\s*(small|smaller|x-small|xx-small)/);
    for (const s of [
      'Notification was delayed as a result of a law-enforcement investigation.',
      '(555) 010-0199',
      'December 31, 2026',
      '<li>Images of vehicles and their licence plates</li>',
    ])
      expect(html, s).toContain(s);

    const shown = JSON.parse((await ok(['breach', 'show', 'B1', '--json'])).stdout) as {
      notice: { date: string; pdfSha256: string };
    };
    expect(shown.notice).toMatchObject({ date: '2026-12-01', pdfSha256: j.pdfSha256 });
  });

  it('tracks the 30-day posting: the line shows before posting, states when the 30 days end, and clears once every duty is met', async () => {
    expect((await run(['breach', 'close', 'B1'], { env: t.env, clock })).code).toBe(4);

    const posted = await ok([
      'breach',
      'duty',
      'B1',
      '--posted',
      '2026-12-01',
      '--url',
      'https://example.gov/alpr/notice',
    ]);
    expect(posted.stdout).toContain('the 30 days end 2026-12-31');
    let line = breachLines((await ok(['breach', 'list'])).stderr);
    expect(line).toHaveLength(1);
    expect(line[0]).not.toContain('not yet posted');
    expect(line[0]).toContain('keep the notice posted until at least 2026-12-31 (the 30 days end then; 30 days left)');

    const media = await ok([
      'breach',
      'duty',
      'B1',
      '--media',
      '2026-12-01',
      '--outlets',
      'Example Times, KEXA News',
      '--ois',
      '2026-12-01',
    ]);
    // What was just recorded comes first: the media duty, then the Office, then the posting kept.
    expect(media.stdout.split('\n').slice(0, 3)).toEqual([
      'Recorded: major statewide media notified on 2026-12-01 (Example Times, KEXA News).',
      "Recorded: the state's Office of Information Security notified on 2026-12-01.",
      'Posted on the website 2026-12-01; the 30 days end 2026-12-31: keep it posted until at least then.',
    ]);
    clock.set('2026-12-20T09:00:00-08:00');
    line = breachLines((await ok(['breach', 'list'])).stderr);
    expect(line).toEqual([
      'Due: breach B1 (discovered 2026-11-18, policy §10): keep the notice posted until at least 2026-12-31 (the 30 days end then; 11 days left).',
    ]);
    expect((await findings()).findings.map((f) => [f.severity, f.message])).toEqual([
      [
        'info',
        'Breach B1: the notice was posted on 2026-12-01; keep it posted until at least 2026-12-31, when the 30 days end (policy §10).',
      ],
    ]);
    expect((await run(['breach', 'close', 'B1'], { env: t.env, clock })).code).toBe(4);

    clock.set('2026-12-31T09:00:00-08:00');
    const after = await ok(['breach', 'show', 'B1', '--json']);
    expect(breachLines(after.stderr)).toEqual([]);
    const b = JSON.parse(after.stdout) as {
      duties: {
        posted: { on: string; until: string; url: string };
        media: { on: string; outlets: string[] };
        ois: { on: string };
        unmet: unknown[];
      };
    };
    expect(b.duties.posted).toEqual({ on: '2026-12-01', until: '2026-12-31', url: 'https://example.gov/alpr/notice' });
    expect(b.duties.media).toEqual({ on: '2026-12-01', outlets: ['Example Times', 'KEXA News'] });
    expect(b.duties.ois).toEqual({ on: '2026-12-01' });
    expect(b.duties.unmet).toEqual([]);
    expect((await findings()).findings).toEqual([]);

    await ok(['breach', 'close', 'B1', '--note', 'all notices given']);
    expect((await run(['breach', 'close', 'B1'], { env: t.env, clock })).code).toBe(6);
    const list = JSON.parse((await ok(['breach', 'list', '--json'])).stdout) as { id: string; status: string }[];
    expect(list).toEqual([expect.objectContaining({ id: 'B1', status: 'closed' })]);
  });

  it('asks for what is missing on a terminal', async () => {
    const prompts = scriptedPrompts([
      '2026-12-30',
      '2026-12-27 to 2026-12-29',
      'A drive went missing from the safe.',
      'Images from one camera.',
      'We changed the safe’s combination.',
      'no',
      '(555) 010-0100',
      'records@example.gov',
      '',
      'https://example.gov/alpr',
    ]);
    const r = await run(['breach', 'open', '--json'], { env: t.env, clock, prompts, isTTY: true });
    expect(r.code, r.stderr).toBe(0);
    expect(prompts.asked).toEqual([
      'When was the breach discovered?',
      'When did the breach happen? (a date, a range such as "2026-11-10 to 2026-11-14", or unknown)',
      'What happened?',
      'What information was involved?',
      'What is the city doing?',
      'Was notice delayed at law enforcement’s request?',
      'Contact telephone number for the notice:',
      'Contact e-mail address for the notice (empty for none):',
      'Postal address for the notice (empty for none):',
      'Web address for more information (empty for none):',
    ]);
    const b = JSON.parse(r.stdout) as {
      id: string;
      discoveredAt: string;
      occurred: unknown;
      contact: Record<string, string>;
    };
    expect(b).toMatchObject({
      id: 'B2',
      discoveredAt: '2026-12-30',
      occurred: { from: '2026-12-27', to: '2026-12-29', estimated: false },
      contact: {
        phone: '(555) 010-0100',
        title: 'Administrative Services Director',
        email: 'records@example.gov',
        website: 'https://example.gov/alpr',
      },
    });
    expect(b.contact.address).toBeUndefined();
    await ok(['breach', 'close', 'B2', '--force', '--note', 'opened in a test of the prompts']);
    expect(
      (await run([...OPEN.slice(0, -1).map((a) => (a === '2026-11-18' ? '2027-01-02' : a))], { env: t.env, clock }))
        .code,
    ).toBe(2);
  });

  it('a second breach can be updated and force-closed with a reason', async () => {
    const r = await ok([...OPEN.slice(0, -1), '--delayed', 'no', '--json']);
    const id = (JSON.parse(r.stdout) as { id: string }).id;
    expect(id).toBe('B3');
    await ok(['breach', 'update', id, '--doing', 'We found the drive; no data left the building.']);
    const shown = JSON.parse((await ok(['breach', 'show', id, '--json'])).stdout) as {
      whatWeAreDoing: string;
      delayedByLawEnforcement: boolean;
    };
    expect(shown).toMatchObject({
      whatWeAreDoing: 'We found the drive; no data left the building.',
      delayedByLawEnforcement: false,
    });
    expect((await run(['breach', 'close', id, '--force'], { env: t.env, clock })).code).toBe(2);
    await ok([
      'breach',
      'close',
      id,
      '--force',
      '--note',
      'the drive was found sealed; counsel advised no notice is required',
    ]);
    expect(breachLines((await ok(['breach', 'list'])).stderr)).toEqual([]);
    // The chain still replays to the same tables.
    expect((await ok(['verify'])).stdout).toContain('OK');
  });
});

describe('breach delayed at law enforcement’s request', () => {
  it('holds the duties back until the delay ends, then names them', async () => {
    clock.set('2026-12-31T09:00:00-08:00');
    const r = await ok([...OPEN.slice(0, -1), '--delay-until', '2027-01-10', '--json']);
    const b = JSON.parse(r.stdout) as { id: string; delayedByLawEnforcement: boolean; delayedUntil: string };
    expect(b).toMatchObject({ id: 'B4', delayedByLawEnforcement: true, delayedUntil: '2027-01-10' });
    let line = breachLines((await ok(['breach', 'list'])).stderr);
    expect(line).toEqual([
      `Due: breach B4 (discovered 2026-11-18, policy §10): notice delayed at law enforcement's request until 2027-01-10; then post it and notify.`,
    ]);
    expect((await findings()).findings.map((f) => f.severity)).toEqual(['info']);

    clock.set('2027-01-10T09:00:00-08:00');
    line = breachLines((await ok(['breach', 'list'])).stderr);
    expect(line).toHaveLength(1);
    expect(line[0]).toContain('notice not yet posted on the website');
    expect((await findings()).findings.map((f) => f.severity)).toEqual(['warning', 'warning', 'warning']);
    expect(
      (await run([...OPEN.slice(0, -1), '--delayed', 'no', '--delay-until', '2027-02-01'], { env: t.env, clock })).code,
    ).toBe(2);
    await ok(['breach', 'close', 'B4', '--force', '--note', 'test']);
  });
});

describe('contractor', () => {
  it('records a written permission by its SHA-256, lists it as active, and drops it after its end date', async () => {
    clock.set('2026-12-31T09:00:00-08:00');
    const doc = path.join(t.dir, 'permission.pdf');
    fs.writeFileSync(doc, '%PDF-1.4 signed permission for Acme ALPR\n');
    const r = await ok([
      'contractor',
      'permit',
      '--contractor',
      'Acme ALPR Inc.',
      '--document',
      doc,
      '--purpose',
      'evidence of a crime',
      '--case',
      '26-001234',
      '--scope',
      'CAM-02, 30 December',
      '--until',
      '2027-01-15',
      '--json',
    ]);
    const p = JSON.parse(r.stdout) as {
      id: string;
      active: boolean;
      from: string;
      until: string;
      document: { sha256: string; name: string };
    };
    expect(p).toMatchObject({ id: 'CP1', active: true, from: '2026-12-31', until: '2027-01-15' });
    expect(p.document).toMatchObject({
      name: 'permission.pdf',
      sha256: createHash('sha256').update(fs.readFileSync(doc)).digest('hex'),
    });
    await ok([
      'contractor',
      'permit',
      '--contractor',
      'Acme ALPR Inc.',
      '--document',
      doc,
      '--purpose',
      'evidence of a crime',
      '--case',
      '27-000042',
      '--scope',
      'CAM-01, 31 January',
      '--from',
      '2027-02-01',
      '--until',
      '2027-02-05',
    ]);

    const table = (await ok(['contractor', 'list'])).stdout;
    expect(table).toMatch(/\*\s+CP1 .*ACTIVE/);
    expect(table).toMatch(/CP2 .*not yet in force/);
    expect((await findings()).permits).toEqual(['CP1']);

    clock.set('2027-01-16T09:00:00-08:00');
    expect((await findings()).permits).toEqual([]);
    const list = JSON.parse((await ok(['contractor', 'list', '--json'])).stdout) as { id: string; active: boolean }[];
    expect(list.map((x) => [x.id, x.active])).toEqual([
      ['CP1', false],
      ['CP2', false],
    ]);
    clock.set('2027-02-02T09:00:00-08:00');
    expect((await findings()).permits).toEqual(['CP2']);
    await ok(['contractor', 'revoke', 'CP2', '--reason', 'audit postponed']);
    expect((await findings()).permits).toEqual([]);
    expect(
      (
        await run(
          [
            'contractor',
            'permit',
            '--contractor',
            'Acme',
            '--document',
            path.join(t.dir, 'missing.pdf'),
            '--purpose',
            'evidence of a crime',
            '--case',
            '1',
            '--scope',
            'x',
            '--until',
            '2027-03-01',
          ],
          { env: t.env, clock },
        )
      ).code,
    ).toBe(5);
    expect(
      (
        await run(
          [
            'contractor',
            'permit',
            '--contractor',
            'Acme',
            '--document',
            doc,
            '--purpose',
            'evidence of a crime',
            '--case',
            '1',
            '--scope',
            'x',
            '--until',
            '2027-01-01',
          ],
          { env: t.env, clock },
        )
      ).code,
    ).toBe(2);
    // Policy §2: only to collect evidence of a crime, with a case number, for a bounded time.
    const before = (await ok(['contractor', 'list', '--json'])).stdout;
    for (const [extra, words] of [
      [
        ['--purpose', 'marketing analytics', '--case', '1', '--until', '2027-02-10'],
        /only to help collect evidence of a crime/,
      ],
      [['--purpose', 'evidence of a crime', '--case', ' ', '--until', '2027-02-10'], /case or incident number/],
      [['--purpose', 'evidence of a crime', '--case', '1', '--until', '2030-12-31'], /at most 30 days/],
    ] as const) {
      const r = await run(
        ['contractor', 'permit', '--contractor', 'Acme', '--document', doc, '--scope', 'all footage', ...extra],
        { env: t.env, clock },
      );
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toMatch(words);
      expect(r.stderr).toMatch(/policy §2/);
    }
    expect((await ok(['contractor', 'list', '--json'])).stdout).toBe(before);
  });

  it('logs requests for data the contractor holds, with agency, officer, case, purpose and date', async () => {
    await ok([
      'agency',
      'add',
      '--id',
      'EPD',
      '--name',
      'Example Police Department',
      '--kind',
      'law-enforcement',
      '--jurisdiction',
      'california-local',
      '--identifier',
      'CA0010100',
    ]);
    const r = await ok([
      'contractor',
      'request',
      '--contractor',
      'Acme ALPR Inc.',
      '--agency',
      'EPD',
      '--officer',
      'Det. Sam Rivera',
      '--badge',
      '5521',
      '--case',
      '27-000123',
      '--purpose',
      'criminal investigation',
      '--date',
      '2027-02-01',
      '--json',
    ]);
    expect(JSON.parse(r.stdout)).toMatchObject({
      id: 'CR1',
      agency: 'Example Police Department',
      agencyId: 'EPD',
      officer: 'Det. Sam Rivera',
      badge: '5521',
      case: '27-000123',
      purpose: 'criminal investigation',
      requestedOn: '2027-02-01',
      status: 'open',
    });
    expect(
      (
        await run(
          [
            'contractor',
            'request',
            '--contractor',
            'Acme',
            '--agency',
            'X',
            '--officer',
            'Y',
            '--case',
            'Z',
            '--purpose',
            'curiosity',
          ],
          { env: t.env, clock },
        )
      ).code,
    ).toBe(2);
    // A request from an agency the register says may not receive ALPR data is logged as denied, with a warning;
    // recorded as fulfilled it is refused (policy §4/§5, Civ. Code 1798.90.55(b)).
    await ok([
      'agency',
      'add',
      '--id',
      'FED',
      '--name',
      'A federal agency',
      '--kind',
      'law-enforcement',
      '--jurisdiction',
      'federal',
      '--record-ineligible',
      'to record its request to the contractor',
    ]);
    const fed = await ok([
      'contractor',
      'request',
      '--contractor',
      'Acme ALPR Inc.',
      '--agency',
      'FED',
      '--officer',
      'Agent Lee',
      '--case',
      'F-1',
      '--purpose',
      'criminal investigation',
      '--status',
      'denied',
      '--reason',
      'federal agency',
      '--json',
    ]);
    expect(JSON.parse(fed.stdout)).toMatchObject({
      id: 'CR2',
      agencyId: 'FED',
      agencyKind: 'law-enforcement',
      status: 'denied',
    });
    expect(fed.stderr).toContain(
      'warning: the contractor may not share data with it: A federal agency (FED) is a federal agency',
    );
    for (const agency of ['FED', 'FBI Los Angeles field office']) {
      const fulfilled = await run(
        [
          'contractor',
          'request',
          '--contractor',
          'Acme ALPR Inc.',
          '--agency',
          agency,
          '--officer',
          'Agent Lee',
          '--case',
          'F-2',
          '--purpose',
          'criminal investigation',
          '--status',
          'fulfilled',
        ],
        { env: t.env, clock },
      );
      expect(fulfilled.code, agency).toBe(4);
      expect(fulfilled.stderr).toMatch(/federal agency/);
      expect(fulfilled.stderr).toMatch(/1798\.90\.55/);
    }
    await ok(['contractor', 'resolve', 'CR1', '--fulfilled']);
    expect((await run(['contractor', 'resolve', 'CR1', '--denied', '--reason', 'x'], { env: t.env, clock })).code).toBe(
      6,
    );
    const list = JSON.parse((await ok(['contractor', 'requests', '--json'])).stdout) as {
      id: string;
      status: string;
    }[];
    expect(list.map((x) => [x.id, x.status])).toEqual([
      ['CR1', 'fulfilled'],
      ['CR2', 'denied'],
    ]);
    // An auditor reads permissions, never the request log (it names officers and cases).
    const aud = passwordFileFor(t, 'aud');
    expect((await run(['contractor', 'list'], { env: aud, clock })).code).toBe(0);
    expect((await run(['contractor', 'requests'], { env: aud, clock })).code).toBe(4);
    expect(
      (
        await run(
          [
            'contractor',
            'permit',
            '--contractor',
            'A',
            '--document',
            path.join(t.dir, 'permission.pdf'),
            '--scope',
            'x',
            '--until',
            '2027-12-01',
          ],
          { env: aud, clock },
        )
      ).code,
    ).toBe(4);
  });
});
