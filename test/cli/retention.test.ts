/**
 * Retention and destruction over 90 days with an injected clock (policy §8): imports, a hold
 * that keeps its drive's days past day 60, a purge that destroys exactly the recording days that
 * are due and not held (crypto-shredded: nothing the home holds can read them), reinstall refused
 * on day 59 and allowed on day 60, an interrupted purge finished by running it again, and the
 * overdue line. The per-image walk is retention-walk.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExifTool } from 'exiftool-vendored';
import { manualClock } from '../../src/core/time.js';
import { extractDestructionFields } from '../../src/documents/destruction.js';
import { verifyPdfSignature } from '../../src/documents/sign.js';
import { mergedKey } from '../../src/ocr/merged.js';
import { BatchFiles, loadBatchKey, loadDayKey, storeContext } from '../../src/ledger/batches.js';
import { executePurge } from '../../src/operations/purge.js';
import { openSession } from '../../src/ledger/session.js';
import { endExiftool } from '../../src/media/exif.js';
import { makeFixtureDrive } from '../../tools/fixture-drive.js';
import { hashStored } from '../../src/media/store.js';
import {
  ECSO_AGENCY_ADD,
  ecsoRequest,
  INIT_ARGS,
  newTestHome,
  okRunner,
  PASSWORD,
  run,
  tmpDir,
} from '../helpers/cli.js';

const TZ = 'America/Los_Angeles';
const DAY = 86_400_000;
const drives: Record<string, string> = {};

beforeAll(async () => {
  const et = new ExifTool({ maxProcs: 1 });
  try {
    const root = tmpDir('custody-ret-drives-');
    const starts: Record<string, string> = {
      D001: '2026-09-01T19:00:00Z',
      D002: '2026-09-08T19:00:00Z',
      D003: '2026-09-15T19:00:00Z',
    };
    for (const [id, start] of Object.entries(starts)) {
      const dir = path.join(root, id, 'drive');
      await makeFixtureDrive(dir, {
        seed: Number(id.slice(1)),
        camera: { make: 'Acme', model: 'LPR-2', serial: 'AC-0001' },
        start: new Date(start),
        days: 3,
        perDay: 4,
        timeZone: TZ,
        imageBytes: 8000,
        distinctFrames: 2,
        exiftool: et,
        manifestPath: path.join(root, id, 'manifest.json'),
      });
      drives[id] = dir;
    }
  } finally {
    await et.end();
  }
}, 180_000);

afterAll(async () => {
  await endExiftool();
});

interface BatchJson {
  id: string;
  drive: string;
  recordedLast: string;
  destructionDate: string;
  state: string;
  heldBy: string[];
}

describe('retention and purge over 90 days', () => {
  it('keeps, holds, destroys exactly what is due, refuses an early reinstall, and says when a duty is overdue', async () => {
    const clock = manualClock('2026-09-01T08:00:00-07:00');
    const t = newTestHome();
    const env = t.env;
    const ok = async (args: string[]) => {
      const r = await run(args, { env, clock });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r;
    };
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St & 3rd', '--since', '2026-08-01T00:00:00-07:00']);
    const batchOf: Record<string, string> = {};
    const swaps: [string, string][] = [
      ['D001', '2026-09-04T09:00:00-07:00'],
      ['D002', '2026-09-11T09:00:00-07:00'],
      ['D003', '2026-09-18T09:00:00-07:00'],
    ];
    for (const [id, at] of swaps) {
      clock.set(at);
      await ok(['drive', 'enrol', '--source', drives[id]!, '--id', id]);
      const r = await ok([
        'swap',
        '--source',
        drives[id]!,
        '--camera',
        'CAM-01',
        '--removed-at',
        at,
        '--store-location',
        'safe, room 102',
        '--no-replacement',
        '--json',
      ]);
      expect(r.stderr).toBe(''); // nothing overdue: no line
      batchOf[id] = (JSON.parse(r.stdout) as { batch: string }).batch;
    }

    // A hold on D002's data (placed on day 12 on a written request, reviewed at the end of the year).
    clock.set('2026-09-12T10:00:00-07:00');
    await ok(ECSO_AGENCY_ADD);
    const preservation = path.join(t.dir, 'preservation.txt');
    fs.writeFileSync(preservation, 'ECSO preservation letter\n');
    const req = JSON.parse((await ok(ecsoRequest('--drive', 'D002', '--json'))).stdout) as { id: string };
    const held = JSON.parse(
      (
        await ok([
          'hold',
          'add',
          '--request',
          req.id,
          '--reason',
          'ongoing criminal investigation',
          '--document',
          preservation,
          '--review',
          '2026-12-31',
          '--json',
        ])
      ).stdout,
    ) as { id: string; batches: string[] };
    expect(held.batches).toEqual([batchOf.D002]);
    const H = held.id;

    // Only the custodian destroys data; an auditor reads retention but logs no problem.
    const pw = path.join(t.dir, 'new.pw');
    fs.writeFileSync(pw, `${PASSWORD}\n`);
    for (const [u, role] of [
      ['rlee', 'designee'],
      ['alex', 'auditor'],
    ] as const) {
      await ok(['operator', 'add', u, '--name', u, '--role', role, '--new-password-file', pw]);
      await ok(['operator', 'train', u, '--date', '2026-02-01', '--course', 'ALPR policy', '--trainer', 'Pat Trainer']);
    }
    const asUser = (u: string) => ({ ...env, CUSTODY_USER: u, CUSTODY_PASSWORD_FILE: pw });
    expect((await run(['purge', '--yes'], { env: asUser('rlee'), clock })).code).toBe(4);
    expect((await run(['retention'], { env: asUser('alex'), clock })).code).toBe(0);
    expect(
      (await run(['problem', 'add', '--camera', 'CAM-01', '--description', 'x'], { env: asUser('alex'), clock })).code,
    ).toBe(4);

    // Day 30 after the home was made: the first health check is due, and the line says so.
    clock.set('2026-09-30T09:00:00-07:00');
    expect((await ok(['retention'])).stderr).toBe('');
    clock.set('2026-10-01T09:00:00-07:00');
    const due = await ok(['retention', '--json']);
    expect(due.stderr.trim().split('\n')).toHaveLength(1);
    expect(due.stderr).toMatch(/^Overdue: No health check has been run/);
    const h = await run(['health'], { env, clock });
    expect([0, 11]).toContain(h.code);
    expect((await ok(['retention'])).stderr).toBe('');

    const rep = JSON.parse(due.stdout) as { batches: BatchJson[]; drives: { id: string; state: string }[] };
    const b1 = rep.batches.find((b) => b.id === batchOf.D001)!;
    expect(b1.state).toBe('retained');
    expect(Date.parse(b1.destructionDate)).toBe(Date.parse(b1.recordedLast) + 60 * DAY);
    expect(rep.batches.find((b) => b.id === batchOf.D002)).toMatchObject({ state: 'held', heldBy: [H] });

    // A health check on day 29 after the first keeps that duty away until after day 60.
    clock.set('2026-10-30T09:00:00-07:00');
    await run(['health'], { env, clock });

    // Reinstall: refused on day 59 after D001's newest recording, accepted on day 60.
    const newest1 = Date.parse(b1.recordedLast);
    clock.set(new Date(newest1 + 59 * DAY));
    const early = await run(['drive', 'install', 'D001', '--camera', 'CAM-01'], { env, clock });
    expect(early.code).toBe(4);
    expect(early.stderr).toMatch(/may be recorded over from/);
    // Its first two days are already past their own dates; its last is not.
    expect(early.stderr).toContain(`${batchOf.D001} (recordings of 2026-09-01)`);
    expect(early.stderr).not.toContain('(recordings of 2026-09-03)');
    clock.set(new Date(newest1 + 60 * DAY));
    const accepted = await ok(['drive', 'install', 'D001', '--camera', 'CAM-01']);
    // D001's three recording days are past their dates now and not destroyed: the line names them.
    expect(accepted.stderr).toMatch(/^Overdue: 3 import batches or recording days are past their destruction date/);
    expect(accepted.stderr).toContain(`${batchOf.D001} (recordings of 2026-09-03)`);

    // Day 61 after D002's newest recording: D001's batch and D002's (held) are past their date.
    const newest2 = Date.parse(rep.batches.find((b) => b.id === batchOf.D002)!.recordedLast);
    clock.set(new Date(newest2 + 61 * DAY));
    const dry = await ok(['purge', '--json']);
    const plan = JSON.parse(dry.stdout) as {
      done: boolean;
      due: { batch: string; day: string }[];
      held: { batch: string; day: string; heldBy: string[] }[];
    };
    expect(plan.done).toBe(false);
    const d1 = ['2026-09-01', '2026-09-02', '2026-09-03'];
    expect(plan.due.map((d) => [d.batch, d.day])).toEqual(d1.map((d) => [batchOf.D001, d]));
    expect(plan.held).toEqual(
      ['2026-09-08', '2026-09-09', '2026-09-10'].map((day) => ({ batch: batchOf.D002, day, heldBy: [H] })),
    );
    expect(fs.existsSync(path.join(t.home, 'keys', `${batchOf.D001}.key`))).toBe(true);

    // A backup of the home before the purge: after it, nothing the home holds can read D001's data.
    const backup = tmpDir('custody-backup-');
    fs.cpSync(t.home, path.join(backup, 'home'), { recursive: true });
    const out = tmpDir('custody-certs-');
    const purged = await ok(['purge', '--yes', '--out', out, '--json']);
    const res = JSON.parse(purged.stdout) as {
      purge: string;
      destroyed: {
        batch: string;
        day: string;
        stored: number;
        recordedFirst: string;
        recordedLast: string;
        manifestSha256: string;
      }[];
      held: { batch: string }[];
      certificate: string;
    };
    expect(res.destroyed.map((d) => [d.batch, d.day])).toEqual(d1.map((d) => [batchOf.D001, d]));
    expect(res.held.map((d) => d.batch)).toEqual([batchOf.D002, batchOf.D002, batchOf.D002]);
    expect(res.certificate).toBe(path.join(out, `destruction-${res.purge}.pdf`));
    const pdf = fs.readFileSync(res.certificate);
    expect(verifyPdfSignature(pdf).valid).toBe(true);
    const cert = extractDestructionFields(pdf);
    expect(cert.batches.map((b) => b.id)).toEqual(d1.map((d) => `${batchOf.D001} · ${d}`));
    expect(cert.batches[0]).toMatchObject({
      files: res.destroyed[0]!.stored,
      manifestSha256: res.destroyed[0]!.manifestSha256,
    });

    const s = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock,
      command: 'test',
    });
    try {
      const bf1 = new BatchFiles(s.home, batchOf.D001!);
      expect(fs.existsSync(bf1.keyFile)).toBe(false);
      expect(fs.existsSync(bf1.storeDir)).toBe(false);
      for (const f of bf1.dataFiles) expect(fs.existsSync(f)).toBe(false);
      expect(() => loadBatchKey(bf1, s.master)).toThrow(/destroyed or missing/);
      // The other batches are untouched.
      for (const id of ['D002', 'D003']) {
        const bf = new BatchFiles(s.home, batchOf[id]!);
        expect(fs.existsSync(bf.keyFile)).toBe(true);
        expect(fs.readdirSync(bf.storeDir).length).toBeGreaterThan(0);
      }
      // The backup still has the encrypted files; no key the home still holds opens them.
      const backedUp = path.join(backup, 'home', 'store', batchOf.D001!);
      const victim = path.join(backedUp, fs.readdirSync(backedUp)[0]!);
      // Batch and day keys (the merged plate index's key, keys/plates.key, is tried below).
      const keys = fs
        .readdirSync(path.join(t.home, 'keys'))
        .filter((k) => k.startsWith('B'))
        .map((k) => k.replace(/\.key$/, ''));
      expect(keys.some((k) => k.startsWith(batchOf.D001!))).toBe(false);
      for (const k of keys) {
        const [b, day] = k.split('@');
        const bf = new BatchFiles(s.home, b!);
        const key = day ? loadDayKey(bf, s.master, day) : loadBatchKey(bf, s.master);
        await expect(hashStored(victim, key, storeContext(batchOf.D001!))).rejects.toThrow();
        await expect(hashStored(victim, key, storeContext(b!))).rejects.toThrow();
      }
      await expect(hashStored(victim, s.master, storeContext(batchOf.D001!))).rejects.toThrow();
      await expect(hashStored(victim, mergedKey(s.home, s.master), storeContext(batchOf.D001!))).rejects.toThrow();
      // The destruction is in the ledger: by whom, when, what.
      const ev = s.ledger.rows<{ type: string; actor: string; data: string; camera_id: string; drive_id: string }>(
        "SELECT type, actor, data, camera_id, drive_id FROM events WHERE (type LIKE 'batch.%' OR type LIKE 'purge.%' OR type LIKE 'day.%') AND type != 'batch.days' ORDER BY seq",
      );
      const perDay = ['day.destruction_started', 'day.key_destroyed', 'day.destroyed'];
      expect(ev.map((e) => e.type)).toEqual([
        'purge.started',
        ...perDay,
        ...perDay,
        ...perDay,
        'batch.destruction_started',
        'batch.key_destroyed',
        'batch.destroyed',
        'purge.finished',
        'purge.certificate',
      ]);
      const done = ev.find((e) => e.type === 'day.destroyed')!;
      expect(done).toMatchObject({ actor: 'asd', camera_id: 'CAM-01', drive_id: 'D001' });
      expect(JSON.parse(done.data)).toMatchObject({
        batch: batchOf.D001,
        day: '2026-09-01',
        stored: res.destroyed[0]!.stored,
        recordedFirst: res.destroyed[0]!.recordedFirst,
        manifestSha256: res.destroyed[0]!.manifestSha256,
      });
    } finally {
      s.close();
    }
    expect((await ok(['verify'])).code).toBe(0);
    const again = await ok(['purge', '--yes', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ destroyed: [] });

    // Day 62 after D003: a purge interrupted after its key was destroyed is finished by the rerun.
    const newest3 = Date.parse(
      (JSON.parse((await ok(['retention', '--json'])).stdout) as { batches: BatchJson[] }).batches.find(
        (b) => b.id === batchOf.D003,
      )!.recordedLast,
    );
    clock.set(new Date(newest3 + 62 * DAY));
    const late = await ok(['retention']);
    expect(late.stderr).toMatch(/Overdue: 3 import batches or recording days are past their destruction date/);
    expect(late.stderr).toContain(`${batchOf.D003} (recordings of 2026-09-17)`);
    const s2 = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock,
      command: 'test',
    });
    try {
      await expect(
        executePurge(s2, {
          afterStep: (step) => {
            if (step === 'key') throw new Error('power cut');
          },
        }),
      ).rejects.toThrow(/power cut/);
    } finally {
      s2.close();
    }
    const bf3 = path.join(t.home, 'store', batchOf.D003!);
    expect(fs.existsSync(path.join(t.home, 'keys', `${batchOf.D003}@2026-09-15.key`))).toBe(false);
    expect(fs.existsSync(bf3)).toBe(true);
    const dry2 = JSON.parse((await ok(['purge', '--json'])).stdout) as {
      unfinished: { batch: string; day: string }[];
    };
    expect(dry2.unfinished.map((u) => [u.batch, u.day])).toEqual([[batchOf.D003, '2026-09-15']]);
    const rerun = JSON.parse((await ok(['purge', '--yes', '--no-certificate', '--json'])).stdout) as {
      destroyed: { batch: string }[];
    };
    expect(rerun.destroyed.map((d) => d.batch)).toEqual([batchOf.D003, batchOf.D003, batchOf.D003]);
    expect(fs.existsSync(bf3)).toBe(false);
    expect((await ok(['verify'])).code).toBe(0);

    // The hold is released: D002's batch is destroyed by the next purge; the batch line is gone.
    await ok(['hold', 'release', H, '--reason', 'case closed']);
    // This time the purge stops right after recording its intent, before the key is touched.
    const s3 = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock,
      command: 'test',
    });
    try {
      await expect(
        executePurge(s3, {
          afterStep: (step) => {
            if (step === 'intent') throw new Error('killed');
          },
        }),
      ).rejects.toThrow(/killed/);
    } finally {
      s3.close();
    }
    expect(fs.existsSync(path.join(t.home, 'keys', `${batchOf.D002}.key`))).toBe(true);
    const last = JSON.parse((await ok(['purge', '--yes', '--out', out, '--json'])).stdout) as {
      destroyed: { batch: string }[];
    };
    expect(fs.existsSync(path.join(t.home, 'keys', `${batchOf.D002}.key`))).toBe(false);
    expect(fs.existsSync(path.join(t.home, 'store', batchOf.D002!))).toBe(false);
    expect(last.destroyed.map((d) => d.batch)).toEqual([batchOf.D002, batchOf.D002, batchOf.D002]);
    const after = await ok(['retention', '--json']);
    expect(after.stderr).not.toMatch(/Import batch/);
    const fin = JSON.parse(after.stdout) as { batches: BatchJson[] };
    expect(fin.batches.every((b) => b.state === 'destroyed')).toBe(true);
  }, 300_000);
});

describe('purge and duplicates', () => {
  it('keeps the stored files a held batch uses as duplicates, even when their own batch is due', async () => {
    const { setHoldProvider } = await import('../../src/ledger/holds.js');
    const clock = manualClock('2026-09-04T09:00:00-07:00');
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St & 3rd', '--since', '2026-08-01T00:00:00-07:00']);
    const src = path.join(tmpDir(), 'drive');
    fs.cpSync(drives.D001!, src, { recursive: true });
    fs.rmSync(path.join(src, '.custody-drive.json'), { force: true });
    const a = JSON.parse(
      (
        await ok([
          'swap',
          '--source',
          src,
          '--camera',
          'CAM-01',
          '--enrol',
          '--store-location',
          'safe',
          '--no-replacement',
          '--json',
        ])
      ).stdout,
    ) as { batch: string };
    // The same drive comes back with its old files still on it and a week more: the old ones are duplicates.
    fs.cpSync(path.join(drives.D002!, 'DCIM', '100CAM'), path.join(src, 'DCIM', '200CAM'), { recursive: true });
    clock.set('2026-09-11T09:00:00-07:00');
    const b = JSON.parse((await ok(['import', '--source', src, '--camera', 'CAM-01', '--json'])).stdout) as {
      batch: string;
      duplicates: number;
    };
    expect(b.batch).not.toBe(a.batch);
    expect(b.duplicates).toBeGreaterThan(0);
    const hold = {
      id: 'H-TEST',
      placedAt: new Date('2026-09-12T00:00:00Z'),
      reviewDate: new Date('2027-01-01T00:00:00Z'),
    };
    setHoldProvider({ forDrive: () => [], forBatch: (_s, id) => (id === b.batch ? [hold] : []) });
    try {
      clock.set('2026-11-20T09:00:00-08:00'); // both past their dates; only B is held
      const plan = JSON.parse((await ok(['purge', '--json'])).stdout) as {
        due: unknown[];
        held: { batch: string; day: string; heldBy: string[] }[];
      };
      expect(plan.due).toEqual([]);
      expect(plan.held).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ batch: a.batch, heldBy: ['H-TEST'] }),
          expect.objectContaining({ batch: b.batch, heldBy: ['H-TEST'] }),
        ]),
      );
      // Every day of the first batch is kept: the held batch's duplicates are read from its files.
      expect(plan.held.filter((h) => h.batch === a.batch).map((h) => h.day)).toEqual([
        '2026-09-01',
        '2026-09-02',
        '2026-09-03',
      ]);
      const r = JSON.parse((await ok(['purge', '--yes', '--no-certificate', '--json'])).stdout) as {
        destroyed: unknown[];
      };
      expect(r.destroyed).toEqual([]);
      expect(fs.existsSync(path.join(t.home, 'keys', `${a.batch}.key`))).toBe(true);
    } finally {
      setHoldProvider({ forDrive: () => [], forBatch: () => [] });
    }
  }, 120_000);
});
