/**
 * A backup manifest is signed by a custodian or designee active at its ledger head, and against the
 * home it must be the manifest the home recorded. The forgeries, on the raw files: an auditor's,
 * and a disabled designee's (a copy of their slot made before the disable), each opening their own
 * slot with scrypt and AES-GCM, dropping the stored files from the manifest and signing it again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { type BackupManifest, signManifest } from '../../src/ledger/backup.js';
import { signingKeyFromPem } from '../../src/ledger/signing.js';
import { INIT_ARGS, newTestHome, ROOT, run, type TestHome } from '../helpers/cli.js';
import { homeKeyringFiles, openRawSlot } from '../helpers/raw-keys.js';

/** Re-sign `dir`'s manifest, its store/ entries dropped, with `username`'s key from `keyringText`. */
async function forge(t: TestHome, dir: string, username: string, password: string, keyringText: string) {
  const slot = await openRawSlot({ ...homeKeyringFiles(t.home), keyring: keyringText }, username, password);
  const key = signingKeyFromPem(slot.signingKey!);
  const file = path.join(dir, 'manifest.json');
  const { signature: _, ...body } = JSON.parse(fs.readFileSync(file, 'utf8')) as BackupManifest;
  const before = body.files.length;
  body.files = body.files.filter((f) => !f.path.startsWith('store/'));
  expect(body.files.length).toBeLessThan(before);
  body.publicKey = key.publicKey;
  fs.writeFileSync(file, `${JSON.stringify(signManifest(body, key), null, 1)}\n`);
}

async function team(): Promise<{ t: TestHome; ok: (a: string[], env?: NodeJS.ProcessEnv) => Promise<unknown> }> {
  const clock = manualClock('2026-11-05T09:00:00-08:00');
  const t = newTestHome();
  const ok = async (args: string[], env = t.env) => {
    const r = await run(args, { env, clock });
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  await ok(INIT_ARGS);
  for (const [u, role] of [
    ['rlee', 'designee'],
    ['audit1', 'auditor'],
  ] as const) {
    const f = path.join(t.dir, `${u}.pw`);
    fs.writeFileSync(f, `${u} password 1\n`);
    await ok(['operator', 'add', u, '--name', `Person ${u}`, '--role', role, '--new-password-file', f]);
    await ok(['operator', 'train', u, '--date', '2026-02-01', '--course', 'c', '--trainer', 't']);
  }
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T08:00:00-07:00']);
  const drive = path.join(t.dir, 'CAMDRIVE1');
  fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
  await ok(['drive', 'enrol', '--source', drive, '--id', 'D001', '--label', 'CAMDRIVE1']);
  await ok(['swap', '--source', drive, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement']);
  return { t, ok };
}

/** backup verify with the home, backup verify alone, and restore all refuse the forged backup (exit 8). */
async function allRefuse(t: TestHome, dest: string, why: RegExp): Promise<void> {
  const withHome = await run(['backup', 'verify', dest], { env: t.env });
  expect(withHome.code, withHome.stdout).toBe(8);
  expect(withHome.stderr).toMatch(why);
  expect(withHome.stdout).not.toMatch(/OK/);
  const alone = await run(['backup', 'verify', dest], { env: { ...t.env, CUSTODY_HOME: path.join(t.dir, 'nowhere') } });
  expect(alone.code, alone.stdout).toBe(8);
  expect(alone.stderr).toMatch(why);
  const target = path.join(t.dir, 'restored');
  const r = await run(['restore', '--from', dest, '--home', target], { env: t.env });
  expect(r.code, r.stdout).toBe(8);
  expect(r.stderr).toMatch(why);
  expect(fs.existsSync(target)).toBe(false);
}

describe('who may sign a backup', () => {
  it("an auditor's re-signed manifest (stored files dropped) is refused by verify and restore (exit 8)", async () => {
    const { t, ok } = await team();
    const dest = path.join(t.dir, 'backup');
    await ok(['backup', '--to', dest]);
    await ok(['backup', 'verify', dest]); // the control: whole before the forgery
    await forge(t, dest, 'audit1', 'audit1 password 1', fs.readFileSync(path.join(t.home, 'keyring.json'), 'utf8'));
    await allRefuse(t, dest, /signed by audit1, an auditor: only a custodian or a designee signs a backup/);
  }, 120_000);

  it("a disabled designee's re-signed manifest (slot copied before the disable) is refused by verify and restore (exit 8)", async () => {
    const { t, ok } = await team();
    const copied = fs.readFileSync(path.join(t.home, 'keyring.json'), 'utf8');
    await ok(['operator', 'disable', 'rlee', '--reason', 'left the agency']);
    const dest = path.join(t.dir, 'backup');
    await ok(['backup', '--to', dest]);
    await forge(t, dest, 'rlee', 'rlee password 1', copied);
    await allRefuse(t, dest, /signed by rlee, disabled at #\d+, before the backup's ledger head/);
  }, 120_000);

  it('against the home, a manifest re-signed by the custodian after is not the one the home recorded (exit 8)', async () => {
    const { t, ok } = await team();
    const dest = path.join(t.dir, 'backup');
    await ok(['backup', '--to', dest]);
    const pw = fs.readFileSync(t.passwordFile, 'utf8').trim();
    await forge(t, dest, 'asd', pw, fs.readFileSync(path.join(t.home, 'keyring.json'), 'utf8'));
    const r = await run(['backup', 'verify', dest], { env: t.env });
    expect(r.code, r.stdout).toBe(8);
    expect(r.stderr).toMatch(/the manifest is not the one this home recorded for generation 1/);
  }, 120_000);
});
