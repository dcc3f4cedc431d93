/**
 * The one gate (issue 15), through the built binary: every refusal exits 4 with the policy
 * section, writes nothing (the ledger file is byte for byte the same, the folder is not created)
 * and leaves no decrypted byte on disk; the happy paths write a valid bag and a receipt whose
 * sentences are the recorded facts. The data: the bundled demo drive (CAM-01, 2–4 November 2026)
 * and a drive recorded in August 2026 (CAM-02), long past its destruction date.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeFixtureDrive } from '../../tools/fixture-drive.js';
import { INIT_ARGS, newTestHome, ROOT, spawnBin, type Run, type TestHome } from '../helpers/cli.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const demo = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', 'fixture-manifest.json'), 'utf8')) as {
  files: { relPath: string; sha256: string; captureTime: string }[];
};

let t: TestHome;
let demoDrive: string;
let demoBatch: string;
let oldBatch: string;
/** SHA-256 of every image in the home: none of them may appear outside the drives after a refusal. */
const imageHashes = new Set<string>();
let letter: string;

const custody = (args: string[]): Promise<Run> => spawnBin(args, { env: t.env, timeoutMs: 120_000 });
async function ok(args: string[]): Promise<Run> {
  const r = await custody(args);
  expect(r.code, `custody ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

/** Every file under `dir` whose content is an image of the home (drives excluded). */
function decryptedCopies(dir: string, except: string[]): string[] {
  const out: string[] = [];
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, rel);
    if (except.some((e) => p === e || p.startsWith(`${e}${path.sep}`))) continue;
    if (fs.statSync(p).isFile() && imageHashes.has(sha256(fs.readFileSync(p)))) out.push(p);
  }
  return out;
}

/**
 * A refusal: exit 4, the policy cited, the ledger unchanged on disk, the target not written, and
 * no decrypted image anywhere under the test folder or the temporary folder.
 */
async function refused(args: string[], words: RegExp, target?: string): Promise<Run> {
  const ledger = () => sha256(fs.readFileSync(path.join(t.home, 'ledger.enc')));
  const before = ledger();
  const r = await custody(args);
  expect(r.code, `custody ${args.join(' ')}\n${r.stderr}`).toBe(4);
  expect(r.stderr).toMatch(words);
  expect(r.stderr).toMatch(/policy §\d|1798\.90\.5/);
  // One line of error (log-in notices may precede it), and its hint.
  expect(
    r.stderr.split('\n').filter((l) => l.startsWith('custody: ')),
    r.stderr,
  ).toHaveLength(1);
  expect(ledger(), `the ledger changed: ${args.join(' ')}`).toBe(before);
  if (target) expect(fs.existsSync(target), `${target} was written`).toBe(false);
  expect(
    decryptedCopies(
      t.dir,
      ['drives', 'released', 'home'].map((d) => path.join(t.dir, d)),
    ),
  ).toEqual([]);
  return r;
}

async function agency(
  id: string,
  name: string,
  kind: string,
  jurisdiction: string,
  identifier?: string,
  recordOnly?: string,
) {
  await ok([
    'agency',
    'add',
    '--id',
    id,
    '--name',
    name,
    '--kind',
    kind,
    '--jurisdiction',
    jurisdiction,
    ...(identifier ? ['--identifier', identifier] : []),
    ...(recordOnly ? ['--record-ineligible', recordOnly] : []),
  ]);
}

async function request(agencyId: string, scope: string[], o: { purpose?: string; ref?: string } = {}): Promise<string> {
  const r = await ok([
    'request',
    'new',
    '--agency',
    agencyId,
    '--officer',
    'Det. Jordan Reyes',
    '--badge',
    '1182',
    '--case',
    'C-26-0042',
    '--purpose',
    o.purpose ?? 'criminal investigation',
    ...(o.ref ? ['--document-ref', o.ref] : ['--document', letter]),
    ...scope,
    '--json',
  ]);
  return (JSON.parse(r.stdout) as { id: string }).id;
}

/** The image of the demo batch taken at `captureTime` (ids are the batch and the file's number). */
async function demoImage(relPath: string): Promise<string> {
  for (let n = 1; n <= demo.files.length; n++) {
    const r = await ok([
      'image',
      'show',
      `${demoBatch}:${n}`,
      '--purpose',
      'criminal investigation',
      '--case',
      'C-26-0042',
      '--json',
    ]);
    if ((JSON.parse(r.stdout) as { file: string }).file === relPath) return `${demoBatch}:${n}`;
  }
  throw new Error(`no image ${relPath}`);
}

beforeAll(async () => {
  t = newTestHome();
  await ok(INIT_ARGS);
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-07-01T08:00:00-07:00']);
  await ok(['camera', 'add', 'CAM-02', '--location', 'Oak Ave', '--since', '2026-07-01T08:00:00-07:00']);
  demoDrive = path.join(t.dir, 'drives', 'CAMDRIVE1');
  fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), demoDrive, { recursive: true });
  // The demo drive comes out of CAM-01 (enrolled by the swap as D001); D002 goes in after it.
  const sw = await ok([
    'swap',
    '--source',
    demoDrive,
    '--camera',
    'CAM-01',
    '--enrol',
    '--store-location',
    'safe',
    '--no-replacement',
    '--json',
  ]);
  await ok(['drive', 'enrol', '--id', 'D002', '--label', 'CAMDRIVE2']);
  await ok(['drive', 'install', 'D002', '--camera', 'CAM-01']);
  demoBatch = (JSON.parse(sw.stdout) as { batch: string }).batch;
  // A drive recorded in August: its data was due for destruction in October.
  const old = path.join(t.dir, 'drives', 'AUGUST');
  const m = await makeFixtureDrive(old, {
    seed: 7,
    camera: { make: 'Acme Vision', model: 'LPR-2', serial: 'OLD-0001' },
    start: new Date('2026-08-10T12:00:00Z'),
    days: 2,
    perDay: 3,
    timeZone: 'America/Los_Angeles',
    imageBytes: 20_000,
  });
  const sw2 = await ok([
    'swap',
    '--source',
    old,
    '--camera',
    'CAM-02',
    '--enrol',
    '--store-location',
    'safe',
    '--no-replacement',
    '--json',
  ]);
  oldBatch = (JSON.parse(sw2.stdout) as { batch: string }).batch;
  for (const f of [...demo.files, ...m.files]) imageHashes.add(f.sha256);
  letter = path.join(t.dir, 'letter.txt');
  fs.writeFileSync(letter, 'Written request for ALPR images, case C-26-0042.\n');
  await agency('ECSO', "Example County Sheriff's Office", 'law-enforcement', 'california-local', 'CA0019900');
  // Agencies the statute excludes are registered only to record their requests (and the refusals).
  const only = 'to record its request and its refusal';
  await agency('FBI', 'FBI', 'law-enforcement', 'california-local', 'DCFBIWA00', only);
  await agency('ICE', 'ICE (LA field office)', 'law-enforcement', 'california-local', undefined, only);
  await agency('EPD', 'Example Police Department', 'law-enforcement', 'california-local');
  await agency('REPO', 'Fast Repossession LLC', 'other', 'private', undefined, only);
}, 300_000);

describe('the one gate (spawned)', () => {
  it('image export without a request is refused; with one it is a release with a receipt built from facts', async () => {
    const img = await demoImage('DCIM/100CAM/IMG_0010.JPG');
    const out = path.join(t.dir, 'out', 'no-request');
    const r = await refused(
      ['image', 'export', img, '--to', out, '--purpose', 'criminal investigation', '--case', 'FBI-please'],
      /image export. needs --request/,
      out,
    );
    expect(r.stderr).toMatch(/policy §5/);

    // The happy path: a request from an eligible agency, the image within its scope.
    const req = await request('ECSO', ['--cameras', 'CAM-01', '--from', '2026-11-03', '--to', '2026-11-03']);
    const bag = path.join(t.dir, 'released', 'export-ok');
    const ex = await ok(['image', 'export', img, '--request', req, '--to', bag, '--json']);
    const res = JSON.parse(ex.stdout) as { receiptFile: string; release: { files: number; request: string } };
    expect(res.release).toMatchObject({ files: 1, request: req });
    expect(spawnSync('sha256sum', ['-c', '--strict', 'manifest-sha256.txt'], { cwd: bag }).status).toBe(0);
    const want = demo.files.find((f) => f.relPath === 'DCIM/100CAM/IMG_0010.JPG')!;
    expect(fs.readFileSync(path.join(bag, 'manifest-sha256.txt'), 'utf8')).toContain(want.sha256);
    expect(spawnSync('pdfsig', [res.receiptFile], { encoding: 'utf8' }).stdout).toMatch(/Signature is Valid/);
    const text = execFileSync('pdftotext', [res.receiptFile, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(text).toMatch(new RegExp(`on the agency's written request ${req} of [^,]+, \\d{4}, \\(letter\\.txt\\),`));
    expect(text).toContain('Purpose criminal investigation');
    expect(text).toContain('for the purpose stated above, in case C-26-0042, and for no other purpose');
    expect(text).toContain('ORI CA0019900');
    await ok(['receipt', 'verify', res.receiptFile, '--bag', bag]);
    // The access record names the image, the purpose, the request and the recipient.
    const log = JSON.parse((await ok(['audit', '--json'])).stdout) as {
      action: string;
      query: string;
      request: string;
    }[];
    expect(log.find((x) => x.action === 'export' && x.query === img)).toMatchObject({ request: req });
  }, 300_000);

  it('refuses a federal agency typed as local, an agency with no ORI until the custodian confirms it', async () => {
    const img = await demoImage('DCIM/100CAM/IMG_0002.JPG');
    const scope = ['--cameras', 'CAM-01', '--from', '2026-11-02', '--to', '2026-11-04'];
    for (const [id, words] of [
      ['FBI', /FBI \(FBI\) names a federal agency, whatever its jurisdiction is recorded as/],
      ['ICE', /names a federal agency/],
      ['EPD', /unconfirmed: it has no ORI/],
    ] as const) {
      const req = await request(id, scope);
      const to = path.join(t.dir, 'out', `agency-${id}`);
      await refused(['image', 'export', img, '--request', req, '--to', to], words, to);
      await refused(['release', '--request', req, '--to', to], words, to);
      expect((await ok(['agency', 'show', id, '--json'])).stdout).toMatch(/"mayReceiveData": false/);
    }
    // An excluded agency is refused at registration (exit 2, citing the law), nothing recorded, unless
    // the custodian registers it only to record its requests; it is listed as ineligible either way.
    const ledgerBefore = sha256(fs.readFileSync(path.join(t.home, 'ledger.enc')));
    for (const [name, kind, jurisdiction] of [
      ['Homeland Security Investigations', 'law-enforcement', 'california-local'],
      ['Reno Police Department', 'law-enforcement', 'other-state'],
      ['Acme Recovery Inc', 'other', 'california-local'],
    ]) {
      const no = await custody([
        'agency',
        'add',
        '--id',
        'X1',
        '--name',
        name,
        '--kind',
        kind,
        '--jurisdiction',
        jurisdiction,
      ]);
      expect(no.code, no.stderr).toBe(2);
      expect(no.stderr).toMatch(/Refused: .*policy §4\/§5, Cal\. Civ\. Code § 1798\.90\.55\(b\)/);
      expect(sha256(fs.readFileSync(path.join(t.home, 'ledger.enc')))).toBe(ledgerBefore);
    }
    const listed = JSON.parse((await ok(['agency', 'list', '--json'])).stdout) as {
      id: string;
      mayReceiveData: boolean;
      recordOnly: { reason: string; by: string } | null;
    }[];
    expect(listed.find((a) => a.id === 'FBI')).toMatchObject({
      mayReceiveData: false,
      recordOnly: { reason: 'to record its request and its refusal', by: 'asd' },
    });
    expect(listed.some((a) => a.id === 'X1')).toBe(false);
    // No override can make a federal agency eligible; an override for a documented equivalent can.
    const conf = path.join(t.dir, 'confirmation.txt');
    fs.writeFileSync(conf, 'EPD has no ORI of its own; it reports under the county ORI CA0019900.\n');
    await refused(['agency', 'confirm', 'FBI', '--reason', 'they asked nicely', '--document', conf], /No override/);
    await ok(['agency', 'confirm', 'EPD', '--reason', 'reports under the county ORI CA0019900', '--document', conf]);
    const req = await request('EPD', scope);
    const bag = path.join(t.dir, 'released', 'epd');
    const rel = JSON.parse((await ok(['release', '--request', req, '--to', bag, '--json'])).stdout) as {
      receiptFile: string;
    };
    const text = execFileSync('pdftotext', [rel.receiptFile, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(text).toMatch(/rests on override OVR-0001, signed by asd on .*: reports under the county ORI CA0019900/);
    expect(text).toContain('no ORI recorded');
    // The transparency report counts the override and the release resting on it.
    // To date: a period not yet ended is refused.
    const tr = JSON.parse((await ok(['transparency', '--from', '2026-11-01', '--to', 'today', '--json'])).stdout) as {
      overrides: { signed: number; releases: number; revoked: number };
    };
    expect(tr.overrides).toEqual({ signed: 1, releases: 1, revoked: 0 });
  }, 300_000);

  it('refuses what lies outside the request: another camera, another time; a search under it is held to it', async () => {
    const inRange = await demoImage('DCIM/100CAM/IMG_0010.JPG');
    const req = await request('ECSO', ['--cameras', 'CAM-02', '--from', '2026-11-02', '--to', '2026-11-04']);
    const to = path.join(t.dir, 'out', 'scope');
    await refused(
      ['image', 'export', inRange, '--request', req, '--to', to],
      /its camera CAM-01 is not among CAM-02/,
      to,
    );
    const day3 = await request('ECSO', ['--cameras', 'CAM-01', '--from', '2026-11-03', '--to', '2026-11-03']);
    const early = await demoImage('DCIM/100CAM/IMG_0001.JPG');
    await refused(['image', 'export', early, '--request', day3, '--to', to], /before 2026-11-03/, to);
    await refused(['image', 'show', early, '--request', day3], /outside request/);
    await refused(
      ['search', 'AT7921C', '--request', day3, '--camera', 'CAM-02'],
      /camera CAM-02 is outside request .* limited to its cameras and time range \(policy §5\)/,
    );
    await refused(['search', 'AT7921C', '--request', day3, '--from', '2026-08-01'], /--from 2026-08-01 is outside/);
    // Within the request, the search records the request's limits as its query.
    const s = await ok(['search', 'AT7921C', '--request', day3, '--json']);
    expect((JSON.parse(s.stdout) as { query: string }).query).toBe(
      'AT7921C cameras=CAM-01 from=2026-11-03T00:00:00.000-08:00 to=2026-11-03T23:59:59.999-08:00',
    );
  }, 300_000);

  it('refuses a purpose that is not a criminal investigation, and data past its destruction date', async () => {
    const req = await request('ECSO', ['--cameras', 'CAM-01', '--from', '2026-11-02', '--to', '2026-11-04'], {
      purpose: 'locating a missing or endangered person',
    });
    const to = path.join(t.dir, 'out', 'purpose');
    await refused(
      ['release', '--request', req, '--to', to],
      /"locating a missing or endangered person" is not a criminal investigation/,
      to,
    );
    const aug = await request('ECSO', ['--cameras', 'CAM-02', '--from', '2026-08-01', '--to', '2026-08-31']);
    const r = await refused(
      ['release', '--request', aug, '--to', to],
      // Its own date of recordation (10 August) + 60 days, not its batch's newest (policy §8).
      /was due for destruction on 2026-10-09 .*policy §8/,
      to,
    );
    expect(r.stderr).toMatch(/custody purge/);
    await refused(
      ['image', 'show', `${oldBatch}:1`, '--purpose', 'criminal investigation', '--case', 'C-1'],
      /due for destruction/,
    );
  }, 300_000);

  it('a hold needs an eligible agency and a written document; it covers its scope; a held drive is not retired', async () => {
    const scope = ['--cameras', 'CAM-01', '--from', '2026-11-02', '--to', '2026-11-04'];
    const repo = await request('REPO', scope);
    const hold = ['--reason', 'ongoing criminal investigation', '--review', '2027-06-01'];
    await refused(['hold', 'add', '--request', repo, ...hold, '--document', letter], /a private party.*policy §8/);
    const req = await request('ECSO', scope, { ref: 'phone call' });
    await refused(
      ['hold', 'add', '--request', req, ...hold, '--document-ref', 'phone call'],
      /the reference "phone call" is not a written request/,
    );
    const h = JSON.parse(
      (await ok(['hold', 'add', '--request', req, ...hold, '--document', letter, '--json'])).stdout,
    ) as {
      batches: string[];
      drives: string[];
    };
    // The drive recording in CAM-01 since 5 November holds nothing of 2–4 November.
    expect(h).toMatchObject({ batches: [demoBatch], drives: ['D001'] });
    await refused(['drive', 'retire', 'D001', '--reason', 'worn out'], /under hold HOLD-\d{4}-0001.*policy §8/);
    // The receipt of a request with no written document says so.
    const bag = path.join(t.dir, 'released', 'phone');
    const rel = JSON.parse((await ok(['release', '--request', req, '--to', bag, '--json'])).stdout) as {
      receiptFile: string;
    };
    const text = execFileSync('pdftotext', [rel.receiptFile, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(text).toContain('with no written document kept (recorded only as "phone call")');
    expect(text).not.toContain("on the agency's written request");
  }, 300_000);

  it('a drive is re-read before its receipt certifies it unaltered; a changed drive is refused', async () => {
    const req = await request('ECSO', ['--drive', 'D001']);
    const copy = path.join(t.dir, 'drives', 'D001-altered');
    fs.cpSync(demoDrive, copy, { recursive: true });
    const victim = path.join(copy, 'DCIM', '100CAM', 'IMG_0005.JPG');
    const b = fs.readFileSync(victim);
    b[b.length - 10] ^= 0xff;
    fs.writeFileSync(victim, b);
    const before = sha256(fs.readFileSync(path.join(t.home, 'ledger.enc')));
    const bad = await custody([
      'release',
      '--request',
      req,
      '--drive',
      'D001',
      '--source',
      copy,
      '--receipt',
      path.join(t.dir, 'out', 'bad.pdf'),
    ]);
    expect(bad.code, bad.stderr).toBe(8);
    expect(bad.stderr).toMatch(/DCIM\/100CAM\/IMG_0005\.JPG: SHA-256 differs/);
    expect(sha256(fs.readFileSync(path.join(t.home, 'ledger.enc')))).toBe(before);
    expect(fs.existsSync(path.join(t.dir, 'out', 'bad.pdf'))).toBe(false);
    const receipt = path.join(t.dir, 'released', 'drive.pdf');
    await ok(['release', '--request', req, '--drive', 'D001', '--source', demoDrive, '--receipt', receipt]);
    const text = execFileSync('pdftotext', [receipt, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(text).toMatch(
      /Unaltered: re-read on .*, all 24 files match the SHA-256 digests recorded in the custody ledger/,
    );
    await ok(['receipt', 'verify', receipt]);
    await ok(['verify']);
  }, 300_000);

  it('an image asked for after its destruction is named as destroyed: when, by which purge, its certificate', async () => {
    const aug = await request('ECSO', ['--cameras', 'CAM-02', '--from', '2026-08-01', '--to', '2026-08-31']);
    const certificate = path.join(t.dir, 'out', 'destruction.pdf');
    const p = JSON.parse((await ok(['purge', '--yes', '--certificate', certificate, '--json'])).stdout) as {
      purge: string;
      destroyed: { batch: string; day: string }[];
    };
    expect(p.destroyed.map((d) => [d.batch, d.day])).toEqual([
      [oldBatch, '2026-08-10'],
      [oldBatch, '2026-08-11'],
    ]);
    const destroyed = new RegExp(
      `Image ${oldBatch}:1 was destroyed on \\d{4}-\\d{2}-\\d{2} by purge ${p.purge} \\(certificate of destruction ${p.purge}\\): its recording day 2026-08-1[01] had passed its destruction date \\(policy §8`,
    );
    const show = await refused(
      ['image', 'show', `${oldBatch}:1`, '--purpose', 'criminal investigation', '--case', 'C-1'],
      destroyed,
    );
    expect(show.stderr).toMatch(/custody log --type day\.destroyed/);
    const to = path.join(t.dir, 'out', 'destroyed');
    await refused(['image', 'export', `${oldBatch}:1`, '--request', aug, '--to', to], destroyed, to);
    // An id that never was an image stays "not found" (exit 5).
    const none = await custody([
      'image',
      'show',
      `${demoBatch}:9999`,
      '--purpose',
      'criminal investigation',
      '--case',
      'C-1',
    ]);
    expect(none.code, none.stderr).toBe(5);
  }, 300_000);
});
