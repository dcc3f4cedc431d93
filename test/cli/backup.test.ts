/**
 * Backups (issue 20), in-process on real files: incremental and verified; checked on its own; a
 * tampered file, a backup of another home, a non-empty folder and a restore into a non-empty folder
 * refused with their exit codes; backup → home deleted → restore → `verify` passes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { INIT_ARGS, newTestHome, ROOT, run, type TestHome } from '../helpers/cli.js';

async function homeWithImages(clock = manualClock('2026-11-05T09:00:00-08:00')): Promise<{
  t: TestHome;
  ok: (args: string[], env?: NodeJS.ProcessEnv) => Promise<{ stdout: string; stderr: string }>;
  clock: ReturnType<typeof manualClock>;
}> {
  const t = newTestHome();
  const ok = async (args: string[], env = t.env) => {
    const r = await run(args, { env, clock });
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  await ok(INIT_ARGS);
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T08:00:00-07:00']);
  const drive = path.join(t.dir, 'CAMDRIVE1');
  fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
  await ok(['drive', 'enrol', '--source', drive, '--id', 'D001', '--label', 'CAMDRIVE1']);
  await ok(['swap', '--source', drive, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement']);
  return { t, ok, clock };
}

function allFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)));
}

describe('custody backup', () => {
  it('copies only new files, verifies, and a restored home passes verify', async () => {
    const { t, ok, clock } = await homeWithImages();
    const dest = path.join(t.dir, 'backup');
    const first = JSON.parse((await ok(['backup', '--to', dest, '--json'])).stdout) as Record<string, number>;
    expect(first.generation).toBe(1);
    expect(first.copied).toBe(first.files);
    expect(first.keys).toBeGreaterThan(1);
    // No key file of the home is in the backup as it is.
    const keyBlobs = fs
      .readdirSync(path.join(t.home, 'keys'))
      .map((n) => fs.readFileSync(path.join(t.home, 'keys', n)));
    for (const f of allFiles(dest)) {
      const b = fs.readFileSync(path.join(dest, f));
      for (const k of keyBlobs) expect(b.includes(k), f).toBe(false);
    }
    clock.advance(3_600_000);
    const second = JSON.parse((await ok(['backup', '--to', dest, '--json'])).stdout) as Record<string, number>;
    expect(second.generation).toBe(2);
    // Only what changed: the ledger (and its generations), the checkpoints.
    expect(second.copied).toBeLessThan(8);
    expect(second.removedKeyFiles).toBe(1);
    expect(fs.readdirSync(path.join(dest, 'keys'))).toEqual(['2.enc']);
    // Eight days later the log-in says so; a verified backup ends it; the health check names the location.
    clock.advance(8 * 86_400_000);
    expect((await ok(['camera', 'list'])).stderr).toMatch(
      /^Overdue: no verified backup newer than 7 days \(the last on 2026-11-05\)/m,
    );
    const v = await ok(['backup', 'verify', dest]);
    expect((await ok(['camera', 'list'])).stderr).not.toMatch(/backup/);
    const health = JSON.parse((await run(['health', '--json'], { env: t.env, clock })).stdout) as {
      backups: { location: string; ageDays: number; lastResult: string; lastVerifiedAt: string }[];
      findings: { message: string }[];
    };
    expect(health.backups).toEqual([expect.objectContaining({ location: dest, ageDays: 0, lastResult: 'verified' })]);
    expect(health.findings.map((f) => f.message)).toContain(
      `Backup at ${dest}: last verified 0 day(s) ago (${health.backups[0]!.lastVerifiedAt}); last result: verified.`,
    );
    expect(v.stdout).toMatch(/OK: the backup is whole/);
    expect(v.stdout).toMatch(/Checked against:\s+this home/);

    // The home's disk dies; a new home from the backup.
    const lost = path.join(t.dir, 'lost-home');
    fs.renameSync(t.home, lost);
    const restored = path.join(t.dir, 'restored');
    const r = await ok(['restore', '--from', dest, '--home', restored]);
    expect(r.stdout).toMatch(/Restored backup 2/);
    const env = { ...t.env, CUSTODY_HOME: restored };
    expect((await ok(['verify'], env)).stdout).toMatch(/OK/);
    expect((await ok(['log', '--type', 'home.restored', '--json'], env)).stdout).toMatch(/home\.restored/);
    // Every restored stored file opens with its restored key and hashes as recorded (the full fixity pass).
    const h = JSON.parse((await run(['health', '--full', '--json'], { env, clock })).stdout) as {
      storage: { fixityFailures: number; filesChecked: number; filesInStore: number };
    };
    expect(h.storage.fixityFailures).toBe(0);
    expect(h.storage.filesChecked).toBe(h.storage.filesInStore);
    expect(h.storage.filesChecked).toBeGreaterThan(10);
    expect(fs.readdirSync(path.join(restored, 'keys')).sort()).toEqual(fs.readdirSync(path.join(lost, 'keys')).sort());
    expect(fs.statSync(path.join(restored, 'keyring.json')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(restored, 'home.json')).mode & 0o777).toBe(0o644);
    // Checked on its own, with no home: against the ledger inside the backup.
    const alone = await ok(['backup', 'verify', dest], { ...t.env, CUSTODY_HOME: path.join(t.dir, 'nowhere') });
    expect(alone.stdout).toMatch(/the ledger in the backup/);
  }, 120_000);

  it('refuses a tampered file, another home, a non-empty folder, and a restore into a non-empty folder', async () => {
    const { t, ok } = await homeWithImages();
    const dest = path.join(t.dir, 'backup');
    await ok(['backup', '--to', dest]);
    const manifestBefore = fs.readFileSync(path.join(dest, 'manifest.json'));

    // A tampered stored file.
    const m = JSON.parse(manifestBefore.toString()) as { files: { path: string; sha256: string }[] };
    const img = m.files.find((f) => f.path.startsWith('store/'))!;
    const obj = path.join(dest, 'objects', img.sha256.slice(0, 2), img.sha256);
    const orig = fs.readFileSync(obj);
    const bad = Buffer.from(orig);
    bad[bad.length - 5]! ^= 1;
    fs.writeFileSync(obj, bad);
    const tampered = await run(['backup', 'verify', dest], { env: t.env });
    expect(tampered.code).toBe(8);
    expect(tampered.stderr).toContain(`${img.path}: its copy in the backup has been changed`);
    fs.writeFileSync(obj, orig);

    // A tampered manifest (a file dropped from it).
    const m2 = JSON.parse(manifestBefore.toString()) as { files: unknown[] };
    m2.files.pop();
    fs.writeFileSync(path.join(dest, 'manifest.json'), JSON.stringify(m2));
    const edited = await run(['backup', 'verify', dest], { env: t.env });
    expect(edited.code).toBe(8);
    expect(edited.stderr).toMatch(/the manifest has been changed/);
    fs.writeFileSync(path.join(dest, 'manifest.json'), manifestBefore);
    await ok(['backup', 'verify', dest]);

    // Another home's backup folder.
    const other = await homeWithImages();
    const intoOther = await run(['backup', '--to', dest], { env: other.t.env });
    expect(intoOther.code).toBe(8);
    expect(intoOther.stderr).toMatch(/holds a backup of another home/);
    const verifyOther = await run(['backup', 'verify', dest], { env: other.t.env });
    expect(verifyOther.code).toBe(8);
    expect(verifyOther.stderr).toMatch(/holds a backup of another home/);
    expect(fs.readFileSync(path.join(dest, 'manifest.json'))).toEqual(manifestBefore);

    // A folder that holds something else.
    const full = path.join(t.dir, 'photos');
    fs.mkdirSync(full);
    fs.writeFileSync(path.join(full, 'holiday.jpg'), 'x');
    const notEmpty = await run(['backup', '--to', full], { env: t.env });
    expect(notEmpty.code).toBe(6);
    expect(notEmpty.stderr).toMatch(/is not empty and holds no custody backup/);
    expect(fs.readdirSync(full)).toEqual(['holiday.jpg']);

    // No folder named; a folder whose disk is not mounted (its parent missing): exit 2, exit 5, nothing made.
    const inside = await run(['backup', '--to', path.join(t.home, 'backup')], { env: t.env });
    expect(inside.code).toBe(2);
    expect(inside.stderr).toMatch(/is inside the home/);
    expect(fs.existsSync(path.join(t.home, 'backup'))).toBe(false);
    const noTo = await run(['backup'], { env: t.env });
    expect(noTo.code).toBe(2);
    expect(noTo.stderr).toMatch(/Name the backup folder with --to DIR/);
    const unmounted = path.join(t.dir, 'media', 'usb', 'custody');
    const noDisk = await run(['backup', '--to', unmounted], { env: t.env });
    expect(noDisk.code).toBe(5);
    expect(fs.existsSync(path.dirname(unmounted))).toBe(false);
    expect((await run(['backup', 'verify', full], { env: t.env })).code).toBe(5); // no backup there

    // A restore into a folder that is not empty.
    const restoreFull = await run(['restore', '--from', dest, '--home', full], { env: t.env });
    expect(restoreFull.code).toBe(6);
    expect(restoreFull.stderr).toMatch(/Refusing to restore into .*: the folder is not empty/);
    expect(fs.readdirSync(full)).toEqual(['holiday.jpg']);
    // A wrong password for the backup's keyring: exit 3, no home left behind.
    const nowhere = path.join(t.dir, 'new-home');
    const pw = path.join(t.dir, 'wrong.pw');
    fs.writeFileSync(pw, 'not the password at all\n');
    const wrong = await run(['restore', '--from', dest, '--home', nowhere], {
      env: { ...t.env, CUSTODY_PASSWORD_FILE: pw },
    });
    expect(wrong.code).toBe(3);
    expect(fs.existsSync(nowhere)).toBe(false);
    // The backup log: each backup and each failure is recorded with its location and counts.
    const log = JSON.parse((await ok(['log', '--json'])).stdout) as { type: string; data: Record<string, unknown> }[];
    const types = log.map((e) => e.type).filter((x) => x.startsWith('backup.'));
    expect(types).toEqual(['backup.completed', 'backup.failed', 'backup.failed', 'backup.verified']);
  }, 120_000);
});
