/**
 * Backups through the built binary (issue 20): backup → the home deleted → restore → `verify`
 * (with a witness and a receipt folder made before the backup) and `receipt verify` pass; SIGKILL
 * at several points of a backup leaves the previous backup verifiable, and the next backup
 * completes and leaves no temporary file or extra key file.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import { describe, expect, it } from 'vitest';
import { makeFixtureDrive } from '../../tools/fixture-drive.js';
import {
  BIN,
  ECSO_AGENCY_ADD,
  ecsoRequest,
  INIT_ARGS,
  newTestHome,
  ROOT,
  type Run,
  spawnBin,
  type TestHome,
} from '../helpers/cli.js';

function custodyOf(t: TestHome) {
  const custody = (args: string[], env = t.env): Promise<Run> => spawnBin(args, { env, timeoutMs: 180_000 });
  const ok = async (args: string[], env = t.env) => {
    const r = await custody(args, env);
    expect(r.code, `custody ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r;
  };
  return { custody, ok };
}

function listAll(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)));
}

/** Spawn a backup and SIGKILL it as soon as `when()` holds (or let it finish). */
function backupKilledWhen(
  t: TestHome,
  dest: string,
  when: () => boolean,
): Promise<{ killed: boolean; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'backup', '--to', dest], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...t.env },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    let killed = false;
    const poll = setInterval(() => {
      let hit = false;
      try {
        hit = when();
      } catch {
        /* a folder not there yet */
      }
      if (hit && !killed) {
        killed = child.kill('SIGKILL');
        clearInterval(poll);
      }
    }, 1);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ killed, code });
    });
  });
}

describe('backups (spawned)', () => {
  it('backup → home deleted → restore → verify with a witness and receipts, and receipt verify, pass', async () => {
    const t = newTestHome();
    const { custody, ok } = custodyOf(t);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T08:00:00-07:00']);
    const drive = path.join(t.dir, 'CAMDRIVE1');
    fs.mkdirSync(drive);
    await ok(['drive', 'enrol', '--source', drive, '--id', 'D001', '--label', 'CAMDRIVE1']);
    await ok(['drive', 'enrol', '--id', 'D002', '--label', 'CAMDRIVE2']);
    await ok(['drive', 'install', 'D001', '--camera', 'CAM-01', '--at', '2026-11-01T08:00:00-08:00']);
    fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
    await ok(['swap', '--source', drive, '--camera', 'CAM-01', '--store-location', 'safe', '--replacement', 'D002']);
    await ok(ECSO_AGENCY_ADD);
    const req = await ok(ecsoRequest('--cameras', 'CAM-01', '--from', '2026-11-03', '--to', '2026-11-03'));
    const reqId = /Request (REQ-\d{4}-0001)/.exec(req.stdout)![1]!;
    const exportDir = path.join(t.dir, 'export');
    await ok(['release', '--request', reqId, '--to', path.join(exportDir, reqId)]);
    const receipt = fs.readdirSync(exportDir).find((n) => /^R-\d{4}-0001\.pdf$/.test(n))!;
    const witness = path.join(t.dir, 'witness.json');
    await ok(['witness', 'export', '--out', witness]);

    const dest = path.join(t.dir, 'backup-disk');
    const made = JSON.parse((await ok(['backup', '--to', dest, '--json'])).stdout) as { generation: number };
    expect(made.generation).toBe(1);
    expect((await ok(['backup', 'verify', dest])).stdout).toMatch(/OK: the backup is whole/);

    // The laptop's disk dies.
    fs.rmSync(t.home, { recursive: true, force: true });
    const restored = path.join(t.dir, 'new-home');
    const env = { ...t.env, CUSTODY_HOME: restored };
    expect((await ok(['restore', '--from', dest, '--home', restored], env)).stdout).toMatch(/Restored backup 1/);
    const v = await ok(['verify', '--witness', witness, '--receipts', exportDir], env);
    expect(v.stdout).toMatch(/Heads from outside the home: \d+ of \d+ extended by this ledger/);
    const rv = await ok(
      ['receipt', 'verify', path.join(exportDir, receipt), '--bag', path.join(exportDir, reqId)],
      env,
    );
    expect(rv.code).toBe(0);
    // Restoring again into the now non-empty folder is refused (exit 6).
    const again = await custody(['restore', '--from', dest, '--home', restored], env);
    expect(again.code).toBe(6);
  }, 600_000);

  it('SIGKILL at several points of a backup leaves the previous backup verifiable; the next one completes', async () => {
    const t = newTestHome();
    const { custody, ok } = custodyOf(t);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-08-01T08:00:00-07:00']);
    const drive = path.join(t.dir, 'CAMDRIVE1');
    fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
    await ok(['drive', 'enrol', '--source', drive, '--id', 'D001']);
    await ok(['swap', '--source', drive, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement']);
    const dest = path.join(t.dir, 'backup-disk');
    await ok(['backup', '--to', dest]);
    const gen1 = fs.readFileSync(path.join(dest, 'manifest.json'), 'utf8');

    // A second drive brings many new files, so the next backup has much to copy.
    const drive2 = path.join(t.dir, 'CAMDRIVE2');
    const et = new ExifTool({ maxProcs: 1 });
    try {
      await makeFixtureDrive(drive2, {
        seed: 7,
        camera: { make: 'Acme', model: 'LPR-2', serial: 'AC-0001' },
        start: new Date('2026-09-10T16:00:00Z'),
        days: 2,
        perDay: 60,
        timeZone: 'America/Los_Angeles',
        imageBytes: 60_000,
        distinctFrames: 6,
        exiftool: et,
      });
    } finally {
      await et.end();
    }
    await ok(['drive', 'enrol', '--source', drive2, '--id', 'D002']);
    await ok(['swap', '--source', drive2, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement']);

    const objects = () => listAll(path.join(dest, 'objects')).filter((n) => !n.endsWith('.tmp')).length;
    const keyFiles = () => fs.readdirSync(path.join(dest, 'keys')).filter((n) => n.endsWith('.enc'));
    const base = objects();
    const killPoints: [string, () => boolean][] = [
      ['the first new object', () => objects() > base],
      ['a third of the new objects', () => objects() > base + 40],
      ['most of the new objects', () => objects() > base + 100],
      ['the new key file, before the manifest', () => keyFiles().length > 1],
      ['a temporary file of any kind', () => listAll(dest).some((n) => n.endsWith('.tmp'))],
    ];
    let killedAtLeastOnce = false;
    for (const [, when] of killPoints) {
      const r = await backupKilledWhen(t, dest, when);
      killedAtLeastOnce ||= r.killed;
      if (r.killed) await ok(['unlock']);
      // Whatever the point, the backup folder holds a whole backup: the old one, or (killed after the rename) the new one.
      const v = await custody(['backup', 'verify', dest]);
      expect(v.code, v.stderr).toBe(0);
      const now = fs.readFileSync(path.join(dest, 'manifest.json'), 'utf8');
      if (now === gen1) expect(v.stdout).toMatch(/Generation:\s+1,/);
    }
    expect(killedAtLeastOnce).toBe(true);
    const final = JSON.parse((await ok(['backup', '--to', dest, '--json'])).stdout) as { generation: number };
    expect(final.generation).toBeGreaterThanOrEqual(2);
    expect((await ok(['backup', 'verify', dest])).stdout).toMatch(/OK: the backup is whole/);
    expect(listAll(dest).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(keyFiles()).toEqual([`${final.generation}.enc`]);
  }, 600_000);
});
