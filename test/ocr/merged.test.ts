/**
 * The merged plate index: a search through it gives exactly what the batch indexes give (exact,
 * fuzzy, wildcard, time range, camera); it follows a batch whose index changes and drops one
 * whose index is gone; a search never serves rows of a batch it no longer holds as current; and
 * `checkMergedIndex` (custody verify) finds a merged index that does not match the batch indexes.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchFiles,
  createBatchKey,
  type FileRecord,
  loadBatchKey,
  newBatchId,
  openSegment,
  segmentRecords,
  writeSegment,
} from '../../src/ledger/batches.js';
import type { Session } from '../../src/ledger/session.js';
import {
  checkMergedHeader,
  checkMergedIndex,
  decodeRetention,
  RET_ASK_SEGMENT,
  retentionCode,
  MergedIndex,
  mergedFile,
  mergedKey,
  refreshMergedIndex,
  searchableSources,
  shardsFor,
  SHARDS,
} from '../../src/ocr/merged.js';
import { type BatchReadings, saveIndex, saveReadings } from '../../src/ocr/queue.js';
import { parseQuery } from '../../src/core/plate-match.js';
import { openBlob, randomKey, rememberPredecessors, sealBlob } from '../../src/ledger/crypto.js';
import { searchPlates } from '../../src/operations/search.js';
import { manualClock, newHome, open } from '../ledger/helpers.js';

const clock = manualClock('2026-11-10T09:00:00-08:00');
let s: Session;
const batches: string[] = [];
const truths: string[] = [];

let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const L = 'ABCDEFGHJKLMNPRSTUVWXYZ';
const pick = (x: string) => x[Math.floor(rand() * x.length)]!;
const plate = () =>
  `${pick('123456789')}${pick(L)}${pick(L)}${pick(L)}${pick('0123456789')}${pick('0123456789')}${pick('0123456789')}`;
const LOOK = { '0': 'O', O: '0', '8': 'B', B: '8', '5': 'S', S: '5', '1': 'I', I: '1' } as Record<string, string>;
const lookAlike = (p: string) => {
  for (let i = 0; i < p.length; i++) if (LOOK[p[i]!]) return p.slice(0, i) + LOOK[p[i]!] + p.slice(i + 1);
  return `${p}X`;
};

async function addBatch(
  camera: string,
  images: number,
  fleet: string[],
  startIso: string,
  tweak: (rec: FileRecord, i: number) => void = () => {},
): Promise<string> {
  const batch = newBatchId('2026-11-01');
  const bf = new BatchFiles(s.home, batch);
  const key = createBatchKey(bf, s.master);
  s.append('drive.enrolled', {
    drive: `D-${batch}`,
    label: null,
    serial: null,
    capacityBytes: null,
    fsType: null,
    note: null,
  });
  s.append('import.started', { batch, drive: `D-${batch}`, camera });
  const recs: FileRecord[] = [];
  const readings: BatchReadings = { version: 1, engine: 't', model: 't', files: {} };
  const t0 = Date.parse(startIso);
  for (let i = 1; i <= images; i++) {
    const at = new Date(t0 + i * 60_000).toISOString();
    recs.push({
      relPath: `DCIM/IMG_${i}.JPG`,
      size: 1000,
      mtime: at,
      outcome: 'stored',
      sha256: `${batch}-${i}`.padStart(64, '0'),
      storeName: `${i}`.padStart(40, '0'),
      kind: 'image',
      mime: 'image/jpeg',
      recordedAt: at,
      recordedSource: 'exif',
      flags: [],
    });
    tweak(recs.at(-1)!, i);
    const truth = fleet[Math.floor(rand() * fleet.length)]!;
    const best = rand() < 0.7 ? truth : lookAlike(truth);
    readings.files[String(i)] = {
      best: { text: best, confidence: Math.round(rand() * 100) / 100 },
      alternatives: [lookAlike(truth), plate()].map((text) => ({ text, confidence: 0.3 })),
      box: null,
      ms: 0,
      readAt: at,
    };
  }
  await writeSegment(bf, key, { drive: `D-${batch}`, camera }, recs);
  saveReadings(bf, key, readings);
  saveIndex(bf, key, readings, new Map(recs.map((r, i) => [i + 1, r.recordedAt])));
  s.append('import.finished', {
    batch,
    drive: `D-${batch}`,
    camera,
    files: images,
    stored: images,
    duplicates: 0,
    skipped: 0,
    failed: 0,
    flagged: 0,
    bytes: images * 1000,
    recordedFirst: recs[0]!.recordedAt,
    recordedLast: recs.at(-1)!.recordedAt,
    manifestSha256: '0'.repeat(64),
    verifiedAt: s.now(),
    sourceVerified: false,
  });
  s.append('ocr.started', { batch, engine: 't', model: 't', images });
  s.append('ocr.finished', { batch, engine: 't', model: 't', images, readable: images });
  s.commit();
  return batch;
}

/** A search through the batch indexes alone (the merged index moved away for the call). */
async function withoutMerged<T>(f: () => Promise<T>): Promise<T> {
  const file = mergedFile(s.home);
  const away = `${file}.away`;
  fs.renameSync(file, away);
  try {
    return await f();
  } finally {
    fs.renameSync(away, file);
  }
}

const QUERIES = () => [
  ...truths.slice(0, 6).map((p) => ({ plate: p, fuzzy: false })),
  ...truths.slice(0, 6).map((p) => ({ plate: lookAlike(p), fuzzy: true })),
  ...truths.slice(0, 6).map((p) => ({ plate: p.slice(0, 6), fuzzy: true })), // one character missing
  ...truths.slice(0, 4).map((p) => ({ plate: `${p.slice(0, 2)}?${p.slice(3, 5)}*`, fuzzy: false })),
  ...truths.slice(0, 2).map((p) => ({ plate: `*${p.slice(3)}`, fuzzy: true })),
];

async function sameAsBatchIndexes(extra: { camera?: string; from?: number; to?: number } = {}): Promise<number> {
  let found = 0;
  for (const q of QUERIES()) {
    const merged = await searchPlates(s, { ...q, ...extra, limit: 1000 });
    const alone = await withoutMerged(() => searchPlates(s, { ...q, ...extra, limit: 1000 }));
    expect(merged.results, JSON.stringify(q)).toEqual(alone.results);
    expect(merged.batchesSearched).toBe(alone.batchesSearched);
    found += merged.results.length;
  }
  return found;
}

beforeAll(async () => {
  s = await open(await newHome(clock), clock);
  s.append('camera.added', {
    camera: 'CAM-01',
    id: 'CAM-01',
    location: 'Main',
    inServiceSince: '2026-10-01T00:00:00.000-07:00',
  });
  s.append('camera.added', {
    camera: 'CAM-02',
    id: 'CAM-02',
    location: 'Elm',
    inServiceSince: '2026-10-01T00:00:00.000-07:00',
  });
  s.commit();
  const fleet = Array.from({ length: 60 }, plate);
  truths.push(...fleet);
  batches.push(await addBatch('CAM-01', 300, fleet, '2026-11-01T08:00:00-08:00'));
  batches.push(await addBatch('CAM-02', 250, fleet, '2026-11-03T08:00:00-08:00'));
  batches.push(await addBatch('CAM-01', 200, fleet, '2026-11-05T08:00:00-08:00'));
}, 120_000);

afterAll(() => s?.close());

describe('the merged plate index', () => {
  it('is written from every batch, and a search through it finds exactly what the batch indexes find', async () => {
    expect((await refreshMergedIndex(s)).replaced.sort()).toEqual([...batches].sort());
    expect(checkMergedHeader(s.home, s.master, searchableSources(s))).toEqual({ problems: [], warnings: [] });
    const m = MergedIndex.open(s.home, mergedKey(s.home, s.master))!;
    expect(m.header.batches.map((b) => b.id).sort()).toEqual([...batches].sort());
    m.close();
    expect(await sameAsBatchIndexes()).toBeGreaterThan(100);
    expect(await sameAsBatchIndexes({ camera: 'CAM-02' })).toBeGreaterThan(0);
    await sameAsBatchIndexes({
      from: Date.parse('2026-11-03T09:00:00-08:00'),
      to: Date.parse('2026-11-05T10:00:00-08:00'),
    });
    expect(await checkMergedIndex(s.home, s.master, searchableSources(s))).toEqual({ problems: [], warnings: [] });
    // Nothing changed: nothing is written.
    const before = fs.statSync(mergedFile(s.home)).mtimeMs;
    expect(await refreshMergedIndex(s)).toEqual({ replaced: [], dropped: [] });
    expect(fs.statSync(mergedFile(s.home)).mtimeMs).toBe(before);
  });

  it('opens with a rotated evidence key that remembers the one it replaced (issue 14), and not with an unrelated key', () => {
    const rotated = rememberPredecessors(randomKey(), [s.master]);
    const m = MergedIndex.open(s.home, mergedKey(s.home, rotated))!;
    expect(m.header.batches.length).toBe(batches.length);
    m.close();
    expect(() => MergedIndex.open(s.home, mergedKey(s.home, randomKey()))).toThrow(/does not authenticate/);
  });

  it('reads one shard for an exact plate and only the shards of its keys for a fuzzy one', () => {
    expect(shardsFor(parseQuery('7ABC123'))).toHaveLength(1);
    // Plates that differ only by look-alikes share the shard.
    expect(shardsFor(parseQuery('7ABC123'))).toEqual(shardsFor(parseQuery('7A8C1Z3')));
    const fuzzy = shardsFor(parseQuery('7ABC123', { fuzzy: true }));
    expect(Array.isArray(fuzzy) && fuzzy.length > 1 && fuzzy.length < SHARDS / 4).toBe(true);
    expect(shardsFor(parseQuery('7A?C*'))).toBe('all');
  });

  it('follows a batch whose index changed (a purged day), and until then searches that batch alone', async () => {
    const b = batches[1]!;
    const bf = new BatchFiles(s.home, b);
    const { loadReadings } = await import('../../src/ocr/queue.js');
    const { loadBatchKey } = await import('../../src/ledger/batches.js');
    const key = loadBatchKey(bf, s.master);
    const readings = loadReadings(bf, key)!;
    for (let i = 1; i <= 120; i++) delete readings.files[String(i)];
    saveReadings(bf, key, readings);
    const times = new Map(Object.keys(readings.files).map((id) => [Number(id), '2026-11-04T08:00:00.000Z']));
    saveIndex(bf, key, readings, times);
    // Not yet followed: the batch is searched through its own index, and verify says so.
    await sameAsBatchIndexes();
    const stale = await checkMergedIndex(s.home, s.master, searchableSources(s));
    expect(stale.problems).toEqual([]);
    expect(stale.warnings.join(' ')).toMatch(new RegExp(`older index of batch ${b}`));
    // The health check's header-only check sees it too, without reading a row.
    expect(checkMergedHeader(s.home, s.master, searchableSources(s))).toEqual({
      problems: [],
      warnings: [expect.stringMatching(new RegExp(`behind the index of batch ${b}`))],
    });
    expect(await refreshMergedIndex(s, [b])).toEqual({ replaced: [b], dropped: [] });
    expect(await checkMergedIndex(s.home, s.master, searchableSources(s))).toEqual({ problems: [], warnings: [] });
    await sameAsBatchIndexes();
  });

  it('never serves rows of a batch whose index is gone, verify names it, and the update drops it', async () => {
    const b = batches[2]!;
    const idx = new BatchFiles(s.home, b).indexFile;
    const kept = fs.readFileSync(idx);
    fs.rmSync(idx);
    // A batch the ledger records read is not searched without its index as if it held nothing:
    // the search is refused, naming it (test/attack/plate-index-tamper.test.ts).
    await expect(searchPlates(s, { plate: truths[0]!, fuzzy: true, limit: 1000 })).rejects.toMatchObject({
      code: 'integrity',
      message: expect.stringMatching(new RegExp(`plate index of batch ${b} is missing`)),
    });
    expect((await checkMergedIndex(s.home, s.master, searchableSources(s))).problems.join(' ')).toMatch(
      new RegExp(`holds batch ${b}, which may no longer be searched`),
    );
    expect(checkMergedHeader(s.home, s.master, searchableSources(s)).problems.join(' ')).toMatch(
      new RegExp(`holds batch ${b}, which may no longer be searched`),
    );
    expect(await refreshMergedIndex(s)).toEqual({ replaced: [], dropped: [b] });
    expect(await checkMergedIndex(s.home, s.master, searchableSources(s))).toEqual({ problems: [], warnings: [] });
    const m = MergedIndex.open(s.home, mergedKey(s.home, s.master))!;
    const ords = new Set(m.header.batches.map((x) => x.ord));
    let rows = 0;
    for (let shard = 0; shard < SHARDS; shard++)
      for (const r of m.shard(shard).all()) {
        expect(ords.has(r.ord)).toBe(true);
        rows++;
      }
    m.close();
    expect(rows).toBeGreaterThan(0);
    // Put back, the batch is searched alone until the next update takes it in again.
    fs.writeFileSync(idx, kept);
    await sameAsBatchIndexes();
  });

  it('takes a batch index put back behind its back for an older one, and refuses an edited merged index', async () => {
    const b = batches[0]!;
    const bf = new BatchFiles(s.home, b);
    const { loadReadings } = await import('../../src/ocr/queue.js');
    const { loadBatchKey } = await import('../../src/ledger/batches.js');
    const key = loadBatchKey(bf, s.master);
    // The merged index is written from an index that then goes back to what it was, with its name.
    const original = fs.readFileSync(bf.indexFile);
    const st = fs.statSync(bf.indexFile);
    const readings = loadReadings(bf, key)!;
    delete readings.files['1'];
    saveIndex(bf, key, readings, new Map([[2, '2026-11-01T16:02:00.000Z']]));
    await refreshMergedIndex(s, [b]);
    const m = MergedIndex.open(s.home, mergedKey(s.home, s.master))!;
    const entry = m.header.batches.find((x) => x.id === b)!;
    m.close();
    fs.writeFileSync(bf.indexFile, original);
    fs.utimesSync(bf.indexFile, st.atime, new Date(entry.mtimeMs));
    // Same name, size and time, other content: verify compares the rows.
    const sha = (await import('node:crypto')).createHash('sha256').update(original).digest('hex');
    const file = mergedFile(s.home);
    expect((await checkMergedIndex(s.home, s.master, searchableSources(s))).warnings.join(' ')).toMatch(/older index/);
    expect(sha).not.toBe(entry.sha256);
    // Edited bytes do not authenticate: exit 8 from a search, a problem for verify.
    await refreshMergedIndex(s, [b]);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 20]! ^= 1; // inside its sealed header
    fs.writeFileSync(file, bytes);
    expect((await checkMergedIndex(s.home, s.master, searchableSources(s))).problems.join(' ')).toMatch(
      /does not authenticate/,
    );
    await expect(searchPlates(s, { plate: truths[0]!, fuzzy: false, limit: 10 })).rejects.toMatchObject({
      code: 'integrity',
    });
    // The next update writes it again from the batch indexes.
    await refreshMergedIndex(s);
    expect(await checkMergedIndex(s.home, s.master, searchableSources(s))).toEqual({ problems: [], warnings: [] });
    await sameAsBatchIndexes();
  });
  it('codes what retention counts from in one int: the day of a stored file key, the import date, no record', () => {
    const at = '2026-11-06T10:00:00.000-08:00';
    const base = { recordedAt: at, flags: [] as string[], outcome: 'stored' as const };
    expect(decodeRetention(retentionCode({ ...base, keyDay: '2026-11-06' }, Date.parse(at)))).toEqual({
      fromImport: false,
      keyDay: '2026-11-06',
    });
    expect(decodeRetention(retentionCode({ ...base, keyDay: '1969-12-31' }, Date.parse(at)))?.keyDay).toBe(
      '1969-12-31',
    );
    expect(decodeRetention(retentionCode(base, Date.parse(at)))).toEqual({ fromImport: false, keyDay: undefined });
    // A date not believed counts from the import; a duplicate's key day is not its day.
    expect(decodeRetention(retentionCode({ ...base, flags: ['future'] }, Date.parse(at)))?.fromImport).toBe(true);
    expect(decodeRetention(retentionCode({ ...base, recordedAt: undefined }, Number.NaN))?.fromImport).toBe(true);
    expect(
      decodeRetention(retentionCode({ ...base, outcome: 'duplicate', keyDay: '2026-11-06' }, Date.parse(at)))?.keyDay,
    ).toBeUndefined();
    expect(retentionCode(undefined, 0)).toBe(0);
    expect(decodeRetention(0)).toBeUndefined();
    // A believed date that is not the row's capture time: the segment decides at search.
    expect(retentionCode(base, Date.parse(at) + 1)).toBe(RET_ASK_SEGMENT);
    expect(decodeRetention(RET_ASK_SEGMENT)).toBeUndefined();
  });

  it('withholds exactly the images past their date (policy §8) that the batch indexes and segments withhold, without the segments', async () => {
    // A batch with dates not believed (they count from its import) and stored files with their key's day.
    const fleet = truths.slice(0, 60);
    const b = await addBatch('CAM-02', 240, fleet, '2026-11-02T08:00:00-08:00', (rec, i) => {
      if (i % 3 === 0) {
        rec.recordedAt = '2099-01-01T00:00:00.000Z';
        rec.flags = ['future'];
      } else if (i % 3 === 1) rec.keyDay = rec.recordedAt!.slice(0, 10);
    });
    await refreshMergedIndex(s, [b]);
    // Batch 2's index was written with other capture times than its segment's: those rows ask the segment.
    const m = MergedIndex.open(s.home, mergedKey(s.home, s.master))!;
    const ord = (id: string) => m.header.batches.find((x) => x.id === id)!.ord;
    const rets = new Map<number, Set<number>>();
    for (let shard = 0; shard < SHARDS; shard++)
      for (const r of m.shard(shard).all()) rets.set(r.ord, (rets.get(r.ord) ?? new Set()).add(r.ret));
    m.close();
    expect(rets.get(ord(batches[1]!))?.has(RET_ASK_SEGMENT)).toBe(true);
    expect([...rets.get(ord(b))!].every((c) => decodeRetention(c))).toBe(true);
    // 60 days on: the oldest images are past their date, those dated from the import (10 Nov) not yet.
    clock.set('2027-01-02T12:00:00-08:00');
    try {
      const queries = QUERIES();
      const alone: Awaited<ReturnType<typeof searchPlates>>[] = [];
      for (const q of queries) alone.push(await withoutMerged(() => searchPlates(s, { ...q, limit: 1000 })));
      expect(alone.reduce((a, r) => a + r.withheld.count, 0)).toBeGreaterThan(0);
      expect(alone.reduce((a, r) => a + r.results.length, 0)).toBeGreaterThan(0);
      // The new batch's segment moved away: the merged index alone decides its images.
      const seg = new BatchFiles(s.home, b).segmentFile;
      fs.renameSync(seg, `${seg}.away`);
      try {
        for (const [i, q] of queries.entries()) {
          const merged = await searchPlates(s, { ...q, limit: 1000 });
          expect(merged.results, JSON.stringify(q)).toEqual(alone[i]!.results);
          expect(merged.withheld, JSON.stringify(q)).toEqual(alone[i]!.withheld);
        }
      } finally {
        fs.renameSync(`${seg}.away`, seg);
      }
      expect(await checkMergedIndex(s.home, s.master, searchableSources(s))).toEqual({ problems: [], warnings: [] });
      // Rows whose retention facts no longer match the segment's records: verify names the batch.
      const bf = new BatchFiles(s.home, b);
      const key = loadBatchKey(bf, s.master);
      const original = fs.readFileSync(seg);
      const db = await openSegment(bf, key);
      const recs = segmentRecords(db);
      db.close();
      recs[0]!.flags = ['absurd'];
      await writeSegment(bf, key, { drive: `D-${b}`, camera: 'CAM-02' }, recs);
      expect((await checkMergedIndex(s.home, s.master, searchableSources(s))).problems.join(' ')).toMatch(
        new RegExp(`does not match the index of batch ${b}`),
      );
      fs.writeFileSync(seg, original);
    } finally {
      clock.set('2026-11-10T09:00:00-08:00');
    }
  });

  it('does not read a merged index of the older version (no retention column), and the next update writes it again', async () => {
    const file = mergedFile(s.home);
    const key = mergedKey(s.home, s.master);
    const bytes = fs.readFileSync(file);
    const n = bytes.readUInt32LE(bytes.length - 8);
    const at = bytes.length - 8 - n;
    const header = JSON.parse(openBlob(key, bytes.subarray(at, at + n), 'custody-plates:header')!.toString('utf8'));
    const sealed = sealBlob(key, Buffer.from(JSON.stringify({ ...header, version: 1 })), 'custody-plates:header');
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(sealed.length, 0);
    bytes.copy(trailer, 4, bytes.length - 4);
    fs.writeFileSync(file, Buffer.concat([bytes.subarray(0, at), sealed, trailer]));
    expect(MergedIndex.open(s.home, key)).toBeUndefined();
    expect((await checkMergedIndex(s.home, s.master, searchableSources(s))).warnings.join(' ')).toMatch(
      /older version/,
    );
    const q = { plate: truths[0]!, fuzzy: true, limit: 1000 };
    expect((await searchPlates(s, q)).results).toEqual((await withoutMerged(() => searchPlates(s, q))).results);
    expect((await refreshMergedIndex(s)).replaced.sort()).toEqual(
      searchableSources(s)
        .filter((b) => fs.existsSync(b.bf.indexFile))
        .map((b) => b.id)
        .sort(),
    );
    expect(MergedIndex.open(s.home, mergedKey(s.home, s.master))?.header.version).toBe(2);
    expect(await checkMergedIndex(s.home, s.master, searchableSources(s))).toEqual({ problems: [], warnings: [] });
    await sameAsBatchIndexes();
  });
});
