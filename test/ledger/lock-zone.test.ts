/**
 * A lock's holder is named with its time in the home's zone, not UTC: from the zone the waiting
 * session knows, or (at log-in, before the ledger is read) the zone the holder wrote in the lock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/ledger/lock.js';
import { INIT_ARGS, newTestHome, run } from '../helpers/cli.js';

const SINCE = '2026-12-01T03:04:50.914Z'; // 30 November, 7:04 PM in Los Angeles

function lockDir(holder: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-lockzone-'));
  fs.writeFileSync(path.join(dir, 'lock'), JSON.stringify(holder));
  return dir;
}

const alive = { pid: process.pid, host: os.hostname(), user: 'dana', command: 'ocr', since: SINCE };

async function refusal(dir: string, timeZone?: string): Promise<string> {
  try {
    const l = await acquireLock(dir, 'search', 0, { timeZone });
    l.release();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('not refused');
}

describe('lock messages', () => {
  it('print the holder’s time in the waiting session’s zone', async () => {
    expect(await refusal(lockDir(alive), 'America/Los_Angeles')).toContain('since 2026-11-30 7:04 PM PST)');
    expect(await refusal(lockDir(alive), 'America/New_York')).toContain('since 2026-11-30 10:04 PM EST)');
  });

  it('or in the zone the holder wrote, when the waiting one does not know it yet', async () => {
    expect(await refusal(lockDir({ ...alive, timeZone: 'America/Los_Angeles' }))).toContain(
      'since 2026-11-30 7:04 PM PST)',
    );
    // Nothing known, or a zone in the file that is not one: the time as recorded.
    expect(await refusal(lockDir(alive))).toContain(`since ${SINCE})`);
    expect(await refusal(lockDir({ ...alive, timeZone: 'Mars/Olympus' }))).toContain(`since ${SINCE})`);
  });

  it('a stale lock too', async () => {
    const dead = { ...alive, pid: 2 ** 22 + 12_345 };
    expect(await refusal(lockDir(dead), 'America/Los_Angeles')).toMatch(
      /^A stale lock was left by `ocr` \(process \d+, dana, since 2026-11-30 7:04 PM PST\)/,
    );
  });

  it('a lock taken with the home’s zone records it, and a command refused at log-in prints it', async () => {
    const t = newTestHome();
    expect((await run(INIT_ARGS, { env: t.env })).code).toBe(0);
    const held = await acquireLock(t.home, 'ocr', 0, { timeZone: 'America/Los_Angeles' });
    try {
      const file = JSON.parse(fs.readFileSync(path.join(t.home, 'lock'), 'utf8'));
      expect(file.timeZone).toBe('America/Los_Angeles');
      // Backdate it to a known moment, as if ocr had held it since then.
      fs.writeFileSync(path.join(t.home, 'lock'), JSON.stringify({ ...file, since: SINCE }));
      const r = await run(['camera', 'list'], { env: { ...t.env, CUSTODY_LOCK_WAIT: '0' } });
      expect(r.code).toBe(7);
      expect(r.stderr).toContain('since 2026-11-30 7:04 PM PST)');
    } finally {
      held.release();
    }
  });
});
