/**
 * The public transparency report: the counts are right, the PDF is signed, and neither
 * the JSON nor the PDF's text holds a plate, a name, a badge, a case number or a camera's place.
 * The home is filled with all of them first (camera locations, operator names, officers, badges,
 * case numbers, plates in requests and in search queries, names in the problem log and a breach).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { verifyPdfSignature } from '../../src/documents/sign.js';
import { endExiftool } from '../../src/media/exif.js';
import { pdftotext } from '../documents/helpers.js';
import { INIT_ARGS, newTestHome, PASSWORD, ROOT, run, type TestHome, ECSO_AGENCY_ADD } from '../helpers/cli.js';

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', 'fixture-manifest.json'), 'utf8')) as {
  files: { plate?: string }[];
};
const PLATES = manifest.files.flatMap((f) => (f.plate ? [f.plate] : []));

/** Everything planted in the home that must never appear in the public report. */
const SECRETS = [
  // camera locations
  'Elm Street',
  '5th Avenue',
  'Harbor Blvd',
  'Pine Court',
  // operators (the custodian from INIT_ARGS, a designee)
  'Dana Example',
  'Robin Lee',
  // agencies' officers, badges and case numbers; agency names
  'Rita Alvarez',
  'Alvarez',
  '4417',
  '26-001234',
  'Morgan Whitfield',
  'DA-3390',
  'DA-26-7781',
  'Sheriff',
  'District Attorney',
  // the contractor's request
  'Sam Rivera',
  '5521',
  '27-000123',
  // plates in requests and search queries, and a search's case number
  '7QWE482',
  '8XYZ999',
  'CASE-55501',
  // names in free text: the problem log, a breach
  'Jane Roe',
  'Casey Thief',
  'stolen laptop',
];

const clock = manualClock('2026-11-05T10:00:00-08:00');
let t: TestHome;

const ok = async (args: string[], o: { codes?: number[] } = {}) => {
  const r = await run(args, { env: t.env, clock });
  expect(o.codes ?? [0], `${args.join(' ')}: ${r.stderr}`).toContain(r.code);
  return r;
};

beforeAll(async () => {
  t = newTestHome();
  await ok(INIT_ARGS);
  await ok([
    'camera',
    'add',
    'CAM-01',
    '--location',
    'Elm Street & 5th Avenue',
    '--since',
    '2026-10-01T00:00:00-07:00',
  ]);
  await ok([
    'camera',
    'add',
    'CAM-02',
    '--location',
    'Harbor Blvd at Pine Court',
    '--since',
    '2026-11-05T00:00:00-08:00',
  ]);
  const pw = path.join(t.dir, 'rlee.pw');
  fs.writeFileSync(pw, `${PASSWORD}\n`);
  await ok(['operator', 'add', 'rlee', '--name', 'Robin Lee', '--role', 'designee', '--new-password-file', pw]);

  const drive = path.join(t.dir, 'CAMDRIVE1');
  fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
  await ok([
    'swap',
    '--source',
    drive,
    '--camera',
    'CAM-01',
    '--enrol',
    '--store-location',
    'safe, room 102',
    '--no-replacement',
  ]);

  await ok(ECSO_AGENCY_ADD);
  await ok([
    'agency',
    'add',
    '--id',
    'ECDA',
    '--name',
    'Example County District Attorney',
    '--kind',
    'prosecutorial',
    '--jurisdiction',
    'california-local',
    '--identifier',
    'CA001013A',
  ]);
  const letter = path.join(t.dir, 'letter.txt');
  fs.writeFileSync(letter, 'Request for ALPR images.\n');
  const r1 = await ok([
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
    '--document',
    letter,
    '--cameras',
    'CAM-01',
    '--from',
    '2026-11-02',
    '--to',
    '2026-11-04',
    '--json',
  ]);
  const req1 = (JSON.parse(r1.stdout) as { id: string }).id;
  const r2 = await ok([
    'request',
    'new',
    '--agency',
    'ECDA',
    '--officer',
    'DDA Morgan Whitfield',
    '--badge',
    'DA-3390',
    '--case',
    'DA-26-7781',
    '--purpose',
    'prosecution of a criminal case',
    '--document',
    letter,
    '--plate',
    '7QWE482',
    '--json',
  ]);
  const req2 = (JSON.parse(r2.stdout) as { id: string }).id;
  await ok(['request', 'deny', req2, '--reason', 'no court order attached']);
  const h = await ok([
    'hold',
    'add',
    '--request',
    req1,
    '--reason',
    'ongoing criminal investigation',
    '--document',
    letter,
    '--review',
    '2027-02-01',
    '--json',
  ]);
  const hold = (JSON.parse(h.stdout) as { id: string }).id;

  await ok(['search', PLATES[0]!, '--purpose', 'criminal investigation', '--case', '26-001234']);
  await ok(['search', '8XYZ999', '--fuzzy', '--purpose', 'locating a stolen vehicle', '--case', 'CASE-55501']);
  await ok([
    'problem',
    'add',
    '--camera',
    'CAM-01',
    '--description',
    'lens fogged; reported by Officer Jane Roe',
    '--from',
    '2026-11-06T08:00:00-08:00',
    '--to',
    '2026-11-08T08:00:00-08:00',
  ]);
  await ok(['health'], { codes: [0, 11] });
  await ok([
    'contractor',
    'request',
    '--contractor',
    'Acme ALPR Inc.',
    '--agency',
    'ECSO',
    '--officer',
    'Det. Sam Rivera',
    '--badge',
    '5521',
    '--case',
    '27-000123',
    '--purpose',
    'criminal investigation',
  ]);
  await ok([
    'breach',
    'open',
    '--discovered',
    '2026-11-05',
    '--what-happened',
    'Casey Thief took a stolen laptop.',
    '--information',
    'Plate 7QWE482 seen by Robin Lee.',
    '--doing',
    'Told Sgt. Rita Alvarez.',
    '--delayed',
    'no',
    '--phone',
    '555-0100',
  ]);

  // The hold ends; each recording day (2, 3 and 4 November) is destroyed on the evening of its own
  // destruction date (its newest recording + 60 days), by a purge each night.
  clock.set('2026-12-15T10:00:00-08:00');
  await ok(['hold', 'release', hold, '--reason', 'case closed']);
  for (const night of ['2027-01-01', '2027-01-02', '2027-01-03']) {
    clock.set(`${night}T23:00:00-08:00`);
    await ok(['purge', '--yes', '--no-certificate']);
  }
}, 300_000);

afterAll(async () => {
  await endExiftool();
});

interface Report {
  period: { from: string; to: string };
  cameras: { inService: number; addedInPeriod: number };
  images: { importedInPeriod: number; heldAtEnd: number };
  retentionDays: number;
  requests: {
    total: { received: number; fulfilled: number; denied: number };
    byAgencyKind: { kind: string; received: number; denied: number }[];
  };
  contractor: { requests: { total: { received: number }; byAgencyKind: { kind: string; received: number }[] } };
  holds: { placed: number; released: number };
  destruction: {
    recordingDaysDestroyed: number;
    imagesDestroyed: number;
    batchesDestroyed: number;
    onTime: number;
    late: number;
    afterHold: number;
    imagesOnTime: number;
  };
  health: { checksRun: number; problemsLogged: number; outageDays: number };
  searches: { run: number };
  breaches: { discovered: number };
  files: { pdf: string; json: string } | null;
}

function assertNoSecrets(text: string, where: string): void {
  // Hashes (the ledger head) are hex and may hold any run of digits by chance.
  const lower = text.replace(/[0-9a-f]{64}/g, '').toLowerCase();
  for (const s of [...SECRETS, ...PLATES])
    expect(lower.includes(s.toLowerCase()), `${where} contains "${s}"`).toBe(false);
}

describe('transparency report', () => {
  it('counts November: cameras, images, requests by agency kind, holds, health, searches', async () => {
    const out = path.join(t.dir, 'reports');
    const r = await ok(['transparency', '--from', '2026-11-01', '--to', '2026-11-30', '--out', out, '--json']);
    const j = JSON.parse(r.stdout) as Report;
    expect(j.period).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(j.cameras).toMatchObject({ inService: 2, addedInPeriod: 1 });
    expect(j.images.importedInPeriod).toBeGreaterThan(10);
    expect(j.images.heldAtEnd).toBe(j.images.importedInPeriod);
    expect(j.retentionDays).toBe(60);
    expect(j.requests.total).toMatchObject({ received: 2, denied: 1 });
    expect(j.requests.byAgencyKind.find((k) => k.kind === 'law-enforcement')).toMatchObject({ received: 1, denied: 0 });
    expect(j.requests.byAgencyKind.find((k) => k.kind === 'prosecutorial')).toMatchObject({ received: 1, denied: 1 });
    expect(j.contractor.requests.total.received).toBe(1);
    expect(j.contractor.requests.byAgencyKind.find((k) => k.kind === 'law-enforcement')?.received).toBe(1);
    expect(j.holds).toMatchObject({ placed: 1, released: 0 });
    expect(j.health).toMatchObject({ checksRun: 1, problemsLogged: 1, outageDays: 2 });
    expect(j.searches.run).toBe(2);
    expect(j.breaches.discovered).toBe(1);
    expect(j.destruction).toMatchObject({ recordingDaysDestroyed: 0, imagesDestroyed: 0, batchesDestroyed: 0 });

    expect(j.files).toEqual({
      pdf: path.join(out, 'transparency-2026-11-01-2026-11-30.pdf'),
      json: path.join(out, 'transparency-2026-11-01-2026-11-30.json'),
    });
    const pdf = fs.readFileSync(j.files!.pdf);
    expect(verifyPdfSignature(pdf).valid).toBe(true);
    const text = pdftotext(pdf, []).replace(/\s+/g, ' ');
    expect(text).toContain('Transparency report, November 1, 2026 to November 30, 2026');
    expect(text).toContain('Cameras in service 2');
    expect(text).toContain('Searches run 2');
    // The requests table, read across: received, fulfilled, denied, withdrawn.
    const layout = pdftotext(pdf, ['-layout']);
    expect(layout).toMatch(/Law-enforcement agencies\s+1\s+0\s+0\s+0/);
    expect(layout).toMatch(/Prosecutorial agencies\s+1\s+0\s+1\s+0/);
    expect(layout).toMatch(/All agencies\s+2\s+0\s+1\s+0/);
  });

  it('counts the destruction in January by recording day and image, on time, and the hold released in December', async () => {
    // January's report, made once January has ended (a period not yet ended is refused).
    clock.set('2027-02-01T09:00:00-08:00');
    const r = await ok(['transparency', '--from', '2026-12-01', '--to', '2027-01-31', '--json']);
    const j = JSON.parse(r.stdout) as Report;
    expect(j.holds).toMatchObject({ placed: 0, released: 1 });
    expect(j.destruction).toMatchObject({
      recordingDaysDestroyed: 3,
      imagesDestroyed: 24,
      batchesDestroyed: 1,
      onTime: 3,
      imagesOnTime: 24,
      late: 0,
      afterHold: 0,
    });
    expect(j.images.heldAtEnd).toBe(0);
    expect(j.files).toBeNull();
  });

  it('counts each recording day in the period it was destroyed, not with its batch', async () => {
    // 1–2 January: the days of 2 and 3 November went; the batch's last day (4 November) had not.
    const j = JSON.parse(
      (await ok(['transparency', '--from', '2027-01-01', '--to', '2027-01-02', '--json'])).stdout,
    ) as Report;
    expect(j.destruction).toMatchObject({
      recordingDaysDestroyed: 2,
      imagesDestroyed: 16,
      batchesDestroyed: 0,
      onTime: 2,
    });
    expect(j.images.heldAtEnd).toBe(8);
    const k = JSON.parse(
      (await ok(['transparency', '--from', '2027-01-03', '--to', '2027-01-03', '--json'])).stdout,
    ) as Report;
    expect(k.destruction).toMatchObject({ recordingDaysDestroyed: 1, imagesDestroyed: 8, batchesDestroyed: 1 });
  });

  it('holds no plate, name, badge, case number or place: not in the JSON, not in the PDF’s text', async () => {
    const out = path.join(t.dir, 'public');
    const r = await ok(['transparency', '--from', '2026-10-01', '--to', '2027-01-03', '--out', out]);
    const json = fs.readFileSync(path.join(out, 'transparency-2026-10-01-2027-01-03.json'), 'utf8');
    const pdf = fs.readFileSync(path.join(out, 'transparency-2026-10-01-2027-01-03.pdf'));
    // The planted secrets are really in the home: the access record and the request log hold them.
    const audit = await ok(['audit', '--json']);
    expect(audit.stdout).toContain('8XYZ999');
    expect(audit.stdout).toContain('CASE-55501');
    expect((await ok(['request', 'list', '--json'])).stdout).toContain('Rita Alvarez');

    expect(pdftotext(pdf, [])).toContain('Searches run');
    assertNoSecrets(json, 'the JSON');
    assertNoSecrets(pdftotext(pdf, []), 'the PDF (pdftotext)');
    assertNoSecrets(pdftotext(pdf, ['-layout']), 'the PDF (pdftotext -layout)');
    assertNoSecrets(r.stdout, 'the command output');
    expect(JSON.parse(json)).toMatchObject({
      organization: 'City of Example',
      custodianTitle: 'Administrative Services Director',
    });
  });

  it('refuses a missing or bad period', async () => {
    expect(
      (await run(['transparency', '--from', '2026-11-30', '--to', '2026-11-01'], { env: t.env, clock })).code,
    ).toBe(2);
    expect((await run(['transparency', '--from', '2026-11', '--to', '2026-11-30'], { env: t.env, clock })).code).toBe(
      2,
    );
    expect((await run(['transparency'], { env: t.env, clock })).code).toBe(2);
  });
});
