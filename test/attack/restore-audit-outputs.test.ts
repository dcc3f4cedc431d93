/**
 * Gate review, item 1: `restore --from DIR --home NEW` and `audit --csv FILE` write outside the
 * home without the one output rule (src/ledger/outputs.ts). A restored home inside the live home
 * rides in every backup of it, with the keys of days the live home has since purged; one inside
 * the backup folder sits beside the copy it came from; a CSV of the access record written into the
 * home or over a kept file is the same hole as a report there. Each must be refused like every
 * other output: inside a home (or the backup folder), exit 2; over an existing file, exit 6;
 * nothing written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { INIT_ARGS, newTestHome, okRunner, run, type TestHome } from '../helpers/cli.js';

function listAll(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}

describe('restore --from DIR --home NEW is held to the output rule', () => {
  let t: TestHome;
  let backupDir: string;
  beforeAll(async () => {
    t = newTestHome();
    const ok = okRunner(t);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St']);
    backupDir = path.join(t.dir, 'backup-disk');
    await ok(['backup', '--to', backupDir]);
  }, 120_000);

  async function restoreInto(target: string) {
    const homeBefore = listAll(t.home);
    const backupBefore = listAll(backupDir);
    const r = await run(['restore', '--from', backupDir, '--home', target], { env: t.env });
    return {
      r,
      homeUnchanged: JSON.stringify(listAll(t.home)) === JSON.stringify(homeBefore),
      backupUnchanged: JSON.stringify(listAll(backupDir)) === JSON.stringify(backupBefore),
    };
  }

  it('refuses a new home inside the live home (exit 2), nothing written there', async () => {
    const { r, homeUnchanged } = await restoreInto(path.join(t.home, 'restored'));
    expect({ code: r.code, homeUnchanged }, r.stderr).toEqual({ code: 2, homeUnchanged: true });
    expect(r.stderr).toMatch(/inside the home/);
  });

  it('refuses it through a link to a folder inside the home (real paths), nothing written', async () => {
    const inside = path.join(t.home, 'empty');
    fs.mkdirSync(inside);
    const link = path.join(t.dir, 'looks-outside');
    fs.symlinkSync(inside, link);
    try {
      const { r, homeUnchanged } = await restoreInto(path.join(link, 'restored'));
      expect({ code: r.code, homeUnchanged }, r.stderr).toEqual({ code: 2, homeUnchanged: true });
    } finally {
      fs.rmdirSync(inside);
    }
  });

  it('refuses a new home inside the backup folder it comes from (exit 2)', async () => {
    const { r, backupUnchanged } = await restoreInto(path.join(backupDir, 'restored'));
    expect({ code: r.code, backupUnchanged }, r.stderr).toEqual({ code: 2, backupUnchanged: true });
    expect(r.stderr).toMatch(/backup folder/);
  });

  it('refuses an existing file as the new home (exit 6), the file kept', async () => {
    const file = path.join(t.dir, 'notes.txt');
    fs.writeFileSync(file, 'kept\n');
    const { r } = await restoreInto(file);
    expect({ code: r.code, kept: fs.readFileSync(file, 'utf8') }, r.stderr).toEqual({ code: 6, kept: 'kept\n' });
    expect(r.stderr).toMatch(/not a folder/);
  });

  it('still restores into a new folder outside both', async () => {
    const target = path.join(t.dir, 'restored-ok');
    const r = await run(['restore', '--from', backupDir, '--home', target], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(target, 'home.json'))).toBe(true);
  });
});

describe('audit --csv FILE is held to the output rule', () => {
  let t: TestHome;
  beforeAll(async () => {
    t = newTestHome();
    const ok = okRunner(t);
    await ok(INIT_ARGS);
  }, 120_000);

  it('writes the CSV to a new file outside the home, readable by its owner only', async () => {
    const file = path.join(t.dir, 'access.csv');
    const r = await run(['audit', '--csv', file], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(file, 'utf8').split(/\r?\n/)[0]).toBe(
      'event,at,operator,organization,action,query,purpose,case,request,results',
    );
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // Without a file name it is written to standard output, as before.
    const out = await run(['audit', '--csv'], { env: t.env });
    expect(out.stdout.split(/\r?\n/)[0]).toBe(
      'event,at,operator,organization,action,query,purpose,case,request,results',
    );
  });

  it('refuses a CSV inside the home (exit 2) and over a file of the home, which is kept', async () => {
    const keyring = path.join(t.home, 'keyring.json');
    const before = fs.readFileSync(keyring);
    const over = await run(['audit', '--csv', keyring], { env: t.env });
    const inside = await run(['audit', '--csv', path.join(t.home, 'access.csv')], { env: t.env });
    expect(
      {
        over: over.code,
        inside: inside.code,
        keyringKept: fs.readFileSync(keyring).equals(before),
        made: fs.existsSync(path.join(t.home, 'access.csv')),
      },
      `${over.stderr}\n${inside.stderr}`,
    ).toEqual({ over: 2, inside: 2, keyringKept: true, made: false });
  });

  it('refuses to overwrite an existing file (exit 6), which is kept', async () => {
    const file = path.join(t.dir, 'kept.csv');
    fs.writeFileSync(file, 'kept\n');
    const r = await run(['audit', '--csv', file], { env: t.env });
    expect({ code: r.code, kept: fs.readFileSync(file, 'utf8') }, r.stderr).toEqual({ code: 6, kept: 'kept\n' });
  });
});

describe('init --home inside another home', () => {
  it('is refused (exit 2) and nothing is made there: a home inside another rides in its backups', async () => {
    const t = newTestHome();
    await okRunner(t)(INIT_ARGS);
    const before = listAll(t.home);
    const inner = path.join(t.home, 'segments', 'inner');
    const r = await run(INIT_ARGS, { env: { ...t.env, CUSTODY_HOME: inner } });
    expect(
      { code: r.code, homeUnchanged: JSON.stringify(listAll(t.home)) === JSON.stringify(before) },
      r.stderr,
    ).toEqual({ code: 2, homeUnchanged: true });
    expect(r.stderr).toMatch(/inside the home/);
  });
});
