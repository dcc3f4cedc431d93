/**
 * Issue 14: all or nothing, and checkpoints that cannot be trimmed silently. Every attack is made
 * on the home's raw files (bytes of identity.enc, lines of checkpoints.jsonl, a lock file), then
 * the command is run and the files are compared byte for byte.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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
  it('with a damaged signing identity, `camera add` exits 8 and the home is byte for byte as it was', async () => {
    const t = await setUp();
    const idFile = path.join(t.home, 'signing', 'identity.enc');
    const good = fs.readFileSync(idFile);
    const bad = Buffer.from(good);
    bad[bad.length - 5]! ^= 0xff;
    fs.writeFileSync(idFile, bad);
    const before = snapshot(t.home);
    const r = await run(['camera', 'add', 'CAM-01', '--location', 'Main St'], { env: t.env });
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/signing identity .* cannot be decrypted/);
    expect(snapshot(t.home)).toEqual(before);
    fs.writeFileSync(idFile, good);
    const list = await run(['camera', 'list', '--json'], { env: t.env });
    expect(JSON.parse(list.stdout)).toEqual([]);
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
