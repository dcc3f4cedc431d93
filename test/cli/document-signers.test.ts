/**
 * Documents are signed by the operator who issued them (issue 14, item 2), on a home made by the
 * previous release (fixtures/home-v2, scripts/make-fixture-home-v2.sh): one PDF signing identity for
 * the home, which every custodian's and designee's slot opened. Real receipts, checked with
 * poppler's pdfsig and pdftotext and with `custody receipt verify`; the raw attacks sign a PDF
 * outside the CLI with whatever key a designee's slot, copied before their disable, opens.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOperatorIdentity, identityFromPem } from '../../src/documents/certificate.js';
import { renderHealthReport } from '../../src/documents/health-report.js';
import {
  extractReceiptFields,
  renderDestructionCertificate,
  renderReceipt,
  verifyPdfSignature,
} from '../../src/documents/index.js';
import { pdfLedgerHead } from '../../src/documents/sign.js';
import { openBlob, subkey } from '../../src/ledger/crypto.js';
import { Home, type Keyring, unlockSlot } from '../../src/ledger/home.js';
import { sampleDestruction, sampleHealth } from '../documents/sample-data.js';
import { INIT_ARGS, newTestHome, passwordFileFor, ROOT, run, type TestHome } from '../helpers/cli.js';

const RLEE_PW = 'designee password 1';

function copyFixture(): TestHome {
  const t = newTestHome();
  fs.cpSync(path.join(ROOT, 'fixtures', 'home-v2'), t.home, { recursive: true });
  return t;
}

const signerName = (pdf: string) =>
  /Signer Certificate Common Name: (.*)/.exec(execFileSync('pdfsig', [pdf], { encoding: 'utf8' }))?.[1];

async function ok(args: string[], env: NodeJS.ProcessEnv) {
  const r = await run(args, { env });
  expect(r.code, `custody ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

/** A request of camera CAM-01 on 2 November and its release, by the operator of `env`; the receipt's path. */
async function release(t: TestHome, env: NodeJS.ProcessEnv, n: number): Promise<string> {
  const letter = path.join(t.dir, `letter-${n}.txt`);
  fs.writeFileSync(letter, `Request ${n} for ALPR images.\n`);
  const req = await ok(
    [
      'request',
      'new',
      '--agency',
      'ECSO',
      '--officer',
      'Sgt. Rita Alvarez',
      '--badge',
      '4417',
      '--case',
      `26-00${n}`,
      '--purpose',
      'criminal investigation',
      '--document',
      letter,
      '--cameras',
      'CAM-01',
      '--from',
      '2026-11-02',
      '--to',
      '2026-11-02',
      '--json',
    ],
    env,
  );
  const id = (JSON.parse(req.stdout) as { id: string }).id;
  const rel = await ok(['release', '--request', id, '--to', path.join(t.dir, 'out', id), '--json'], env);
  return (JSON.parse(rel.stdout) as { receiptFile: string }).receiptFile;
}

/** Keys a copied keyring gives `username` with their password (the library, not the CLI). */
async function slotKeys(t: TestHome, keyringText: string, username: string, password: string) {
  const kdf = (JSON.parse(fs.readFileSync(path.join(t.home, 'home.json'), 'utf8')) as { kdf: never }).kdf;
  return (await unlockSlot(JSON.parse(keyringText) as Keyring, kdf, username, password))!;
}

async function previousRelease(archived: boolean): Promise<void> {
  const t = copyFixture();
  const rlee = passwordFileFor(t, 'rlee', RLEE_PW);
  const oldReceipt = path.join(ROOT, 'fixtures', 'home-v2-documents', 'R-2026-0001.pdf');
  expect(signerName(oldReceipt)).toBe('Dana Example'); // the home's certificate, though rlee issued it
  // What the designee copies before anything changes: their slot and the home's signing identity.
  const keyringBefore = fs.readFileSync(path.join(t.home, 'keyring.json'), 'utf8');
  const identityBefore = fs.readFileSync(path.join(t.home, 'signing', 'identity.enc'));

  // The custodian's log-in gives them their own certificate and retires the home's.
  const v = await ok(['receipt', 'verify', oldReceipt, '--json'], t.env);
  expect((JSON.parse(v.stdout) as { checks: { check: string; detail: string }[] }).checks).toContainEqual({
    check: 'signer',
    ok: true,
    detail: expect.stringMatching(/^the home's certificate, /),
  });
  expect(fs.existsSync(path.join(t.home, 'signing', 'identity.enc'))).toBe(false);
  const log = JSON.parse((await ok(['log', '--json'], t.env)).stdout) as { type: string; actor: string }[];
  expect(log.filter((e) => e.type === 'operator.certificate').map((e) => e.actor)).toEqual(['asd']);

  // The designee's log-in gives them theirs; their receipt is signed with it and names the office.
  const mine = await release(t, rlee, 2);
  expect(signerName(mine)).toBe('Robin Lee');
  const text = execFileSync('pdftotext', [mine, '-'], { encoding: 'utf8' });
  expect(text).toContain('Office of the Custodian of Records');
  expect(text).toContain('Robin Lee, Designee of the Custodian of Records');
  const good = await ok(['receipt', 'verify', mine, '--json'], t.env);
  expect(JSON.parse(good.stdout)).toMatchObject({ valid: true });
  expect(JSON.stringify(JSON.parse(good.stdout))).toMatch(/rlee's own certificate/);
  const keyringWithCert = fs.readFileSync(path.join(t.home, 'keyring.json'), 'utf8');

  // The custodian disables rlee, then releases again.
  await ok(['operator', 'disable', 'rlee', '--reason', 'left the city'], t.env);
  const after = await release(t, t.env, 3);
  expect(signerName(after)).toBe('Dana Example');
  await ok(['receipt', 'verify', after], t.env);
  const data = extractReceiptFields(fs.readFileSync(after));

  // Raw attack 1: the slot copied before the migration opens the old evidence key, hence the
  // home's identity (a copy of identity.enc): a receipt after the disable signed with it.
  const old = await slotKeys(t, keyringBefore, 'rlee', RLEE_PW);
  const id = JSON.parse(
    openBlob(subkey(old.evidence!, 'signing'), identityBefore, 'custody-signing-identity')!.toString('utf8'),
  ) as { certPem: string; privateKeyPem: string };
  const forgedHome = path.join(t.dir, 'forged-home.pdf');
  fs.writeFileSync(forgedHome, await renderReceipt(data, identityFromPem(id.certPem, id.privateKeyPem)));
  expect(signerName(forgedHome)).toBe('Dana Example');
  const r1 = await run(['receipt', 'verify', forgedHome], { env: t.env });
  expect(r1.code).toBe(8);
  expect(r1.stderr.split('\n')[0]).toMatch(/signer — signed with the home's certificate, retired at #\d+/);

  // Raw attack 2: the slot copied after rlee had their own certificate, before the disable.
  const withCert = await slotKeys(t, keyringWithCert, 'rlee', RLEE_PW);
  expect(withCert.document).toBeDefined();
  const forgedOwn = path.join(t.dir, 'forged-own.pdf');
  fs.writeFileSync(
    forgedOwn,
    await renderReceipt(data, identityFromPem(withCert.document!.certPem, withCert.document!.privateKeyPem)),
  );
  expect(signerName(forgedOwn)).toBe('Robin Lee');
  const r2 = await run(['receipt', 'verify', forgedOwn, '--json'], { env: t.env });
  expect(r2.code).toBe(8);
  expect(r2.stderr.split('\n')[0]).toMatch(
    /signer — signed with the certificate of rlee, who was disabled at #\d+ \(.*\), before the document's ledger head #\d+/,
  );
  // --json prints the checks, then the error.
  const report = r2.stdout.slice(0, r2.stdout.indexOf('\n}\n') + 2);
  const checks = (JSON.parse(report) as { checks: { check: string; ok: boolean }[] }).checks;
  expect(checks.find((c) => c.check === 'signer')?.ok).toBe(false);

  // `verify --receipts` judges signers the same way.
  const dir = path.join(t.dir, 'kept');
  fs.mkdirSync(dir);
  for (const f of [oldReceipt, mine, after]) fs.copyFileSync(f, path.join(dir, path.basename(f)));
  await ok(['verify', '--receipts', dir], t.env);
  fs.copyFileSync(forgedOwn, path.join(dir, 'forged-own.pdf'));
  const bad = await run(['verify', '--receipts', dir], { env: t.env });
  expect(bad.code).toBe(8);
  expect(bad.stdout + bad.stderr).toMatch(/forged-own\.pdf: signed with the certificate of rlee, who was disabled/);
  expect((await run(['verify'], { env: t.env })).code).toBe(0);
  // The certificates and the disable are read across the archive (archive.ts KEPT_TYPES).
  if (archived) expect(fs.readdirSync(path.join(t.home, 'archive')).length).toBeGreaterThan(0);
}

describe('documents signed by the operator who issued them', () => {
  for (const archived of [false, true])
    it(`a home of the previous release${archived ? ' (its events archived in segments of 4)' : ''}: each operator gets their own certificate at log-in, the home certificate is retired, older receipts still verify; a disabled designee’s copied slot signs nothing that verifies`, async () => {
      const saved = process.env.CUSTODY_LEDGER_SEGMENT_EVENTS;
      if (archived) process.env.CUSTODY_LEDGER_SEGMENT_EVENTS = '4';
      try {
        await previousRelease(archived);
      } finally {
        if (saved === undefined) delete process.env.CUSTODY_LEDGER_SEGMENT_EVENTS;
        else process.env.CUSTODY_LEDGER_SEGMENT_EVENTS = saved;
      }
    }, 300_000);

  it('a new home: the custodian’s and each designee’s certificate are in their slots only and recorded in the ledger; an auditor holds none', async () => {
    const t = newTestHome();
    await ok(INIT_ARGS, t.env);
    const pw = path.join(t.dir, 'rlee-new.pw');
    fs.writeFileSync(pw, `${RLEE_PW}\n`);
    await ok(
      ['operator', 'add', 'rlee', '--name', 'Robin Lee', '--role', 'designee', '--new-password-file', pw],
      t.env,
    );
    fs.writeFileSync(pw, 'auditor password 1\n');
    await ok(
      ['operator', 'add', 'audit1', '--name', 'Alex Auditor', '--role', 'auditor', '--new-password-file', pw],
      t.env,
    );
    const home = Home.open(t.home);
    const keyring = fs.readFileSync(home.keyringFile, 'utf8');
    const asd = await slotKeys(t, keyring, 'asd', 'correct horse battery staple');
    const rlee = await slotKeys(t, keyring, 'rlee', RLEE_PW);
    const aud = await slotKeys(t, keyring, 'audit1', 'auditor password 1');
    expect(aud.document).toBeUndefined();
    // The custodian's is the certificate made at init (cert.pem, public by design); rlee's names rlee.
    expect(asd.document!.certPem.trim()).toBe(fs.readFileSync(home.certFile, 'utf8').trim());
    expect(identityFromPem(rlee.document!.certPem, rlee.document!.privateKeyPem).subject).toBe(
      'CN=Robin Lee, O=City of Example, title=Designee of the Administrative Services Director',
    );
    // No plain file of the home holds rlee's certificate or name.
    const der = Buffer.from(rlee.document!.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    for (const f of fs.readdirSync(t.home, { recursive: true }) as string[]) {
      const p = path.join(t.home, f);
      if (!fs.statSync(p).isFile()) continue;
      const b = fs.readFileSync(p);
      expect(b.includes(der.subarray(0, 64)) || b.includes(Buffer.from('Robin Lee')), f).toBe(false);
    }
    // Recorded by the custodian's signed event that adds rlee.
    const log = JSON.parse((await ok(['log', '--json'], t.env)).stdout) as {
      type: string;
      data: { username?: string; documentCertificate?: string };
    }[];
    const added = log.find((e) => e.type === 'operator.added' && e.data.username === 'rlee');
    expect(added?.data.documentCertificate?.trim()).toBe(rlee.document!.certPem.trim());

    // Raw: the auditor (record key, own signing key) records a certificate for themselves, the event
    // signed with their own key, chain and checkpoint in order, then signs a report with it.
    const audKeys = (await home.unlock('audit1', 'auditor password 1'))!;
    const l = await home.loadLedger(home.ledgerFile, audKeys);
    const mine = createOperatorIdentity({
      name: 'Alex Auditor',
      organization: 'City of Example',
      office: 'Auditor',
      now: new Date(),
    });
    const at = new Date().toISOString();
    l.append('operator.certificate', 'audit1', at, { username: 'audit1', certificate: mine.certPem }, audKeys.signing);
    l.save(home.ledgerFile, home.ledgerKey(audKeys.record));
    home.writeCheckpoint(l, audKeys.signing, at);
    const head = l.head;
    l.close();
    const v = await run(['verify'], { env: t.env });
    expect(v.code).toBe(8);
    expect(v.stdout + v.stderr).toMatch(
      new RegExp(
        `Event #${head.seq} \\(operator\\.certificate\\) by audit1 records a document certificate for audit1: only a custodian or a designee records their own`,
      ),
    );
    const kept = path.join(t.dir, 'kept');
    fs.mkdirSync(kept);
    fs.writeFileSync(
      path.join(kept, 'aud.pdf'),
      await renderHealthReport({ ...sampleHealth(), ledgerHead: head.hash }, mine, new Date()),
    );
    const r = await run(['verify', '--receipts', kept], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stdout + r.stderr).toMatch(/aud\.pdf is not signed by a certificate of this home/);
  }, 120_000);
  it('a password change keeps one’s own certificate; a custodian’s reset gives a new one; `verify --receipts` refuses a replaced certificate and a designee’s certificate of destruction', async () => {
    const t = newTestHome();
    await ok(INIT_ARGS, t.env);
    const pw = path.join(t.dir, 'rlee-new.pw');
    fs.writeFileSync(pw, `${RLEE_PW}\n`);
    await ok(
      ['operator', 'add', 'rlee', '--name', 'Robin Lee', '--role', 'designee', '--new-password-file', pw],
      t.env,
    );
    await ok(['operator', 'train', 'rlee', '--date', '2026-02-01', '--course', 'c', '--trainer', 't'], t.env);
    const kept = path.join(t.dir, 'kept');
    const fp = (f: string) => verifyPdfSignature(fs.readFileSync(f)).signerFingerprint256;
    const health = async (env: NodeJS.ProcessEnv, name: string) => {
      const f = path.join(kept, name);
      await ok(['health', '--pdf', f], env);
      return f;
    };
    const h1 = await health(passwordFileFor(t, 'rlee', RLEE_PW), 'h1.pdf');
    expect(signerName(h1)).toBe('Robin Lee');
    // rlee changes their own password: the same certificate.
    fs.writeFileSync(pw, 'designee password 2\n');
    await ok(['operator', 'passwd', '--new-password-file', pw], passwordFileFor(t, 'rlee', RLEE_PW));
    const h2 = await health(passwordFileFor(t, 'rlee', 'designee password 2'), 'h2.pdf');
    expect(fp(h2)).toBe(fp(h1));
    const slotBeforeReset = fs.readFileSync(path.join(t.home, 'keyring.json'), 'utf8');
    // The custodian resets it: new keys for rlee, and a new certificate recorded by the custodian.
    fs.writeFileSync(pw, 'designee password 3\n');
    await ok(['operator', 'passwd', 'rlee', '--new-password-file', pw], t.env);
    const h3 = await health(passwordFileFor(t, 'rlee', 'designee password 3'), 'h3.pdf');
    expect(signerName(h3)).toBe('Robin Lee');
    expect(fp(h3)).not.toBe(fp(h1));
    // `operator show` names the certificate the ledger records, as pdfsig shows it on the report.
    const shown = JSON.parse((await ok(['operator', 'show', 'rlee', '--json'], t.env)).stdout) as {
      documentCertificate: { fingerprint256: string; subject: string };
    };
    expect(shown.documentCertificate.fingerprint256).toBe(fp(h3));
    expect(shown.documentCertificate.subject).toMatch(/^CN=Robin Lee, O=City of Example/);
    await ok(['verify', '--receipts', kept], t.env);

    // Raw: the key of the slot from before the reset signs a report printing a head after it.
    const old = (await slotKeys(t, slotBeforeReset, 'rlee', 'designee password 2')).document!;
    const head = pdfLedgerHead(fs.readFileSync(h3))!;
    const forged = path.join(kept, 'h4.pdf');
    fs.writeFileSync(
      forged,
      await renderHealthReport(
        { ...sampleHealth(), ledgerHead: head },
        identityFromPem(old.certPem, old.privateKeyPem),
        new Date(),
      ),
    );
    const r = await run(['verify', '--receipts', kept], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stdout + r.stderr).toMatch(/h4\.pdf: signed with rlee's certificate of #\d+, replaced at #\d+/);
    fs.rmSync(forged);

    // A designee's certificate signs no certificate of destruction (a custodian's duty).
    const now = (
      await slotKeys(t, fs.readFileSync(path.join(t.home, 'keyring.json'), 'utf8'), 'rlee', 'designee password 3')
    ).document!;
    fs.writeFileSync(
      path.join(kept, 'd1.pdf'),
      await renderDestructionCertificate(
        { ...sampleDestruction(1), ledgerHead: head },
        identityFromPem(now.certPem, now.privateKeyPem),
      ),
    );
    const d = await run(['verify', '--receipts', kept], { env: t.env });
    expect(d.code).toBe(8);
    expect(d.stdout + d.stderr).toMatch(
      /d1\.pdf: signed by rlee, of role designee, who does not issue certificates of destruction/,
    );
  }, 180_000);
});
