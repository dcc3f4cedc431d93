/**
 * Issue 14: all or nothing, and checkpoints that cannot be trimmed silently. Every attack is made
 * on the home's raw files (bytes of identity.enc, lines of checkpoints.jsonl, a lock file), then
 * the command is run and the files are compared byte for byte.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOperatorIdentity } from '../../src/documents/certificate.js';
import { Home } from '../../src/ledger/home.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { openSession } from '../../src/ledger/session.js';
import { INIT_ARGS, newTestHome, PASSWORD, run, type TestHome } from '../helpers/cli.js';

async function setUp(): Promise<TestHome> {
  const t = newTestHome();
  const r = await run(INIT_ARGS, { env: t.env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return t;
}

/** Every file of the home (but the lock) and its bytes. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!d.isFile()) continue;
    const f = path.join(d.parentPath, d.name);
    if (d.name === 'lock') continue;
    // The mark a passing signed-state check leaves (ledger/signed-mark.ts): a sealed cache of a
    // verified state, not a record; a command refused after its gate check passed may leave it.
    if (d.name === 'signed-state.enc') continue;
    out.set(path.relative(dir, f), fs.readFileSync(f).toString('base64'));
  }
  return out;
}

async function addCameras(t: TestHome, n: number): Promise<void> {
  for (let i = 1; i <= n; i++)
    expect((await run(['camera', 'add', `CAM-0${i}`, '--location', `Street ${i}`], { env: t.env })).code).toBe(0);
}

function checkpointLines(t: TestHome): string[] {
  return fs.readFileSync(path.join(t.home, 'checkpoints.jsonl'), 'utf8').split('\n').filter(Boolean);
}

function writeCheckpointLines(t: TestHome, lines: string[]): void {
  fs.writeFileSync(path.join(t.home, 'checkpoints.jsonl'), `${lines.join('\n')}\n`);
}

describe('all or nothing', () => {
  it('with a PDF signing key in the slot that the ledger does not record, a signed report exits 8 and the home is byte for byte as it was', async () => {
    const t = await setUp();
    const keyringFile = path.join(t.home, 'keyring.json');
    const good = fs.readFileSync(keyringFile);
    // The custodian's slot re-sealed (with their password) around another certificate and key.
    const other = createOperatorIdentity({
      name: 'Someone Else',
      organization: 'City of Example',
      office: 'Administrative Services Director',
      now: new Date(),
    });
    await Home.open(t.home).setDocumentKey('asd', PASSWORD, {
      privateKeyPem: other.privateKeyPem,
      certPem: other.certPem,
    });
    const before = snapshot(t.home);
    const out = path.join(t.dir, 'reports');
    const r = await run(['transparency', '--from', '2026-01-01', '--to', '2026-01-31', '--out', out], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/signing certificate in asd's keyring slot is not the one the ledger records/);
    expect(snapshot(t.home)).toEqual(before);
    expect(fs.existsSync(out) ? fs.readdirSync(out) : []).toEqual([]);
    // Checkpoints are signed with the operator's own Ed25519 key, so the record does not depend on it.
    expect((await run(['camera', 'add', 'CAM-01', '--location', 'Main St'], { env: t.env })).code).toBe(0);
    fs.writeFileSync(keyringFile, good);
    expect((await run(['verify'], { env: t.env })).code).toBe(0);
  });

  it('a checkpoint that cannot be appended puts the saved ledger back (and its generations)', async () => {
    const t = await setUp();
    await addCameras(t, 2);
    const before = snapshot(t.home);
    const s = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock: () => new Date(),
      command: 'test',
    });
    try {
      s.append('camera.added', { id: 'CAM-09', location: 'Nowhere' });
      s.home.appendCheckpoint = () => {
        throw new Error('disk full (simulated)');
      };
      expect(() => s.commit()).toThrow(/disk full/);
    } finally {
      s.close();
    }
    expect(snapshot(t.home)).toEqual(before);
    expect((await run(['verify'], { env: t.env })).code).toBe(0);
  });

  it('`restore` with a stale lock exits 7 before touching anything', async () => {
    const t = await setUp();
    await addCameras(t, 3);
    fs.writeFileSync(
      path.join(t.home, 'lock'),
      JSON.stringify({ pid: 2 ** 22 + 4321, host: os.hostname(), user: 'asd', command: 'swap', since: 'x' }),
    );
    const before = snapshot(t.home);
    const r = await run(['restore', '--generation', '3', '--yes'], { env: t.env });
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/stale lock/);
    expect(snapshot(t.home)).toEqual(before);
  });

  it('`restore` records ledger.restored naming the events and checkpoints it set aside', async () => {
    const t = await setUp();
    await addCameras(t, 3);
    const r = await run(['restore', '--generation', '2', '--yes', '--json'], { env: t.env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ restoredGeneration: 2, lostEvents: 2, lostCheckpoints: 2 });
    const log = JSON.parse((await run(['log', '--type', 'ledger.restored', '--json'], { env: t.env })).stdout) as {
      data: {
        fromGeneration: number;
        headSeq: number;
        currentHead: { seq: number };
        lostEvents: { seq: number; type: string; actor: string }[];
      };
    }[];
    expect(log).toHaveLength(1);
    expect(log[0]!.data.fromGeneration).toBe(2);
    expect(log[0]!.data.currentHead.seq).toBe(6);
    expect(log[0]!.data.lostEvents.map((e) => [e.seq, e.type, e.actor])).toEqual([
      [5, 'camera.added', 'asd'],
      [6, 'camera.added', 'asd'],
    ]);
    const cams = JSON.parse((await run(['camera', 'list', '--json'], { env: t.env })).stdout) as { id: string }[];
    expect(cams.map((c) => c.id)).toEqual(['CAM-01']);
    const v = await run(['verify'], { env: t.env });
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/lost in a recorded restore/);
  });
});

describe('checkpoints form their own chain', () => {
  it('each checkpoint names the SHA-256 of the line before it', async () => {
    const t = await setUp();
    await addCameras(t, 2);
    const lines = checkpointLines(t);
    expect(lines).toHaveLength(3);
    const { createHash } = await import('node:crypto');
    expect(JSON.parse(lines[0]!).prev).toBeNull();
    for (let i = 1; i < lines.length; i++)
      expect(JSON.parse(lines[i]!).prev).toBe(
        createHash('sha256')
          .update(lines[i - 1]!)
          .digest('hex'),
      );
  });

  it('a removed middle line is an error naming the gap; nothing is changed by the check', async () => {
    const t = await setUp();
    await addCameras(t, 3);
    const lines = checkpointLines(t);
    writeCheckpointLines(t, [lines[0]!, lines[1]!, lines[3]!]);
    const before = snapshot(t.home);
    const r = await run(['verify'], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stdout).toMatch(/A checkpoint is missing between #4 .* and #6/);
    expect(r.stderr.trim().split('\n')[0]).toMatch(/^custody: Verification failed: A checkpoint is missing between #4/);
    expect(snapshot(t.home)).toEqual(before);
  });

  it('a removed last line is an error naming the events without a signature', async () => {
    const t = await setUp();
    await addCameras(t, 2);
    writeCheckpointLines(t, checkpointLines(t).slice(0, -1));
    const r = await run(['verify'], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stdout).toMatch(/Event #5 has no signed checkpoint: the last checkpoint \(line 2, .*\) covers #4/);
  });

  it('the last two lines removed: the span #4–#5 is named', async () => {
    const t = await setUp();
    await addCameras(t, 2);
    writeCheckpointLines(t, checkpointLines(t).slice(0, -2));
    const r = await run(['verify', '--json'], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stdout).toMatch(/Events #4–#5 have no signed checkpoint/);
  });

  it('a removed first line is an error', async () => {
    const t = await setUp();
    await addCameras(t, 1);
    writeCheckpointLines(t, checkpointLines(t).slice(1));
    const r = await run(['verify'], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stdout).toMatch(/Checkpoints before the one of #4 .* are missing/);
  });
});

describe('witnesses outside the home', () => {
  /** The attack of the issue: put back an older generation and trim checkpoints.jsonl to match. */
  function rollBack(t: TestHome, generations: number): void {
    fs.copyFileSync(path.join(t.home, `ledger.enc.${generations}`), path.join(t.home, 'ledger.enc'));
    writeCheckpointLines(t, checkpointLines(t).slice(0, -generations));
  }

  it('a rollback with trimmed checkpoints passes alone, but fails against a later witness, which is named', async () => {
    const t = await setUp();
    const early = path.join(t.dir, 'w-early.json');
    expect((await run(['witness', 'export', '--out', early], { env: t.env })).code).toBe(0);
    await addCameras(t, 2);
    const late = path.join(t.dir, 'w-late.json');
    const ex = await run(['witness', 'export', '--out', late, '--json'], { env: t.env });
    expect(ex.code).toBe(0);
    expect(JSON.parse(ex.stdout)).toMatchObject({ seq: 5 });
    const w = JSON.parse(fs.readFileSync(late, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(w).sort()).toEqual(['at', 'format', 'hash', 'home', 'publicKey', 'seq', 'signature', 'version']);
    expect((fs.statSync(late).mode & 0o777).toString(8)).toBe('644');
    expect((await run(['verify', '--witness', early, late], { env: t.env })).code).toBe(0);

    rollBack(t, 2);
    expect((await run(['verify'], { env: t.env })).code).toBe(0);
    expect((await run(['verify', '--witness', early], { env: t.env })).code).toBe(0);
    const before = snapshot(t.home);
    const r = await run(['verify', '--witness', early, late], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stderr.trim().split('\n')[0]).toMatch(
      /^custody: Verification failed: The ledger ends at #3, but the witness w-late\.json \(.*\) saw #5: the ledger was rolled back/,
    );
    expect(snapshot(t.home)).toEqual(before);
  });

  it('a rewritten history (recomputed chain, re-signed checkpoints) contradicts the witness at its sequence number', async () => {
    const t = await setUp();
    await addCameras(t, 2);
    const wf = path.join(t.dir, 'w.json');
    await run(['witness', 'export', '--out', wf], { env: t.env });
    // The raw attack by the custodian, with their own keys: rebuild the chain with #4 edited, re-sign every event
    // and checkpoint. Nothing inside the home can tell; the witness can.
    const home = Home.open(t.home);
    const master = (await home.unlock('asd', PASSWORD))!;
    const key = home.ledgerKey(master.record);
    const old = await Ledger.load(home.ledgerFile, key);
    const evs = old.rows<{ type: string; actor: string; at: string; data: string }>(
      'SELECT * FROM events ORDER BY seq',
    );
    old.close();
    const forged = await Ledger.createEmpty();
    fs.rmSync(home.checkpointsFile);
    for (const e of evs) {
      forged.append(
        e.type,
        e.actor,
        e.at,
        JSON.parse(e.data.replace('Street 1', 'Street 9')) as Record<string, unknown>,
        master.signing,
      );
      if (forged.head.seq >= 3) home.writeCheckpoint(forged, master.signing, e.at);
    }
    forged.save(home.ledgerFile, key);
    forged.close();
    const alone = await run(['verify'], { env: t.env });
    expect(alone.stdout).toMatch(/OK: the ledger is intact/);
    expect(alone.code).toBe(0);
    const r = await run(['verify', '--witness', wf], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(
      /Verification failed: Event #5 differs from the witness w\.json \(.*\): the history up to it was rewritten/,
    );
  });

  it('an edited witness is refused: its signature no longer holds', async () => {
    const t = await setUp();
    const wf = path.join(t.dir, 'w.json');
    await run(['witness', 'export', '--out', wf], { env: t.env });
    const w = JSON.parse(fs.readFileSync(wf, 'utf8')) as { hash: string };
    const edited = path.join(t.dir, 'w-edited.json');
    fs.writeFileSync(edited, JSON.stringify({ ...w, hash: 'a'.repeat(64) }));
    const r = await run(['verify', '--witness', edited], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stdout).toMatch(/The witness w-edited\.json has an invalid signature/);
  });

  it('a witness from another home is refused with exit 8, naming both homes', async () => {
    const a = await setUp();
    const b = await setUp();
    const wf = path.join(b.dir, 'other.json');
    expect((await run(['witness', 'export', '--out', wf], { env: b.env })).code).toBe(0);
    const r = await run(['verify', '--witness', wf], { env: a.env });
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/The witness other\.json is from another home \([0-9a-f-]{36}\), not this one/);
  });

  it('a file that is not a witness is a usage error; an existing --out is never overwritten', async () => {
    const t = await setUp();
    const f = path.join(t.dir, 'x.json');
    fs.writeFileSync(f, '{"hello":1}');
    const r = await run(['verify', '--witness', f], { env: t.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not a custody witness/);
    const again = await run(['witness', 'export', '--out', f], { env: t.env });
    expect(again.code).toBe(6);
    expect(fs.readFileSync(f, 'utf8')).toBe('{"hello":1}');
  });
});
