/**
 * The ledger's archive (issue 19): old events sealed into chained segments beside ledger.enc, the
 * live file keeping the tail, copies of the events commands read back, and the derived tables.
 * Real homes and sql.js files on disk; tampering on the raw files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../../src/ledger/access.js';
import { ARCHIVE_DIR, KEPT_TYPES, sealSegment } from '../../src/ledger/archive.js';
import { randomKey, sealBlob } from '../../src/ledger/crypto.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { findEvents } from '../../src/ledger/log.js';
import type { Session } from '../../src/ledger/session.js';
import { requireSignedState, verifyLedger } from '../../src/ledger/verify.js';
import { manualClock, newHome, open } from './helpers.js';

const SEGMENT = 8;
let saved: string | undefined;
beforeAll(() => {
  saved = process.env.CUSTODY_LEDGER_SEGMENT_EVENTS;
  process.env.CUSTODY_LEDGER_SEGMENT_EVENTS = String(SEGMENT);
});
afterAll(() => {
  if (saved === undefined) delete process.env.CUSTODY_LEDGER_SEGMENT_EVENTS;
  else process.env.CUSTODY_LEDGER_SEGMENT_EVENTS = saved;
});

function access(s: Session, i: number): void {
  s.append('access.recorded', {
    action: 'search',
    query: `7ABC${i}`,
    purpose: 'criminal investigation',
    caseRef: `2026-${i}`,
    requestId: null,
    organization: 'City of Example',
    results: i,
    details: null,
  });
  s.commit();
}

/** A home whose ledger has been through several segments: access records, a camera, a training. */
async function archivedHome(): Promise<{ dir: string; clock: ReturnType<typeof manualClock> }> {
  const clock = manualClock('2026-09-01T16:00:00Z');
  const dir = await newHome(clock);
  const s = await open(dir, clock);
  try {
    for (let i = 0; i < 40; i++) {
      clock.set(`2026-09-01T16:${String(i).padStart(2, '0')}:00Z`);
      access(s, i);
      if (i === 5) {
        s.append('camera.added', { id: 'CAM-01', location: 'Main St', inServiceSince: '2026-09-01' });
        s.commit();
      }
      if (i === 7) {
        s.append('operator.trained', { username: 'asd', date: '2026-08-02', course: 'ALPR policy', trainer: 'J' });
        s.commit();
      }
    }
  } finally {
    s.close();
  }
  return { dir, clock };
}

function segmentFiles(home: string): string[] {
  return fs.readdirSync(path.join(home, ARCHIVE_DIR)).sort();
}

async function withSession<T>(dir: string, fn: (s: Session) => Promise<T> | T): Promise<T> {
  const s = await open(dir, manualClock('2026-09-02T16:00:00Z'));
  try {
    return await fn(s);
  } finally {
    s.close();
  }
}

describe('ledger archive', () => {
  it('seals old events into chained segments; the live file keeps the tail and the copies; everything reads across both', async () => {
    const { dir } = await archivedHome();
    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(f).toMatch(/^\d{6}-[0-9a-f]{16}\.seg$/);
    await withSession(dir, async (s) => {
      const head = s.ledger.head.seq;
      const segs = s.ledger.segments();
      expect(segs.map((r) => r.name)).toEqual(files);
      // Contiguous ranges of SEGMENT events, each naming the one before it.
      segs.forEach((r, i) => {
        expect(r.last_seq - r.first_seq + 1).toBe(SEGMENT);
        expect(r.first_seq).toBe(i === 0 ? 1 : segs[i - 1]!.last_seq + 1);
        expect(r.prev_sha256).toBe(i === 0 ? null : segs[i - 1]!.sha256);
        expect(r.prev_hash).toBe(i === 0 ? '0'.repeat(64) : segs[i - 1]!.head_hash);
      });
      const archived = s.ledger.archivedHead.seq;
      expect(archived).toBe(segs[segs.length - 1]!.last_seq);
      // The live file: the tail after the archived head, and copies of kept types below it only.
      const below = s.ledger.rows<{ type: string }>('SELECT type FROM events WHERE seq <= ?', [archived]);
      expect(below.length).toBeGreaterThan(0);
      for (const b of below) expect(KEPT_TYPES.has(b.type)).toBe(true);
      expect(s.ledger.one<{ n: number }>('SELECT count(*) AS n FROM events WHERE seq > ?', [archived])?.n).toBe(
        head - archived,
      );
      expect(head - archived).toBeLessThan(2 * SEGMENT + 1);
      // The access rows of archived events left the live file; the record still reads whole.
      expect(s.ledger.one<{ n: number }>('SELECT min(seq) AS n FROM access_log')!.n).toBeGreaterThan(archived);
      const all = accessLog(s);
      expect(all.map((r) => r.query)).toEqual(Array.from({ length: 40 }, (_, i) => `7ABC${i}`));
      // The log lists archived events too, oldest first, once each.
      const listed = findEvents(s.ledger, { limit: 10_000 });
      expect(listed.map((e) => e.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      expect(findEvents(s.ledger, { type: 'camera.', limit: 5 }).map((e) => e.type)).toEqual(['camera.added']);
      expect(s.ledger.eventAt(2)?.seq).toBe(2);
      expect(s.ledger.history(['camera.added'])).toHaveLength(1);
      // verify walks archive + live; the signed-state replay (before rotation, purge) passes.
      const report = await verifyLedger(s);
      expect(report.problems).toEqual([]);
      expect(report.events).toBe(head);
      expect(report.signatures.valid).toBe(head);
      await requireSignedState(s, 'operators table', ['operators']);
    });
  });

  it('a deleted, swapped or edited segment is exit 8 naming it', async () => {
    const { dir } = await archivedHome();
    const [first, second] = segmentFiles(dir);
    const a = path.join(dir, ARCHIVE_DIR, first!);
    const b = path.join(dir, ARCHIVE_DIR, second!);
    const bytesA = fs.readFileSync(a);
    const bytesB = fs.readFileSync(b);
    const expectNamed = async (name: string, what: RegExp) => {
      await withSession(dir, async (s) => {
        const err = await verifyLedger(s).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'integrity' });
        expect((err as Error).message).toContain(`archive/${name}`);
        expect((err as Error).message).toMatch(what);
        await expect(requireSignedState(s, 'operators table', ['operators'])).rejects.toMatchObject({
          code: 'integrity',
        });
      });
    };
    fs.rmSync(a);
    await expectNamed(first!, /is missing/);
    // Swapped: the second segment's bytes under the first one's name.
    fs.writeFileSync(a, bytesB);
    await expectNamed(first!, /SHA-256 differs/);
    // Edited: one byte of the sealed file.
    const edited = Buffer.from(bytesA);
    const at = edited.length - 20;
    edited[at] = edited[at]! ^ 1;
    fs.writeFileSync(a, edited);
    await expectNamed(first!, /SHA-256 differs/);
    fs.writeFileSync(a, bytesA);
    fs.rmSync(b);
    await expectNamed(second!, /is missing/);
    fs.writeFileSync(b, bytesB);
    await withSession(dir, async (s) => expect((await verifyLedger(s)).problems).toEqual([]));
  });

  it('a segment re-sealed by a record-key holder with an edited event is found', async () => {
    const { dir } = await archivedHome();
    // The record-key holder decrypts the live file, re-seals the last segment with one access
    // record changed, and records the new segment's hash and name in the live file.
    await withSession(dir, async (s) => {
      const segs = s.ledger.segments();
      const last = segs[segs.length - 1]!;
      const events = s.ledger
        .segmentEvents(last)
        .map((e) =>
          e.type === 'access.recorded' ? { ...e, data: e.data.replace(/"query":"7ABC(\d+)"/, '"query":"7XYZ$1"') } : e,
        );
      const key = s.home.ledgerKey(s.keys.record);
      const { row, sealed } = sealSegment(last.idx, events, last.prev_sha256, key);
      fs.writeFileSync(path.join(dir, ARCHIVE_DIR, row.name), sealed);
      s.ledger.db.run('UPDATE archive_segments SET name = ?, sha256 = ? WHERE idx = ?', [
        row.name,
        row.sha256,
        row.idx,
      ]);
      fs.writeFileSync(s.home.ledgerFile, sealedLive(s, key));
    });
    await withSession(dir, async (s) => {
      const report = await verifyLedger(s);
      expect(report.ok).toBe(false);
      expect(report.firstBadEvent?.reason).toMatch(/does not match its hash/);
    });
  });

  it('a kept copy removed from the live file is found', async () => {
    const { dir } = await archivedHome();
    await withSession(dir, async (s) => {
      const archived = s.ledger.archivedHead.seq;
      const copy = s.ledger.one<{ seq: number }>(
        "SELECT seq FROM events WHERE type = 'operator.trained' AND seq <= ?",
        [archived],
      );
      expect(copy).toBeDefined();
      s.ledger.db.run('DELETE FROM events WHERE seq = ?', [copy!.seq]);
      fs.writeFileSync(s.home.ledgerFile, sealedLive(s, s.home.ledgerKey(s.keys.record)));
    });
    await withSession(dir, async (s) => {
      const report = await verifyLedger(s);
      expect(report.firstBadEvent?.reason).toBe('its copy in the live ledger was removed');
    });
  });

  it("a commit after another process archived past this session's view catches up through the archive, and still refuses a clash", async () => {
    const clock = manualClock('2026-09-01T16:00:00Z');
    const dir = await newHome(clock);
    const a = await open(dir, clock);
    const b = await open(dir, clock);
    const c = await open(dir, clock);
    try {
      b.append('camera.added', { id: 'CAM-09', location: 'Oak St' });
      b.commit();
      for (let i = 0; i < 30; i++) access(b, i);
      // Everything a and c read at log-in, and b's camera, is archived now.
      expect(b.ledger.archivedHead.seq).toBeGreaterThan(a.ledger.head.seq + 1);
      a.append('camera.added', { id: 'CAM-01', location: 'Main St' });
      a.commit();
      expect(a.ledger.one('SELECT id FROM cameras WHERE id = ?', ['CAM-09'])).toBeDefined();
      c.append('camera.retired', { id: 'CAM-09' });
      expect(() => c.commit()).toThrow(/recorded camera.added for camera CAM-09/);
    } finally {
      a.close();
      b.close();
      c.close();
    }
    await withSession(dir, async (s) => {
      expect((await verifyLedger(s)).problems).toEqual([]);
      expect(s.ledger.one('SELECT id FROM cameras WHERE id = ?', ['CAM-01'])).toBeDefined();
      expect(s.ledger.one('SELECT id FROM cameras WHERE id = ?', ['CAM-09'])).toBeDefined();
    });
  });

  it('segments sealed under a replaced ledger key open with it; without it they are named', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'custody-archive-')), 'h');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'ledger.enc');
    const k1 = randomKey();
    const k2 = randomKey();
    const l = await Ledger.createEmpty();
    const add = (i: number) =>
      l.append('operator.password_changed', 'x', '2026-01-01T00:00:00.000+00:00', { username: 'x', i });
    for (let i = 0; i < 12; i++) add(i);
    l.save(file, k1);
    expect(l.segments()).toHaveLength(1);
    for (let i = 12; i < 30; i++) add(i);
    l.save(file, k2); // a rotation: the live file and new segments under the new key
    expect(l.segments().length).toBeGreaterThanOrEqual(3);
    l.close();
    const both = await Ledger.load(file, k2);
    both.archive.keys = [k2, k1];
    expect(both.verifyChain()).toEqual({ events: 30 });
    both.close();
    const newOnly = await Ledger.load(file, k2);
    expect(() => newOnly.verifyChain()).toThrow(/archive\/000001-[0-9a-f]{16}\.seg \(events #1–#8\) does not open/);
    newOnly.close();
  });
});

/** The live file as custody encrypts it, written by a record-key holder by hand (no generation, no checkpoint). */
function sealedLive(s: Session, key: Buffer): Buffer {
  return sealBlob(key, s.ledger.db.export(), 'custody-ledger');
}

describe('readers of the event log', () => {
  it('every event type a query of the live `events` table names keeps a copy there when archived', () => {
    // A command reading events of a type across the history from the live file alone would miss
    // archived ones unless the type keeps a copy (archive.ts KEPT_TYPES); others use Ledger.history.
    const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'src');
    const missing: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const f = path.join(d, e.name);
        if (e.isDirectory()) walk(f);
        else if (f.endsWith('.ts') && !f.endsWith('schema.ts'))
          for (const line of fs.readFileSync(f, 'utf8').split('\n'))
            if (/FROM events\b/.test(line))
              for (const m of line.matchAll(/'([a-z_]+\.[a-z_.]+)'/g))
                if (!KEPT_TYPES.has(m[1]!)) missing.push(`${path.relative(root, f)}: ${m[1]}`);
      }
    };
    walk(root);
    expect(missing).toEqual([]);
  });
});
