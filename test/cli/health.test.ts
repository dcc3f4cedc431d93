/**
 * The monthly health check (policy §7): a camera that stops recording for three days
 * is found against its own history and logged as a problem with that period; a stored file
 * altered on disk is found by the fixity check; the check is recorded in the ledger; the
 * signed PDF report.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/health.js';
import { manualClock } from '../../src/core/time.js';
import { verifyPdfSignature } from '../../src/documents/sign.js';
import { endExiftool } from '../../src/media/exif.js';
import { makeFixtureDrive } from '../../tools/fixture-drive.js';
import { INIT_ARGS, newTestHome, okRunner, PASSWORD, run, tmpDir, type TestHome } from '../helpers/cli.js';
import { openSession } from '../../src/ledger/session.js';
import { BatchFiles, loadBatchKey, openSegment, segmentRecords } from '../../src/ledger/batches.js';
import { saveReadings } from '../../src/ocr/queue.js';

const TZ = 'America/Los_Angeles';
/** Drive, first day of recording (noon local), days; then when it was taken out. */
const PLAN: [string, string, number, string][] = [
  ['D001', '2026-09-01T19:00:00Z', 7, '2026-09-08T00:30:00-07:00'],
  ['D002', '2026-09-08T19:00:00Z', 7, '2026-09-15T00:30:00-07:00'],
  // D003 records three days and then nothing: the camera stopped from the night of the 17th…
  ['D003', '2026-09-15T19:00:00Z', 3, '2026-09-21T00:30:00-07:00'],
  // …until D004 went in and it recorded again from the 21st.
  ['D004', '2026-09-21T19:00:00Z', 7, '2026-09-28T00:30:00-07:00'],
];
const dirs: Record<string, string> = {};

beforeAll(async () => {
  const et = new ExifTool({ maxProcs: 1 });
  try {
    const root = tmpDir('custody-health-drives-');
    for (const [id, start, days] of PLAN) {
      dirs[id] = path.join(root, id, 'drive');
      await makeFixtureDrive(dirs[id]!, {
        seed: 40 + Number(id.slice(1)),
        camera: { make: 'Acme', model: 'LPR-2', serial: 'AC-0001' },
        start: new Date(start),
        days,
        perDay: 20,
        timeZone: TZ,
        imageBytes: 6000,
        distinctFrames: 2,
        exiftool: et,
        manifestPath: path.join(root, id, 'manifest.json'),
      });
    }
  } finally {
    await et.end();
  }
}, 300_000);

afterAll(async () => {
  await endExiftool();
});

interface HealthJson {
  healthCheck: number;
  ranBy: string;
  findings: (Finding & { n: number })[];
  summary: { critical: number; exitCritical: boolean };
  cameras: {
    camera: string;
    lastSwap: string;
    daysSinceSwap: number;
    perDay: { date: string; count: number }[];
    gaps: { from: string; to: string }[];
  }[];
  storage: { filesInStore: number; filesChecked: number; fixityFailures: number; freeBytes: number };
  ledger: { ok: boolean };
}

/** The report; a critical exit adds the error as a second JSON line (as every command does). */
function report(stdout: string): HealthJson {
  const i = stdout.indexOf('\n{"error":');
  return JSON.parse(i >= 0 ? stdout.slice(0, i) : stdout) as HealthJson;
}

async function homeWithRecordings(clock: ReturnType<typeof manualClock>): Promise<TestHome> {
  const t = newTestHome();
  const ok = okRunner(t, clock);
  await ok(INIT_ARGS);
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St & 3rd', '--since', '2026-08-01T00:00:00-07:00']);
  for (const [id, , , removedAt] of PLAN) {
    clock.set(new Date(Date.parse(removedAt) + 8 * 3_600_000));
    await ok(['drive', 'enrol', '--source', dirs[id]!, '--id', id]);
    await ok([
      'swap',
      '--source',
      dirs[id]!,
      '--camera',
      'CAM-01',
      '--removed-at',
      removedAt,
      '--store-location',
      'safe',
      '--no-replacement',
      '--json',
    ]);
  }
  return t;
}

describe('health', () => {
  it('finds a camera that stopped for three days, logs it as a problem with that period, finds an altered store file, and writes a signed report', async () => {
    const clock = manualClock('2026-09-01T08:00:00-07:00');
    const t = await homeWithRecordings(clock);
    clock.set('2026-09-28T12:00:00-07:00');

    const r = await run(['health', '--json'], { env: t.env, clock });
    const h = report(r.stdout);
    expect(r.code, r.stderr).toBe(11); // a gap of a day or more is critical
    expect(h.ranBy).toBe('asd');
    const gaps = h.findings.filter((f) => f.area === 'camera' && f.subject === 'CAM-01' && f.period);
    // Exactly one gap: the three days; quiet nights are not gaps.
    expect(gaps.map((g) => g.message)).toHaveLength(1);
    const gap = gaps[0]!;
    expect(gap.severity).toBe('critical');
    expect(gap.period!.from.slice(0, 10)).toBe('2026-09-17');
    expect(gap.period!.to.slice(0, 10)).toBe('2026-09-21');
    const hours = (Date.parse(gap.period!.to) - Date.parse(gap.period!.from)) / 3_600_000;
    expect(hours).toBeGreaterThan(72);
    expect(hours).toBeLessThan(96);
    expect(gap.message).toMatch(/^Camera CAM-01 recorded nothing from 2026-09-17 .* \(3 days/);
    const cam = h.cameras[0]!;
    expect(cam.lastSwap).toBe('2026-09-28T00:30:00-07:00');
    expect(cam.perDay.find((d) => d.date === '2026-09-19')!.count).toBe(0);
    expect(cam.perDay.find((d) => d.date === '2026-09-10')!.count).toBe(20);
    expect(h.storage).toMatchObject({ filesInStore: 24 * 20, filesChecked: 24 * 20, fixityFailures: 0 });
    expect(h.storage.freeBytes).toBeGreaterThan(0);
    expect(h.ledger.ok).toBe(true);
    expect(h.findings.filter((f) => f.severity === 'critical')).toEqual([gap]);

    // The check is in the ledger: who, when, what it found.
    const s = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock,
      command: 'test',
    });
    try {
      const ev = s.ledger.one<{ seq: number; actor: string; at: string; data: string }>(
        "SELECT seq, actor, at, data FROM events WHERE type = 'health.checked'",
      )!;
      expect(ev).toMatchObject({ seq: h.healthCheck, actor: 'asd', at: '2026-09-28T12:00:00.000-07:00' });
      expect((JSON.parse(ev.data) as { findings: Finding[] }).findings[gap.n - 1]!.period).toEqual(gap.period);
    } finally {
      s.close();
    }

    // Into the problem log with its period; then resolved with the corrective action.
    const add = await run(['problem', 'add', '--from-finding', String(gap.n), '--json'], { env: t.env, clock });
    expect(add.code, add.stderr).toBe(0);
    const p = JSON.parse(add.stdout) as {
      id: string;
      camera: string;
      notWorkingFrom: string;
      notWorkingTo: string;
      discoveredAt: string;
      healthCheck: number;
    };
    expect(p).toMatchObject({
      camera: 'CAM-01',
      notWorkingFrom: gap.period!.from,
      notWorkingTo: gap.period!.to,
      discoveredAt: '2026-09-28T12:00:00.000-07:00',
      healthCheck: h.healthCheck,
    });
    expect(
      (
        await run(
          [
            'problem',
            'resolve',
            p.id,
            '--action',
            'replaced the power supply',
            '--fixed-at',
            '2026-09-21T09:00:00-07:00',
          ],
          { env: t.env, clock },
        )
      ).code,
    ).toBe(0);
    const list = JSON.parse((await run(['problem', 'list', '--json'], { env: t.env, clock })).stdout) as {
      id: string;
      status: string;
      correctiveAction: string;
      notWorkingTo: string;
    }[];
    expect(list).toEqual([
      expect.objectContaining({
        id: p.id,
        status: 'resolved',
        correctiveAction: 'replaced the power supply',
        notWorkingTo: gap.period!.to,
      }),
    ]);
    expect((await run(['problem', 'add', '--from-finding', '99'], { env: t.env, clock })).code).toBe(2);
    expect((await run(['verify'], { env: t.env, clock })).code).toBe(0);

    // The signed report, with the outage logged shaded on the camera's timeline.
    const pdfFile = path.join(t.dir, 'health.pdf');
    const rep = await run(['health', '--pdf', pdfFile], { env: t.env, clock });
    // The gap is known now: a note naming the problem, and nothing critical is left.
    expect(rep.code, rep.stdout).toBe(0);
    expect(rep.stdout).toMatch(
      new RegExp(
        `note \\[camera\\] Camera CAM-01 recorded nothing from 2026-09-17 .* Logged as problem ${p.id} \\(resolved\\)`,
      ),
    );
    const pdf = fs.readFileSync(pdfFile);
    expect(verifyPdfSignature(pdf).valid).toBe(true);
    const text = execFileSync('pdftotext', ['-layout', pdfFile, '-'], { encoding: 'utf8' });
    expect(text).toMatch(/Camera CAM-01/);
    expect(text).toMatch(/Ledger head/);

    // A stored file altered on disk: the fixity check finds it.
    const batch = fs.readdirSync(path.join(t.home, 'store')).sort()[1]!;
    const victim = path.join(t.home, 'store', batch, fs.readdirSync(path.join(t.home, 'store', batch)).sort()[3]!);
    const buf = fs.readFileSync(victim);
    buf[buf.length >> 1] ^= 0x01;
    fs.writeFileSync(victim, buf);
    const full = await run(['health', '--full', '--json'], { env: t.env, clock });
    expect(full.code).toBe(11);
    const hf = report(full.stdout);
    expect(hf.storage.fixityFailures).toBe(1);
    const bad = hf.findings.filter((f) => f.severity === 'critical');
    expect(bad).toHaveLength(1);
    expect(bad[0]!.area).toBe('storage');
    expect(bad[0]!.message).toContain(`store/${batch}/${path.basename(victim)}`);
    // An informational note (the gap already logged) is not a problem: refused, nothing logged.
    const note = hf.findings.find((f) => f.severity === 'info')!;
    expect(note, JSON.stringify(hf.findings)).toBeDefined();
    const before = (await run(['problem', 'list', '--json'], { env: t.env, clock })).stdout;
    const info = await run(['problem', 'add', '--from-finding', String(note.n)], { env: t.env, clock });
    expect(info.code).toBe(2);
    expect(info.stderr).toMatch(/is informational, not a problem/);
    expect((await run(['problem', 'list', '--json'], { env: t.env, clock })).stdout).toBe(before);
    // Logged as a problem with the store (not a camera).
    const sp = await run(['problem', 'add', '--from-finding', String(bad[0]!.n), '--json'], { env: t.env, clock });
    expect(sp.code, sp.stderr).toBe(0);
    expect(JSON.parse(sp.stdout)).toMatchObject({ camera: null, part: `storage ${batch}`, status: 'open' });
  }, 300_000);

  it('a month later, with no trouble, the check passes; the sample covers the store over successive months', async () => {
    const clock = manualClock('2026-09-01T08:00:00-07:00');
    const t = newTestHome();
    expect((await run(INIT_ARGS, { env: t.env, clock })).code).toBe(0);
    expect(
      (
        await run(['camera', 'add', 'CAM-01', '--location', 'Main St & 3rd', '--since', '2026-08-01T00:00:00-07:00'], {
          env: t.env,
          clock,
        })
      ).code,
    ).toBe(0);
    const [id, , , removedAt] = PLAN[0]!;
    const src = path.join(tmpDir(), 'drive');
    fs.cpSync(dirs[id]!, src, { recursive: true });
    fs.rmSync(path.join(src, '.custody-drive.json'), { force: true }); // enrolled in another home by the test above
    clock.set('2026-09-08T09:00:00-07:00');
    expect(
      (
        await run(
          [
            'swap',
            '--source',
            src,
            '--camera',
            'CAM-01',
            '--enrol',
            '--removed-at',
            removedAt,
            '--store-location',
            'safe',
            '--no-replacement',
          ],
          { env: t.env, clock },
        )
      ).code,
    ).toBe(0);
    const seen = new Set<number>();
    for (const month of ['2026-09-10', '2026-10-10', '2026-11-10', '2026-12-10']) {
      clock.set(`${month}T09:00:00-07:00`);
      const r = await run(['health', '--sample', '50', '--json', '--days', '30'], { env: t.env, clock });
      const h = report(r.stdout);
      expect(h.storage).toMatchObject({ filesInStore: 140, filesChecked: 50 });
      if (month === '2026-09-10') {
        expect(r.code, JSON.stringify(h.findings.filter((f) => f.severity === 'critical'))).toBe(0);
        expect(r.stderr).toBe('');
      }
      seen.add(h.healthCheck);
    }
    expect(seen.size).toBe(4);

    // Plates read in every image for five days, then in none: a fall in readable plates.
    const s = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock,
      command: 'test',
    });
    try {
      const batch = s.ledger.one<{ id: string }>('SELECT id FROM batches')!.id;
      const bf = new BatchFiles(s.home, batch);
      const key = loadBatchKey(bf, s.master);
      const db = await openSegment(bf, key);
      const recs = segmentRecords(db);
      db.close();
      const files: Record<
        string,
        {
          best: { text: string; confidence: number } | null;
          alternatives: never[];
          box: null;
          ms: number;
          readAt: string;
        }
      > = {};
      for (const r of recs) {
        if (r.outcome !== 'stored' || !r.recordedAt) continue;
        const late = r.recordedAt.slice(0, 10) >= '2026-09-06';
        files[String(r.id)] = {
          best: late ? null : { text: '7ABC123', confidence: 90 },
          alternatives: [],
          box: null,
          ms: 5,
          readAt: '2026-09-08T10:00:00-07:00',
        };
      }
      saveReadings(bf, key, { version: 1, engine: 'test', model: 'test', files });
    } finally {
      s.close();
    }
    const pr = await run(['health', '--json'], { env: t.env, clock });
    const fall = report(pr.stdout).findings.filter((f) => /read a plate in/.test(f.message));
    expect(fall).toHaveLength(1);
    expect(fall[0]).toMatchObject({
      severity: 'critical',
      subject: 'CAM-01',
      period: { from: '2026-09-06', to: '2026-09-07' },
    });
    expect(pr.code).toBe(11);
  }, 200_000);
});
