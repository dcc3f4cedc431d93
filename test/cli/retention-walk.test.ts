/**
 * A 120-day walk with an injected clock (policy §8: "kept for period of sixty (60) days from the
 * date of recordation"): each image is destroyed on its own 60th day, not its batch's; images with
 * no believable date (1970, 2099) count from their import; a hold keeps exactly its request's days;
 * data past its date is never served (search, show, export, release refuse it, naming the date and
 * `custody purge`); a destroyed day's key is gone, so its stored files no longer decrypt with the
 * custodian's password, even from a copy of the home; the search audit shows in the health check.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/health.js';
import { isoInZone, localDate, manualClock } from '../../src/core/time.js';
import {
  BatchFiles,
  loadBatchKey,
  loadDayKey,
  openSegment,
  StoreKeys,
  segmentRecords,
  storeContext,
} from '../../src/ledger/batches.js';
import { openSession, type Session } from '../../src/ledger/session.js';
import { mergedKey } from '../../src/ocr/merged.js';
import { endExiftool } from '../../src/media/exif.js';
import { hashStored } from '../../src/media/store.js';
import { type BatchReadings, saveIndex, saveReadings } from '../../src/ocr/queue.js';
import { type FixtureManifest, makeFixtureDrive } from '../../tools/fixture-drive.js';
import {
  ECSO_AGENCY_ADD,
  ecsoRequest,
  INIT_ARGS,
  newTestHome,
  okRunner,
  PASSWORD,
  run,
  scriptedPrompts,
  tmpDir,
} from '../helpers/cli.js';

const TZ = 'America/Los_Angeles';
const DAY = 86_400_000;
const drives: Record<string, { dir: string; manifest: FixtureManifest }> = {};

beforeAll(async () => {
  const et = new ExifTool({ maxProcs: 1 });
  try {
    const root = tmpDir('custody-walk-drives-');
    const starts: Record<string, string> = { D001: '2026-09-01T19:00:00Z', D002: '2026-09-08T19:00:00Z' };
    for (const [id, start] of Object.entries(starts)) {
      const dir = path.join(root, id, 'drive');
      const manifestPath = path.join(root, id, 'manifest.json');
      await makeFixtureDrive(dir, {
        seed: 60 + Number(id.slice(1)),
        camera: { make: 'Acme', model: 'LPR-2', serial: 'AC-0001' },
        start: new Date(start),
        days: 7,
        perDay: 2,
        timeZone: TZ,
        imageBytes: 6000,
        exiftool: et,
        manifestPath,
      });
      drives[id] = { dir, manifest: JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as FixtureManifest };
    }
    // Two frames on D001 whose camera clock is not believable: reset to 1970, and set to 2099.
    const first = path.join(drives.D001!.dir, drives.D001!.manifest.files[0]!.relPath);
    for (const [name, when] of [
      ['IMG_7001.JPG', '1970:01:01 00:00:05'],
      ['IMG_7002.JPG', '2099:06:01 12:00:00'],
    ] as const) {
      const f = path.join(path.dirname(first), name);
      fs.copyFileSync(first, f);
      await et.write(f, { DateTimeOriginal: when, CreateDate: when }, ['-overwrite_original']);
    }
  } finally {
    await et.end();
  }
}, 180_000);

afterAll(async () => {
  await endExiftool();
});

interface DayJson {
  day: string;
  recordedLast: string;
  destructionDate: string;
  state: string;
  heldBy: string[];
}

async function session(home: string, clock: ReturnType<typeof manualClock>): Promise<Session> {
  return openSession({ homeDir: home, credentials: { username: 'asd', password: PASSWORD }, clock, command: 'test' });
}

/** Plate readings written straight into a batch (the plate reader is tested elsewhere): each frame's own plate. */
async function readPlates(s: Session, batch: string, plates: Map<string, string>): Promise<void> {
  const bf = new BatchFiles(s.home, batch);
  const key = loadBatchKey(bf, s.master);
  const db = await openSegment(bf, key);
  const recs = segmentRecords(db).filter((r) => r.outcome === 'stored' && r.kind === 'image');
  db.close();
  const files: BatchReadings['files'] = {};
  for (const r of recs) {
    const text = plates.get(r.relPath);
    if (text)
      files[String(r.id)] = {
        best: { text, confidence: 0.99 },
        alternatives: [],
        box: null,
        ms: 1,
        readAt: '2026-09-20T00:00:00Z',
      };
  }
  const readings: BatchReadings = { version: 1, engine: 'test', model: 'test', files };
  saveReadings(bf, key, readings);
  saveIndex(bf, key, readings, new Map(recs.map((r) => [r.id, r.recordedAt])));
}

describe('retention per image over 120 days', () => {
  it('destroys each image on its own 60th day, keeps a hold exactly, and never serves what is overdue', async () => {
    const clock = manualClock('2026-09-01T08:00:00-07:00');
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St & 3rd', '--since', '2026-08-01T00:00:00-07:00']);
    const batchOf: Record<string, string> = {};
    for (const [id, at] of [
      ['D001', '2026-09-08T09:00:00-07:00'],
      ['D002', '2026-09-15T09:00:00-07:00'],
    ] as const) {
      clock.set(at);
      await ok(['drive', 'enrol', '--source', drives[id]!.dir, '--id', id]);
      const r = await ok([
        'swap',
        '--source',
        drives[id]!.dir,
        '--camera',
        'CAM-01',
        '--removed-at',
        at,
        '--store-location',
        'safe, room 102',
        '--no-replacement',
        '--json',
      ]);
      batchOf[id] = (JSON.parse(r.stdout) as { batch: string }).batch;
    }
    const B1 = batchOf.D001!;
    const B2 = batchOf.D002!;
    const platesOf = (id: string) =>
      new Map(
        drives[id]!.manifest.files.filter((f) => f.plate && f.kind === 'image').map((f) => [f.relPath, f.plate!]),
      );
    let s = await session(t.home, clock);
    await readPlates(s, B1, platesOf('D001'));
    await readPlates(s, B2, platesOf('D002'));
    // Which image of which day, for the checks below.
    const imagesOf = async (batch: string) => {
      const bf = new BatchFiles(s.home, batch);
      const db = await openSegment(bf, loadBatchKey(bf, s.master));
      const recs = segmentRecords(db).filter((r) => r.outcome === 'stored');
      db.close();
      return recs;
    };
    const b1Images = await imagesOf(B1);
    s.close();
    // Each stored file has its own key, sealed with its recording day's key; the undated ones count from the import.
    expect(b1Images.every((r) => r.wrappedKey && r.keyDay)).toBe(true);
    const odd = b1Images.filter((r) => /IMG_700[12]/.test(r.relPath));
    expect(odd.map((r) => r.keyDay)).toEqual(['2026-09-08', '2026-09-08']);

    // A request for 10–11 September (D002's days) and a hold on it.
    clock.set('2026-09-16T10:00:00-07:00');
    await ok(ECSO_AGENCY_ADD);
    const letter = path.join(t.dir, 'preservation.txt');
    fs.writeFileSync(letter, 'ECSO preservation letter\n');
    const request = async (from: string, to: string) =>
      (
        JSON.parse((await ok(ecsoRequest('--cameras', 'CAM-01', '--from', from, '--to', to, '--json'))).stdout) as {
          id: string;
        }
      ).id;
    const held = await request('2026-09-10', '2026-09-11');
    const H = (
      JSON.parse(
        (
          await ok([
            'hold',
            'add',
            '--request',
            held,
            '--reason',
            'ongoing criminal investigation',
            '--document',
            letter,
            '--review',
            '2027-01-31',
            '--json',
          ])
        ).stdout,
      ) as { id: string }
    ).id;
    const early = await request('2026-09-01', '2026-09-02');

    // Each recording day's destruction date is its own newest image + 60 days, not its batch's.
    const rep = JSON.parse((await ok(['retention', '--json'])).stdout) as {
      batches: { id: string; destructionDate: string; days: DayJson[] }[];
    };
    const daysOf = (b: string) => rep.batches.find((x) => x.id === b)!.days;
    const d0901 = daysOf(B1).find((d) => d.day === '2026-09-01')!;
    expect(Date.parse(d0901.destructionDate)).toBe(Date.parse(d0901.recordedLast) + 60 * DAY);
    expect(Date.parse(d0901.destructionDate)).toBeLessThan(
      Date.parse(rep.batches.find((x) => x.id === B1)!.destructionDate) - 6 * DAY,
    );
    expect(daysOf(B1).map((d) => d.day)).toEqual([
      '2026-09-01',
      '2026-09-02',
      '2026-09-03',
      '2026-09-04',
      '2026-09-05',
      '2026-09-06',
      '2026-09-07',
      '2026-09-08',
    ]);
    expect(
      daysOf(B2)
        .filter((d) => d.heldBy.includes(H))
        .map((d) => d.day),
    ).toEqual(['2026-09-10', '2026-09-11']);
    const dueOn = new Map<string, string>();
    for (const b of rep.batches)
      for (const d of b.days) dueOn.set(`${b.id} ${d.day}`, localDate(new Date(d.destructionDate), TZ));

    // 31 October, 16:00: 1 September's images passed their date at the time they were taken; not yet purged.
    clock.set('2026-10-31T16:00:00-07:00');
    const plate0901 = drives.D001!.manifest.files.find((f) => f.plate && f.captureTime?.startsWith('2026-09-01'))!;
    const img0901 = b1Images.find((r) => r.relPath === plate0901.relPath)!;
    const search = await ok([
      'search',
      plate0901.plate!,
      '--purpose',
      'criminal investigation',
      '--request',
      early,
      '--json',
    ]);
    const found = JSON.parse(search.stdout) as { results: { image: string }[]; withheld: { count: number } };
    expect(found.results.map((r) => r.image)).not.toContain(`${B1}:${img0901.id}`);
    expect(found.withheld.count).toBeGreaterThan(0);
    const show = await run(
      ['image', 'show', `${B1}:${img0901.id}`, '--purpose', 'criminal investigation', '--request', early],
      { env: t.env, clock },
    );
    expect(show.code).toBe(4);
    expect(show.stderr).toMatch(/destruction on 2026-10-31 \(policy §8/);
    expect(show.stderr).toMatch(/custody purge/);
    const out = path.join(tmpDir(), 'export');
    const exp = await run(['image', 'export', `${B1}:${img0901.id}`, '--to', out, '--request', early], {
      env: t.env,
      clock,
    });
    expect(exp.code).toBe(4);
    expect(exp.stderr).toMatch(/destruction[^\n]* 2026-10-31/);
    expect(exp.stderr).toMatch(/custody purge/);
    expect(!fs.existsSync(out) || fs.readdirSync(out).length === 0).toBe(true);
    const bag = path.join(tmpDir(), 'bag');
    const rel = await run(['release', '--request', early, '--to', bag, '--json'], { env: t.env, clock });
    expect(rel.code).toBe(4);
    expect(rel.stderr).toMatch(/destruction[^\n]* 2026-10-31/);
    expect(!fs.existsSync(bag) || fs.readdirSync(bag).length === 0).toBe(true);

    // A copy of the home before 2 September's day is purged (a backup someone made).
    const backup = path.join(tmpDir('custody-backup-'), 'home');
    fs.cpSync(t.home, backup, { recursive: true });

    // The walk: every evening for 120 days from 1 September, `custody purge`; which day goes when.
    const destroyedOn = new Map<string, string>();
    for (let i = 0; i < 120; i++) {
      // 23:55 local, whatever the offset (daylight saving ends on 1 November).
      const day = new Date(Date.parse('2026-09-01T12:00:00Z') + i * DAY).toISOString().slice(0, 10);
      clock.set(`${day}T23:55:00${day < '2026-11-01' ? '-07:00' : '-08:00'}`);
      if (day === '2026-11-05' || day === '2026-11-06') {
        // At log-in on a terminal the custodian is asked, once, to purge what is due: no changes nothing, yes purges.
        const answer = day === '2026-11-06';
        const prompts = scriptedPrompts([answer]);
        const r = await run(['retention'], { env: t.env, clock, isTTY: true, prompts });
        expect(r.code, r.stderr).toBe(0);
        expect(prompts.asked).toEqual([
          '1 recording day is past the destruction date (policy §8). Destroy it now (custody purge)?',
        ]);
        if (answer) {
          expect(r.stdout).toMatch(new RegExp(`Destroyed 1 recording day \\(.*\\): ${B1} 2026-09-07`));
          destroyedOn.set(`${B1} 2026-09-07`, day);
          expect(r.stdout).toContain(path.join(t.home, 'certificates'));
        }
      }
      const r = JSON.parse((await ok(['purge', '--yes', '--no-certificate', '--json'])).stdout) as {
        destroyed: { batch: string; day: string }[];
      };
      for (const d of r.destroyed) destroyedOn.set(`${d.batch} ${d.day}`, localDate(clock(), TZ));
    }
    // Every day not held went on its own 60th day; the held days are kept; nothing else was destroyed.
    const expected = new Map([...dueOn].filter(([k]) => !k.endsWith('2026-09-10') && !k.endsWith('2026-09-11')));
    expect(new Map([...destroyedOn].sort())).toEqual(new Map([...expected].sort()));
    expect(destroyedOn.get(`${B1} 2026-09-01`)).toBe('2026-10-31');
    expect(destroyedOn.get(`${B1} 2026-09-08`)).toBe('2026-11-07'); // the 1970 and 2099 frames: their import + 60
    const fin = JSON.parse((await ok(['retention', '--json'])).stdout) as {
      batches: { id: string; state: string; days: DayJson[] }[];
    };
    expect(fin.batches.find((b) => b.id === B1)!.state).toBe('destroyed');
    expect(
      fin.batches
        .find((b) => b.id === B2)!
        .days.filter((d) => d.state !== 'destroyed')
        .map((d) => [d.day, d.state]),
    ).toEqual([
      ['2026-09-10', 'held'],
      ['2026-09-11', 'held'],
    ]);
    // A held image is still served past its date; an image of a destroyed day is gone.
    const heldImg = drives.D002!.manifest.files.find((f) => f.plate && f.captureTime?.startsWith('2026-09-10'))!;
    const hs = JSON.parse(
      (await ok(['search', heldImg.plate!, '--purpose', 'criminal investigation', '--request', held, '--json'])).stdout,
    ) as { results: { capturedAt: string }[] };
    expect(hs.results.some((r) => r.capturedAt.startsWith('2026-09-10'))).toBe(true);

    // On the raw files: 2 September's key is gone, and its stored file, copied before the purge,
    // no longer decrypts with anything the custodian's password opens.
    expect(fs.existsSync(path.join(t.home, 'store', B1))).toBe(false);
    s = await session(t.home, clock);
    try {
      const victim = b1Images.find((r) => r.keyDay === '2026-09-02')!;
      const copied = path.join(backup, 'store', B1, victim.storeName!);
      expect(fs.existsSync(copied)).toBe(true);
      expect(fs.existsSync(path.join(t.home, 'keys', `${B1}@2026-09-02.key`))).toBe(false);
      expect(() => new StoreKeys(s.home, s.master).forFile(B1, victim)).toThrow(/gone/);
      const keyFiles = fs.readdirSync(path.join(t.home, 'keys'));
      expect(keyFiles.some((k) => k.startsWith(B1))).toBe(false);
      await expect(hashStored(copied, mergedKey(s.home, s.master), storeContext(B1))).rejects.toThrow();
      for (const k of keyFiles) {
        const m = /^(B\d{8}-[0-9a-f]{6})(?:@(\d{4}-\d{2}-\d{2}))?\.key$/.exec(k);
        if (!m) continue; // keys/plates.key: the merged plate index's, tried above
        const bf = new BatchFiles(s.home, m[1]!);
        const key = m[2] ? loadDayKey(bf, s.master, m[2]) : loadBatchKey(bf, s.master);
        await expect(hashStored(copied, key, storeContext(B1))).rejects.toThrow();
      }
      await expect(hashStored(copied, s.master, storeContext(B1))).rejects.toThrow();
      // The copy itself still holds that day's key: the certificate says so (a copy must be destroyed too).
      expect(fs.existsSync(path.join(backup, 'keys', `${B1}@2026-09-02.key`))).toBe(true);
    } finally {
      s.close();
    }

    // The search audit: a search with a typed case and no request shows in the health check.
    await ok(['search', heldImg.plate!, '--purpose', 'criminal investigation', '--case', 'none']);
    const h = await run(['health', '--json'], { env: t.env, clock });
    const findings = (JSON.parse(h.stdout) as { findings: Finding[] }).findings;
    expect(findings.find((f) => f.subject === 'searches')?.message).toMatch(/^1 search was not tied to a request/);
    expect(findings.find((f) => f.subject === 'searches:asd')?.message).toMatch(/made 3 searches/);
    expect(isoInZone(clock(), TZ).slice(0, 10)).toBe('2026-12-29');
    expect((await ok(['verify'])).code).toBe(0);
  }, 600_000);
});
