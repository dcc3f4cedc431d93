/**
 * The ledger's archive with the built binary and real processes (issue 19): verify after archiving
 * and a segment removed (exit 8 naming it); a save SIGKILLed at any moment while segments are being
 * cut, and a SIGKILL right after a segment is written and before the live file names it, leave the
 * old state or the new one.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_DIR } from '../../src/ledger/archive.js';
import { randomKey } from '../../src/ledger/crypto.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { INIT_ARGS, newTestHome, ROOT, spawnBin, tmpDir } from '../helpers/cli.js';

const SEGMENT_ENV = { CUSTODY_LEDGER_SEGMENT_EVENTS: '20' };
let saved: string | undefined;
beforeAll(() => {
  saved = process.env.CUSTODY_LEDGER_SEGMENT_EVENTS;
  process.env.CUSTODY_LEDGER_SEGMENT_EVENTS = SEGMENT_ENV.CUSTODY_LEDGER_SEGMENT_EVENTS;
});
afterAll(() => {
  if (saved === undefined) delete process.env.CUSTODY_LEDGER_SEGMENT_EVENTS;
  else process.env.CUSTODY_LEDGER_SEGMENT_EVENTS = saved;
});

function child(script: string): ReturnType<typeof spawn> {
  return spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...SEGMENT_ENV },
  });
}

async function seeded(): Promise<{ file: string; key: Buffer; dir: string }> {
  const dir = tmpDir();
  const file = path.join(dir, 'ledger.enc');
  const key = randomKey();
  const seed = await Ledger.createEmpty();
  for (let i = 0; i < 200; i++)
    seed.append('operator.password_changed', 'x', '2026-01-01T00:00:00.000+00:00', {
      username: 'x',
      pad: 'p'.repeat(500),
      i,
    });
  // Saved whole, nothing archived yet: the first save of the child cuts 9 segments at once.
  process.env.CUSTODY_LEDGER_SEGMENT_EVENTS = '100000';
  seed.save(file, key);
  process.env.CUSTODY_LEDGER_SEGMENT_EVENTS = SEGMENT_ENV.CUSTODY_LEDGER_SEGMENT_EVENTS;
  seed.close();
  return { file, key, dir };
}

async function expectWhole(file: string, key: Buffer, atLeast: number): Promise<number> {
  const l = await Ledger.load(file, key);
  try {
    expect(l.verifyChain().problem).toBeUndefined();
    expect(l.head.seq).toBeGreaterThanOrEqual(atLeast);
    return l.segments().length;
  } finally {
    l.close();
  }
}

describe('ledger archive (spawned)', () => {
  it('custody verify walks the archive after archiving; a segment removed is exit 8 naming it', async () => {
    const t = newTestHome();
    const env = { ...t.env, CUSTODY_LEDGER_SEGMENT_EVENTS: '2' };
    const ok = async (args: string[]) => {
      const r = await spawnBin(args, { env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r;
    };
    await ok(INIT_ARGS);
    for (let i = 1; i <= 3; i++) await ok(['camera', 'add', `CAM-0${i}`, '--location', 'Main St']);
    const segments = fs.readdirSync(path.join(t.home, ARCHIVE_DIR)).sort();
    expect(segments.length).toBeGreaterThanOrEqual(2);
    const v = await ok(['verify']);
    expect(v.stdout).toMatch(/OK: the ledger is intact/);
    const seg = path.join(t.home, ARCHIVE_DIR, segments[1]!);
    const bytes = fs.readFileSync(seg);
    fs.rmSync(seg);
    const r = await spawnBin(['verify'], { env });
    expect(r.code).toBe(8);
    expect(r.stderr).toContain(`archive/${segments[1]}`);
    expect(r.stderr).toMatch(/is missing/);
    fs.writeFileSync(seg, bytes);
    await ok(['verify']);
  }, 300_000);

  it('a save killed at any moment while segments are cut leaves the previous state or the new one', async () => {
    const { file, key } = await seeded();
    const script = `
      import { Ledger } from ${JSON.stringify(path.join(ROOT, 'dist/ledger/ledger.js'))};
      const key = Buffer.from(${JSON.stringify(key.toString('hex'))}, 'hex');
      const l = await Ledger.load(${JSON.stringify(file)}, key);
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) { l.append('operator.password_changed', 'x', '2026-01-01T00:00:00.000+00:00', { username: 'x', pad: 'q'.repeat(400), i }); l.save(${JSON.stringify(file)}, key); }
    `;
    for (const delay of [0, 5, 20, 45, 80, 130, 200]) {
      const c = child(script);
      await new Promise<void>((resolve) => c.stdout!.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, delay));
      c.kill('SIGKILL');
      await new Promise((r) => c.once('close', r));
      await expectWhole(file, key, 200);
    }
    // Whatever state the kills left, the next save goes on from it and cuts what is due.
    const l = await Ledger.load(file, key);
    l.append('operator.password_changed', 'x', '2026-01-01T00:00:00.000+00:00', { username: 'x', i: 'after' });
    l.save(file, key);
    l.close();
    expect(await expectWhole(file, key, 201)).toBeGreaterThanOrEqual(9);
  });

  it('SIGKILL right after a segment is written, before the live file names it: the old state; the next save archives again', async () => {
    const { file, key, dir } = await seeded();
    const script = `
      import { Ledger } from ${JSON.stringify(path.join(ROOT, 'dist/ledger/ledger.js'))};
      const key = Buffer.from(${JSON.stringify(key.toString('hex'))}, 'hex');
      const l = await Ledger.load(${JSON.stringify(file)}, key);
      l.append('operator.password_changed', 'x', '2026-01-01T00:00:00.000+00:00', { username: 'x', i: 'last' });
      const written = l.archiveDue(${JSON.stringify(file)}, key);
      process.stdout.write(JSON.stringify(written.map((r) => r.name)) + '\\n');
      process.kill(process.pid, 'SIGKILL');
    `;
    const c = child(script);
    let out = '';
    c.stdout!.on('data', (d) => (out += d));
    await new Promise((r) => c.once('close', r));
    const written = JSON.parse(out) as string[];
    expect(written.length).toBeGreaterThanOrEqual(1);
    for (const name of written) expect(fs.existsSync(path.join(dir, ARCHIVE_DIR, name))).toBe(true);
    // The live file is the one before: all 200 events, no segment named.
    const l = await Ledger.load(file, key);
    expect(l.head.seq).toBe(200);
    expect(l.segments()).toEqual([]);
    expect(l.verifyChain()).toEqual({ events: 200 });
    // The next save cuts the segments again, as new files (the orphans are never read or reused).
    l.append('operator.password_changed', 'x', '2026-01-01T00:00:00.000+00:00', { username: 'x', i: 'again' });
    l.save(file, key);
    const names = l.segments().map((r) => r.name);
    l.close();
    expect(names.length).toBe(written.length);
    for (const n of names) expect(written).not.toContain(n);
    expect(await expectWhole(file, key, 201)).toBe(names.length);
  });
});
