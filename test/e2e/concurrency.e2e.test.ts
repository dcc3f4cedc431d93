/**
 * Commands side by side, as real processes of the built binary: nobody is locked out by a long
 * writer. A long command is frozen (SIGSTOP) in the middle of its work — never in a commit, when
 * the write lock exists — so that the other command surely runs while it is under way.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSession } from '../../src/ledger/session.js';
import { BIN, INIT_ARGS, newTestHome, PASSWORD, ROOT, spawnBin, type TestHome, tmpDir } from '../helpers/cli.js';

const SEARCH = ['--purpose', 'criminal investigation', '--case', '2026-0042', '--json'];
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const tmuxSessions: string[] = [];
afterAll(() => {
  for (const s of tmuxSessions) spawnSync('tmux', ['kill-session', '-t', s]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(t: TestHome, args: string[]): { child: ChildProcess; done: Promise<{ code: number; out: string }> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...t.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const done = new Promise<{ code: number; out: string }>((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? -1, out })),
  );
  return { child, done };
}

/** Freeze `child` once `ready()` holds, at a moment it holds no write lock (retrying if it was committing). */
async function freezeWhen(t: TestHome, child: ChildProcess, ready: () => boolean): Promise<void> {
  const lock = path.join(t.home, 'lock');
  for (let i = 0; i < 60_000; i++) {
    if (child.exitCode !== null) throw new Error('the command ended before it could be frozen mid-way');
    if (ready()) {
      child.kill('SIGSTOP');
      if (!fs.existsSync(lock)) return;
      child.kill('SIGCONT');
    }
    await sleep(5);
  }
  throw new Error('never ready');
}

async function events(t: TestHome): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const s = await openSession({
    homeDir: t.home,
    credentials: { username: 'asd', password: PASSWORD },
    clock: () => new Date(),
    command: 'test',
  });
  try {
    return s.ledger
      .rows<{ type: string; data: string }>('SELECT type, data FROM events ORDER BY seq')
      .map((e) => ({ type: e.type, data: JSON.parse(e.data) as Record<string, unknown> }));
  } finally {
    s.close();
  }
}

async function ok(t: TestHome, args: string[]): Promise<void> {
  const r = await spawnBin(args, { env: t.env });
  expect(r.stderr, args.join(' ')).toBe('');
  expect(r.code, args.join(' ')).toBe(0);
}

/** A home with cameras CAM-01 and CAM-02, drives D001 in CAM-01 and D002 in CAM-02 holding the demo media, spares D003, D004. */
async function twoCameraHome(): Promise<TestHome & { drives: string[] }> {
  const t = newTestHome();
  await ok(t, INIT_ARGS);
  const drives: string[] = [];
  for (const [i, cam] of ['CAM-01', 'CAM-02'].entries()) {
    await ok(t, ['camera', 'add', cam, '--location', `Street ${i + 1}`, '--since', '2026-10-01T00:00:00-07:00']);
    const drive = path.join(tmpDir('custody-conc-'), `CAMDRIVE${i + 1}`);
    fs.mkdirSync(drive);
    await ok(t, ['drive', 'enrol', '--source', drive, '--id', `D00${i + 1}`]);
    await ok(t, ['drive', 'install', `D00${i + 1}`, '--camera', cam, '--at', '2026-11-01T08:00:00-08:00']);
    fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
    // The second drive's images differ from the first's by a trailing byte (no duplicates across them).
    if (i === 1)
      for (const f of fs.readdirSync(drive, { recursive: true, withFileTypes: true }))
        if (f.isFile() && /\.jpe?g$/i.test(f.name)) fs.appendFileSync(path.join(f.parentPath, f.name), Buffer.of(0));
    drives.push(drive);
  }
  await ok(t, ['drive', 'enrol', '--id', 'D003']);
  await ok(t, ['drive', 'enrol', '--id', 'D004']);
  return { ...t, drives };
}

function swapArgs(drive: string, camera: string, replacement: string): string[] {
  return [
    'swap',
    '--source',
    drive,
    '--camera',
    camera,
    '--removed-at',
    '2026-11-04T09:00:00-08:00',
    '--store-location',
    'safe',
    '--replacement',
    replacement,
    '--no-ocr',
    '--json',
  ];
}

describe('nobody is locked out', () => {
  it('a search (and drive list, retention) during `custody ocr` succeeds at once, and both records survive', async () => {
    const t = await twoCameraHome();
    await ok(t, swapArgs(t.drives[0]!, 'CAM-01', 'D003'));
    const ocr = start(t, ['ocr', '--workers', '1', '--checkpoint-every', '2']);
    const readingsSaved = () => fs.readdirSync(path.join(t.home, 'segments')).some((f) => f.endsWith('.ocr'));
    await freezeWhen(t, ocr.child, readingsSaved);
    try {
      // ocr is mid-run (its own ocr.lock held): readers and a search that appends its access record go through.
      expect(fs.existsSync(path.join(t.home, 'ocr.lock'))).toBe(true);
      const search = await spawnBin(['search', 'AT7921C', ...SEARCH], { env: t.env });
      expect(search.stderr).toBe('');
      expect(search.code).toBe(0);
      for (const args of [['drive', 'list'], ['retention'], ['log']]) {
        const r = await spawnBin(args, { env: t.env });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      }
      // A second plate reader is told one is running (and changes nothing).
      const second = await spawnBin(['ocr'], { env: t.env });
      expect(second.code).toBe(7);
      expect(second.stderr).toMatch(/Plate reading is running: `ocr` \(process \d+/);
      // A purge would re-key readings being written: it waits for plate reading to end.
      const purge = await spawnBin(['purge', '--yes'], { env: t.env });
      expect(purge.code).toBe(7);
      expect(purge.stderr).toMatch(/Plate reading is running: `ocr`/);
    } finally {
      ocr.child.kill('SIGCONT');
    }
    const end = await ocr.done;
    expect(end.code, end.out).toBe(0);
    const ev = await events(t);
    const types = ev.map((e) => e.type);
    const searchAt = types.indexOf('access.recorded');
    expect(searchAt).toBeGreaterThan(types.indexOf('ocr.started'));
    expect(types.indexOf('ocr.finished')).toBeGreaterThan(searchAt);
    expect(ev[searchAt]!.data).toMatchObject({ action: 'search', query: 'AT7921C', caseRef: '2026-0042' });
    expect(fs.existsSync(path.join(t.home, 'ocr.lock'))).toBe(false);
    expect(fs.existsSync(path.join(t.home, 'lock'))).toBe(false);
    const v = await spawnBin(['verify'], { env: t.env });
    expect(v.stdout + v.stderr).not.toMatch(/problem/i);
    expect(v.code).toBe(0);
  }, 600_000);

  it('two swaps of two drives at once: the second runs while the first is mid-import, and both land whole', async () => {
    const t = await twoCameraHome();
    const first = start(t, swapArgs(t.drives[0]!, 'CAM-01', 'D003'));
    const importing = () => fs.readdirSync(path.join(t.home, 'segments')).some((f) => f.endsWith('.journal'));
    await freezeWhen(t, first.child, importing);
    let second: { code: number; stdout: string; stderr: string };
    try {
      second = await spawnBin(swapArgs(t.drives[1]!, 'CAM-02', 'D004'), { env: t.env, timeoutMs: 300_000 });
      // The same drive twice at once: the second swap is refused before it records or asks anything.
      const same = await spawnBin(swapArgs(t.drives[0]!, 'CAM-01', 'D004'), { env: t.env });
      expect(same.code).toBe(7);
      expect(same.stderr).toMatch(/Drive D001 is being swapped now by `swap` \(process \d+/);
    } finally {
      first.child.kill('SIGCONT');
    }
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const one = await first.done;
    expect(one.code, one.out).toBe(0);
    const ev = await events(t);
    const count = (type: string) => ev.filter((e) => e.type === type).length;
    expect([count('swap.started'), count('import.finished'), count('swap.finished')]).toEqual([2, 2, 2]);
    const finished = ev.filter((e) => e.type === 'swap.finished').map((e) => e.data.replacement);
    // The second swap finished first: it ran while the first was frozen.
    expect(finished).toEqual(['D004', 'D003']);
    const drives = JSON.parse((await spawnBin(['drive', 'list', '--json'], { env: t.env })).stdout) as {
      id: string;
      state: string;
    }[];
    expect(Object.fromEntries(drives.map((d) => [d.id, d.state]))).toMatchObject({
      D001: 'stored',
      D002: 'stored',
      D003: 'in_camera',
      D004: 'in_camera',
    });
    expect((await spawnBin(['verify'], { env: t.env })).code).toBe(0);
  }, 600_000);

  it.skipIf(!hasTmux)(
    'a swap waiting at a prompt on a terminal blocks nobody; answered later, it lands after the others',
    async () => {
      const t = await twoCameraHome();
      const name = `custody-conc-${process.pid}`;
      tmuxSessions.push(name);
      const env = Object.entries({ ...t.env, NO_COLOR: '1' }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
      const cmd = [process.execPath, BIN, 'swap', '--source', t.drives[0]!, '--no-ocr']
        .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
        .join(' ');
      execFileSync('tmux', [
        'new-session',
        '-d',
        '-s',
        name,
        '-x',
        '200',
        '-y',
        '50',
        ...env,
        `${cmd}; echo EXIT=$?; sleep 120`,
      ]);
      const screen = () => execFileSync('tmux', ['capture-pane', '-p', '-J', '-t', name], { encoding: 'utf8' });
      const waitFor = async (re: RegExp) => {
        for (let i = 0; i < 1200; i++) {
          const s = screen();
          if (re.test(s)) return s;
          await sleep(100);
        }
        throw new Error(`timed out waiting for ${re}; screen:\n${screen()}`);
      };
      await waitFor(/Which camera did this drive come out of\?/);
      // The swap is waiting for an answer: a writer and a search go through meanwhile.
      expect(fs.existsSync(path.join(t.home, 'lock'))).toBe(false);
      await ok(t, ['camera', 'add', 'CAM-03', '--location', 'Oak St', '--since', '2026-10-01T00:00:00-07:00']);
      const search = await spawnBin(['search', 'AT7921C', ...SEARCH], { env: t.env });
      expect(search.code, search.stderr).toBe(0);
      // Now the answers: the camera (default CAM-01), the removal time, where it is kept, the replacement.
      const keys = (...k: string[]) => execFileSync('tmux', ['send-keys', '-t', name, ...k]);
      keys('Enter');
      await waitFor(/When was it taken out\?/);
      keys('C-u', '2026-11-04T09:00:00-08:00', 'Enter');
      await waitFor(/Where is this drive kept now\?/);
      keys('Enter');
      await waitFor(/Which drive went into the camera\?/);
      keys('Enter');
      const end = await waitFor(/EXIT=\d+/);
      expect(end).toMatch(/EXIT=0/);
      const ev = await events(t);
      const types = ev.map((e) => e.type);
      // Recorded while the swap waited, so before its first event; nothing of either was lost.
      expect(ev.findIndex((e) => e.type === 'camera.added' && e.data.id === 'CAM-03')).toBeLessThan(
        types.indexOf('swap.started'),
      );
      expect(types.filter((x) => x === 'access.recorded')).toHaveLength(1);
      expect(types.at(-1)).toBe('swap.finished');
      expect((await spawnBin(['verify'], { env: t.env })).code).toBe(0);
    },
    600_000,
  );
});
