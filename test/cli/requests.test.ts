/**
 * Requests, holds, releases and receipts on real files: the demo drive swapped into a
 * real home, bags checked with coreutils, receipts with poppler's pdfsig and pdftotext.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { openSession } from '../../src/ledger/session.js';
import { endExiftool } from '../../src/media/exif.js';
import { makeFixtureDrive } from '../../tools/fixture-drive.js';
import { runOcr } from '../../src/ocr/queue.js';
import type { PlateReader } from '../../src/ocr/reader.js';
import { INIT_ARGS, newTestHome, PASSWORD, ROOT, run, scriptedPrompts, tmpDir, type TestHome } from '../helpers/cli.js';

const NOW = '2026-11-05T10:00:00-08:00';
const DEMO = path.join(ROOT, 'fixtures', 'demo-drive');
const demoManifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', 'fixture-manifest.json'), 'utf8')) as {
  files: { relPath: string; sha256: string; size: number; captureTime: string; plate?: string }[];
};
let base: TestHome;
let batch: string;

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  base = newTestHome();
  const clock = manualClock(NOW);
  const env = base.env;
  const ok = async (args: string[]) => {
    const r = await run(args, { env, clock });
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  await ok(INIT_ARGS);
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St & 3rd', '--since', '2026-10-01T00:00:00-07:00']);
  // An empty drive is enrolled and put in the camera, which then records onto it.
  const drive = path.join(base.dir, 'CAMDRIVE1');
  fs.mkdirSync(drive);
  await ok([
    'drive',
    'enrol',
    '--source',
    drive,
    '--id',
    'D001',
    '--label',
    'CAMDRIVE1',
    '--serial',
    'SN-0001',
    '--capacity',
    '32000000000',
  ]);
  await ok(['drive', 'enrol', '--id', 'D002', '--label', 'CAMDRIVE2']);
  await ok(['drive', 'install', 'D001', '--camera', 'CAM-01', '--at', '2026-11-01T08:00:00-08:00']);
  fs.cpSync(DEMO, drive, { recursive: true });
  const sw = await ok([
    'swap',
    '--source',
    drive,
    '--camera',
    'CAM-01',
    '--store-location',
    'safe, room 102',
    '--replacement',
    'D002',
    '--json',
  ]);
  batch = (JSON.parse(sw.stdout) as { batch: string }).batch;
  await ok([
    'agency',
    'add',
    '--id',
    'ECSO',
    '--name',
    "Example County Sheriff's Office",
    '--kind',
    'law-enforcement',
    '--jurisdiction',
    'california-local',
    '--identifier',
    'CA0019900',
    '--contact',
    'records@ecso.example',
  ]);
}, 240_000);

afterAll(async () => {
  await endExiftool();
});

/** An independent copy of the base home (same keys and ledger), so each test starts from the swap. */
function homeCopy(): TestHome {
  const dir = tmpDir();
  const home = path.join(dir, 'home');
  fs.cpSync(base.home, home, { recursive: true });
  return { ...base, dir, home, env: { ...base.env, CUSTODY_HOME: home } };
}

async function newRequest(
  t: TestHome,
  clock: ReturnType<typeof manualClock>,
  extra: string[],
  agency = 'ECSO',
): Promise<string> {
  const letter = path.join(t.dir, `letter-${Math.random().toString(36).slice(2)}.txt`);
  fs.writeFileSync(letter, 'Request for ALPR images, case 26-001234.\n');
  const r = await run(
    [
      'request',
      'new',
      '--agency',
      agency,
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
      ...extra,
      '--json',
    ],
    { env: t.env, clock },
  );
  expect(r.code, r.stderr).toBe(0);
  const j = JSON.parse(r.stdout) as { id: string; document: { sha256: string } };
  expect(j.document.sha256).toBe(sha256(fs.readFileSync(letter)));
  return j.id;
}

function sh(cmd: string, args: string[], cwd?: string): { code: number; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('requests and releases', () => {
  it('logs a request and fulfils it with a BagIt export that coreutils checks, and a signed receipt', async () => {
    const t = homeCopy();
    const clock = manualClock(NOW);
    const req = await newRequest(t, clock, ['--cameras', 'CAM-01', '--from', '2026-11-03', '--to', '2026-11-03']);
    expect(req).toBe('REQ-2026-0001');
    const list = JSON.parse((await run(['request', 'list', '--json'], { env: t.env, clock })).stdout) as {
      id: string;
      status: string;
      scope: { cameras: string[]; from: string; to: string };
    }[];
    expect(list).toMatchObject([
      {
        id: req,
        status: 'open',
        scope: { cameras: ['CAM-01'], from: '2026-11-03T00:00:00.000-08:00', to: '2026-11-03T23:59:59.999-08:00' },
      },
    ]);

    clock.set('2026-11-06T14:30:00-08:00');
    const out = path.join(t.dir, 'out');
    const bag = path.join(out, 'REQ-2026-0001');
    const r = await run(['release', '--request', req, '--to', bag, '--json'], { env: t.env, clock });
    expect(r.stderr).not.toMatch(/^(custody|warning):/m);
    expect(r.code).toBe(0);
    const rel = JSON.parse(r.stdout) as {
      release: {
        receipt: string;
        files: number;
        bytes: number;
        manifestSha256: string;
        payloadOxum: string;
        releasedAt: string;
      };
      receiptFile: string;
      ledgerHead: string;
    };
    expect(rel.receiptFile).toBe(path.join(out, 'R-2026-0001.pdf'));

    // The files of 3 November (local), exactly, with the bytes of the drive.
    const expected = demoManifest.files.filter((f) => f.captureTime.startsWith('2026-11-03'));
    expect(expected.length).toBeGreaterThan(0);
    expect(rel.release.files).toBe(expected.length);
    for (const f of expected) {
      const p = path.join(bag, 'data', 'CAM-01', batch, ...f.relPath.split('/'));
      expect(sha256(fs.readFileSync(p)), f.relPath).toBe(f.sha256);
    }

    // Independently of our code: coreutils inside the bag, Payload-Oxum recounted, bagit.txt.
    expect(sh('sha256sum', ['-c', '--strict', 'manifest-sha256.txt'], bag)).toMatchObject({ code: 0 });
    expect(sh('sha256sum', ['-c', '--strict', 'tagmanifest-sha256.txt'], bag)).toMatchObject({ code: 0 });
    expect(fs.readFileSync(path.join(bag, 'bagit.txt'), 'utf8')).toBe(
      'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n',
    );
    const dataFiles = (fs.readdirSync(path.join(bag, 'data'), { recursive: true }) as string[])
      .map((p) => path.join(bag, 'data', p))
      .filter((p) => fs.statSync(p).isFile());
    // Only the operator may read what was handed over: files 0600, folders 0700 (the folder made for it too).
    const modeOf = (p: string) => fs.statSync(p).mode & 0o777;
    for (const p of [out, bag, ...(fs.readdirSync(bag, { recursive: true }) as string[]).map((x) => path.join(bag, x))])
      expect(modeOf(p).toString(8), p).toBe(fs.statSync(p).isDirectory() ? '700' : '600');
    expect(modeOf(rel.receiptFile).toString(8)).toBe('600');
    const octets = dataFiles.reduce((n, p) => n + fs.statSync(p).size, 0);
    const info = fs.readFileSync(path.join(bag, 'bag-info.txt'), 'utf8');
    expect(info).toContain(`Payload-Oxum: ${octets}.${dataFiles.length}\n`);
    expect(info).toContain('Source-Organization: City of Example\n');
    expect(info).toContain('External-Identifier: case 26-001234; request REQ-2026-0001\n');
    expect(info).toContain('Bagging-Date: 2026-11-06\n');
    expect(info).toMatch(/Contact-Name: Dana Example, Administrative Services Director/);
    const manifestDigest = sha256(fs.readFileSync(path.join(bag, 'manifest-sha256.txt')));
    expect(rel.release.manifestSha256).toBe(manifestDigest);
    // Every tag file is in the tag manifest.
    expect(fs.readFileSync(path.join(bag, 'tagmanifest-sha256.txt'), 'utf8')).toMatch(
      / {2}bag-info\.txt\n[\s\S]* {2}bagit\.txt\n[\s\S]* {2}manifest-sha256\.txt\n/,
    );

    // The receipt: pdfsig says the signature is valid; pdftotext shows officer, case and the manifest digest.
    const sig = sh('pdfsig', [rel.receiptFile]);
    expect(sig.out).toMatch(/Signature Validation: Signature is Valid/);
    const text = execFileSync('pdftotext', ['-layout', rel.receiptFile, '-'], { encoding: 'utf8' });
    expect(text).toContain('Sgt. Rita Alvarez');
    expect(text).toContain('26-001234');
    expect(text.replace(/\s+/g, '')).toContain(manifestDigest);
    expect(text.replace(/\s+/g, '')).toContain(rel.ledgerHead);

    // Our own check: signature, signer, ledger, and the bag.
    const v = await run(['receipt', 'verify', rel.receiptFile, '--bag', bag, '--json'], { env: t.env, clock });
    expect(v.code, v.stdout).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ valid: true, receipt: 'R-2026-0001' });

    // The request is fulfilled; the release names when, by whom and to whom.
    const show = JSON.parse((await run(['request', 'show', req, '--json'], { env: t.env, clock })).stdout) as {
      status: string;
      releases: { releasedAt: string; releasedBy: string; officer: string; badge: string; agency: string }[];
    };
    expect(show.status).toBe('fulfilled');
    expect(show.releases[0]).toMatchObject({
      releasedAt: '2026-11-06T14:30:00.000-08:00',
      releasedBy: 'asd',
      officer: 'Sgt. Rita Alvarez',
      badge: '4417',
      agency: 'ECSO',
    });
    expect((await run(['verify'], { env: t.env, clock })).code).toBe(0);
    const log = JSON.parse(
      (await run(['log', '--camera', 'CAM-01', '--type', 'release.', '--json'], { env: t.env, clock })).stdout,
    ) as { type: string }[];
    expect(log.map((e) => e.type)).toEqual(['release.recorded']);
    // …and the release is on the access record (Civ. Code 1798.90.52) with its purpose and request.
    const access = JSON.parse(
      (await run(['log', '--type', 'access.recorded', '--json'], { env: t.env, clock })).stdout,
    ) as { data: Record<string, unknown> }[];
    expect(access.at(-1)!.data).toMatchObject({
      action: 'export',
      purpose: 'criminal investigation',
      caseRef: '26-001234',
      requestId: req,
      results: expected.length,
      details: { release: 'R-2026-0001', to: 'ECSO', kind: 'export' },
    });

    // A receipt edited by one byte fails (exit 8); so does a bag with one file changed.
    const pdf = fs.readFileSync(rel.receiptFile);
    const edited = path.join(t.dir, 'edited.pdf');
    const idx = pdf.indexOf('Sgt. Rita Alvarez');
    const copy = Buffer.from(pdf);
    copy[idx >= 0 ? idx + 5 : Math.floor(pdf.length / 3)] ^= 0x01;
    fs.writeFileSync(edited, copy);
    const bad = await run(['receipt', 'verify', edited], { env: t.env, clock });
    expect(bad.code).toBe(8);
    expect(bad.stdout).toMatch(/signature\s+FAILED\s+The document was changed after signing/);
    // The one line says what failed, never "signature valid".
    expect(bad.stderr).toMatch(/fails verification: signature — The document was changed after signing/);
    expect(bad.stderr).not.toMatch(/signature valid/);
    const victim = dataFiles[0]!;
    const bytes = fs.readFileSync(victim);
    bytes[100] ^= 0xff;
    fs.writeFileSync(victim, bytes);
    const badBag = await run(['receipt', 'verify', rel.receiptFile, '--bag', bag], { env: t.env, clock });
    expect(badBag.code).toBe(8);
    expect(badBag.stdout).toMatch(/bag valid \(RFC 8493\)\s+FAILED/);
    expect(sh('sha256sum', ['-c', '--quiet', 'manifest-sha256.txt'], bag).code).not.toBe(0);
  }, 180_000);

  it('hands over a drive: its state becomes released to the agency, with a receipt listing its files', async () => {
    const t = homeCopy();
    const clock = manualClock(NOW);
    const req = await newRequest(t, clock, ['--drive', 'D001']);
    const receiptFile = path.join(t.dir, 'receipts', 'drive-receipt.pdf');
    const source = path.join(base.dir, 'CAMDRIVE1');
    const r = await run(
      ['release', '--request', req, '--drive', 'D001', '--source', source, '--receipt', receiptFile, '--json'],
      { env: t.env, clock },
    );
    expect(r.code, r.stderr).toBe(0);
    const rel = JSON.parse(r.stdout) as { release: { kind: string; files: number; manifestSha256: string } };
    expect(rel.release).toMatchObject({ kind: 'drive', files: demoManifest.files.length });
    const d = JSON.parse((await run(['drive', 'show', 'D001', '--json'], { env: t.env, clock })).stdout) as {
      state: string;
      releasedTo: string;
      history: { action: string; note: string }[];
    };
    expect(d).toMatchObject({ state: 'released', releasedTo: 'ECSO' });
    expect(d.history.at(-1)).toMatchObject({ action: 'release', note: req });
    // The manifest digest of the drive is sha256sum's listing of its files.
    const listing = demoManifest.files
      .map((f) => ({ p: f.relPath, h: f.sha256 }))
      .sort((a, b) => Buffer.compare(Buffer.from(a.p), Buffer.from(b.p)))
      .map((f) => `${f.h}  ${f.p}\n`)
      .join('');
    expect(rel.release.manifestSha256).toBe(sha256(listing));
    expect(sh('pdfsig', [receiptFile]).out).toMatch(/Signature Validation: Signature is Valid/);
    expect((await run(['receipt', 'verify', receiptFile], { env: t.env, clock })).code).toBe(0);
    // A fulfilled request is not served again, and a released drive cannot be handed over again.
    const fulfilled = await run(
      ['release', '--request', req, '--drive', 'D001', '--source', source, '--receipt', path.join(t.dir, 'x.pdf')],
      { env: t.env, clock },
    );
    expect(fulfilled.code).toBe(4);
    expect(fulfilled.stderr).toMatch(
      /is fulfilled \(released \d{4}-\d{2}-\d{2}, receipt R-\d{4}-\d{4}\); nothing may be released on it/,
    );
    const req2 = await newRequest(t, clock, ['--drive', 'D001']);
    const again = await run(
      ['release', '--request', req2, '--drive', 'D001', '--source', source, '--receipt', path.join(t.dir, 'x.pdf')],
      { env: t.env, clock },
    );
    expect(again.code).toBe(6);
  }, 180_000);

  it('a drive used again hands over only what it recorded since it last went into a camera', async () => {
    const t = homeCopy();
    const clock = manualClock('2027-01-10T09:00:00-08:00');
    expect((await run(['drive', 'remove', 'D002'], { env: t.env, clock })).code).toBe(0);
    expect((await run(['drive', 'install', 'D001', '--camera', 'CAM-01'], { env: t.env, clock })).code).toBe(0);
    // Ten days later D001 comes out with new recordings (the old ones were recorded over).
    const again = path.join(t.dir, 'CAMDRIVE1-again');
    const m = await makeFixtureDrive(again, {
      seed: 5,
      camera: { make: 'Acme Vision', model: 'LPR-2', serial: 'DEMO-0001' },
      start: new Date('2027-01-12T12:00:00Z'),
      days: 2,
      perDay: 3,
      timeZone: 'America/Los_Angeles',
      imageBytes: 20_000,
    });
    fs.copyFileSync(path.join(base.dir, 'CAMDRIVE1', '.custody-drive.json'), path.join(again, '.custody-drive.json'));
    clock.set('2027-01-20T09:00:00-08:00');
    const sw = await run(
      ['swap', '--source', again, '--camera', 'CAM-01', '--store-location', 'safe, room 102', '--no-replacement'],
      { env: t.env, clock },
    );
    expect(sw.code, sw.stderr).toBe(0);
    const req = await newRequest(t, clock, ['--drive', 'D001', '--received-at', '2027-01-20T10:00:00-08:00']);
    const r = await run(
      [
        'release',
        '--request',
        req,
        '--drive',
        'D001',
        '--source',
        again,
        '--receipt',
        path.join(t.dir, 'r.pdf'),
        '--json',
      ],
      { env: t.env, clock },
    );
    expect(r.code, r.stderr).toBe(0);
    const media = m.files.filter((f) => f.kind !== null && f.size > 0);
    expect((JSON.parse(r.stdout) as { release: { files: number } }).release.files).toBe(media.length);
  }, 180_000);

  it('refuses out-of-state, federal and private recipients, and non-law-enforcement agencies', async () => {
    const t = homeCopy();
    const clock = manualClock(NOW);
    const add = async (id: string, kind: string, jurisdiction: string) => {
      const args = [
        'agency',
        'add',
        '--id',
        id,
        '--name',
        `${id} agency`,
        '--kind',
        kind,
        '--jurisdiction',
        jurisdiction,
      ];
      // Refused at registration, citing the law; nothing recorded.
      const ledger = fs.readFileSync(path.join(t.home, 'ledger.enc'));
      const no = await run(args, { env: t.env, clock });
      expect(no.code, no.stderr).toBe(2);
      expect(no.stderr).toMatch(
        /Refused: .*policy §4\/§5, Cal\. Civ\. Code § 1798\.90\.55\(b\).* It is not registered\./,
      );
      expect(no.stderr).toMatch(/--record-ineligible/);
      expect(fs.readFileSync(path.join(t.home, 'ledger.enc')).equals(ledger)).toBe(true);
      // The custodian may register it only to record its requests (and their refusal).
      const r = await run([...args, '--record-ineligible', 'to record its request and its refusal'], {
        env: t.env,
        clock,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/no data will be released to it/);
    };
    await add('NVPD', 'law-enforcement', 'other-state');
    await add('FBI', 'law-enforcement', 'federal');
    await add('ACME', 'other', 'private');
    await add('PARKS', 'other', 'california-local');
    for (const [agency, words] of [
      ['NVPD', /another state/],
      ['FBI', /a federal agency/],
      ['ACME', /a private party/],
      ['PARKS', /not a law-enforcement or prosecutorial agency/],
    ] as const) {
      const req = await newRequest(
        t,
        clock,
        ['--cameras', 'CAM-01', '--from', '2026-11-02', '--to', '2026-11-04'],
        agency,
      );
      const to = path.join(t.dir, `bag-${agency}`);
      const r = await run(['release', '--request', req, '--to', to], { env: t.env, clock });
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(words);
      expect(r.stderr).toMatch(/1798\.90\.55/);
      expect(r.stderr).toMatch(/2023-DLE-06/);
      expect(r.stderr).toMatch(/policy §4\/§5/);
      expect(fs.existsSync(to)).toBe(false);
      const dr = await run(['release', '--request', req, '--drive', 'D001', '--receipt', path.join(t.dir, 'r.pdf')], {
        env: t.env,
        clock,
      });
      expect(dr.code).toBe(4);
    }
    // Only what the request asks for: a drive outside its scope is refused.
    const october = await newRequest(t, clock, ['--cameras', 'CAM-01', '--from', '2026-10-01', '--to', '2026-10-02']);
    const outside = await run(
      ['release', '--request', october, '--drive', 'D001', '--receipt', path.join(t.dir, 'o.pdf')],
      { env: t.env, clock },
    );
    expect(outside.code).toBe(4);
    expect(outside.stderr).toMatch(/Drive D001 is not within request/);
    // An auditor may not release.
    const pw = path.join(t.dir, 'aud.pw');
    fs.writeFileSync(pw, 'auditor password 1\n');
    expect(
      (
        await run(['operator', 'add', 'aud', '--name', 'Ann Auditor', '--role', 'auditor', '--new-password-file', pw], {
          env: t.env,
          clock,
        })
      ).code,
    ).toBe(0);
    expect(
      (
        await run(
          ['operator', 'train', 'aud', '--date', '2026-02-01', '--course', 'ALPR policy', '--trainer', 'Pat Trainer'],
          { env: t.env, clock },
        )
      ).code,
    ).toBe(0);
    const audEnv = { ...t.env, CUSTODY_USER: 'aud', CUSTODY_PASSWORD_FILE: pw };
    const aud = await run(['release', '--request', october, '--to', path.join(t.dir, 'aud')], { env: audEnv, clock });
    expect(aud.code).toBe(4);
    expect(aud.stderr).toMatch(/may not release data/);
    const list = JSON.parse((await run(['agency', 'list', '--json'], { env: t.env, clock })).stdout) as {
      id: string;
      mayReceiveData: boolean;
    }[];
    expect(Object.fromEntries(list.map((a) => [a.id, a.mayReceiveData]))).toEqual({
      ACME: false,
      ECSO: true,
      FBI: false,
      NVPD: false,
      PARKS: false,
    });
    expect(JSON.parse((await run(['drive', 'show', 'D001', '--json'], { env: t.env, clock })).stdout)).toMatchObject({
      state: 'stored',
    });
  }, 180_000);

  it("a hold's review date is a calendar date in the home's zone (placing it and the log-in line)", async () => {
    const t = homeCopy();
    // 20:00 on 1 December in Los Angeles is already 2 December in UTC.
    const clock = manualClock('2026-12-01T20:00:00-08:00');
    const req = await newRequest(t, clock, ['--cameras', 'CAM-01', '--from', '2026-11-02', '--to', '2026-11-04']);
    const doc = path.join(t.dir, 'preservation.txt');
    fs.writeFileSync(doc, 'Please preserve.\n');
    const hold = (review: string) =>
      run(
        [
          'hold',
          'add',
          '--request',
          req,
          '--reason',
          'ongoing criminal investigation',
          '--document',
          doc,
          '--review',
          review,
          '--json',
        ],
        { env: t.env, clock },
      );
    const past = await hold('2026-11-30');
    expect(past.code).toBe(2);
    expect(past.stderr).toMatch(/The review date 2026-11-30 has passed/);
    const tomorrow = await hold('2026-12-02');
    expect(tomorrow.code, tomorrow.stderr).toBe(0);
    // Not yet 2 December where the home is: no review is due at log-in.
    const evening = await run(['hold', 'list'], { env: t.env, clock });
    expect(evening.code).toBe(0);
    expect(evening.stderr).not.toMatch(/review/);
    clock.set('2026-12-02T00:30:00-08:00');
    const morning = await run(['hold', 'list'], { env: t.env, clock });
    expect(morning.stderr).toMatch(/Hold HOLD-2026-0001 was due for review on/);
  }, 180_000);

  it('a hold blocks reinstall and names itself; its release lifts the block', async () => {
    const t = homeCopy();
    const clock = manualClock(NOW);
    const req = await newRequest(t, clock, ['--cameras', 'CAM-01', '--from', '2026-11-02', '--to', '2026-11-04']);
    const doc = path.join(t.dir, 'preservation.txt');
    fs.writeFileSync(doc, 'Please preserve.\n');
    // The request as the argument, as `receipt ack R-…` takes its receipt (`--request` works too).
    const conflicting = await run(['hold', 'add', req, '--request', 'REQ-2026-0099'], { env: t.env, clock });
    expect(conflicting.code).toBe(2);
    expect(conflicting.stderr).toMatch(/Two requests named/);
    const h = await run(
      [
        'hold',
        'add',
        req,
        '--reason',
        'ongoing criminal investigation',
        '--document',
        doc,
        '--review',
        '2027-02-01',
        '--json',
      ],
      { env: t.env, clock },
    );
    expect(h.code, h.stderr).toBe(0);
    const hold = JSON.parse(h.stdout) as {
      id: string;
      batches: string[];
      drives: string[];
      document: { sha256: string };
    };
    expect(hold).toMatchObject({
      id: 'HOLD-2026-0001',
      batches: [batch],
      // D002 went into CAM-01 on 5 November, after the request's range: it holds none of it.
      drives: ['D001'],
      document: { sha256: sha256('Please preserve.\n') },
    });

    // Past 60 days: without the hold, D001 could go back into a camera.
    clock.set('2027-01-10T09:00:00-08:00');
    expect((await run(['drive', 'remove', 'D002'], { env: t.env, clock })).code).toBe(0);
    const refused = await run(['drive', 'install', 'D001', '--camera', 'CAM-01'], { env: t.env, clock });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/under hold HOLD-2026-0001 \(review 2027-02-01\)/);
    const purgePlan = async () =>
      JSON.parse((await run(['purge', '--json'], { env: t.env, clock })).stdout) as {
        due: { batch: string }[];
        held: { batch: string; heldBy: string[] }[];
      };
    // Every recording day of the batch is held (policy §8: purge goes by day).
    const heldPlan = await purgePlan();
    expect(heldPlan.due).toEqual([]);
    expect(heldPlan.held.length).toBeGreaterThan(0);
    expect(heldPlan.held.every((h) => h.batch === batch && h.heldBy.join() === 'HOLD-2026-0001')).toBe(true);
    const listed = JSON.parse((await run(['hold', 'list', '--json'], { env: t.env, clock })).stdout) as {
      id: string;
      standing: boolean;
    }[];
    expect(listed).toMatchObject([{ id: 'HOLD-2026-0001', standing: true }]);

    expect(
      (await run(['hold', 'release', 'HOLD-2026-0001', '--reason', 'case closed'], { env: t.env, clock })).code,
    ).toBe(0);
    expect(JSON.parse((await run(['hold', 'list', '--json'], { env: t.env, clock })).stdout)).toEqual([]);
    const freed = await purgePlan();
    expect(freed.held).toEqual([]);
    expect(freed.due.length).toBe(heldPlan.held.length);
    expect(freed.due.every((d) => d.batch === batch)).toBe(true);
    const ok = await run(['drive', 'install', 'D001', '--camera', 'CAM-01'], { env: t.env, clock });
    expect(ok.code, ok.stderr).toBe(0);
    expect((await run(['hold', 'release', 'HOLD-2026-0001', '--reason', 'again'], { env: t.env, clock })).code).toBe(6);
    expect((await run(['verify'], { env: t.env, clock })).code).toBe(0);
  }, 180_000);

  it('lists unacknowledged receipts for attention until the written acknowledgement is recorded', async () => {
    const t = homeCopy();
    const clock = manualClock(NOW);
    const req = await newRequest(t, clock, ['--cameras', 'CAM-01', '--from', '2026-11-04', '--to', '2026-11-04']);
    const r = await run(['release', '--request', req, '--to', path.join(t.dir, 'bag')], { env: t.env, clock });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/receipt:\s+R-2026-0001/);
    // A second release whose acknowledgement is expected within 3 days instead of the setting's 10.
    const req2 = await newRequest(t, clock, ['--cameras', 'CAM-01', '--from', '2026-11-02', '--to', '2026-11-02']);
    const r2 = await run(['release', '--request', req2, '--to', path.join(t.dir, 'bag2'), '--ack-days', '3'], {
      env: t.env,
      clock,
    });
    expect(r2.code, r2.stderr).toBe(0);
    const att = async () =>
      (
        JSON.parse((await run(['request', 'list', '--attention', '--json'], { env: t.env, clock })).stdout) as {
          what: string;
          id: string;
        }[]
      )
        .map((x) => `${x.what} ${x.id}`)
        .sort();
    clock.set('2026-11-08T09:59:59-08:00');
    expect(await att()).toEqual([]);
    clock.set('2026-11-08T10:00:01-08:00');
    expect(await att()).toEqual(['receipt not acknowledged R-2026-0002']);
    clock.set('2026-11-15T10:00:01-08:00');
    expect(await att()).toEqual(['receipt not acknowledged R-2026-0001', 'receipt not acknowledged R-2026-0002']);
    const scan = path.join(t.dir, 'signed-scan.pdf');
    fs.writeFileSync(scan, 'scan of the signed receipt');
    const ack = await run(['receipt', 'ack', 'R-2026-0001', '--scan', scan, '--date', '2026-11-12', '--json'], {
      env: t.env,
      clock,
    });
    expect(ack.code, ack.stderr).toBe(0);
    expect(JSON.parse(ack.stdout)).toMatchObject({
      acknowledged: { date: '2026-11-12', scanSha256: sha256('scan of the signed receipt') },
    });
    expect(await att()).toEqual(['receipt not acknowledged R-2026-0002']);
    const scanBack = path.join(t.dir, 'scan-back.pdf');
    expect((await run(['request', 'document', 'R-2026-0001', '--out', scanBack], { env: t.env, clock })).code).toBe(0);
    expect(fs.readFileSync(scanBack, 'utf8')).toBe('scan of the signed receipt');
    expect(
      (await run(['receipt', 'ack', 'R-2026-0001', '--scan', scan, '--date', '2026-11-12'], { env: t.env, clock }))
        .code,
    ).toBe(6);
  }, 180_000);

  it('records denials and withdrawals; a plate request says it needs the plate search', async () => {
    const t = homeCopy();
    const clock = manualClock(NOW);
    const a = await newRequest(t, clock, ['--cameras', 'CAM-01', '--from', '2026-11-02', '--to', '2026-11-02']);
    const b = await newRequest(t, clock, ['--drive', 'D001']);
    const p = await newRequest(t, clock, [
      '--plate',
      '7abc 123',
      '--cameras',
      'CAM-01',
      '--from',
      '2026-11-02',
      '--to',
      '2026-11-04',
    ]);
    expect((await run(['request', 'deny', a], { env: t.env, clock })).code).toBe(2);
    expect(
      (await run(['request', 'deny', a, '--reason', 'no case number on the letter'], { env: t.env, clock })).code,
    ).toBe(0);
    expect((await run(['request', 'withdraw', b], { env: t.env, clock })).code).toBe(0);
    const refused = await run(['release', '--request', a, '--to', path.join(t.dir, 'x')], { env: t.env, clock });
    expect(refused.code).toBe(6);
    const plate = await run(['release', '--request', p, '--to', path.join(t.dir, 'plate')], { env: t.env, clock });
    expect(plate.code).toBe(6);
    expect(plate.stderr).toMatch(/custody ocr/);
    expect(plate.stderr).toMatch(/plate 7ABC123/);
    const list = JSON.parse((await run(['request', 'list', '--json'], { env: t.env, clock })).stdout) as {
      id: string;
      status: string;
      statusReason: string | null;
    }[];
    expect(list.map((r) => [r.id, r.status, r.statusReason])).toEqual([
      [a, 'denied', 'no case number on the letter'],
      [b, 'withdrawn', null],
      [p, 'open', null],
    ]);
    // A receipt that cannot be written: nothing is recorded and the bag written so far is removed.
    const blocker = path.join(t.dir, 'a-file');
    fs.writeFileSync(blocker, 'x');
    const failed = await run(
      [
        'release',
        '--request',
        p,
        '--to',
        path.join(t.dir, 'plate1'),
        '--all-in-range',
        '--receipt',
        path.join(blocker, 'r.pdf'),
      ],
      { env: t.env, clock },
    );
    expect(failed.code).toBe(10);
    expect(failed.stderr).toMatch(/was not recorded and nothing was handed over; what it had written was removed/);
    expect(fs.existsSync(path.join(t.dir, 'plate1'))).toBe(false);
    expect(fs.existsSync(path.join(t.dir, 'plate1.partial'))).toBe(false);
    expect(JSON.parse((await run(['request', 'show', p, '--json'], { env: t.env, clock })).stdout)).toMatchObject({
      status: 'open',
      releases: [],
    });
    const all = await run(['release', '--request', p, '--to', path.join(t.dir, 'plate2'), '--all-in-range'], {
      env: t.env,
      clock,
    });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/receipt:\s+R-2026-0001/);
  }, 180_000);

  it('fulfils a plate request through the plate search, recorded in the access record with the request as its purpose', async () => {
    const t = homeCopy();
    const clock = manualClock(NOW);
    const plate = demoManifest.files.find((f) => f.plate)!.plate!;
    const want = demoManifest.files.filter((f) => f.plate === plate);
    const req = await newRequest(t, clock, [
      '--plate',
      plate,
      '--cameras',
      'CAM-01',
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-04',
    ]);
    const before = await run(['release', '--request', req, '--to', path.join(t.dir, 'early')], { env: t.env, clock });
    expect(before.code).toBe(6);
    expect(before.stderr).toMatch(/custody ocr/);
    expect(fs.existsSync(path.join(t.dir, 'early'))).toBe(false);

    // Readings from a scripted reader that reads each image's true plate (the real reader is tested in test/ocr).
    const byHash = new Map(demoManifest.files.map((f) => [f.sha256, f.plate]));
    const reader: PlateReader = {
      engine: 'scripted',
      model: 'truth-1',
      async read(image: Buffer) {
        const p = byHash.get(sha256(image));
        return {
          best: p ? { text: p, confidence: 0.95 } : null,
          alternatives: [],
          box: { x: 1, y: 2, width: 30, height: 10 },
          engine: 'scripted',
          model: 'truth-1',
          ms: 1,
        };
      },
      async end() {},
    };
    const s = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock,
      command: 'test',
    });
    try {
      await runOcr(s, reader, {});
    } finally {
      s.close();
    }
    const bag = path.join(t.dir, 'plate-bag');
    const r = await run(['release', '--request', req, '--to', bag, '--json'], { env: t.env, clock });
    expect(r.code, r.stderr).toBe(0);
    const got = (fs.readdirSync(path.join(bag, 'data'), { recursive: true }) as string[])
      .filter((p) => fs.statSync(path.join(bag, 'data', p)).isFile())
      .map((p) => sha256(fs.readFileSync(path.join(bag, 'data', p))))
      .sort();
    expect(got).toEqual([...new Set(want.map((f) => f.sha256))].sort());
    const audit = await run(['log', '--type', 'access.recorded', '--json'], { env: t.env, clock });
    expect(audit.stdout).toContain(req);
    expect(audit.stdout).toContain(plate);
  }, 180_000);

  it('the whole flow as a guided prompt: agency, request, release, hold, acknowledgement', async () => {
    const t = homeCopy();
    const clock = manualClock(NOW);
    const letter = path.join(t.dir, 'letter.pdf');
    fs.writeFileSync(letter, '%PDF-1.4 a letter');
    const pa = scriptedPrompts([
      'DA',
      'Example County District Attorney',
      'prosecutorial',
      'california-local',
      'CA001013A',
      '',
    ]);
    const ra = await run(['agency', 'add'], { env: t.env, clock, prompts: pa, isTTY: true });
    expect(ra.code, ra.stderr).toBe(0);
    expect(pa.asked).toEqual([
      'Agency id:',
      'Name:',
      'Kind:',
      'Jurisdiction:',
      'Identifier (e.g. ORI; empty if none):',
      'Contact (empty if none):',
    ]);

    const pr = scriptedPrompts([
      'DA',
      'Inv. Sam Lee',
      'DA-22',
      'CR-2026-88',
      'prosecution of a criminal case',
      '2026-11-05T08:00:00-08:00',
      letter,
      'cameras',
      'CAM-01',
      '2026-11-02',
      '2026-11-02',
    ]);
    const rr = await run(['request', 'new'], { env: t.env, clock, prompts: pr, isTTY: true });
    expect(rr.code, rr.stderr).toBe(0);
    expect(pr.asked).toEqual([
      'Requesting agency:',
      'Requesting officer:',
      'Badge or id number:',
      'Case number:',
      'Official purpose (policy §1):',
      'Received (date and time):',
      'The written request (a file to attach, or its reference):',
      'What is asked for?',
      'Cameras (comma-separated):',
      'From (date or date and time):',
      'To (date or date and time):',
    ]);
    const req = /Request (REQ-\d{4}-\d{4}) recorded/.exec(rr.stdout)![1]!;
    const shown = JSON.parse((await run(['request', 'show', req, '--json'], { env: t.env, clock })).stdout) as {
      document: { sha256: string; name: string };
    };
    expect(shown.document).toMatchObject({ sha256: sha256(fs.readFileSync(letter)), name: 'letter.pdf' });
    // The letter is kept in the home, encrypted, and can be written out again.
    const kept = fs.readFileSync(path.join(t.home, 'documents', `${shown.document.sha256}.enc`));
    expect(kept.includes(Buffer.from('a letter'))).toBe(false);
    const back = path.join(t.dir, 'letter-back.pdf');
    expect((await run(['request', 'document', req, '--out', back], { env: t.env, clock })).code).toBe(0);
    expect(fs.readFileSync(back)).toEqual(fs.readFileSync(letter));

    const bag = path.join(t.dir, 'guided-bag');
    const pl = scriptedPrompts([req, 'export', bag, true, path.join(t.dir, 'guided.pdf')]);
    const rl = await run(['release'], { env: t.env, clock, prompts: pl, isTTY: true });
    expect(rl.code, rl.stderr).toBe(0);
    expect(pl.asked[0]).toBe('Request to fulfil:');
    expect(pl.asked.slice(1, 3)).toEqual(['Hand over:', 'Folder to write the bag to (new or empty):']);
    expect(pl.asked[3]).toMatch(/^Export \d+ files to Example County District Attorney \(Inv\. Sam Lee, badge DA-22\)/);
    expect(pl.asked[4]).toBe('Write the receipt to:');
    expect(sh('sha256sum', ['-c', '--strict', 'manifest-sha256.txt'], bag).code).toBe(0);
    expect(
      (await run(['receipt', 'verify', path.join(t.dir, 'guided.pdf'), '--bag', bag], { env: t.env, clock })).code,
    ).toBe(0);

    const preservation = path.join(t.dir, 'preservation.pdf');
    fs.writeFileSync(preservation, '%PDF-1.4 DA preservation letter 2026-11-05');
    const ph = scriptedPrompts([req, 'court proceeding', preservation, '2027-03-01']);
    const rh = await run(['hold', 'add'], { env: t.env, clock, prompts: ph, isTTY: true });
    expect(rh.code, rh.stderr).toBe(0);
    expect(ph.asked).toEqual([
      'Request:',
      'Reason (policy §8):',
      'The written request for the hold (a file to attach):',
      'Review date:',
    ]);
    expect(JSON.parse((await run(['hold', 'list', '--json'], { env: t.env, clock })).stdout)).toMatchObject([
      {
        request: req,
        reason: 'court proceeding',
        reviewDate: '2027-03-01',
        document: { name: 'preservation.pdf', sha256: sha256(fs.readFileSync(preservation)) },
      },
    ]);

    const scan = path.join(t.dir, 'scan.pdf');
    fs.writeFileSync(scan, 'signed');
    const pk = scriptedPrompts([scan, '2026-11-07']);
    const rk = await run(['receipt', 'ack', 'R-2026-0001'], { env: t.env, clock, prompts: pk, isTTY: true });
    expect(rk.code, rk.stderr).toBe(0);
    expect(pk.asked).toEqual(['Scan of the signed receipt:', 'Date acknowledged:']);
  }, 180_000);
});
