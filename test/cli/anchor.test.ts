/**
 * The genesis anchor (src/ledger/anchor.ts): the ledger's first signed event and the custodian's
 * key, sealed with the evidence key. The attack on the raw files: an auditor, with their password
 * alone, rewrites the whole ledger from event #1 with signing keys of their own as the custodian's
 * and the designee's, re-signs every event and every checkpoint. Their own `verify` passes and says
 * it could not check the anchor; a custodian's or a designee's `verify` exits 8 naming the mismatch.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Home } from '../../src/ledger/home.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { newSigningKey, type SigningKey } from '../../src/ledger/signing.js';
import { INIT_ARGS, newTestHome, okRunner, passwordFileFor, run, type TestHome } from '../helpers/cli.js';

const AUDITOR_PW = 'auditor password 1';
const DESIGNEE_PW = 'designee password 1';

async function team(): Promise<TestHome> {
  const t = newTestHome();
  const ok = okRunner(t);
  await ok(INIT_ARGS);
  for (const [u, role, pw] of [
    ['rlee', 'designee', DESIGNEE_PW],
    ['audit1', 'auditor', AUDITOR_PW],
  ] as const) {
    const f = path.join(t.dir, `${u}-new.pw`);
    fs.writeFileSync(f, `${pw}\n`);
    await ok(['operator', 'add', u, '--name', `Person ${u}`, '--role', role, '--new-password-file', f]);
    await ok(['operator', 'train', u, '--date', '2026-02-01', '--course', 'c', '--trainer', 't']);
  }
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St']);
  return t;
}

describe('the genesis anchor', () => {
  it('a custodian’s verify checks it; an auditor’s says it could not', async () => {
    const t = await team();
    expect(fs.existsSync(path.join(t.home, 'anchor.enc'))).toBe(true);
    const v = await okRunner(t)(['verify']);
    expect(v.stdout).toMatch(/^Genesis anchor: event #1 \(home\.created\) matches anchor\.enc$/m);
    const a = await run(['verify', '--json'], { env: passwordFileFor(t, 'audit1', AUDITOR_PW) });
    expect(a.code, a.stderr).toBe(0);
    expect((JSON.parse(a.stdout) as { anchor: unknown }).anchor).toMatchObject({
      status: 'unchecked',
      note: expect.stringMatching(/sealed with the evidence key, which an auditor does not hold/),
    });
  });

  it('an auditor who rewrites the whole ledger from event #1 with their own keys passes their own verify, not a custodian’s or a designee’s (exit 8)', async () => {
    const t = await team();
    const home = Home.open(t.home);
    // The auditor's slot, with their password alone: the record key and their own signing key.
    const aud = (await home.unlock('audit1', AUDITOR_PW))!;
    expect(aud.evidence).toBeUndefined();
    const key = home.ledgerKey(aud.record);
    const old = await Ledger.load(home.ledgerFile, key);
    const evs = old.rows<{ seq: number; type: string; actor: string; at: string; data: string }>(
      'SELECT * FROM events ORDER BY seq',
    );
    old.close();
    // Keys of their own for everyone else; their own stays (it is what their slot signs with).
    const keys = new Map<string, SigningKey>([
      ['asd', newSigningKey()],
      ['rlee', newSigningKey()],
      ['audit1', aud.signing],
    ]);
    const forged = await Ledger.createEmpty();
    fs.rmSync(home.checkpointsFile);
    for (const e of evs) {
      const data = JSON.parse(e.data) as Record<string, unknown>;
      const owner = e.type === 'operator.added' ? String(data.username) : e.actor;
      if (typeof data.signingKey === 'string') data.signingKey = keys.get(owner)!.publicKey;
      forged.append(e.type, e.actor, e.at, data, keys.get(e.actor)!);
      if (forged.head.seq >= 3) home.writeCheckpoint(forged, keys.get('asd')!, e.at);
    }
    forged.save(home.ledgerFile, key);
    forged.close();

    // Everything the record key reaches holds together: the auditor's own verify passes, and says
    // what it could not check.
    const a = await run(['verify'], { env: passwordFileFor(t, 'audit1', AUDITOR_PW) });
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(a.stdout).toMatch(/Genesis anchor: not checked\. .*sealed with the evidence key/);
    expect(a.stdout).toMatch(/OK: the ledger is intact/);

    const mismatch =
      /^custody: Verification failed: The ledger's event #1 \(home\.created\) does not match the genesis anchor \(anchor\.enc, sealed with the evidence key\): the ledger was rewritten from its first signed event\.$/m;
    const c = await run(['verify'], { env: t.env });
    expect(c.code, c.stdout + c.stderr).toBe(8);
    expect(c.stderr).toMatch(mismatch);
    const d = await run(['verify'], { env: passwordFileFor(t, 'rlee', DESIGNEE_PW) });
    expect(d.code).toBe(8);
    expect(d.stderr).toMatch(mismatch);

    // Removing the anchor does not help: it is missing, and the custodian's log-in does not write one
    // for a first event their key did not sign.
    fs.rmSync(path.join(t.home, 'anchor.enc'));
    const m = await run(['verify'], { env: t.env });
    expect(m.code).toBe(8);
    expect(m.stderr).toMatch(/Verification failed: The genesis anchor anchor\.enc is missing/);
    expect(fs.existsSync(path.join(t.home, 'anchor.enc'))).toBe(false);
  });

  it('a home made before anchors gets one at the next log-in of the custodian whose key signed its first event', async () => {
    const t = await team();
    const file = path.join(t.home, 'anchor.enc');
    fs.rmSync(file);
    // A designee's log-in does not write it (their key did not sign event #1).
    const d = await run(['verify'], { env: passwordFileFor(t, 'rlee', DESIGNEE_PW) });
    expect(d.code).toBe(8);
    expect(d.stderr).toMatch(/The genesis anchor anchor\.enc is missing/);
    expect(fs.existsSync(file)).toBe(false);
    const v = await okRunner(t)(['verify']);
    expect(v.stdout).toMatch(/Genesis anchor: event #1 \(home\.created\) matches anchor\.enc/);
    expect(fs.existsSync(file)).toBe(true);
    expect((await run(['verify'], { env: passwordFileFor(t, 'rlee', DESIGNEE_PW) })).code).toBe(0);
  });
});
