import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sealBlob } from '../../src/ledger/crypto.js';
import { Home } from '../../src/ledger/home.js';
import { Ledger, sqlJs } from '../../src/ledger/ledger.js';
import { INIT_ARGS, newTestHome, passwordFileFor, run, scriptedPrompts, type TestHome } from '../helpers/cli.js';

async function setUp(): Promise<TestHome> {
  const t = newTestHome();
  const r = await run(INIT_ARGS, { env: t.env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return t;
}

function allFilesOf(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath ?? (d as unknown as { path: string }).path, d.name));
}

describe('init', () => {
  it('creates a home and refuses to touch it again', async () => {
    const t = await setUp();
    for (const f of ['home.json', 'keyring.json', 'ledger.enc', 'checkpoints.jsonl', 'signing/cert.pem'])
      expect(fs.existsSync(path.join(t.home, f)), f).toBe(true);
    // The custodian's PDF signing key is in their slot only: no file a designee's key opens holds it.
    expect(fs.existsSync(path.join(t.home, 'signing', 'identity.enc'))).toBe(false);
    const before = fs.readFileSync(path.join(t.home, 'ledger.enc'));
    const again = await run(INIT_ARGS, { env: t.env });
    expect(again.code).toBe(6);
    expect(again.stderr).toMatch(/already exists/);
    expect(fs.readFileSync(path.join(t.home, 'ledger.enc')).equals(before)).toBe(true);
  });

  it('refuses a non-empty folder that is not a home, and leaves it as it was', async () => {
    const t = newTestHome();
    fs.mkdirSync(t.home);
    fs.writeFileSync(path.join(t.home, 'notes.txt'), 'mine');
    const r = await run(INIT_ARGS, { env: t.env });
    expect(r.code).toBe(6);
    expect(fs.readdirSync(t.home)).toEqual(['notes.txt']);
  });

  it('without a terminal names the flag that is missing', async () => {
    const t = newTestHome();
    const r = await run(['init', '--agency', 'X'], { env: t.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pass --name/);
    expect(fs.existsSync(t.home)).toBe(false);
  });

  it('asks for every answer on a terminal', async () => {
    const t = newTestHome();
    const prompts = scriptedPrompts([
      'City of Example',
      'Administrative Services Director',
      'asd',
      'Dana Example',
      '2026-01-05',
      'ALPR policy',
      'Pat Trainer',
      'a long enough password',
      'a long enough password',
    ]);
    const env = { ...t.env };
    delete env.CUSTODY_USER;
    delete env.CUSTODY_PASSWORD_FILE;
    const r = await run(['init', '--time-zone', 'America/Los_Angeles'], { env, prompts, isTTY: true });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(prompts.asked).toContain('Choose a password:');
    expect(prompts.asked).toContain('Type it again:');
  });
});

describe('operators and log-in', () => {
  let t: TestHome;
  beforeAll(async () => {
    t = await setUp();
  });

  it('a wrong password is refused, logged, and taken into the ledger at the next log-in', async () => {
    const bad = { ...t.env, CUSTODY_PASSWORD_FILE: path.join(t.dir, 'bad.pw') };
    fs.writeFileSync(bad.CUSTODY_PASSWORD_FILE, 'not the password\n');
    const ledgerBefore = fs.readFileSync(path.join(t.home, 'ledger.enc'));
    const r = await run(['camera', 'list'], { env: bad });
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')[0]).toBe(
      'custody: Log-in failed for "asd": unknown operator or wrong password.',
    );
    expect(fs.readFileSync(path.join(t.home, 'ledger.enc')).equals(ledgerBefore)).toBe(true);
    expect(fs.readFileSync(path.join(t.home, 'auth.log'), 'utf8')).toMatch(/"username":"asd"/);
    const log = await run(['log', '--type', 'auth.failed', '--json'], { env: t.env });
    expect(log.code).toBe(0);
    const events = JSON.parse(log.stdout) as { data: { username: string; count: number } }[];
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ username: 'asd', count: 1 });
    expect(fs.readFileSync(path.join(t.home, 'auth.log'), 'utf8')).toBe('');
  });

  it('an unknown operator gets the same one-line error', async () => {
    const r = await run(['camera', 'list'], { env: { ...t.env, CUSTODY_USER: 'nobody' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^custody: Log-in failed for "nobody"/);
  });

  it('adds a designee who is refused until trained, then works; an auditor cannot change things', async () => {
    const pw = path.join(t.dir, 'first.pw');
    fs.writeFileSync(pw, 'designee password 1\n');
    expect(
      (
        await run(['operator', 'add', 'rlee', '--name', 'Robin Lee', '--role', 'designee', '--new-password-file', pw], {
          env: t.env,
        })
      ).code,
    ).toBe(0);
    const rlee = passwordFileFor(t, 'rlee', 'designee password 1');
    const untrained = await run(['camera', 'list'], { env: rlee });
    expect(untrained.code).toBe(4);
    expect(untrained.stderr).toMatch(/no training record/);
    expect(
      (
        await run(
          ['operator', 'train', 'rlee', '--date', '2026-02-01', '--course', 'ALPR policy', '--trainer', 'Pat Trainer'],
          { env: t.env },
        )
      ).code,
    ).toBe(0);
    expect((await run(['camera', 'add', 'CAM-02', '--location', 'Oak Ave'], { env: rlee })).code).toBe(0);
    const denied = await run(['operator', 'add', 'x1', '--name', 'X', '--role', 'auditor', '--new-password-file', pw], {
      env: rlee,
    });
    expect(denied.code).toBe(4);
    expect(denied.stderr).toMatch(/may not manage operators/);

    fs.writeFileSync(pw, 'auditor password 1\n');
    await run(['operator', 'add', 'audit1', '--name', 'Alex Auditor', '--role', 'auditor', '--new-password-file', pw], {
      env: t.env,
    });
    await run(
      ['operator', 'train', 'audit1', '--date', '2026-02-01', '--course', 'ALPR audit', '--trainer', 'Pat Trainer'],
      { env: t.env },
    );
    const aud = passwordFileFor(t, 'audit1', 'auditor password 1');
    expect((await run(['log'], { env: aud })).code).toBe(0);
    expect((await run(['camera', 'add', 'CAM-03', '--location', 'Elm'], { env: aud })).code).toBe(4);
  });

  it('a disabled operator cannot log in, and nothing was re-encrypted', async () => {
    const pw = path.join(t.dir, 'temp.pw');
    fs.writeFileSync(pw, 'temporary password\n');
    await run(['operator', 'add', 'temp1', '--name', 'Temp Person', '--role', 'designee', '--new-password-file', pw], {
      env: t.env,
    });
    await run(['operator', 'train', 'temp1', '--date', '2026-02-01', '--course', 'c', '--trainer', 't'], {
      env: t.env,
    });
    const certFile = fs.readFileSync(path.join(t.home, 'signing', 'cert.pem'));
    expect((await run(['operator', 'disable', 'temp1', '--reason', 'left the city'], { env: t.env })).code).toBe(0);
    const r = await run(['camera', 'list'], { env: passwordFileFor(t, 'temp1', 'temporary password') });
    expect(r.code).toBe(3);
    expect(fs.readFileSync(path.join(t.home, 'signing', 'cert.pem')).equals(certFile)).toBe(true);
  });

  it('passwd changes the password', async () => {
    const pw = path.join(t.dir, 'new.pw');
    fs.writeFileSync(pw, 'a brand new password\n');
    const env = passwordFileFor(t, 'rlee', 'designee password 1');
    expect((await run(['operator', 'passwd', '--new-password-file', pw], { env })).code).toBe(0);
    expect((await run(['camera', 'list'], { env })).code).toBe(3);
    expect((await run(['camera', 'list'], { env: passwordFileFor(t, 'rlee', 'a brand new password') })).code).toBe(0);
  });
});

describe('cameras and drives', () => {
  it('enrols a drive from a folder, moves it through its life, and refuses illegal moves', async () => {
    const t = await setUp();
    const src = path.join(t.dir, 'usb');
    fs.mkdirSync(src);
    expect(
      (
        await run(
          [
            'camera',
            'add',
            'CAM-01',
            '--location',
            'Main St & 3rd',
            '--make',
            'Acme',
            '--model',
            'LPR-2',
            '--serial',
            'SN1',
          ],
          { env: t.env },
        )
      ).code,
    ).toBe(0);
    const en = await run(['drive', 'enrol', '--source', src, '--json'], { env: t.env });
    expect(en.code).toBe(0);
    const id = (JSON.parse(en.stdout) as { id: string }).id;
    expect(JSON.parse(fs.readFileSync(path.join(src, '.custody-drive.json'), 'utf8'))).toMatchObject({ driveId: id });
    const again = await run(['drive', 'enrol', '--source', src], { env: t.env });
    expect(again.code).toBe(6);
    expect(again.stderr).toMatch(/already enrolled/);
    const store = await run(['drive', 'store', id, '--location', 'safe'], { env: t.env });
    expect(store.code).toBe(6);
    expect(store.stderr).toMatch(/is a spare: only a drive that was taken out of a camera can be stored/);
    expect((await run(['drive', 'install', id, '--camera', 'CAM-01'], { env: t.env })).code).toBe(0);
    expect((await run(['drive', 'remove', id], { env: t.env })).code).toBe(0);
    expect((await run(['drive', 'store', id, '--location', 'safe, room 102'], { env: t.env })).code).toBe(0);
    const show = JSON.parse((await run(['drive', 'show', id, '--json'], { env: t.env })).stdout) as {
      state: string;
      history: { action: string }[];
    };
    expect(show.state).toBe('stored');
    expect(show.history.map((h) => h.action)).toEqual(['enrol', 'install', 'remove', 'store']);
    const log = JSON.parse((await run(['log', '--drive', id, '--json'], { env: t.env })).stdout) as unknown[];
    expect(log).toHaveLength(4);
    expect((await run(['verify'], { env: t.env })).code).toBe(0);
  });
});

describe('tamper evidence', () => {
  async function editEvent(t: TestHome, seq: number, edit: (data: string) => string): Promise<void> {
    const home = Home.open(t.home);
    const master = (await home.unlock('asd', 'correct horse battery staple'))!;
    const key = home.ledgerKey(master.record);
    const ledger = await Ledger.load(home.ledgerFile, key);
    const row = ledger.one<{ data: string }>('SELECT data FROM events WHERE seq = ?', [seq])!;
    ledger.db.run('UPDATE events SET data = ? WHERE seq = ?', [edit(row.data), seq]);
    fs.writeFileSync(home.ledgerFile, sealBlob(key, ledger.db.export(), 'custody-ledger'));
    ledger.close();
  }

  it('verify names the event whose one byte was changed (decrypted, edited, re-encrypted with the right key)', async () => {
    const t = await setUp();
    await run(['camera', 'add', 'CAM-01', '--location', 'Main St & 3rd'], { env: t.env });
    await run(['camera', 'add', 'CAM-02', '--location', 'Oak Ave'], { env: t.env });
    expect((await run(['verify'], { env: t.env })).code).toBe(0);
    await editEvent(t, 4, (d) => d.replace('Main St', 'Main Su'));
    const r = await run(['verify', '--json'], { env: t.env });
    expect(r.code).toBe(8);
    const report = JSON.parse(r.stdout.split('\n{"error"')[0]!) as { firstBadEvent: { seq: number; type: string } };
    expect(report.firstBadEvent).toMatchObject({ seq: 4, type: 'camera.added' });
    expect(r.stderr).toMatch(/event #4 \(camera.added\) does not match/);
  });

  it('a derived table edited without an event is caught', async () => {
    const t = await setUp();
    await run(['camera', 'add', 'CAM-01', '--location', 'Main St & 3rd'], { env: t.env });
    const home = Home.open(t.home);
    const master = (await home.unlock('asd', 'correct horse battery staple'))!;
    const ledger = await Ledger.load(home.ledgerFile, home.ledgerKey(master.record));
    ledger.db.run("UPDATE cameras SET location = 'elsewhere'");
    fs.writeFileSync(home.ledgerFile, sealBlob(home.ledgerKey(master.record), ledger.db.export(), 'custody-ledger'));
    const r = await run(['verify'], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stdout).toMatch(/table cameras does not match/i);
  });

  it('a rewritten history with a recomputed chain still fails against the signed checkpoints', async () => {
    const t = await setUp();
    await run(['camera', 'add', 'CAM-01', '--location', 'Main St & 3rd'], { env: t.env });
    const home = Home.open(t.home);
    const master = (await home.unlock('asd', 'correct horse battery staple'))!;
    const key = home.ledgerKey(master.record);
    const old = await Ledger.load(home.ledgerFile, key);
    const evs = old.rows<{ type: string; actor: string; at: string; data: string }>(
      'SELECT * FROM events ORDER BY seq',
    );
    old.close();
    const forged = await Ledger.createEmpty();
    for (const e of evs)
      forged.append(e.type, e.actor, e.at, JSON.parse(e.data.replace('Main St', 'Side St')) as Record<string, unknown>);
    forged.save(home.ledgerFile, key);
    const r = await run(['verify'], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stdout).toMatch(/does not match the signed checkpoint/);
  });

  it('a truncated ledger is refused whole, naming the previous generation; restore puts it back', async () => {
    const t = await setUp();
    await run(['camera', 'add', 'CAM-01', '--location', 'Main St & 3rd'], { env: t.env });
    const f = path.join(t.home, 'ledger.enc');
    fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 1000));
    const r = await run(['camera', 'list'], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/truncated, corrupted or was changed outside custody/);
    expect(r.stderr).toMatch(/ledger\.enc\.1 .*custody restore --generation 1/);
    const rs = await run(['restore', '--generation', '1', '--yes'], { env: t.env });
    expect(rs.stderr).toBe('');
    expect(rs.code).toBe(0);
    const v = await run(['verify'], { env: t.env });
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/lost in a recorded restore/);
  });
});

describe('confidential at rest', () => {
  it('no file of the home shows a camera name, location, operator or make in plain text', async () => {
    const t = await setUp();
    await run(['camera', 'add', 'ZEBRA-CAM-77', '--location', 'Quixotic Boulevard', '--make', 'Wombatronics'], {
      env: t.env,
    });
    const pw = path.join(t.dir, 'o.pw');
    fs.writeFileSync(pw, 'another password 123\n');
    await run(
      ['operator', 'add', 'kfoxglove', '--name', 'Kestrel Foxglove', '--role', 'designee', '--new-password-file', pw],
      { env: t.env },
    );
    const needles = ['ZEBRA-CAM-77', 'Quixotic', 'Wombatronics', 'Kestrel', 'kfoxglove', 'Dana Example'];
    for (const f of allFilesOf(t.home)) {
      const bytes = fs.readFileSync(f);
      for (const n of needles) {
        for (const enc of ['utf8', 'utf16le'] as const)
          expect(bytes.includes(Buffer.from(n, enc)), `${n} in ${f}`).toBe(false);
      }
    }
  });
});

describe('the lock', () => {
  it('a second process waits briefly, then names the holder; a stale lock is reported, and unlock removes it', async () => {
    const t = await setUp();
    fs.writeFileSync(
      path.join(t.home, 'lock'),
      JSON.stringify({
        pid: process.pid,
        host: (await import('node:os')).hostname(),
        user: 'asd',
        command: 'swap',
        since: '2026-11-26T10:00:00Z',
      }),
    );
    const busy = await run(['camera', 'list', '--lock-wait', '0.3'], { env: t.env });
    expect(busy.code).toBe(7);
    expect(busy.stderr).toMatch(/in use by `swap` \(process \d+/);
    fs.writeFileSync(
      path.join(t.home, 'lock'),
      JSON.stringify({
        pid: 2 ** 22 + 12345,
        host: (await import('node:os')).hostname(),
        user: 'asd',
        command: 'import',
        since: '2026-11-26T10:00:00Z',
      }),
    );
    const stale = await run(['camera', 'list'], { env: t.env });
    expect(stale.code).toBe(7);
    expect(stale.stderr).toMatch(/stale lock .* no longer running/);
    expect((await run(['unlock'], { env: t.env })).code).toBe(0);
    expect((await run(['camera', 'list'], { env: t.env })).code).toBe(0);
  });
});

describe('sql.js', () => {
  it('loads', async () => {
    expect(typeof (await sqlJs()).Database).toBe('function');
  });
});
