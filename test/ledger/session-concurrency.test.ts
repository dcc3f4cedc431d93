/**
 * Sessions side by side on one home (real files, real sql.js): each reads a snapshot and holds no
 * lock while it works; a commit takes the write lock, re-reads the newest ledger and appends its
 * events after the other's, so nothing is lost; a change to the same thing is refused whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CustodyError } from '../../src/core/errors.js';
import { recordAccess } from '../../src/ledger/access.js';
import { acquireLock } from '../../src/ledger/lock.js';
import { entitiesOf } from '../../src/ledger/session.js';
import { addCamera } from '../../src/operations/cameras.js';
import { manualClock, newHome, open } from './helpers.js';

const REASON = { purpose: 'Criminal investigation', caseRef: '26-0001', requestId: null };

function types(s: { ledger: { rows<T>(sql: string): T[] } }): string[] {
  return s.ledger.rows<{ type: string }>('SELECT type FROM events ORDER BY seq').map((r) => r.type);
}

async function err(p: () => unknown): Promise<CustodyError> {
  try {
    await p();
  } catch (e) {
    return e as CustodyError;
  }
  throw new Error('expected an error');
}

describe('sessions side by side', () => {
  it('hold no lock while open; both commits land, the later one after the earlier, and the chain verifies', async () => {
    const clock = manualClock('2026-11-20T10:00:00-08:00');
    const home = await newHome(clock);
    const a = await open(home, clock);
    const b = await open(home, clock);
    // Neither session holds the lock while it is open.
    expect(fs.existsSync(path.join(home, 'lock'))).toBe(false);
    addCamera(a, { id: 'CAM-01', location: 'Main St' });
    recordAccess(b, 'search', 'plate 7ABC123', REASON, 0);
    b.commit(); // b read the ledger before a's commit: a's event is kept, b's follows it
    expect(types(b).slice(-2)).toEqual(['camera.added', 'access.recorded']);
    a.close();
    b.close();
    const c = await open(home, clock);
    try {
      expect(types(c).slice(-2)).toEqual(['camera.added', 'access.recorded']);
      expect(c.ledger.verifyChain().problem).toBeUndefined();
      const { verifyLedger } = await import('../../src/ledger/verify.js');
      const report = await verifyLedger(c);
      expect(report.problems).toEqual([]);
      // Every commit signed a checkpoint of its own head.
      expect(report.checkpoints.latestSeq).toBe(c.ledger.head.seq);
    } finally {
      c.close();
    }
  });

  it('two changes to different things both land; two to the same thing: the second is refused and saves nothing', async () => {
    const clock = manualClock('2026-11-20T10:00:00-08:00');
    const home = await newHome(clock);
    const a = await open(home, clock);
    const b = await open(home, clock);
    addCamera(a, { id: 'CAM-01', location: 'Main St' });
    addCamera(b, { id: 'CAM-02', location: 'Elm St' });
    const c = await open(home, clock);
    const d = await open(home, clock);
    addCamera(c, { id: 'CAM-03', location: 'Oak St' });
    const before = fs.readFileSync(path.join(home, 'ledger.enc'));
    const e = await err(() => addCamera(d, { id: 'CAM-03', location: 'Pine St' }));
    expect(e).toBeInstanceOf(CustodyError);
    expect(e.code).toBe('conflict');
    expect(e.message).toMatch(/asd recorded camera\.added for camera CAM-03.*nothing of this step was saved/);
    expect(fs.readFileSync(path.join(home, 'ledger.enc'))).toEqual(before);
    for (const s of [a, b, c, d]) s.close();
    const f = await open(home, clock);
    try {
      const cams = f.ledger.rows<{ id: string; location: string }>('SELECT id, location FROM cameras ORDER BY id');
      expect(cams).toEqual([
        { id: 'CAM-01', location: 'Main St' },
        { id: 'CAM-02', location: 'Elm St' },
        { id: 'CAM-03', location: 'Oak St' },
      ]);
    } finally {
      f.close();
    }
  });

  it('an access record is never refused: it lands after any change, even one to what it read', async () => {
    const clock = manualClock('2026-11-20T10:00:00-08:00');
    const home = await newHome(clock);
    const reader = await open(home, clock);
    const writer = await open(home, clock);
    addCamera(writer, { id: 'CAM-01', location: 'Main St' });
    recordAccess(reader, 'search', 'camera CAM-01', REASON, 0);
    reader.commit();
    expect(types(reader).slice(-2)).toEqual(['camera.added', 'access.recorded']);
    reader.close();
    writer.close();
  });

  it('a commit waits for the write lock only as long as --lock-wait, then names the holder and saves nothing', async () => {
    const clock = manualClock('2026-11-20T10:00:00-08:00');
    const home = await newHome(clock);
    const s = await open(home, clock);
    const held = await acquireLock(home, 'custody purge', 0);
    try {
      const slow = await import('../../src/ledger/session.js')
        .then((m) =>
          m.openSession({
            homeDir: home,
            credentials: { username: 'asd', password: 'correct horse battery staple' },
            clock,
            command: 'second',
            lockWaitMs: 100,
          }),
        )
        .catch((e: unknown) => e as CustodyError);
      // Reading the snapshot needs the lock for a moment: with it held for good, the log-in says who holds it.
      expect((slow as CustodyError).code).toBe('locked');
      const before = fs.readFileSync(path.join(home, 'ledger.enc'));
      const e = await err(() => addCamera(s, { id: 'CAM-01', location: 'Main St' }));
      expect(e.code).toBe('locked');
      expect(e.message).toMatch(/in use by `custody purge`/);
      expect(fs.readFileSync(path.join(home, 'ledger.enc'))).toEqual(before);
    } finally {
      held.release();
    }
    // Once free, the same session commits what it appended.
    s.commit();
    expect(types(s).at(-1)).toBe('camera.added');
    s.close();
  });

  it('an exclusive step holds the lock and decides on the newest ledger', async () => {
    const clock = manualClock('2026-11-20T10:00:00-08:00');
    const home = await newHome(clock);
    const a = await open(home, clock);
    const b = await open(home, clock);
    addCamera(b, { id: 'CAM-01', location: 'Main St' });
    const seen = await a.exclusive(() => {
      expect(fs.existsSync(path.join(home, 'lock'))).toBe(true);
      return a.ledger.rows<{ id: string }>('SELECT id FROM cameras').map((r) => r.id);
    });
    expect(seen).toEqual(['CAM-01']);
    expect(fs.existsSync(path.join(home, 'lock'))).toBe(false);
    a.close();
    b.close();
  });

  it('a log-in slowed down after wrong passwords holds no lock while it waits', async () => {
    const clock = manualClock('2026-11-20T10:00:00-08:00');
    const home = await newHome(clock);
    const { openSession } = await import('../../src/ledger/session.js');
    const login = (password: string, sleep?: (ms: number) => Promise<void>) =>
      openSession({ homeDir: home, credentials: { username: 'asd', password }, clock, command: 'test', sleep });
    for (let i = 0; i < 3; i++) await expect(login('wrong')).rejects.toThrow(/Log-in failed/);
    let waited = 0;
    const s = await login('correct horse battery staple', async (ms) => {
      waited = ms;
      // Meanwhile the home is free: another operator's session commits.
      expect(fs.existsSync(path.join(home, 'lock'))).toBe(false);
      const other = await open(home, clock);
      addCamera(other, { id: 'CAM-07', location: 'Main St' });
      other.close();
    });
    expect(waited).toBeGreaterThan(0);
    // The other log-in took the three failures into the chain (once: this one found auth.log
    // emptied under the lock), then its camera; nothing was lost or counted twice.
    expect(types(s).slice(-2)).toEqual(['auth.failed', 'camera.added']);
    expect(s.ledger.rows<{ data: string }>("SELECT data FROM events WHERE type = 'auth.failed'")).toHaveLength(1);
    s.close();
  });

  it('names what an event changes by its id fields', () => {
    expect(entitiesOf('camera.added', { id: 'CAM-01', camera: 'CAM-01', location: 'x' })).toEqual(['camera CAM-01']);
    expect(entitiesOf('drive.installed', { drive: 'D002', camera: 'CAM-01', swap: 'S1' }).sort()).toEqual([
      'camera CAM-01',
      'drive D002',
      'swap S1',
    ]);
    expect(entitiesOf('purge.started', { batches: ['B1', 'B2'] }).sort()).toEqual(['batch B1', 'batch B2']);
  });
});
