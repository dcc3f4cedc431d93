/**
 * The purge's steps on a real home (policy §8): a batch imported before recording days were
 * recorded is first split by day; each due day's intent is recorded, its files and index rows go,
 * its destruction is recorded; when its last day is gone, the batch key is destroyed (every copy
 * of what it sealed becomes unreadable), then its segment and folder go. Each step is committed, so
 * a purge stopped anywhere is finished, or cancelled if the day is no longer due, by running it again.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchFiles, createBatchKey, writeSegment } from '../../src/ledger/batches.js';
import { setHoldProvider } from '../../src/ledger/holds.js';
import { pendingDestructions, planPurge } from '../../src/ledger/purge.js';
import { executePurge } from '../../src/operations/purge.js';
import type { Session } from '../../src/ledger/session.js';
import { manualClock, newHome, open } from './helpers.js';

const IMPORTED = '2026-09-08T09:00:00-07:00';
/** 61 days after the newest recording: past the 60-day retention. */
const PAST_DUE = '2026-11-08T09:00:00-08:00';
const RECORDED_LAST = '2026-09-07T08:00:00.000-07:00';

/** An imported batch with its key, segment, hash list and one stored file. */
async function importBatch(s: Session, batch: string): Promise<BatchFiles> {
  s.append('import.started', { batch, drive: 'D001', camera: 'CAM-01' });
  const bf = new BatchFiles(s.home, batch);
  const key = createBatchKey(bf, s.master);
  fs.writeFileSync(bf.storeFile('abc'), 'sealed image bytes');
  await writeSegment(bf, key, {}, [
    {
      relPath: 'IMG_0001.JPG',
      size: 18,
      mtime: IMPORTED,
      outcome: 'stored',
      sha256: 'a'.repeat(64),
      storeName: 'abc',
      flags: [],
    },
  ]);
  s.append('import.finished', {
    batch,
    drive: 'D001',
    files: 1,
    stored: 1,
    bytes: 18,
    recordedFirst: '2026-09-01T08:00:00.000-07:00',
    recordedLast: RECORDED_LAST,
    manifestSha256: 'b'.repeat(64),
  });
  s.commit();
  return bf;
}

async function homeWithBatch(batch = 'B20260908-aaaaaa') {
  const clock = manualClock(IMPORTED);
  const dir = await newHome(clock);
  const s = await open(dir, clock);
  const bf = await importBatch(s, batch);
  s.close();
  clock.set(PAST_DUE);
  return { clock, dir, bf, batch };
}

const exists = (f: string) => fs.existsSync(f);
const types = (s: Session, after: number) =>
  s.ledger.rows<{ type: string }>('SELECT type FROM events WHERE seq > ? ORDER BY seq', [after]).map((r) => r.type);

afterEach(() => setHoldProvider(undefined));

describe('purge steps', () => {
  it('record the intent, destroy the key first, then the files, then record the destruction', async () => {
    const { clock, dir, bf, batch } = await homeWithBatch();
    const s = await open(dir, clock);
    const head = s.ledger.head.seq;
    // Not split yet, the batch is one unit; its one undated file counts from the import (8 September).
    expect((await planPurge(s)).due.map((b) => [b.batch.id, b.day])).toEqual([[batch, '']]);
    const seen: string[] = [];
    const day = `${batch}@2026-09-08`;
    const r = await executePurge(s, {
      afterStep: (step, id) => {
        seen.push(`${step} ${id}`);
        if (id === day && step === 'intent') {
          expect(exists(bf.keyFile) && exists(bf.storeFile('abc'))).toBe(true);
          expect(types(s, head)).toEqual(['batch.days', 'purge.started', 'day.destruction_started']);
        }
        if (id === day && step === 'files') expect(exists(bf.storeFile('abc'))).toBe(false);
        if (id === batch && step === 'key') {
          expect(exists(bf.keyFile)).toBe(false);
          expect(exists(bf.segmentFile)).toBe(true);
        }
        if (id === batch && step === 'files') {
          expect(types(s, head)).toContain('batch.key_destroyed');
          expect(bf.dataFiles.some(exists) || exists(bf.storeDir)).toBe(false);
        }
      },
    });
    expect(seen).toEqual([`intent ${day}`, `files ${day}`, `key ${batch}`, `files ${batch}`]);
    expect(r.destroyed.map((d) => [d.batch, d.day, d.stored, d.keyed])).toEqual([[batch, '2026-09-08', 1, false]]);
    expect(types(s, head)).toEqual([
      'batch.days',
      'purge.started',
      'day.destruction_started',
      'day.destroyed',
      'batch.destruction_started',
      'batch.key_destroyed',
      'batch.destroyed',
      'purge.finished',
    ]);
    const row = s.ledger.one<{ key_destroyed_at: string; destroyed_at: string }>('SELECT * FROM batches WHERE id = ?', [
      batch,
    ])!;
    expect(row.key_destroyed_at).toBeTruthy();
    expect(row.destroyed_at).toBeTruthy();
    expect(await s.ledger.verifyDerived()).toEqual([]);
    s.close();
  });

  it('stopped after the key went, are finished by the next run, and a third run changes nothing', async () => {
    const { clock, dir, bf, batch } = await homeWithBatch();
    let s = await open(dir, clock);
    await expect(
      executePurge(s, {
        afterStep: (step) => {
          if (step === 'key') throw new Error('power cut');
        },
      }),
    ).rejects.toThrow('power cut');
    s.close(); // the key_destroyed event never reached the disk
    expect(exists(bf.keyFile)).toBe(false);
    expect(exists(bf.segmentFile)).toBe(true);

    s = await open(dir, clock);
    expect(pendingDestructions(s)).toEqual([expect.objectContaining({ batch, keyDestroyed: false })]);
    const head = s.ledger.head.seq;
    const r = await executePurge(s);
    expect(r.destroyed).toEqual([]); // its one day was destroyed and recorded before the cut
    expect(types(s, head)).toEqual(['batch.key_destroyed', 'batch.destroyed', 'purge.finished']);
    expect(
      JSON.parse(s.ledger.one<{ data: string }>("SELECT data FROM events WHERE type = 'batch.key_destroyed'")!.data),
    ).toMatchObject({ recovered: true });
    expect(bf.dataFiles.some(exists) || exists(bf.storeDir)).toBe(false);
    s.close();

    s = await open(dir, clock);
    const before = s.ledger.head;
    const again = await executePurge(s);
    expect(again.destroyed).toEqual([]);
    expect(s.ledger.head).toEqual(before);
    s.close();
  });

  it('stopped after the intent, are cancelled by the next run once the batch is held, and its data kept', async () => {
    const { clock, dir, bf, batch } = await homeWithBatch();
    let s = await open(dir, clock);
    await expect(
      executePurge(s, {
        afterStep: (step) => {
          if (step === 'intent') throw new Error('stopped');
        },
      }),
    ).rejects.toThrow('stopped');
    s.close();
    expect(exists(bf.keyFile)).toBe(true);

    setHoldProvider({
      forDrive: () => [],
      forBatch: (_s, id) => (id === batch ? [{ id: 'H-1', reviewDate: new Date('2027-01-01T00:00:00Z') }] : []),
    });
    s = await open(dir, clock);
    const r = await executePurge(s);
    expect(r.cancelled).toEqual([`${batch} (recordings of 2026-09-08)`]);
    expect(r.destroyed).toEqual([]);
    expect(r.held.map((h) => h.batch.id)).toEqual([batch]);
    expect(exists(bf.keyFile) && exists(bf.segmentFile) && exists(bf.storeFile('abc'))).toBe(true);
    expect(pendingDestructions(s)).toEqual([]);
    s.close();
  });

  it('leave a batch that is not yet due alone', async () => {
    const { clock, dir, bf } = await homeWithBatch();
    clock.set('2026-11-05T09:00:00-08:00'); // day 58
    const s = await open(dir, clock);
    const head = s.ledger.head.seq;
    const r = await executePurge(s);
    expect(r.destroyed).toEqual([]);
    // The batch's metadata says it began 65 days ago, so it is split by day; nothing is destroyed.
    expect(types(s, head)).toEqual(['batch.days']);
    expect(exists(bf.keyFile) && exists(bf.storeFile('abc'))).toBe(true);
    const again = s.ledger.head;
    expect((await executePurge(s)).destroyed).toEqual([]);
    expect(s.ledger.head).toEqual(again);
    s.close();
  });
});
