/**
 * Batch segments: each import batch has its own key, an append-only journal while importing, and
 * afterwards an immutable sql.js segment of its files plus a list of their hashes, all sealed with
 * the batch key (so destroying the key destroys them).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CustodyError } from '../../src/core/errors.js';
import { rows } from '../../src/ledger/ledger.js';
import {
  BatchFiles,
  createBatchKey,
  destroyBatchKey,
  type FileRecord,
  JournalWriter,
  loadBatchKey,
  openSegment,
  readHashes,
  readJournal,
  segmentEntries,
  segmentRecords,
  storeName,
  writeSegment,
} from '../../src/ledger/batches.js';
import { randomKey } from '../../src/ledger/crypto.js';
import { Home } from '../../src/ledger/home.js';
import { manualClock, newHome } from './helpers.js';

const BATCH = 'B20260908-0a1b2c';

function record(i: number, extra: Partial<FileRecord> = {}): FileRecord {
  const sha256 = i.toString(16).padStart(64, '0');
  return {
    relPath: `DCIM/100CAM/IMG_${String(i).padStart(4, '0')}.JPG`,
    size: 1000 + i,
    mtime: '2026-09-07T10:00:00.000Z',
    outcome: 'stored',
    sha256,
    storeName: `name${i}`,
    kind: 'image',
    mime: 'image/jpeg',
    recordedAt: '2026-09-07T03:00:00.000-07:00',
    recordedSource: 'exif',
    flags: [],
    make: 'Cam',
    gps: { lat: 37.5, lon: -122.25 },
    sourceVerified: true,
    ...extra,
  };
}

async function batchFiles(): Promise<{ bf: BatchFiles; master: Buffer }> {
  const clock = manualClock('2026-09-08T09:00:00-07:00');
  const home = Home.open(await newHome(clock));
  return { bf: new BatchFiles(home, BATCH), master: randomKey() };
}

describe('batch segments', () => {
  it('keep the batch key sealed under the master key; another master cannot open it', async () => {
    const { bf, master } = await batchFiles();
    const key = createBatchKey(bf, master);
    expect(fs.existsSync(bf.keyFile)).toBe(true);
    expect(fs.statSync(bf.storeDir).isDirectory()).toBe(true);
    expect(fs.readFileSync(bf.keyFile).includes(key)).toBe(false);
    expect(loadBatchKey(bf, master)).toEqual(key);
    expect(() => loadBatchKey(bf, randomKey())).toThrow(/does not authenticate/);
  });

  it('are written encrypted, read back record for record, with the sorted hash list of stored files', async () => {
    const { bf, master } = await batchFiles();
    const key = createBatchKey(bf, master);
    const recs = [
      record(3),
      record(1),
      record(2, { outcome: 'duplicate', storeName: undefined, duplicateOf: 'B20260901-ffffff/x' }),
      record(4, { outcome: 'failed', sha256: undefined, storeName: undefined, problem: 'EIO', gps: undefined }),
      record(1, { relPath: 'DCIM/100CAM/COPY.JPG' }),
    ];
    const entries = [
      { relPath: 'DCIM', kind: 'folder', reason: 'a folder of 2 entries' },
      { relPath: 'DCIM/link.jpg', kind: 'symlink', reason: 'a symbolic link; not followed', target: '/etc/shadow' },
      { relPath: 'DCIM/bad', kind: 'unreadable-folder', reason: 'EIO: i/o error', code: 'EIO' },
    ];
    await writeSegment(bf, key, { camera: 'CAM-01', drive: 'D001' }, recs, entries);
    const seg = fs.readFileSync(bf.segmentFile);
    expect(seg.includes(Buffer.from('IMG_0001'))).toBe(false);
    expect(seg.includes(Buffer.from('SQLite format'))).toBe(false);

    const db = await openSegment(bf, key);
    try {
      const back = segmentRecords(db);
      expect(back.map(({ id: _id, ...r }) => JSON.parse(JSON.stringify(r)))).toEqual(JSON.parse(JSON.stringify(recs)));
      const meta = Object.fromEntries(
        rows<{ key: string; value: string }>(db, 'SELECT * FROM meta').map((r) => [r.key, r.value]),
      );
      expect(meta).toEqual({ camera: 'CAM-01', drive: 'D001', batch: BATCH, segmentVersion: '2' });
      expect(segmentEntries(db)).toEqual(entries);
    } finally {
      db.close();
    }
    expect(readHashes(bf, key)).toEqual([record(1).sha256, record(3).sha256]);
  });

  it('are refused when edited or opened with another batch’s key, and are gone with the key', async () => {
    const { bf, master } = await batchFiles();
    const key = createBatchKey(bf, master);
    await writeSegment(bf, key, {}, [record(1)]);
    await expect(openSegment(bf, randomKey())).rejects.toThrow(/does not authenticate/);
    expect(() => readHashes(bf, randomKey())).toThrow(/hash list .* does not authenticate/);
    const other = new BatchFiles(bf.home, 'B20260908-999999');
    fs.mkdirSync(other.storeDir, { recursive: true });
    fs.copyFileSync(bf.segmentFile, other.segmentFile);
    // Same key, another batch's name: the segment is bound to its batch.
    await expect(openSegment(other, key)).rejects.toThrow(/does not authenticate/);
    const blob = fs.readFileSync(bf.segmentFile);
    blob[20]! ^= 0xff;
    fs.writeFileSync(bf.segmentFile, blob);
    const err = await openSegment(bf, key).catch((e: unknown) => e);
    expect((err as CustodyError).code).toBe('integrity');

    destroyBatchKey(bf);
    expect(fs.existsSync(bf.keyFile)).toBe(false);
    expect(() => loadBatchKey(bf, master)).toThrow(/is gone \(destroyed or missing\)/);
    destroyBatchKey(bf); // already gone: nothing to do
  });

  it('journal the import as it goes; a last line cut short by a crash is ignored, an edited one refused', async () => {
    const { bf, master } = await batchFiles();
    const key = createBatchKey(bf, master);
    const j = new JournalWriter(bf, key, 2, 60_000);
    for (let i = 1; i <= 5; i++) await j.append(record(i));
    await j.close();
    expect(readJournal(bf, key).map((r) => r.relPath)).toEqual([1, 2, 3, 4, 5].map((i) => record(i).relPath));
    expect(fs.readFileSync(bf.journalFile).includes(Buffer.from('IMG_0001'))).toBe(false);

    const text = fs.readFileSync(bf.journalFile, 'utf8');
    fs.writeFileSync(bf.journalFile, text.slice(0, text.length - 20));
    expect(readJournal(bf, key)).toHaveLength(4);

    const lines = text.split('\n');
    lines[1] = `x${lines[1]!.slice(1)}`;
    fs.writeFileSync(bf.journalFile, lines.join('\n'));
    expect(() => readJournal(bf, key)).toThrow(/Line 2 of the import journal/);
  });

  it('name stored files by an HMAC of their hash under the batch key', () => {
    const k1 = randomKey();
    const sha = 'ab'.repeat(32);
    expect(storeName(k1, sha)).toMatch(/^[0-9a-f]{40}$/);
    expect(storeName(k1, sha)).toBe(storeName(k1, sha));
    expect(storeName(randomKey(), sha)).not.toBe(storeName(k1, sha));
    expect(storeName(k1, sha)).not.toContain(sha.slice(0, 40));
  });

  it('refuse a batch id that is not one', async () => {
    const { bf } = await batchFiles();
    expect(() => new BatchFiles(bf.home, '../../etc')).toThrow(/is not a batch id/);
    expect(bf.dataFiles.map((f) => f.slice(bf.home.dir.length))).toEqual(
      ['journal', 'seg', 'hashes', 'ocr', 'idx'].map((ext) => `/segments/${BATCH}.${ext}`),
    );
  });
});
