/**
 * The ledger's archive through the commands (issue 19), with segments of 4 events so an ordinary
 * home passes through many: a swap that imports, a key rotation (operator disable) between
 * segments, verify, log, backup, backup verify and restore, and a segment missing from a backup. Real homes on disk; the raw files tampered with.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { ARCHIVE_DIR } from '../../src/ledger/archive.js';
import { INIT_ARGS, newTestHome, ROOT, run } from '../helpers/cli.js';

let saved: string | undefined;
beforeAll(() => {
  saved = process.env.CUSTODY_LEDGER_SEGMENT_EVENTS;
  process.env.CUSTODY_LEDGER_SEGMENT_EVENTS = '4';
});
afterAll(() => {
  if (saved === undefined) delete process.env.CUSTODY_LEDGER_SEGMENT_EVENTS;
  else process.env.CUSTODY_LEDGER_SEGMENT_EVENTS = saved;
});

describe('ledger archive through the commands', () => {
  it('verify, log, backup and restore read archive + live across a key rotation; a segment missing from a backup is exit 8', async () => {
    const clock = manualClock('2026-11-05T09:00:00-08:00');
    const t = newTestHome();
    const ok = async (args: string[], env = t.env) => {
      const r = await run(args, { env, clock });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r;
    };
    await ok(INIT_ARGS);
    const pw = path.join(t.dir, 'rlee.pw');
    fs.writeFileSync(pw, 'rlee password 1\n');
    await ok(['operator', 'add', 'rlee', '--name', 'Robin Lee', '--role', 'designee', '--new-password-file', pw]);
    await ok(['operator', 'train', 'rlee', '--date', '2026-02-01', '--course', 'c', '--trainer', 't']);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T08:00:00-07:00']);
    const drive = path.join(t.dir, 'CAMDRIVE1');
    fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
    await ok(['drive', 'enrol', '--source', drive, '--id', 'D001', '--label', 'CAMDRIVE1']);
    await ok(['swap', '--source', drive, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement']);
    const archive = path.join(t.home, ARCHIVE_DIR);
    const beforeRotation = fs.readdirSync(archive).length;
    expect(beforeRotation).toBeGreaterThanOrEqual(3);
    // A key rotation: later segments are sealed under the new record key, the earlier ones keep theirs.
    await ok(['operator', 'disable', 'rlee', '--reason', 'left the agency']);
    for (const c of ['CAM-02', 'CAM-03', 'CAM-04'])
      await ok(['camera', 'add', c, '--location', 'Elm St', '--since', '2026-10-01T08:00:00-07:00']);
    expect(fs.readdirSync(archive).length).toBeGreaterThan(beforeRotation);
    const keyring = JSON.parse(fs.readFileSync(path.join(t.home, 'keyring.json'), 'utf8')) as {
      epochs?: { record: number };
    };
    expect(keyring.epochs?.record).toBeGreaterThan(0);

    const v = await ok(['verify', '--json']);
    const report = JSON.parse(v.stdout) as { ok: boolean; events: number; head: { seq: number } };
    expect(report.ok).toBe(true);
    expect(report.events).toBe(report.head.seq);
    const log = JSON.parse((await ok(['log', '--limit', '100000', '--json'])).stdout) as { seq: number }[];
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: report.head.seq }, (_, i) => i + 1));
    const swaps = JSON.parse((await ok(['log', '--type', 'swap.', '--json'])).stdout) as { type: string }[];
    expect(swaps.map((e) => e.type)).toEqual(['swap.started', 'swap.finished']);

    // Backup: the segments are in it and checked; restore gives a home whose verify passes.
    const dest = path.join(t.dir, 'backup');
    await ok(['backup', '--to', dest]);
    await ok(['backup', 'verify', dest]);
    const restored = path.join(t.dir, 'restored');
    await ok(['restore', '--from', dest, '--home', restored]);
    expect(fs.readdirSync(path.join(restored, ARCHIVE_DIR)).sort()).toEqual(
      expect.arrayContaining(fs.readdirSync(archive).sort().slice(0, 3)),
    );
    await ok(['verify'], { ...t.env, CUSTODY_HOME: restored });

    // A segment's copy removed from the backup: backup verify names it, exit 8.
    const m = JSON.parse(fs.readFileSync(path.join(dest, 'manifest.json'), 'utf8')) as {
      files: { path: string; sha256: string }[];
    };
    const seg = m.files.find((f) => f.path.startsWith(`${ARCHIVE_DIR}/000001-`))!;
    expect(seg).toBeDefined();
    const obj = path.join(dest, 'objects', seg.sha256.slice(0, 2), seg.sha256);
    const bytes = fs.readFileSync(obj);
    fs.rmSync(obj);
    const missing = await run(['backup', 'verify', dest], { env: t.env, clock });
    expect(missing.code).toBe(8);
    expect(missing.stderr).toContain(`${seg.path}: its copy in the backup is missing`);
    fs.writeFileSync(obj, bytes);

    // The home's own segment removed: verify is exit 8 naming it; put back, it passes again.
    const first = fs.readdirSync(archive).sort()[0]!;
    const kept = fs.readFileSync(path.join(archive, first));
    fs.rmSync(path.join(archive, first));
    const gone = await run(['verify'], { env: t.env, clock });
    expect(gone.code).toBe(8);
    expect(gone.stderr).toContain(`archive/${first}`);
    expect(gone.stderr).toMatch(/is missing/);
    fs.writeFileSync(path.join(archive, first), kept);
    await ok(['verify']);
  });
});
