/**
 * Decisions that hand out keys or destroy data read the signed events, not the derived tables an
 * operator holding only the record key can rewrite. The attack on the raw files: the auditor's
 * slot opened with scrypt and AES-GCM, ledger.enc opened with the record key, a derived table
 * edited with SQL, the file sealed again. The custodian's next disable, password change or purge
 * is refused (exit 8) and changes nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { Home } from '../../src/ledger/home.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { endExiftool } from '../../src/media/exif.js';
import {
  holdOnDriveRequest,
  INIT_ARGS,
  newTestHome,
  okRunner,
  run,
  swappedDriveHome,
  tmpDir,
  type TestHome,
} from '../helpers/cli.js';
import { smallCameraDrive } from '../helpers/drives.js';
import { editRawLedger, homeKeyringFiles, openRawSlot } from '../helpers/raw-keys.js';

const AUDITOR_PW = 'auditor password 1';

/** The auditor's record key, from the keyring file and the password alone. */
async function rawRecordKey(home: string, username: string, password: string): Promise<Buffer> {
  const s = await openRawSlot(homeKeyringFiles(home), username, password);
  expect(s.evidence, 'an auditor holds no evidence key').toBeUndefined();
  return Buffer.from(s.record!, 'base64');
}

function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) out.set(f, fs.readFileSync(p).toString('base64'));
  }
  return out;
}

async function addOperator(t: TestHome, u: string, role: string, pw: string, clock?: ReturnType<typeof manualClock>) {
  const f = path.join(t.dir, `${u}-new.pw`);
  fs.writeFileSync(f, `${pw}\n`);
  const add = await run(['operator', 'add', u, '--name', `Person ${u}`, '--role', role, '--new-password-file', f], {
    env: t.env,
    clock,
  });
  expect(add.code, add.stderr).toBe(0);
  const tr = await run(['operator', 'train', u, '--date', '2026-02-01', '--course', 'c', '--trainer', 't'], {
    env: t.env,
    clock,
  });
  expect(tr.code, tr.stderr).toBe(0);
}

const REFUSED = /^custody: The ledger's operators table does not match its signed events; run `custody verify`\.$/;

describe('key rotations read the signed operator events', () => {
  it("an auditor who makes themselves a designee in the operators table gets no evidence key: the custodian's disable is refused (exit 8), nothing changes", async () => {
    const t = newTestHome();
    expect((await run(INIT_ARGS, { env: t.env })).code).toBe(0);
    await addOperator(t, 'rlee', 'designee', 'designee password 1');
    await addOperator(t, 'audit1', 'auditor', AUDITOR_PW);
    await addOperator(t, 'kim', 'designee', 'designee password 2');
    await editRawLedger(t.home, await rawRecordKey(t.home, 'audit1', AUDITOR_PW), [
      "UPDATE operators SET role = 'designee' WHERE username = 'audit1'",
    ]);
    const before = snapshot(t.home);
    for (const args of [
      ['operator', 'disable', 'rlee', '--reason', 'left'],
      ['operator', 'passwd', 'kim', '--new-password-file', path.join(t.dir, 'rlee-new.pw')],
    ]) {
      const r = await run(args, { env: t.env });
      expect(r.code, r.stderr).toBe(8);
      expect(r.stderr.trim().split('\n')[0]).toMatch(REFUSED);
      expect(snapshot(t.home), 'keyring, ledger, checkpoints unchanged').toEqual(before);
    }
    // The same home untouched would rotate: put the table back as the events say and it works.
    await editRawLedger(t.home, await rawRecordKey(t.home, 'audit1', AUDITOR_PW), [
      "UPDATE operators SET role = 'auditor' WHERE username = 'audit1'",
    ]);
    const ok = await run(['operator', 'disable', 'rlee', '--reason', 'left'], { env: t.env });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('a designee made an auditor in the table before being disabled: the disable is refused (the evidence key would not rotate)', async () => {
    const t = newTestHome();
    expect((await run(INIT_ARGS, { env: t.env })).code).toBe(0);
    await addOperator(t, 'rlee', 'designee', 'designee password 1');
    await addOperator(t, 'audit1', 'auditor', AUDITOR_PW);
    await editRawLedger(t.home, await rawRecordKey(t.home, 'audit1', AUDITOR_PW), [
      "UPDATE operators SET role = 'auditor' WHERE username = 'rlee'",
    ]);
    const before = snapshot(t.home);
    const r = await run(['operator', 'disable', 'rlee', '--reason', 'left'], { env: t.env });
    expect(r.code, r.stderr).toBe(8);
    expect(r.stderr.trim().split('\n')[0]).toMatch(REFUSED);
    expect(snapshot(t.home)).toEqual(before);
  });
});

describe('purge reads the signed hold events', () => {
  let drive = '';
  beforeAll(async () => {
    ({ dir: drive } = await smallCameraDrive('custody-signed-hold-', {
      seed: 7,
      days: 1,
      perDay: 2,
      imageBytes: 4000,
      distinctFrames: 1,
    }));
  }, 180_000);
  afterAll(async () => {
    await endExiftool();
  });

  it('an auditor who deletes a hold row does not make purge destroy the held data: refused (exit 8), nothing destroyed', async () => {
    const clock = manualClock('2026-09-04T09:00:00-07:00');
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await addOperator(t, 'audit1', 'auditor', AUDITOR_PW, clock);
    await swappedDriveHome(ok, drive);
    const requestId = await holdOnDriveRequest(t, ok);
    clock.set('2026-12-01T09:00:00-08:00'); // long past the destruction date: only the hold keeps it
    const plan = JSON.parse((await ok(['purge', '--json'])).stdout) as { due: unknown[]; held: unknown[] };
    expect(plan.due).toEqual([]);
    expect(plan.held.length).toBeGreaterThan(0);

    const ledgerFile = path.join(t.home, 'ledger.enc');
    const untouched = fs.readFileSync(ledgerFile);
    await editRawLedger(t.home, await rawRecordKey(t.home, 'audit1', AUDITOR_PW), [
      'DELETE FROM hold_items',
      'DELETE FROM holds',
    ]);
    // The forged table would have it destroyed, but purge checks the tables against the signed
    // events first: its plan too (it would list the held data as due).
    const refused =
      /^custody: The ledger's holds and retention records do not match its signed events; run `custody verify`\.$/m;
    const planned = await run(['purge', '--json'], { env: t.env, clock });
    expect(planned.code, planned.stderr).toBe(8);
    expect(planned.stderr).toMatch(refused);
    const before = snapshot(t.home);
    const r = await run(['purge', '--yes', '--no-certificate'], { env: t.env, clock });
    expect(r.code, r.stderr).toBe(8);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .find((l) => l.startsWith('custody:')),
    ).toMatch(
      /^custody: The ledger's holds and retention records do not match its signed events; run `custody verify`\.$/,
    );
    expect(snapshot(t.home), 'nothing destroyed, nothing recorded').toEqual(before);

    // The second way: the table left alone, the auditor appends a hold.released of their own,
    // chained and signed with their own key, and a checkpoint for it.
    fs.writeFileSync(ledgerFile, untouched);
    const home = Home.open(t.home);
    const aud = (await home.unlock('audit1', AUDITOR_PW))!;
    const ledger = await Ledger.load(ledgerFile, home.ledgerKey(aud.record));
    const hold = ledger.one<{ id: string }>('SELECT id FROM holds')!.id;
    const at = '2026-12-01T17:00:00.000Z';
    ledger.append('hold.released', 'audit1', at, { hold, request: requestId, reason: 'done' }, aud.signing);
    ledger.save(ledgerFile, home.ledgerKey(aud.record));
    home.writeCheckpoint(ledger, aud.signing, at);
    ledger.close();
    const planned2 = await run(['purge', '--json'], { env: t.env, clock });
    expect(planned2.code).toBe(8);
    expect(planned2.stderr).toMatch(/by audit1: the signed events do not give audit1 the right to record it/);
    const before2 = snapshot(t.home);
    const r2 = await run(['purge', '--yes', '--no-certificate'], { env: t.env, clock });
    expect(r2.code, r2.stderr).toBe(8);
    expect(r2.stderr).toMatch(
      /Event #\d+ \(hold\.released, .*\) by audit1: the signed events do not give audit1 the right to record it/,
    );
    expect(snapshot(t.home)).toEqual(before2);
  }, 240_000);
  it('a disk that fills after a day key was shredded: exit 10 says the purge is part-done, and running purge again finishes it', async () => {
    const clock = manualClock('2026-09-04T09:00:00-07:00');
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-08-01T00:00:00-07:00']);
    const src = path.join(tmpDir(), 'drive');
    fs.cpSync(drive, src, { recursive: true });
    fs.rmSync(path.join(src, '.custody-drive.json'), { force: true });
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
    ]);
    clock.set('2026-12-01T09:00:00-08:00');
    const keysDir = path.join(t.home, 'keys');
    const dayKeys = fs.readdirSync(keysDir).filter((f) => /@\d{4}-\d{2}-\d{2}\.key$/.test(f));
    expect(dayKeys.length).toBeGreaterThan(0);
    const realOpen = fs.openSync;
    vi.spyOn(fs, 'openSync').mockImplementation(((p: fs.PathLike, ...rest: unknown[]) => {
      const shredded = dayKeys.some((k) => !fs.existsSync(path.join(keysDir, k)));
      if (shredded && String(p).includes('.ledger.enc.'))
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return (realOpen as (...a: unknown[]) => number)(p, ...rest);
    }) as typeof fs.openSync);
    const r = await run(['purge', '--yes', '--no-certificate'], { env: t.env, clock });
    vi.restoreAllMocks();
    expect(r.code, r.stderr).toBe(10);
    expect(r.stderr).not.toMatch(/nothing stored was lost/);
    expect(r.stderr).toMatch(/the purge is part-done/);
    expect(r.stderr).toMatch(/run `custody purge` again: it finishes this purge/);
    const again = JSON.parse((await ok(['purge', '--yes', '--no-certificate', '--json'])).stdout) as {
      destroyed: unknown[];
    };
    expect(again.destroyed.length).toBeGreaterThan(0);
    expect(JSON.parse((await ok(['purge', '--json'])).stdout)).toMatchObject({ due: [] });
    await ok(['verify']);
  }, 240_000);
});
