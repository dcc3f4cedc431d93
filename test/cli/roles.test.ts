/**
 * Issue 14, keys by role and events signed by their author, tested on the raw files with the raw
 * attack: a short script derives the key from a password with scrypt, opens the keyring slot with
 * AES-GCM and tries everything in it against the evidence; an auditor re-signs a rewritten chain.
 */
import { createPrivateKey, createPublicKey, diffieHellman, hkdfSync, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { BatchFiles, createBatchKey, loadBatchKey } from '../../src/ledger/batches.js';
import { openBlob, subkey } from '../../src/ledger/crypto.js';
import { Home, operatorKeyId } from '../../src/ledger/home.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { Session } from '../../src/ledger/session.js';
import { sha256Hex } from '../../src/core/hash.js';
import { chainHash, GENESIS_HASH } from '../../src/ledger/canonical.js';
import { sealBlob } from '../../src/ledger/crypto.js';
import { documentFile } from '../../src/ledger/documents.js';
import {
  ECSO_AGENCY_ADD,
  INIT_ARGS,
  newTestHome,
  PASSWORD,
  passwordFileFor,
  ROOT,
  run,
  type TestHome,
} from '../helpers/cli.js';
import { homeKeyringFiles, openRawSlot, slotSecrets, withDerivedKeys } from '../helpers/raw-keys.js';

async function homeWithTeam(): Promise<TestHome> {
  const t = newTestHome();
  expect((await run(INIT_ARGS, { env: t.env })).code).toBe(0);
  for (const [u, role, pw] of [
    ['rlee', 'designee', 'designee password 1'],
    ['audit1', 'auditor', 'auditor password 1'],
  ] as const) {
    const f = path.join(t.dir, `${u}-new.pw`);
    fs.writeFileSync(f, `${pw}\n`);
    const add = await run(['operator', 'add', u, '--name', `Person ${u}`, '--role', role, '--new-password-file', f], {
      env: t.env,
    });
    expect(add.code).toBe(0);
    await run(['operator', 'train', u, '--date', '2026-02-01', '--course', 'c', '--trainer', 't'], { env: t.env });
  }
  expect((await run(['camera', 'add', 'CAM-01', '--location', 'Main St'], { env: t.env })).code).toBe(0);
  return t;
}

/** The raw attack: the slot of `username` opened from a keyring file's text alone. */
async function rawSlot(
  home: string,
  username: string,
  password: string,
  keyringText = fs.readFileSync(path.join(home, 'keyring.json'), 'utf8'),
): Promise<Record<string, string>> {
  return openRawSlot({ ...homeKeyringFiles(home), keyring: keyringText }, username, password);
}

interface RawEnvelope {
  epoch: number;
  eph: string;
  sealed: string;
}
interface RawKeyring {
  operators: Record<string, { salt: string; wrapped: string; record?: RawEnvelope; evidence?: RawEnvelope }>;
}

/**
 * The raw attack in full: the slot, then any newer key a rotation sealed to the slot's X25519 key
 * (ECDH with the envelope's ephemeral key, HKDF-SHA256, AES-GCM), from a keyring file's text alone.
 */
async function rawKeys(
  home: string,
  username: string,
  password: string,
  keyringText = fs.readFileSync(path.join(home, 'keyring.json'), 'utf8'),
): Promise<{ record: Buffer; evidence?: Buffer }> {
  const slot = (await rawSlot(home, username, password, keyringText)) as Record<string, string> & {
    recordEpoch?: number;
    evidenceEpoch?: number;
  };
  const entry = (JSON.parse(keyringText) as RawKeyring).operators[operatorKeyId(username)]!;
  const open = (env: RawEnvelope | undefined, epoch: number | undefined, what: string): Buffer | undefined => {
    if (!env || env.epoch <= (epoch ?? 0)) return undefined;
    const priv = createPrivateKey(slot.box!);
    const me = createPublicKey(priv).export({ type: 'spki', format: 'der' });
    const eph = createPublicKey({ key: Buffer.from(env.eph, 'base64'), format: 'der', type: 'spki' });
    const shared = diffieHellman({ privateKey: priv, publicKey: eph });
    const kek = Buffer.from(
      hkdfSync('sha256', shared, Buffer.concat([Buffer.from(env.eph, 'base64'), me]), 'custody/box/v1', 32),
    );
    const key = openBlob(kek, Buffer.from(env.sealed, 'base64'), `custody-key-envelope:${what}:${username}`);
    expect(key, `the ${what} envelope opens`).toBeDefined();
    return key;
  };
  const record = open(entry.record, slot.recordEpoch, 'record') ?? Buffer.from(slot.record!, 'base64');
  const oldEvidence = slot.evidence ? Buffer.from(slot.evidence, 'base64') : undefined;
  const evidence = oldEvidence && (open(entry.evidence, slot.evidenceEpoch, 'evidence') ?? oldEvidence);
  return { record, evidence };
}

/** Every 32-byte key a slot holds, and every purpose-derived key from each. */
function candidateKeys(slot: Record<string, string>): Buffer[] {
  return withDerivedKeys(slotSecrets(slot));
}

describe('keys by role', () => {
  it("an auditor's password alone opens no batch key and no PDF signing key; a designee's does (their own)", async () => {
    const t = await homeWithTeam();
    // A batch key on disk, made with the evidence key as an import makes it.
    const home = Home.open(t.home);
    const asd = (await home.unlock('asd', PASSWORD))!;
    const bf = new BatchFiles(home, 'B20260101-abcdef');
    fs.mkdirSync(path.dirname(bf.keyFile), { recursive: true });
    const batchKey = createBatchKey(bf, asd.evidence!);
    const keyBlob = fs.readFileSync(bf.keyFile);
    // No file of the home holds a PDF signing key: each custodian's and designee's is in their slot.
    expect(fs.existsSync(home.identityFile)).toBe(false);
    const auditor = await rawSlot(t.home, 'audit1', 'auditor password 1');
    expect(Object.keys(auditor).sort()).toEqual(['box', 'evidenceEpoch', 'record', 'recordEpoch', 'signingKey']);
    // Every key in the auditor's slot, raw or derived, against the raw batch key file and identity.
    for (const k of candidateKeys(auditor)) {
      for (const ctx of ['custody-batch-key:B20260101-abcdef', `custody-batch:B20260101-abcdef`, 'custody-batch-key'])
        expect(openBlob(k, keyBlob, ctx)).toBeUndefined();
    }
    // The record is theirs to read: the ledger opens with the record key.
    const l = await Ledger.load(home.ledgerFile, subkey(Buffer.from(auditor.record!, 'base64'), 'ledger'));
    expect(l.one<{ n: number }>("SELECT count(*) AS n FROM cameras WHERE id = 'CAM-01'")!.n).toBe(1);
    l.close();

    const designee = await rawSlot(t.home, 'rlee', 'designee password 1');
    expect(Object.keys(designee).sort()).toEqual([
      'box',
      'documentKey',
      'evidence',
      'evidenceEpoch',
      'record',
      'recordEpoch',
      'signingKey',
    ]);
    const ev = Buffer.from(designee.evidence!, 'base64');
    expect(openBlob(subkey(ev, 'batch-keys'), keyBlob, 'custody-batch-key:B20260101-abcdef')?.equals(batchKey)).toBe(
      true,
    );
    // The designee's own certificate, naming them and the office they act for.
    const doc = JSON.parse(designee.documentKey!) as { certPem: string };
    expect(new X509Certificate(doc.certPem).subject).toMatch(/CN=Person rlee/);
    expect(new X509Certificate(doc.certPem).subject).toMatch(/title=Designee of the Administrative Services Director/);
  });

  it('an auditor asking the CLI for an image or a plate is refused (exit 4) before any key is needed', async () => {
    const t = await homeWithTeam();
    const aud = passwordFileFor(t, 'audit1', 'auditor password 1');
    const r = await run(['search', 'plate', '7ABC123', '--purpose', 'criminal investigation'], { env: aud });
    expect([2, 4]).toContain(r.code);
  });

  it('disabling an operator leaves no keyring generation holding their slot', async () => {
    const t = await homeWithTeam();
    const id = operatorKeyId('rlee');
    expect((await run(['operator', 'disable', 'rlee', '--reason', 'left'], { env: t.env })).code).toBe(0);
    const keyringFiles = fs.readdirSync(t.home).filter((f) => f.startsWith('keyring.json'));
    expect(keyringFiles).toEqual(['keyring.json']);
    for (const f of fs.readdirSync(t.home, { recursive: true }) as string[]) {
      const p = path.join(t.home, f);
      if (fs.statSync(p).isFile()) expect(fs.readFileSync(p).includes(Buffer.from(id)), f).toBe(false);
    }
    expect((await run(['camera', 'list'], { env: passwordFileFor(t, 'rlee', 'designee password 1') })).code).toBe(3);
  });
});

/** A request with its written request kept in the home; returns the request id and the letter's bytes. */
async function requestWithLetter(t: TestHome): Promise<{ id: string; letter: Buffer }> {
  expect((await run(ECSO_AGENCY_ADD, { env: t.env })).code).toBe(0);
  const file = path.join(t.dir, 'letter.txt');
  fs.writeFileSync(file, 'Request for ALPR images, case 26-001234.\n');
  const r = await run(
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
      '26-001234',
      '--purpose',
      'criminal investigation',
      '--received-at',
      '2026-11-05T09:15:00-08:00',
      '--document',
      file,
      '--cameras',
      'CAM-01',
      '--from',
      '2026-11-03',
      '--to',
      '2026-11-03',
      '--json',
    ],
    { env: t.env },
  );
  expect(r.code, r.stderr).toBe(0);
  return { id: (JSON.parse(r.stdout) as { id: string }).id, letter: fs.readFileSync(file) };
}

describe('documents are part of the record', () => {
  it("the auditor's password alone opens a kept written request on the raw file, and no batch key", async () => {
    const t = await homeWithTeam();
    const { id, letter } = await requestWithLetter(t);
    const home = Home.open(t.home);
    const asd = (await home.unlock('asd', PASSWORD))!;
    const bf = new BatchFiles(home, 'B20260101-abcdef');
    createBatchKey(bf, asd.evidence!);
    const keyBlob = fs.readFileSync(bf.keyFile);
    const docBlob = fs.readFileSync(documentFile(home, sha256Hex(letter)));
    const auditor = await rawSlot(t.home, 'audit1', 'auditor password 1');
    const record = Buffer.from(auditor.record!, 'base64');
    const opened = openBlob(subkey(record, 'documents'), docBlob, `custody-document:${sha256Hex(letter)}`);
    expect(opened?.equals(letter)).toBe(true);
    for (const k of candidateKeys(auditor))
      expect(openBlob(k, keyBlob, 'custody-batch-key:B20260101-abcdef')).toBeUndefined();
    // Through the CLI too: an auditor writes the kept document out.
    const out = path.join(t.dir, 'copy.txt');
    const r = await run(['request', 'document', id, '--out', out], {
      env: passwordFileFor(t, 'audit1', 'auditor password 1'),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(out).equals(letter)).toBe(true);
  });

  it('documents an older custody sealed with the evidence key move to the record key at the next log-in of a key holder', async () => {
    const t = await homeWithTeam();
    const { id, letter } = await requestWithLetter(t);
    const home = Home.open(t.home);
    const asd = (await home.unlock('asd', PASSWORD))!;
    const sha = sha256Hex(letter);
    // As the previous release left it: sealed with the evidence key, the keyring not marked.
    fs.writeFileSync(
      documentFile(home, sha),
      sealBlob(subkey(asd.evidence!, 'documents'), letter, `custody-document:${sha}`),
    );
    home.updateKeyring(({ documentsKey: _, ...k }) => k);
    const aud = passwordFileFor(t, 'audit1', 'auditor password 1');
    const before = await run(['request', 'document', id, '--out', path.join(t.dir, 'a.txt')], { env: aud });
    expect(before.code).toBe(4);
    expect(before.stderr).toMatch(/still sealed with the evidence key/);
    expect((await run(['camera', 'list'], { env: t.env })).code).toBe(0);
    const auditor = await rawSlot(t.home, 'audit1', 'auditor password 1');
    const blob = fs.readFileSync(documentFile(home, sha));
    const record = Buffer.from(auditor.record!, 'base64');
    expect(openBlob(subkey(record, 'documents'), blob, `custody-document:${sha}`)?.equals(letter)).toBe(true);
    expect(openBlob(subkey(asd.evidence!, 'documents'), blob, `custody-document:${sha}`)).toBeUndefined();
    expect(home.readKeyring().documentsKey).toBe('record');
    const after = await run(['request', 'document', id, '--out', path.join(t.dir, 'b.txt')], { env: aud });
    expect(after.code, after.stderr).toBe(0);
  });
});

describe('keyring and slots change all or nothing', () => {
  it('a keyring put back from before a disable is refused at log-in (exit 8), for everyone, changing nothing', async () => {
    const t = await homeWithTeam();
    const old = fs.readFileSync(path.join(t.home, 'keyring.json'));
    expect((await run(['operator', 'disable', 'rlee', '--reason', 'left'], { env: t.env })).code).toBe(0);
    fs.writeFileSync(path.join(t.home, 'keyring.json'), old);
    const ledger = fs.readFileSync(path.join(t.home, 'ledger.enc'));
    for (const env of [t.env, passwordFileFor(t, 'rlee', 'designee password 1')]) {
      const r = await run(['camera', 'list'], { env });
      expect(r.code).toBe(8);
      expect(r.stderr.split('\n')[0]).toMatch(
        /^custody: keyring\.json is older than the ledger: it gives (asd|rlee) the record key of rotation 0, the ledger was saved under rotation 1 \(the keyring was put back from before an operator was disabled or a password changed, or tampered with\)\.$/,
      );
    }
    expect(fs.readFileSync(path.join(t.home, 'ledger.enc')).equals(ledger)).toBe(true);
  });

  it('operator add: a failed key write leaves the ledger as it was; a failed commit leaves no slot', async () => {
    const t = await homeWithTeam();
    const pw = path.join(t.dir, 'new.pw');
    fs.writeFileSync(pw, 'a new designee password\n');
    const add = ['operator', 'add', 'kim', '--name', 'Kim Doe', '--role', 'designee', '--new-password-file', pw];
    const files = () =>
      ['ledger.enc', 'keyring.json', 'checkpoints.jsonl'].map((f) => fs.readFileSync(path.join(t.home, f)));
    const before = files();
    const keyWrite = vi.spyOn(Home.prototype, 'setOperatorKeys').mockRejectedValueOnce(new Error('disk gone'));
    expect((await run(add, { env: t.env })).code).not.toBe(0);
    keyWrite.mockRestore();
    expect(files()).toEqual(before);
    const commit = vi.spyOn(Session.prototype, 'commit').mockImplementationOnce(() => {
      throw new Error('disk gone');
    });
    expect((await run(add, { env: t.env })).code).not.toBe(0);
    commit.mockRestore();
    expect(files()).toEqual(before);
    expect((await run(add, { env: t.env })).code).toBe(0);
    expect(Home.open(t.home).readKeyring().operators[operatorKeyId('kim')]).toBeDefined();
  });

  it('operator disable: a failed commit puts the slot back', async () => {
    const t = await homeWithTeam();
    const before = fs.readFileSync(path.join(t.home, 'keyring.json'), 'utf8');
    const commit = vi.spyOn(Session.prototype, 'commit').mockImplementationOnce(() => {
      throw new Error('disk gone');
    });
    expect((await run(['operator', 'disable', 'rlee', '--reason', 'left'], { env: t.env })).code).not.toBe(0);
    commit.mockRestore();
    expect(JSON.parse(fs.readFileSync(path.join(t.home, 'keyring.json'), 'utf8'))).toEqual(JSON.parse(before));
    expect(fs.existsSync(path.join(t.home, 'keyring.next.json'))).toBe(false);
    expect((await run(['camera', 'list'], { env: passwordFileFor(t, 'rlee', 'designee password 1') })).code).toBe(0);
  });
});

describe('keys rotate when an operator is disabled or a password changes', () => {
  it('a slot copied out before a disable opens nothing written after: ledger, documents, batch keys (raw files)', async () => {
    const t = await homeWithTeam();
    const home = Home.open(t.home);
    const before = (await home.unlock('asd', PASSWORD))!;
    const oldBatch = new BatchFiles(home, 'B20260101-aaaaaa');
    const oldBatchKey = createBatchKey(oldBatch, before.evidence!);
    const copied = fs.readFileSync(home.keyringFile, 'utf8');
    const leaver = await rawKeys(t.home, 'rlee', 'designee password 1', copied);
    // Before the disable the copy opens the ledger and the batch key, as it should.
    expect((await Ledger.load(home.ledgerFile, subkey(leaver.record, 'ledger'))).head.seq).toBeGreaterThan(0);

    const off = await run(['operator', 'disable', 'rlee', '--reason', 'left', '--json'], { env: t.env });
    expect(off.code, off.stderr).toBe(0);
    expect(JSON.parse(off.stdout)).toMatchObject({ keys: { record: 1, evidence: 1 }, needNewPassword: [] });
    const { letter } = await requestWithLetter(t);
    const after = (await home.unlock('asd', PASSWORD))!;
    const newBatch = new BatchFiles(home, 'B20260102-bbbbbb');
    createBatchKey(newBatch, after.evidence!);
    const ctx = (b: string) => `custody-batch-key:${b}`;
    const sha = sha256Hex(letter);

    // The copied slot against the raw files written after: nothing opens.
    expect(
      openBlob(subkey(leaver.record, 'ledger'), fs.readFileSync(home.ledgerFile), 'custody-ledger'),
    ).toBeUndefined();
    const doc = fs.readFileSync(documentFile(home, sha));
    for (const k of [leaver.record, leaver.evidence!])
      expect(openBlob(subkey(k, 'documents'), doc, `custody-document:${sha}`)).toBeUndefined();
    expect(
      openBlob(subkey(leaver.evidence!, 'batch-keys'), fs.readFileSync(newBatch.keyFile), ctx(newBatch.batch)),
    ).toBeUndefined();
    // What was sealed before still opens for those who stay (the replaced keys, sealed under the new ones).
    expect(loadBatchKey(oldBatch, after.evidence!).equals(oldBatchKey)).toBe(true);
    expect(after.evidence!.equals(before.evidence!)).toBe(false);
    expect(after.record.equals(before.record)).toBe(false);
    // The auditor, who never logged in since, gets the new record key from the envelope sealed to them.
    const auditor = await rawKeys(t.home, 'audit1', 'auditor password 1');
    expect(auditor.evidence).toBeUndefined();
    const l = await Ledger.load(home.ledgerFile, subkey(auditor.record, 'ledger'));
    expect(l.one<{ n: number }>("SELECT count(*) AS n FROM events WHERE type = 'operator.disabled'")!.n).toBe(1);
    l.close();
    expect(openBlob(subkey(auditor.record, 'documents'), doc, `custody-document:${sha}`)?.equals(letter)).toBe(true);
    const aud = passwordFileFor(t, 'audit1', 'auditor password 1');
    expect((await run(['log'], { env: aud })).code).toBe(0);
    expect((await run(['verify'], { env: t.env })).code).toBe(0);
  });

  it('a password change rotates the keys: the old slot (old password) opens no ledger saved after', async () => {
    const t = await homeWithTeam();
    const home = Home.open(t.home);
    const copied = fs.readFileSync(home.keyringFile, 'utf8');
    const old = await rawKeys(t.home, 'audit1', 'auditor password 1', copied);
    const pw = path.join(t.dir, 'aud-new.pw');
    fs.writeFileSync(pw, 'a new auditor password\n');
    const r = await run(['operator', 'passwd', 'audit1', '--new-password-file', pw, '--json'], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    // An auditor leaving reads no evidence: only the record key rotates.
    expect(JSON.parse(r.stdout)).toMatchObject({ keys: { record: 1, evidence: 0 } });
    expect(openBlob(subkey(old.record, 'ledger'), fs.readFileSync(home.ledgerFile), 'custody-ledger')).toBeUndefined();
    const now = await rawKeys(t.home, 'audit1', 'a new auditor password');
    expect((await Ledger.load(home.ledgerFile, subkey(now.record, 'ledger'))).head.seq).toBeGreaterThan(0);
    // The designee's evidence key did not change; their record key did, through the envelope.
    const rlee = passwordFileFor(t, 'rlee', 'designee password 1');
    expect((await run(['camera', 'list'], { env: rlee })).code).toBe(0);
    expect((await run(['log'], { env: passwordFileFor(t, 'audit1', 'a new auditor password') })).code).toBe(0);
    expect((await run(['verify'], { env: t.env })).code).toBe(0);
  });

  it('a rotation interrupted after the ledger was saved is completed at the next log-in; one interrupted before changes nothing', async () => {
    const t = await homeWithTeam();
    const home = Home.open(t.home);
    // Interrupted before the save: keyring.next.json is left, the ledger is as it was.
    const ledgerBefore = fs.readFileSync(home.ledgerFile);
    const keyringBefore = fs.readFileSync(home.keyringFile);
    const commit = vi.spyOn(Session.prototype, 'commit').mockImplementationOnce(() => {
      throw new Error('killed');
    });
    const discard = vi.spyOn(Home.prototype, 'discardNextKeyring').mockImplementation(() => {});
    expect((await run(['operator', 'disable', 'rlee', '--reason', 'left'], { env: t.env })).code).not.toBe(0);
    commit.mockRestore();
    discard.mockRestore();
    expect(fs.existsSync(home.nextKeyringFile)).toBe(true);
    expect(fs.readFileSync(home.ledgerFile).equals(ledgerBefore)).toBe(true);
    expect((await run(['camera', 'list'], { env: passwordFileFor(t, 'rlee', 'designee password 1') })).code).toBe(0);
    expect(fs.existsSync(home.nextKeyringFile)).toBe(false);
    expect(fs.readFileSync(home.keyringFile).equals(keyringBefore)).toBe(true);

    // Interrupted after the save, before keyring.json was replaced.
    const promote = vi.spyOn(Home.prototype, 'promoteNextKeyring').mockImplementationOnce(() => {
      throw new Error('killed');
    });
    expect((await run(['operator', 'disable', 'rlee', '--reason', 'left'], { env: t.env })).code).not.toBe(0);
    promote.mockRestore();
    expect(fs.existsSync(home.nextKeyringFile)).toBe(true);
    const r = await run(['operator', 'list', '--json'], { env: passwordFileFor(t, 'audit1', 'auditor password 1') });
    expect(r.code, r.stderr).toBe(0);
    expect(
      (JSON.parse(r.stdout) as { username: string; status: string }[]).find((o) => o.username === 'rlee')?.status,
    ).toBe('disabled');
    expect(fs.existsSync(home.nextKeyringFile)).toBe(false);
    expect(home.readKeyring().operators[operatorKeyId('rlee')]).toBeUndefined();
    expect((await run(['camera', 'list'], { env: passwordFileFor(t, 'rlee', 'designee password 1') })).code).toBe(3);
    expect((await run(['verify'], { env: t.env })).code).toBe(0);
  });
});

describe('every event signed by its author', () => {
  it("an auditor who drops the custodian's event, recomputes the chain and re-signs everything with their own key is caught (exit 8)", async () => {
    const t = await homeWithTeam();
    expect((await run(['camera', 'add', 'CAM-02', '--location', 'Oak Ave'], { env: t.env })).code).toBe(0);
    expect((await run(['verify'], { env: t.env })).code).toBe(0);
    const home = Home.open(t.home);
    const aud = (await home.unlock('audit1', 'auditor password 1'))!;
    expect(aud.evidence).toBeUndefined();
    const key = home.ledgerKey(aud.record);
    const old = await Ledger.load(home.ledgerFile, key);
    const evs = old.rows<{ seq: number; type: string; actor: string; at: string; data: string }>(
      'SELECT * FROM events ORDER BY seq',
    );
    old.close();
    const dropped = evs.find((e) => e.type === 'camera.added' && e.data.includes('CAM-01'))!;
    const forged = await Ledger.createEmpty();
    fs.rmSync(home.checkpointsFile);
    for (const e of evs) {
      if (e.seq === dropped.seq) continue;
      forged.append(e.type, e.actor, e.at, JSON.parse(e.data) as Record<string, unknown>, aud.signing);
      home.writeCheckpoint(forged, aud.signing, e.at);
    }
    forged.save(home.ledgerFile, key);
    forged.close();
    const before = fs.readFileSync(home.ledgerFile);
    const r = await run(['verify'], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stderr.trim().split('\n')[0]).toMatch(
      /^custody: Verification failed: Event #1 \(home\.created, .*\) by asd is not signed by asd's key: it was forged or re-signed\.$/,
    );
    expect(fs.readFileSync(home.ledgerFile).equals(before)).toBe(true);
  });

  it('an event whose signature row was removed is caught', async () => {
    const t = await homeWithTeam();
    const home = Home.open(t.home);
    const asd = (await home.unlock('asd', PASSWORD))!;
    const key = home.ledgerKey(asd.record);
    const l = await Ledger.load(home.ledgerFile, key);
    const seq = l.head.seq;
    l.db.run('DELETE FROM event_sigs WHERE seq = ?', [seq]);
    l.save(home.ledgerFile, key);
    l.close();
    const r = await run(['verify'], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stdout).toMatch(new RegExp(`Event #${seq} \\(camera\\.added, .*\\) by asd carries no signature`));
  });
});

const fail = (): never => {
  throw new Error('killed');
};

describe('custody upgrade', () => {
  function copyFixture(): TestHome {
    const t = newTestHome();
    fs.cpSync(path.join(ROOT, 'fixtures', 'home-v1'), t.home, { recursive: true });
    for (const d of ['keys', 'segments', 'store']) fs.mkdirSync(path.join(t.home, d), { recursive: true });
    return t;
  }

  it('an upgrade interrupted at any step is finished by running it again (or, after home.json, by the next log-in)', async () => {
    const steps: [string, () => { mockRestore: () => void }][] = [
      ['before keyring.json is rewritten', () => vi.spyOn(Home.prototype, 'writeKeyring').mockImplementationOnce(fail)],
      [
        'before the new slot is sealed',
        () => vi.spyOn(Home.prototype, 'setOperatorKeys').mockRejectedValueOnce(new Error('killed')),
      ],
      ['before the ledger is saved', () => vi.spyOn(Session.prototype, 'commit').mockImplementationOnce(fail)],
      ['after the ledger is saved', () => vi.spyOn(Home.prototype, 'writeHomeJson').mockImplementationOnce(fail)],
      ['after home.json is written', () => vi.spyOn(Home.prototype, 'finishUpgrade').mockImplementationOnce(fail)],
    ];
    for (const [when, inject] of steps) {
      const t = copyFixture();
      const spy = inject();
      const first = await run(['upgrade'], { env: t.env });
      spy.mockRestore();
      expect(first.code, when).not.toBe(0);
      const version = JSON.parse(fs.readFileSync(path.join(t.home, 'home.json'), 'utf8')).version as number;
      if (version === 1) {
        const again = await run(['upgrade', '--json'], { env: t.env });
        expect(again.code, `${when}: ${again.stderr}`).toBe(0);
        expect(JSON.parse(again.stdout)).toMatchObject({ from: 1, to: 2, needNewPassword: ['audit1', 'rlee'] });
      }
      const cams = await run(['camera', 'list', '--json'], { env: t.env });
      expect(cams.code, `${when}: ${cams.stderr}`).toBe(0);
      expect((JSON.parse(cams.stdout) as { id: string }[]).map((c) => c.id)).toEqual(['CAM-01']);
      expect(
        fs.readdirSync(t.home).filter((f) => /^keyring\.json/.test(f)),
        when,
      ).toEqual(['keyring.json']);
      // The log-in gave the custodian their own PDF certificate (a commit: a new generation under the
      // new record key); no generation left opens with the format-1 key every old slot held.
      const legacy = (await Home.open(path.join(ROOT, 'fixtures', 'home-v1')).unlockLegacy('asd', PASSWORD))!;
      for (const f of fs.readdirSync(t.home).filter((x) => /^ledger\.enc\.\d$/.test(x)))
        await expect(Ledger.load(path.join(t.home, f), subkey(legacy, 'ledger')), `${when}: ${f}`).rejects.toThrow();
      expect((await run(['verify'], { env: t.env })).code, when).toBe(0);
      expect((await run(['log'], { env: passwordFileFor(t, 'audit1', 'auditor password 1') })).code, when).toBe(3);
    }
  }, 300_000);

  it("the custodian's signature on home.upgraded attests the unsigned events before it: one edited there is caught", async () => {
    const t = copyFixture();
    expect((await run(['upgrade'], { env: t.env })).code).toBe(0);
    const home = Home.open(t.home);
    const asd = (await home.unlock('asd', PASSWORD))!;
    const key = home.ledgerKey(asd.record);
    const l = await Ledger.load(home.ledgerFile, key);
    const up = l.one<{ seq: number; data: string }>("SELECT seq, data FROM events WHERE type = 'home.upgraded'")!;
    const before = l.one<{ hash: string }>('SELECT hash FROM events WHERE seq = ?', [up.seq - 1])!;
    expect(JSON.parse(up.data).priorHead).toEqual({ seq: up.seq - 1, hash: before.hash });
    // Edit a camera's location before the upgrade and recompute every hash after it (signatures kept).
    const evs = l.rows<{ seq: number; at: string; type: string; actor: string; data: string }>(
      'SELECT seq, at, type, actor, data FROM events ORDER BY seq',
    );
    let prev = GENESIS_HASH;
    for (const e of evs) {
      const data = JSON.parse(e.data) as Record<string, unknown>;
      if (e.type === 'camera.added') data.location = 'Elsewhere';
      const hash = chainHash(prev, { ...e, data });
      l.db.run('UPDATE events SET data = ?, prev_hash = ?, hash = ? WHERE seq = ?', [
        JSON.stringify(data),
        prev,
        hash,
        e.seq,
      ]);
      prev = hash;
    }
    l.save(home.ledgerFile, key);
    l.close();
    const r = await run(['verify'], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stdout).toMatch(
      new RegExp(`Event #${up.seq} \\(home\\.upgraded, .*\\) by asd is not signed by asd's key`),
    );
  });

  it('a home made by the previous release is refused until upgraded, then verifies, and old slots are gone', async () => {
    const t = copyFixture();
    const legacySlots = Object.keys(
      (JSON.parse(fs.readFileSync(path.join(t.home, 'keyring.json'), 'utf8')) as { operators: object }).operators,
    );
    expect(legacySlots).toHaveLength(3);
    const before = await run(['camera', 'list'], { env: t.env });
    expect(before.code).toBe(6);
    expect(before.stderr).toMatch(/format 1.*`custody upgrade`/s);
    const auditorEnv = passwordFileFor(t, 'audit1', 'auditor password 1');
    expect((await run(['upgrade'], { env: auditorEnv })).code).toBe(4);

    const up = await run(['upgrade', '--json'], { env: t.env });
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({ from: 1, to: 2, needNewPassword: ['audit1', 'rlee'] });
    expect(JSON.parse(fs.readFileSync(path.join(t.home, 'home.json'), 'utf8')).version).toBe(2);
    expect(fs.readdirSync(t.home).filter((f) => /^keyring\.json|^ledger\.enc\./.test(f))).toEqual(['keyring.json']);
    const v = await run(['verify'], { env: t.env });
    expect(v.stdout).toMatch(/OK: the ledger is intact/);
    const cams = JSON.parse((await run(['camera', 'list', '--json'], { env: t.env })).stdout) as { id: string }[];
    expect(cams.map((c) => c.id)).toEqual(['CAM-01']);

    // The old passwords open nothing now; the custodian gives new ones, which make role-bound slots.
    expect((await run(['log'], { env: auditorEnv })).code).toBe(3);
    const pw = path.join(t.dir, 'new-aud.pw');
    fs.writeFileSync(pw, 'a new auditor password\n');
    expect((await run(['operator', 'passwd', 'audit1', '--new-password-file', pw], { env: t.env })).code).toBe(0);
    expect((await run(['log'], { env: passwordFileFor(t, 'audit1', 'a new auditor password') })).code).toBe(0);
    expect(Object.keys(await rawSlot(t.home, 'audit1', 'a new auditor password')).sort()).toEqual([
      'box',
      'evidenceEpoch',
      'record',
      'recordEpoch',
      'signingKey',
    ]);
    expect((await run(['verify'], { env: t.env })).code).toBe(0);
    expect((await run(['upgrade'], { env: t.env })).code).toBe(6);
  });
});
