/**
 * Every event type is role-checked (core/roles.ts EVENT_AUTHORS, one table): `verify` and the
 * signed-state check before a key rotation or a purge refuse an event whose author's role, by the
 * signed `operator.added`/`operator.disabled` events, may not write it. The attack on the raw
 * files: an operator's own slot opened with their password alone, an event of a type their role
 * may not author appended, chained and signed with their own key, a checkpoint signed for it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_AUTHORS, mayAuthor } from '../../src/core/roles.js';
import { LEDGER_SCHEMA } from '../../src/ledger/features/index.js';
import { Home } from '../../src/ledger/home.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { newSigningKey } from '../../src/ledger/signing.js';
import { INIT_ARGS, newTestHome, okRunner, passwordFileFor, run, type TestHome } from '../helpers/cli.js';

async function team(): Promise<TestHome> {
  const t = newTestHome();
  const ok = okRunner(t);
  await ok(INIT_ARGS);
  for (const [u, role, pw] of [
    ['rlee', 'designee', 'designee password 1'],
    ['audit1', 'auditor', 'auditor password 1'],
  ] as const) {
    const f = path.join(t.dir, `${u}-new.pw`);
    fs.writeFileSync(f, `${pw}\n`);
    await ok(['operator', 'add', u, '--name', `Person ${u}`, '--role', role, '--new-password-file', f]);
    await ok(['operator', 'train', u, '--date', '2026-02-01', '--course', 'c', '--trainer', 't']);
  }
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St']);
  return t;
}

/** As `username`, with their password alone: append an event of `type`, signed and chained, and its checkpoint. */
async function forge(
  t: TestHome,
  username: string,
  password: string,
  type: string,
  data: Record<string, unknown>,
): Promise<number> {
  const home = Home.open(t.home);
  const keys = (await home.unlock(username, password))!;
  expect(keys, 'the slot opens with the password').toBeDefined();
  const ledger = await Ledger.load(home.ledgerFile, home.ledgerKey(keys.record));
  const at = new Date().toISOString();
  const e = ledger.append(type, username, at, data, keys.signing);
  ledger.save(home.ledgerFile, home.ledgerKey(keys.record));
  home.writeCheckpoint(ledger, keys.signing, at);
  ledger.close();
  return e.seq;
}

function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) out.set(f, fs.readFileSync(p).toString('base64'));
  }
  return out;
}

describe('one table of who may author each event', () => {
  it('names every event type the ledger has a reducer for, and nothing else', () => {
    expect(Object.keys(EVENT_AUTHORS).sort()).toEqual(Object.keys(LEDGER_SCHEMA.reducers).sort());
    expect(mayAuthor('auditor', 'camera.added')).toBe(false);
    expect(mayAuthor('designee', 'camera.added')).toBe(true);
    expect(mayAuthor('designee', 'settings.changed')).toBe(false);
    expect(mayAuthor('custodian', 'no.such_event')).toBe(false);
    expect(mayAuthor('custodian', 'constructor')).toBe(false);
  });

  it("an auditor's own signed, chained camera.added is refused by verify and by the signed-state check (exit 8, naming it); nothing changed", async () => {
    const t = await team();
    const ok = okRunner(t);
    await ok(['verify']);
    const seq = await forge(t, 'audit1', 'auditor password 1', 'camera.added', {
      id: 'CAM-99',
      location: 'Forged Ave',
      since: null,
    });
    // The chain, every signature and the checkpoints are whole: only the author's right is wrong.
    const v = await run(['verify'], { env: t.env });
    expect(v.code, v.stderr).toBe(8);
    const named = new RegExp(
      `Event #${seq} \\(camera\\.added, [^)]*\\) by audit1: the signed events do not give audit1 the right to record it \\(an auditor may not record camera\\.added\\)`,
    );
    expect(v.stderr).toMatch(named);
    expect(v.stdout).not.toMatch(/invalid signature|not signed by/);
    // The auditor's own verify says the same.
    const va = await run(['verify'], { env: passwordFileFor(t, 'audit1', 'auditor password 1') });
    expect(va.code).toBe(8);
    expect(va.stderr).toMatch(named);
    // A disable (which hands out keys) checks the signed state first: refused, nothing changed.
    const before = snapshot(t.home);
    const d = await run(['operator', 'disable', 'rlee', '--reason', 'left'], { env: t.env });
    expect(d.code, d.stderr).toBe(8);
    expect(d.stderr).toMatch(named);
    expect(snapshot(t.home)).toEqual(before);
  });

  it("a second start of signed events (a home.upgraded as the custodian, with the auditor's own key) is refused (exit 8)", async () => {
    const t = await team();
    const home = Home.open(t.home);
    const aud = (await home.unlock('audit1', 'auditor password 1'))!;
    const mine = newSigningKey();
    const ledger = await Ledger.load(home.ledgerFile, home.ledgerKey(aud.record));
    const at = new Date().toISOString();
    const e = ledger.append(
      'home.upgraded',
      'asd',
      at,
      { from: 2, to: 2, priorHead: ledger.head, signingKey: mine.publicKey, needNewPassword: [] },
      mine,
    );
    ledger.append('camera.added', 'asd', at, { id: 'CAM-66', location: 'Forged Ave' }, mine);
    ledger.save(home.ledgerFile, home.ledgerKey(aud.record));
    home.writeCheckpoint(ledger, mine, at);
    ledger.close();
    const v = await run(['verify'], { env: t.env });
    expect(v.code, v.stdout).toBe(8);
    expect(v.stderr).toMatch(
      new RegExp(
        `Event #${e.seq} \\(home\\.upgraded, [^)]*\\) by asd records a signing key of its own after signed events began at #1: only the first may`,
      ),
    );
  });

  it("a designee's settings.changed (a custodian's event) is refused by verify (a disabled operator's later event: test/attack/disabled-signer.test.ts)", async () => {
    const t = await team();
    const seq = await forge(t, 'rlee', 'designee password 1', 'settings.changed', { key: 'retentionDays', value: 60 });
    const v = await run(['verify'], { env: t.env });
    expect(v.code).toBe(8);
    expect(v.stderr).toMatch(
      new RegExp(
        `Event #${seq} \\(settings\\.changed, [^)]*\\) by rlee: .*a designee may not record settings\\.changed`,
      ),
    );
  });
});
