/**
 * Plate search over every reading, image show/export, and the access record. The readings come
 * from a scripted reader (so each OCR confusion can be planted); the real reader is tested in
 * test/ocr and test/e2e/ocr.e2e.test.ts.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../src/ledger/session.js';
import { runOcr } from '../../src/ocr/queue.js';
import type { PlateReader, PlateResult } from '../../src/ocr/reader.js';
import {
  INIT_ARGS,
  newTestHome,
  passwordFileFor,
  PASSWORD,
  ROOT,
  run,
  tmpDir,
  type TestHome,
  ECSO_AGENCY_ADD,
} from '../helpers/cli.js';

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', 'fixture-manifest.json'), 'utf8')) as {
  files: { relPath: string; sha256: string; plate?: string }[];
};
const REASON = ['--purpose', 'criminal investigation', '--case', '2026-0042'];

// What the scripted reader "reads" for some images (by the image's true plate): a best reading with
// one OCR confusion, or the true plate only among the alternatives.
const TRUE = manifest.files.filter((f) => f.plate).map((f) => f.plate!);
const planted = new Map<string, { best: string; alts: string[] }>();

function confuse(p: string, from: string, to: string): string | undefined {
  const i = p.indexOf(from);
  return i < 0 ? undefined : p.slice(0, i) + to + p.slice(i + 1);
}

let t: TestHome;
const cases: { name: string; plate: string; query: string; fuzzy: boolean }[] = [];

beforeAll(async () => {
  t = newTestHome();
  expect((await run(INIT_ARGS, { env: t.env })).code).toBe(0);
  expect(
    (
      await run(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00'], {
        env: t.env,
      })
    ).code,
  ).toBe(0);
  const drive = path.join(tmpDir('custody-search-'), 'drive');
  fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
  expect(
    (
      await run(
        ['swap', '--source', drive, '--camera', 'CAM-01', '--enrol', '--store-location', 'safe', '--no-replacement'],
        { env: t.env },
      )
    ).code,
  ).toBe(0);

  // Plant one confusion per class, each on its own image: the stored reading is confused, the query is the true plate.
  const pairs: [string, string][] = [
    ['0', 'O'],
    ['O', '0'],
    ['0', 'D'],
    ['0', 'Q'],
    ['1', 'I'],
    ['1', 'L'],
    ['1', 'T'],
    ['I', '1'],
    ['8', 'B'],
    ['B', '8'],
    ['5', 'S'],
    ['S', '5'],
    ['2', 'Z'],
    ['Z', '2'],
    ['6', 'G'],
    ['G', '6'],
  ];
  const used = new Set<string>();
  for (const [from, to] of pairs) {
    const plate = TRUE.find((p) => !used.has(p) && p.includes(from));
    if (!plate) continue;
    used.add(plate);
    planted.set(plate, { best: confuse(plate, from, to)!, alts: [] });
    cases.push({ name: `${from}→${to}`, plate, query: plate, fuzzy: true });
  }
  const rest = TRUE.filter((p) => !used.has(p));
  const [miss, extra, alt] = rest;
  if (miss) {
    planted.set(miss, { best: miss.slice(0, 2) + miss.slice(3), alts: [] });
    cases.push({ name: 'one character missing', plate: miss, query: miss, fuzzy: true });
  }
  if (extra) {
    planted.set(extra, { best: `${extra}7`, alts: [] });
    cases.push({ name: 'one character extra', plate: extra, query: extra, fuzzy: true });
  }
  if (alt) {
    planted.set(alt, { best: `XX${alt.slice(2)}`, alts: ['QQQ999', alt] });
    cases.push({ name: 'only among the alternatives', plate: alt, query: alt, fuzzy: false });
  }

  const byHash = new Map(manifest.files.map((f) => [f.sha256, f.plate]));
  const reader: PlateReader = {
    engine: 'scripted',
    model: 'test-1',
    async read(image: Buffer): Promise<PlateResult> {
      const plate = byHash.get(createHash('sha256').update(image).digest('hex'));
      const p = plate ? (planted.get(plate) ?? { best: plate, alts: [] }) : undefined;
      return {
        best: p ? { text: p.best, confidence: 0.9 } : null,
        alternatives: (p?.alts ?? []).map((text, i) => ({ text, confidence: 0.5 - i * 0.1 })),
        box: { x: 1, y: 2, width: 30, height: 10 },
        engine: 'scripted',
        model: 'test-1',
        ms: 1,
      };
    },
    async end() {},
  };
  const s = await openSession({
    homeDir: t.home,
    credentials: { username: 'asd', password: PASSWORD },
    clock: () => new Date(),
    command: 'test',
  });
  try {
    await runOcr(s, reader, {});
  } finally {
    s.close();
  }
}, 120_000);

async function search(args: string[], env = t.env) {
  const r = await run(['search', ...args, '--json'], { env });
  return {
    ...r,
    out:
      r.code === 0
        ? (JSON.parse(r.stdout) as {
            results: {
              image: string;
              reading: string;
              rank: number;
              match: string;
              camera: string;
              capturedAt: string;
            }[];
          })
        : undefined,
  };
}

describe('plate search', () => {
  it('finds the plate through each kind of OCR confusion, and the right image ranks first', async () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
    for (const c of cases) {
      const r = await search([c.query, ...(c.fuzzy ? ['--fuzzy'] : []), ...REASON]);
      expect(r.code, c.name).toBe(0);
      const first = r.out!.results[0];
      expect(first, `${c.name}: nothing found for ${c.query}`).toBeDefined();
      const want = planted.get(c.plate)!;
      expect([want.best, ...want.alts], `${c.name}: first result ${first!.reading}`).toContain(first!.reading);
      expect(r.out!.results.length, `${c.name}: drowned in ${r.out!.results.length} results`).toBeLessThanOrEqual(3);
    }
  });

  it('exact search does not allow confusions; it matches alternatives; wildcards work; filters apply', async () => {
    const confused = cases.find((c) => c.name === '0→O') ?? cases[0]!;
    expect((await search([confused.query, ...REASON])).out!.results).toHaveLength(0);
    const alt = cases.find((c) => c.name === 'only among the alternatives')!;
    const a = await search([alt.query, ...REASON]);
    expect(a.out!.results[0]).toMatchObject({ reading: alt.plate, rank: 2, match: 'exact' });
    const plain = TRUE.find((p) => !planted.has(p))!;
    const w = await search([`${plain.slice(0, 3)}?${plain.slice(4, 5)}*`, ...REASON]);
    expect(w.out!.results.map((x) => x.reading)).toContain(plain);
    expect((await search([plain, '--camera', 'CAM-99', ...REASON])).out!.results).toHaveLength(0);
    expect((await search([plain, '--to', '2026-01-01', ...REASON])).out!.results).toHaveLength(0);
  });
});

describe('the access record', () => {
  it('refuses a search, view or export without a purpose and a case, and records all four elements of each one', async () => {
    const plate = TRUE.find((p) => !planted.has(p))!;
    for (const args of [
      ['search', plate],
      ['search', plate, '--purpose', 'criminal investigation'],
      ['image', 'show', 'B20261126-abcdef:1', '--case', '1'],
    ]) {
      const r = await run(args, { env: t.env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/needs a purpose and a case number or request id/);
    }
    const odd = await run(['search', plate, '--purpose', 'curiosity', '--case', '1'], { env: t.env });
    expect(odd.code).toBe(4);

    const hit = (await search([plate, ...REASON])).out!.results[0]!;
    expect((await run(['image', 'show', hit.image, ...REASON, '--json'], { env: t.env })).code).toBe(0);
    // Decrypted copies leave only as a release on a request (policy §5): refused with a case alone.
    const to = path.join(tmpDir('custody-export-'), 'out');
    const refused = await run(['image', 'export', hit.image, '--to', to, ...REASON], { env: t.env });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/needs --request/);
    expect(fs.existsSync(to)).toBe(false);
    const agency = await run(ECSO_AGENCY_ADD, { env: t.env });
    expect(agency.code, agency.stderr).toBe(0);
    const req = await run(
      [
        'request',
        'new',
        '--agency',
        'ECSO',
        '--officer',
        'Det. A',
        '--badge',
        '1',
        '--case',
        '2026-0042',
        '--purpose',
        'criminal investigation',
        '--document-ref',
        'letter',
        '--cameras',
        'CAM-01',
        '--from',
        '2026-11-01',
        '--to',
        '2026-11-05',
        '--json',
      ],
      { env: t.env },
    );
    expect(req.code, req.stderr).toBe(0);
    const reqId = (JSON.parse(req.stdout) as { id: string }).id;
    // Asked otherwise: readable by the group (640; folders 750).
    expect(
      (await run(['image', 'export', hit.image, '--to', to, '--request', reqId, '--mode', '755'], { env: t.env })).code,
    ).toBe(2);
    const ex = await run(['image', 'export', hit.image, '--to', to, '--request', reqId, '--mode', '640', '--json'], {
      env: t.env,
    });
    expect(ex.code, ex.stderr).toBe(0);
    const modeOf = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);
    expect(modeOf(to)).toBe('750');
    expect(modeOf(path.join(to, 'manifest-sha256.txt'))).toBe('640');
    expect(modeOf((JSON.parse(ex.stdout) as { receiptFile: string }).receiptFile)).toBe('640');
    const files = (fs.readdirSync(path.join(to, 'data'), { recursive: true }) as string[])
      .map((p) => path.join(to, 'data', p))
      .filter((p) => fs.statSync(p).isFile());
    expect(files).toHaveLength(1);
    const got = createHash('sha256').update(fs.readFileSync(files[0]!)).digest('hex');
    expect(manifest.files.some((f) => f.sha256 === got)).toBe(true);
    expect(fs.readFileSync(path.join(to, 'manifest-sha256.txt'), 'utf8')).toContain(got);

    const audit = JSON.parse((await run(['audit', '--case', '2026-0042', '--json'], { env: t.env })).stdout) as {
      at: string;
      operator: string;
      organization: string;
      action: string;
      query: string;
      purpose: string;
    }[];
    for (const action of ['search', 'view', 'export']) {
      const rec = audit.find((x) => x.action === action)!;
      expect(rec, action).toBeDefined();
      expect(rec.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/);
      expect(rec).toMatchObject({
        operator: 'asd',
        organization: 'City of Example',
        purpose: 'criminal investigation',
      });
      expect(rec.query.length).toBeGreaterThan(0);
    }
    const csv = await run(['audit', '--csv', '--plate', plate], { env: t.env });
    expect(csv.stdout.split('\n')[0]).toBe('event,at,operator,organization,action,query,purpose,case,request,results');
    expect(csv.stdout).toContain(plate);
  });

  it('an auditor can read the record but never search or see images', async () => {
    const pw = path.join(t.dir, 'aud.pw');
    fs.writeFileSync(pw, 'auditor password 1\n');
    expect(
      (
        await run(
          ['operator', 'add', 'aud1', '--name', 'Alex Auditor', '--role', 'auditor', '--new-password-file', pw],
          { env: t.env },
        )
      ).code,
    ).toBe(0);
    expect(
      (
        await run(
          ['operator', 'train', 'aud1', '--date', '2026-02-01', '--course', 'ALPR audit', '--trainer', 'Pat Trainer'],
          { env: t.env },
        )
      ).code,
    ).toBe(0);
    const env = passwordFileFor(t, 'aud1', 'auditor password 1');
    const s = await run(['search', TRUE[0]!, ...REASON], { env });
    expect(s.code).toBe(4);
    expect(s.stderr).toMatch(/may not search plates or see images/);
    expect((await run(['image', 'export', 'B20261126-abcdef:1', '--to', tmpDir(), ...REASON], { env })).code).toBe(4);
    expect((await run(['audit', '--json'], { env })).code).toBe(0);
  });
});
