/**
 * The swap at a real terminal (tmux): a real Ctrl-C at the "Where is this drive kept now?" prompt
 * of the built binary says what is on the record, and the next `custody swap` resumes there
 * without asking the removal time again; one batch at the end.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSession } from '../../src/ledger/session.js';
import { BIN, INIT_ARGS, newTestHome, PASSWORD, ROOT, spawnBin, type TestHome } from '../helpers/cli.js';

const sessions: string[] = [];
const hasTmux = spawnSync('tmux', ['-V']).status === 0;

afterAll(() => {
  for (const s of sessions) spawnSync('tmux', ['kill-session', '-t', s]);
});

function startInTmux(t: TestHome, args: string[]): string {
  const name = `custody-swap-${process.pid}-${sessions.length}`;
  sessions.push(name);
  const env = Object.entries({ ...t.env, NO_COLOR: '1' }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  execFileSync('tmux', [
    'new-session',
    '-d',
    '-s',
    name,
    '-x',
    '250',
    '-y',
    '60',
    ...env,
    `${cmd}; echo EXIT=$?; sleep 60`,
  ]);
  return name;
}

function screen(name: string): string {
  return execFileSync('tmux', ['capture-pane', '-p', '-J', '-S', '-200', '-t', name], { encoding: 'utf8' });
}

async function waitFor(name: string, text: string | RegExp, timeoutMs = 60_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = screen(name);
    if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${String(text)}; screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function keys(name: string, ...k: string[]): void {
  execFileSync('tmux', ['send-keys', '-t', name, ...k]);
}

describe('a swap at a terminal', () => {
  it.skipIf(!hasTmux)(
    'Ctrl-C at a prompt says what is recorded; the next swap resumes there',
    async () => {
      const t = newTestHome();
      const ok = async (args: string[]) => expect((await spawnBin(args, { env: t.env })).code).toBe(0);
      await ok(INIT_ARGS);
      await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
      const drive = path.join(t.dir, 'CAMDRIVE1');
      fs.mkdirSync(drive);
      await ok(['drive', 'enrol', '--source', drive, '--id', 'D001']);
      await ok(['drive', 'enrol', '--id', 'D002']);
      await ok(['drive', 'install', 'D001', '--camera', 'CAM-01', '--at', '2026-11-01T08:00:00-08:00']);
      fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });

      const first = startInTmux(t, ['swap', '--source', drive]);
      await waitFor(first, 'Which camera did this drive come out of?');
      keys(first, 'Enter'); // CAM-01, where the ledger says it is
      await waitFor(first, 'When was it taken out?');
      keys(first, '2026-11-04 09:00', 'Enter');
      await waitFor(first, 'Where is this drive kept now?');
      keys(first, 'C-c');
      const stopped = (await waitFor(first, /EXIT=\d+/)).replace(/\s+/g, ' ');
      expect(stopped).toContain('EXIT=130');
      expect(stopped).toMatch(
        /Recorded so far \(swap S\S+\): the removal of drive D001 from camera CAM-01 at 2026-11-04T09:00:00\.000-08:00; its import \(batch B\S+, 24 files\)/,
      );
      expect(stopped).not.toMatch(/nothing was changed/);

      const second = startInTmux(t, ['swap', '--source', drive]);
      await waitFor(second, 'Where is this drive kept now?');
      keys(second, 'safe, room 102', 'Enter');
      await waitFor(second, 'Which drive went into the camera?');
      keys(second, 'Enter'); // D002, the first eligible
      await waitFor(second, 'Read the plates of this batch now?');
      keys(second, 'n', 'Enter');
      const done = (await waitFor(second, /EXIT=\d+/)).replace(/\s+/g, ' ');
      expect(done).toContain('EXIT=0');
      expect(done).toMatch(/Resuming swap S\S+: recorded the removal of drive D001/);
      expect(done).toContain('Drive D002 went into camera CAM-01');
      expect(done).not.toContain('When was it taken out?');

      const s = await openSession({
        homeDir: t.home,
        credentials: { username: 'asd', password: PASSWORD },
        clock: () => new Date(),
        command: 'test',
      });
      try {
        expect(s.ledger.rows('SELECT id FROM batches')).toHaveLength(1);
        expect(s.ledger.one<{ status: string; removed_at: string }>('SELECT status, removed_at FROM swaps')).toEqual({
          status: 'finished',
          removed_at: '2026-11-04T09:00:00.000-08:00',
        });
      } finally {
        s.close();
      }
      expect((await spawnBin(['verify'], { env: t.env })).code).toBe(0);
    },
    180_000,
  );
});
