/**
 * Destroying a recording day destroys what names it (policy §8, issue 15): on the raw files, after
 * day 1 of a two-day batch is purged, no key the custodian's password reaches in the home opens
 * anything of day 1 in a copy of the home made before the purge — neither its stored files nor its
 * file names, capture times, hashes and plate readings (the segment, hash list, readings and index
 * were re-written under a new batch key and the old one destroyed). The copy's own keys still open
 * it (the control: the test can fail), and the certificate says exactly that, from recorded facts.
 * Content stored on day 2 stays reachable, also as the first copy of a later duplicate.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { BatchFiles, loadBatchKey, openSegment, segmentRecords, storeContext } from '../../src/ledger/batches.js';
import { openBlob } from '../../src/ledger/crypto.js';
import { openSession, type Session } from '../../src/ledger/session.js';
import { endExiftool } from '../../src/media/exif.js';
import { hashStored } from '../../src/media/store.js';
import { refreshMergedIndex } from '../../src/ocr/merged.js';
import { type BatchReadings, saveIndex, saveReadings } from '../../src/ocr/queue.js';
import type { FixtureManifest } from '../../tools/fixture-drive.js';
import { pdftotext } from '../documents/helpers.js';
import { INIT_ARGS, newTestHome, okRunner, PASSWORD, tmpDir } from '../helpers/cli.js';
import { smallCameraDrive } from '../helpers/drives.js';
import { homeKeyringFiles, openRawSlot, slotSecrets, withDerivedKeys } from '../helpers/raw-keys.js';

const _TZ = 'America/Los_Angeles';
let drive: { dir: string; manifest: FixtureManifest };

beforeAll(async () => {
  drive = await smallCameraDrive('custody-rekey-drive-', { seed: 515, days: 2, perDay: 3, imageBytes: 6000 });
}, 120_000);

afterAll(async () => {
  await endExiftool();
});

/** The raw attack's first step: the custodian's slot opened from the keyring file alone, every key derived. */
async function slotKeys(home: string): Promise<Buffer[]> {
  return withDerivedKeys(slotSecrets(await openRawSlot(homeKeyringFiles(home), 'asd', PASSWORD)));
}

/**
 * Every key the custodian's password reaches in `home`: the slot's keys and their derived keys,
 * every key file of keys/ they open, and every file key the batch segments there hold, unwrapped.
 */
async function reachableKeys(home: string, batch: string): Promise<Buffer[]> {
  const keys = await slotKeys(home);
  const opened: Buffer[] = [];
  const dayKeys = new Map<string, Buffer>();
  for (const name of fs.readdirSync(path.join(home, 'keys'))) {
    const blob = fs.readFileSync(path.join(home, 'keys', name));
    if (name === 'plates.key') {
      for (const k of keys) {
        const key = openBlob(k, blob, 'custody-plates-key');
        if (key) opened.push(key);
      }
      continue;
    }
    const m = /^(B\d{8}-[0-9a-f]{6})(?:@(\d{4}-\d{2}-\d{2}))?\.key$/.exec(name);
    if (!m) continue;
    const ctx = m[2] ? `custody-day-key:${m[1]}@${m[2]}` : `custody-batch-key:${m[1]}`;
    for (const k of keys) {
      const key = openBlob(k, blob, ctx);
      if (key) {
        opened.push(key);
        if (m[2]) dayKeys.set(`${m[1]}@${m[2]}`, key);
      }
    }
  }
  // The file keys sealed in the segment that the batch key of the home opens.
  const seg = path.join(home, 'segments', `${batch}.seg`);
  const fileKeys: Buffer[] = [];
  for (const k of opened) {
    const plain = fs.existsSync(seg) ? openBlob(k, fs.readFileSync(seg), `custody-segment:${batch}`) : undefined;
    if (!plain) continue;
    const { sqlJs } = await import('../../src/ledger/ledger.js');
    const db = new (await sqlJs()).Database(plain);
    for (const r of segmentRecords(db)) {
      const dk = r.keyDay ? dayKeys.get(`${batch}@${r.keyDay}`) : undefined;
      const fk =
        dk && r.wrappedKey
          ? openBlob(dk, Buffer.from(r.wrappedKey, 'base64'), `custody-file-key:${batch}@${r.keyDay}`)
          : undefined;
      if (fk) fileKeys.push(fk);
    }
    db.close();
  }
  return [...keys, ...opened, ...fileKeys];
}

/** The sealed files of a batch's segments folder that hold what names its images, with their contexts. */
const metadataFiles = (home: string, batch: string) =>
  (
    [
      ['seg', 'segment'],
      ['hashes', 'hashes'],
      ['ocr', 'readings'],
      ['idx', 'index'],
    ] as const
  ).map(([ext, ctx]) => ({ file: path.join(home, 'segments', `${batch}.${ext}`), context: `custody-${ctx}:${batch}` }));

describe('purging one recording day of a two-day batch', () => {
  it('leaves the home no key that opens that day’s files or metadata in a copy made before; the certificate says so', async () => {
    const clock = manualClock('2026-09-03T09:00:00-07:00');
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St & 3rd', '--since', '2026-08-01T00:00:00-07:00']);
    await ok(['drive', 'enrol', '--source', drive.dir, '--id', 'D001']);
    const swap = await ok([
      'swap',
      '--source',
      drive.dir,
      '--camera',
      'CAM-01',
      '--removed-at',
      '2026-09-03T09:00:00-07:00',
      '--store-location',
      'safe, room 102',
      '--no-replacement',
      '--json',
    ]);
    const B = (JSON.parse(swap.stdout) as { batch: string }).batch;
    const open = (): Promise<Session> =>
      openSession({ homeDir: t.home, credentials: { username: 'asd', password: PASSWORD }, clock, command: 'test' });

    // Plate readings for every image (the reader is tested elsewhere), so the readings and index exist.
    let s = await open();
    const bf = new BatchFiles(s.home, B);
    const k1 = loadBatchKey(bf, s.master);
    const db = await openSegment(bf, k1);
    const recs = segmentRecords(db).filter((r) => r.outcome === 'stored');
    db.close();
    const plates = new Map(drive.manifest.files.filter((f) => f.plate).map((f) => [f.relPath, f.plate!]));
    const files: BatchReadings['files'] = {};
    for (const r of recs)
      if (plates.has(r.relPath))
        files[String(r.id)] = {
          best: { text: plates.get(r.relPath)!, confidence: 0.99 },
          alternatives: [],
          box: null,
          ms: 1,
          readAt: '2026-09-03T10:00:00Z',
        };
    const readings: BatchReadings = { version: 1, engine: 'test', model: 'test', files };
    saveReadings(bf, k1, readings);
    saveIndex(bf, k1, readings, new Map(recs.map((r) => [r.id, r.recordedAt])));
    await refreshMergedIndex(s, [B]); // as `custody ocr` does: the merged plate index holds them too
    s.close();
    const day1 = recs.filter((r) => r.keyDay === '2026-09-01');
    const day2 = recs.filter((r) => r.keyDay === '2026-09-02');
    expect(day1.length).toBe(3);
    expect(day2.length).toBe(3);

    // The retention report: day 1's date, then a minute later it is due and day 2 is not.
    const rep = JSON.parse((await ok(['retention', '--json'])).stdout) as {
      batches: { id: string; days: { day: string; destructionDate: string }[] }[];
    };
    const [d1, d2] = rep.batches.find((b) => b.id === B)!.days;
    expect([d1!.day, d2!.day]).toEqual(['2026-09-01', '2026-09-02']);
    const purgeAt = new Date(Date.parse(d1!.destructionDate) + 60_000);
    expect(Date.parse(d2!.destructionDate)).toBeGreaterThan(purgeAt.getTime());
    clock.set(purgeAt.toISOString());

    // A copy of the whole home made before the purge (a backup, keys included).
    const pre = path.join(tmpDir('custody-prepurge-'), 'home');
    fs.cpSync(t.home, pre, { recursive: true });

    const certificate = path.join(t.dir, 'destruction.pdf');
    const out = JSON.parse((await ok(['purge', '--yes', '--certificate', certificate, '--json'])).stdout) as {
      destroyed: { batch: string; day: string }[];
    };
    expect(out.destroyed.map((d) => [d.batch, d.day])).toEqual([[B, '2026-09-01']]);

    // The control: the copy's own keys (its keyring, its keys/) open its day-1 metadata and files.
    const preKeys = await reachableKeys(pre, B);
    const preSeg = metadataFiles(pre, B)[0]!;
    const preOpened = preKeys
      .map((k) => openBlob(k, fs.readFileSync(preSeg.file), preSeg.context))
      .find((p) => p !== undefined);
    expect(preOpened).toBeDefined();
    expect(preOpened!.includes(Buffer.from(day1[0]!.relPath))).toBe(true);
    const victim = path.join(pre, 'store', B, day1[0]!.storeName!);
    const opensVictim = async (keys: Buffer[]) => {
      for (const k of keys)
        if (
          await hashStored(victim, k, storeContext(B)).then(
            () => true,
            () => false,
          )
        )
          return true;
      return false;
    };
    expect(await opensVictim(preKeys)).toBe(true);

    // The attack: every key the custodian's password reaches in the home now, against the copy's files of day 1.
    const postKeys = await reachableKeys(t.home, B);
    expect(postKeys.length).toBeGreaterThan(10);
    for (const { file, context } of metadataFiles(pre, B)) {
      expect(fs.existsSync(file), file).toBe(true);
      for (const k of postKeys) expect(openBlob(k, fs.readFileSync(file), context), file).toBeUndefined();
    }
    expect(await opensVictim(postKeys)).toBe(false);
    // The merged plate index of the copy (every batch's readings in one file): its header opens with
    // the copy's own keys, with none the home holds now.
    const mergedHeader = (home: string) => {
      const f = fs.readFileSync(path.join(home, 'plates.idx'));
      const n = f.readUInt32LE(f.length - 8);
      return f.subarray(f.length - 8 - n, f.length - 8);
    };
    const preHeader = mergedHeader(pre);
    expect(preKeys.some((k) => openBlob(k, preHeader, 'custody-plates:header'))).toBe(true);
    for (const k of postKeys) expect(openBlob(k, preHeader, 'custody-plates:header')).toBeUndefined();
    expect(postKeys.some((k) => openBlob(k, mergedHeader(t.home), 'custody-plates:header'))).toBe(true);
    for (const r of day1) expect(fs.existsSync(path.join(t.home, 'store', B, r.storeName!))).toBe(false);

    // The home's own files: the new segment opens with a key the password reaches and names day 2 only.
    const postSeg = metadataFiles(t.home, B)[0]!;
    const postPlain = postKeys.map((k) => openBlob(k, fs.readFileSync(postSeg.file), postSeg.context)).find(Boolean);
    expect(postPlain).toBeDefined();
    for (const r of day1) expect(postPlain!.includes(Buffer.from(r.relPath))).toBe(false);
    for (const r of day2) expect(postPlain!.includes(Buffer.from(r.relPath))).toBe(true);
    expect(
      fs
        .readdirSync(path.join(t.home, 'keys'))
        .filter((n) => n.startsWith(B))
        .sort(),
    ).toEqual([`${B}.key`, `${B}@2026-09-02.key`]);

    // The certificate says what was done and what a copy made before still reaches, from the record.
    const text = pdftotext(fs.readFileSync(certificate), []).replace(/\s+/g, ' ');
    expect(text).toContain('re-written under a new batch key, and the old batch key was destroyed');
    expect(text).toContain('No key the home now holds opens a copy of the listed data made before this purge.');
    expect(text).toContain('keeps the keys it copied: with a password valid then it still opens everything it copied');

    // Day 2 still serves, and stays the first copy of the same content imported again later.
    const again = path.join(tmpDir('custody-rekey-d2-'), 'drive');
    fs.mkdirSync(again, { recursive: true });
    fs.copyFileSync(path.join(drive.dir, day2[0]!.relPath), path.join(again, 'COPY_0001.JPG'));
    await ok(['drive', 'enrol', '--source', again, '--id', 'D002']);
    const swap2 = await ok([
      'swap',
      '--source',
      again,
      '--camera',
      'CAM-01',
      '--removed-at',
      purgeAt.toISOString(),
      '--store-location',
      'safe, room 102',
      '--no-replacement',
      '--json',
    ]);
    const B2 = (JSON.parse(swap2.stdout) as { batch: string }).batch;
    s = await open();
    try {
      const bf2 = new BatchFiles(s.home, B2);
      const db2 = await openSegment(bf2, loadBatchKey(bf2, s.master));
      const dup = segmentRecords(db2).find((r) => r.relPath === 'COPY_0001.JPG')!;
      db2.close();
      expect(dup.outcome).toBe('duplicate');
      expect(dup.duplicateOf).toBe(`${B}/${day2[0]!.storeName}`);
    } finally {
      s.close();
    }
    expect((await ok(['verify'])).code).toBe(0);
  }, 300_000);
});
