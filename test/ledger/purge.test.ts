/**
 * The purge's steps on a real home (policy §8): a batch imported before recording days were
 * recorded is first split by day; each due day's intent is recorded, its files and index rows go,
 * its destruction is recorded; when its last day is gone, the batch key is destroyed (every copy
 * of what it sealed becomes unreadable), then its segment and folder go. Each step is committed, so
 * a purge stopped anywhere is finished, or cancelled if the day is no longer due, by running it again.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BatchFiles,
  createBatchKey,
  daySummaries,
  dayKey,
  type FileRecord,
  loadBatchKey,
  openSegment,
  readHashes,
  readStoreNames,
  segmentRecords,
  storeName,
  wrapFileKey,
  writeSegment,
} from '../../src/ledger/batches.js';
import { randomKey } from '../../src/ledger/crypto.js';
import { loadIndex, loadReadings, saveIndex, saveReadings } from '../../src/ocr/queue.js';
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
    // Its one day's metadata is re-written under a new batch key first (no record left under the old one).
    expect(seen).toEqual([
      `intent ${day}`,
      `metadata ${day}`,
      `rekey ${day}`,
      `files ${day}`,
      `key ${batch}`,
      `files ${batch}`,
    ]);
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

/** A batch of two recording days (1 and 2 September), each file under its own key sealed with its day's key, read. */
async function homeWithTwoDays(batch = 'B20260908-bbbbbb') {
  const clock = manualClock(IMPORTED);
  const dir = await newHome(clock);
  const s = await open(dir, clock);
  s.append('import.started', { batch, drive: 'D001', camera: 'CAM-01' });
  const bf = new BatchFiles(s.home, batch);
  const key = createBatchKey(bf, s.master);
  const recs: FileRecord[] = ['2026-09-01', '2026-09-02'].map((day, i) => {
    const sha256 = String(i + 1).repeat(64);
    const name = storeName(key, sha256);
    fs.writeFileSync(bf.storeFile(name), `sealed image bytes ${i}`);
    return {
      relPath: `DAY${i + 1}/IMG_000${i + 1}.JPG`,
      size: 20,
      mtime: IMPORTED,
      outcome: 'stored',
      sha256,
      storeName: name,
      kind: 'image',
      recordedAt: `${day}T08:00:00.000-07:00`,
      recordedSource: 'exif',
      flags: [],
      keyDay: day,
      wrappedKey: wrapFileKey(bf, dayKey(bf, s.master, day), day, randomKey()),
    };
  });
  await writeSegment(bf, key, {}, recs);
  const reading = (text: string) => ({
    best: { text, confidence: 0.9 },
    alternatives: [],
    box: null,
    ms: 1,
    readAt: IMPORTED,
  });
  const readings = {
    version: 1 as const,
    engine: 't',
    model: 't',
    files: { '1': reading('7ABC001'), '2': reading('7ABC002') },
  };
  saveReadings(bf, key, readings);
  saveIndex(bf, key, readings, new Map(recs.map((r, i) => [i + 1, r.recordedAt])));
  s.append('import.finished', {
    batch,
    drive: 'D001',
    files: 2,
    stored: 2,
    bytes: 40,
    recordedFirst: recs[0]!.recordedAt,
    recordedLast: recs[1]!.recordedAt,
    manifestSha256: 'c'.repeat(64),
  });
  s.append('batch.days', {
    batch,
    drive: 'D001',
    camera: 'CAM-01',
    days: daySummaries(recs, new Date(IMPORTED), 'America/Los_Angeles'),
  });
  s.commit();
  s.close();
  // 1 September is 61 days old, 2 September 60 days minus some hours: only the first is due.
  clock.set('2026-10-31T12:00:00-07:00');
  return { clock, dir, bf, batch, oldKey: key, names: recs.map((r) => r.storeName!) };
}

async function segmentPaths(bf: BatchFiles, key: Buffer): Promise<string[]> {
  const db = await openSegment(bf, key);
  try {
    return segmentRecords(db).map((r) => r.relPath);
  } finally {
    db.close();
  }
}

describe('purging one recording day re-keys what names it', () => {
  it('re-writes the segment, hash list, readings and index without the day under a new batch key; the old one opens nothing the home holds', async () => {
    const { clock, dir, bf, batch, oldKey, names } = await homeWithTwoDays();
    const s = await open(dir, clock);
    const before = Object.fromEntries(bf.dataFiles.filter(exists).map((f) => [f, fs.readFileSync(f)]));
    const r = await executePurge(s);
    expect(r.destroyed.map((d) => [d.day, d.keyed, d.metadataRekeyed])).toEqual([['2026-09-01', true, true]]);
    const newKey = loadBatchKey(bf, s.master);
    expect(newKey.equals(oldKey)).toBe(false);
    expect(await segmentPaths(bf, newKey)).toEqual(['DAY2/IMG_0002.JPG']);
    expect(readHashes(bf, newKey)).toEqual(['2'.repeat(64)]);
    // The second day's store name stays as it was stored (an HMAC under the old key): the hash list names it.
    expect(readStoreNames(bf, newKey)).toEqual(new Map([['2'.repeat(64), names[1]!]]));
    expect(Object.keys(loadReadings(bf, newKey)!.files)).toEqual(['2']);
    const index = loadIndex(bf, newKey)!.index;
    expect(index.search('7ABC001')).toEqual([]);
    expect(index.search('7ABC002').map((h) => h.imageId)).toEqual([2]);
    expect(exists(bf.storeFile(names[0]!))).toBe(false);
    expect(exists(bf.storeFile(names[1]!))).toBe(true);
    // The old files (as a copy made before would hold them) open with the old key only; the new files not with it.
    await expect(openSegment(bf, oldKey)).rejects.toThrow(/does not authenticate/);
    for (const f of Object.keys(before)) expect(fs.readFileSync(f).equals(before[f]!)).toBe(false);
    expect(fs.readdirSync(bf.home.file('keys')).filter((n) => n.endsWith('.rekey'))).toEqual([]);
    expect(fs.readdirSync(bf.home.file('segments')).filter((n) => n.endsWith('.rekey'))).toEqual([]);
    expect(
      s.ledger.one<{ metadata_rekeyed: number }>('SELECT metadata_rekeyed FROM batch_days WHERE day = ?', [
        '2026-09-01',
      ]),
    ).toEqual({ metadata_rekeyed: 1 });
    expect(await s.ledger.verifyDerived()).toEqual([]);
    s.close();
    expect(batch).toMatch(/^B/);
  });

  it('cut before the commit leaves the old state whole; the next run re-keys afresh', async () => {
    const { clock, dir, bf, oldKey } = await homeWithTwoDays();
    let s = await open(dir, clock);
    await expect(
      executePurge(s, {
        afterStep: (step) => {
          if (step === 'metadata') throw new Error('power cut');
        },
      }),
    ).rejects.toThrow('power cut');
    s.close();
    // New files written beside the old ones; the old key and files stand.
    expect(exists(`${bf.segmentFile}.rekey`)).toBe(true);
    expect(exists(`${bf.keyFile}.rekey`)).toBe(false);
    const s0 = await open(dir, clock); // log-in removes the uncommitted files
    expect(exists(`${bf.segmentFile}.rekey`)).toBe(false);
    expect(loadBatchKey(bf, s0.master).equals(oldKey)).toBe(true);
    expect(await segmentPaths(bf, oldKey)).toEqual(['DAY1/IMG_0001.JPG', 'DAY2/IMG_0002.JPG']);
    s0.close();
    s = await open(dir, clock);
    const r = await executePurge(s);
    expect(r.destroyed.map((d) => [d.day, d.metadataRekeyed])).toEqual([['2026-09-01', true]]);
    const newKey = loadBatchKey(bf, s.master);
    expect(newKey.equals(oldKey)).toBe(false);
    expect(await segmentPaths(bf, newKey)).toEqual(['DAY2/IMG_0002.JPG']);
    s.close();
  });

  it('cut after the commit is settled at the next log-in: the new state, the old key shredded', async () => {
    const { clock, dir, bf, oldKey } = await homeWithTwoDays();
    let s = await open(dir, clock);
    await expect(
      executePurge(s, {
        afterStep: (step) => {
          if (step === 'rekey') throw new Error('power cut');
        },
      }),
    ).rejects.toThrow('power cut');
    s.close();
    expect(exists(`${bf.keyFile}.rekey`)).toBe(true);
    // The old key file still holds the old key until the settle.
    s = await open(dir, clock);
    expect(exists(`${bf.keyFile}.rekey`)).toBe(false);
    const newKey = loadBatchKey(bf, s.master);
    expect(newKey.equals(oldKey)).toBe(false);
    expect(await segmentPaths(bf, newKey)).toEqual(['DAY2/IMG_0002.JPG']);
    expect(Object.keys(loadReadings(bf, newKey)!.files)).toEqual(['2']);
    const head = s.ledger.head.seq;
    const r = await executePurge(s);
    // The day's destruction is recorded by the rerun, with the re-key it finds done.
    expect(r.destroyed.map((d) => [d.day, d.metadataRekeyed])).toEqual([['2026-09-01', true]]);
    expect(types(s, head)).toEqual(['day.destroyed', 'purge.finished']);
    expect(await segmentPaths(bf, loadBatchKey(bf, s.master))).toEqual(['DAY2/IMG_0002.JPG']);
    s.close();
  });
});
