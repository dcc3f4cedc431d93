/**
 * npm run bench:search-home [-- --images 2000000 --json]
 * `custody search` as the custodian runs it: a home of N images (2 million by default) in
 * weekly import batches of 10 cameras, each batch with its own sealed segment, readings and
 * plate index; times exact, wildcard and fuzzy searches through the command's own search path
 * (the median of several queries). With --json the last line is
 * {"readings":…,"exactSeconds":…,"wildcardSeconds":…,"fuzzySeconds":…,"batches":…,"mergeSeconds":…,
 * "noneDue":{…},"updateSeconds":…,"verifyMergedSeconds":…,"verifyMergedCpuSeconds":…,"loadAverage":[…]}:
 * the merged plate index written from every
 * batch, then one batch replaced in it (what `custody ocr` and `custody purge` do), then the
 * searches, with purge overdue (the figures at the top level) and with no image past its date.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { searchPlates } from '../src/operations/search.js';
import { defaultSettings } from '../src/core/settings.js';
import { BatchFiles, createBatchKey, newBatchId, writeSegment, type FileRecord } from '../src/ledger/batches.js';
import { initHome } from '../src/operations/init.js';
import { openSession } from '../src/ledger/session.js';
import { saveIndex, saveReadings, type BatchReadings } from '../src/ocr/queue.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const IMAGES = args.includes('--images') ? Number(args[args.indexOf('--images') + 1]) : 2_000_000;
const CAMERAS = 10;
const BATCHES_PER_CAMERA = 9; // weekly swaps over 60 days
const log = (s: string) => !json && console.log(s);

let seed = 20261126;
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const L = 'ABCDEFGHJKLMNPRSTUVWXYZ';
const D = '0123456789';
const pick = (s: string) => s[Math.floor(rand() * s.length)]!;
const plate = () => `${pick('123456789')}${pick(L)}${pick(L)}${pick(L)}${pick(D)}${pick(D)}${pick(D)}`;
const CONF: Record<string, string> = {
  '0': 'O',
  O: '0',
  '1': 'I',
  I: '1',
  '8': 'B',
  B: '8',
  '5': 'S',
  S: '5',
  '2': 'Z',
  Z: '2',
  '6': 'G',
  G: '6',
};
const corrupt = (p: string) => {
  const i = Math.floor(rand() * p.length);
  return p.slice(0, i) + (CONF[p[i]!] ?? pick(L)) + p.slice(i + 1);
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-bench-search-'));
const home = path.join(dir, 'home');
const PW = 'bench password 123';
let now = '2026-11-30T09:00:00-08:00';
const clock = () => new Date(now);
await initHome({
  dir: home,
  settings: defaultSettings({ agencyName: 'Bench City', custodianTitle: 'ASD', timeZone: 'America/Los_Angeles' }),
  custodian: {
    username: 'asd',
    displayName: 'Bench',
    password: PW,
    training: { date: '2026-01-01', course: 'c', trainer: 't' },
  },
  clock,
});
const s = await openSession({ homeDir: home, credentials: { username: 'asd', password: PW }, clock, command: 'bench' });
const perBatch = Math.ceil(IMAGES / CAMERAS / BATCHES_PER_CAMERA);
const fleet = Array.from({ length: Math.max(1000, IMAGES / 5) }, plate);
const queries: string[] = [];
const tb = performance.now();
let total = 0;
for (let c = 1; c <= CAMERAS; c++) {
  const cam = `CAM-${String(c).padStart(2, '0')}`;
  s.append('camera.added', {
    camera: cam,
    id: cam,
    location: `Street ${c}`,
    inServiceSince: '2026-08-01T00:00:00.000-07:00',
  });
  for (let b = 0; b < BATCHES_PER_CAMERA && total < IMAGES; b++) {
    const drive = `D${c}${b}`;
    s.append('drive.enrolled', { drive, label: null, serial: null, capacityBytes: null, fsType: null, note: null });
    const batch = newBatchId(`2026-10-${String(1 + b).padStart(2, '0')}`);
    const bf = new BatchFiles(s.home, batch);
    const key = createBatchKey(bf, s.master);
    s.append('import.started', { batch, drive, camera: cam });
    const recs: FileRecord[] = [];
    const readings: BatchReadings = { version: 1, engine: 'bench', model: 'bench', files: {} };
    const t0 = Date.parse('2026-10-01T00:00:00Z') + b * 7 * 86_400_000;
    for (let i = 1; i <= perBatch && total < IMAGES; i++, total++) {
      const at = new Date(t0 + (i / perBatch) * 7 * 86_400_000).toISOString();
      recs.push({
        relPath: `DCIM/IMG_${i}.JPG`,
        size: 300_000,
        mtime: at,
        outcome: 'stored',
        sha256: `${c}-${b}-${i}`.padStart(64, '0'),
        storeName: `${i}`.padStart(40, '0'),
        kind: 'image',
        mime: 'image/jpeg',
        recordedAt: at,
        recordedSource: 'exif',
        flags: [],
      });
      const truth = fleet[Math.floor(fleet.length * rand() ** 2)]!;
      const best = rand() < 0.8 ? truth : corrupt(truth);
      const alts = Array.from({ length: Math.floor(rand() * 6) }, () => corrupt(truth)).filter((a) => a !== best);
      readings.files[String(i)] = {
        best: { text: best, confidence: 0.9 },
        alternatives: alts.map((text) => ({ text, confidence: 0.4 })),
        box: null,
        ms: 0,
        readAt: at,
      };
      if (queries.length < 9 && i === 1000) queries.push(truth);
    }
    await writeSegment(bf, key, { drive, camera: cam }, recs);
    saveReadings(bf, key, readings);
    saveIndex(bf, key, readings, new Map(recs.map((r, i) => [i + 1, r.recordedAt])));
    s.append('import.finished', {
      batch,
      drive,
      camera: cam,
      files: recs.length,
      stored: recs.length,
      duplicates: 0,
      skipped: 0,
      failed: 0,
      flagged: 0,
      bytes: recs.length * 300_000,
      recordedFirst: recs[0]!.recordedAt,
      recordedLast: recs.at(-1)!.recordedAt,
      manifestSha256: '0'.repeat(64),
      verifiedAt: at0(),
      sourceVerified: false,
    });
    s.append('ocr.started', { batch, engine: 'bench', model: 'bench', images: recs.length });
    s.append('ocr.finished', { batch, engine: 'bench', model: 'bench', images: recs.length, readable: recs.length });
  }
}
function at0() {
  return '2026-11-30T09:00:00.000-08:00';
}
s.commit();
log(
  `home of ${total.toLocaleString('en-US')} images in ${s.ledger.one<{ n: number }>('SELECT count(*) AS n FROM batches')!.n} batches built in ${((performance.now() - tb) / 1000).toFixed(0)} s`,
);

// What `custody ocr` does after reading batches: the merged plate index takes them (here all at once).
const tm = performance.now();
const { refreshMergedIndex } = await import('../src/ocr/merged.js');
await refreshMergedIndex(s);
const mergeSeconds = (performance.now() - tm) / 1000;
// One batch changed (as `custody ocr --reread` or a purge of one of its days leaves it): only it is replaced.
const one = s.ledger.one<{ id: string }>('SELECT id FROM batches ORDER BY finished_at LIMIT 1')!.id;
const tu = performance.now();
await refreshMergedIndex(s, [one]);
const updateSeconds = (performance.now() - tu) / 1000;
log(
  `merged plate index: written in ${mergeSeconds.toFixed(1)} s (${(fs.statSync(path.join(home, 'plates.idx')).size / 1e6).toFixed(0)} MB); one batch replaced in ${updateSeconds.toFixed(1)} s`,
);

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function timeIt(kind: string, make: (p: string) => { plate: string; fuzzy: boolean }): Promise<number> {
  const ts: number[] = [];
  let found = 0;
  for (const q of queries) {
    const t = performance.now();
    const r = await searchPlates(s, { ...make(q), limit: 50 });
    ts.push((performance.now() - t) / 1000);
    if (r.results.length) found++;
  }
  log(
    `${kind.padEnd(8)} median ${median([...ts]).toFixed(3)} s (max ${Math.max(...ts).toFixed(3)} s), found ${found}/${queries.length}`,
  );
  return median(ts);
}
async function timeAll() {
  const exact = await timeIt('exact', (p) => ({ plate: p, fuzzy: false }));
  const wildcard = await timeIt('wildcard', (p) => ({
    plate: `${p.slice(0, 3)}?${p.slice(4, 6)}*`,
    fuzzy: false,
  }));
  const fuzzy = await timeIt('fuzzy', (p) => ({ plate: corrupt(p), fuzzy: true }));
  return { exact, wildcard, fuzzy };
}
// On the 30th the oldest batches hold images past their date (purge overdue): policy §8 has each of
// those batches' segments opened to check every hit. On the 29th none is past its date (the home
// of a custodian who purges when due).
log('with images past their destruction date in the oldest batches (purge overdue):');
const overdue = await timeAll();
now = '2026-11-29T09:00:00-08:00';
log('with no image past its date (purged when due):');
const noneDue = await timeAll();
// `custody verify`'s check of the merged index: every row hashed against the batch indexes and segments.
const { checkMergedIndex, searchableSources } = await import('../src/ocr/merged.js');
const tv = performance.now();
const cv = process.cpuUsage();
const checked = await checkMergedIndex(s.home, s.master, searchableSources(s));
const verifyMergedSeconds = (performance.now() - tv) / 1000;
const verifyMergedCpu = process.cpuUsage(cv);
log(
  `verify's merged-index check: ${verifyMergedSeconds.toFixed(1)} s (CPU ${((verifyMergedCpu.user + verifyMergedCpu.system) / 1e6).toFixed(1)} s), ${checked.problems.length} problems, ${checked.warnings.length} warnings`,
);
const exactSeconds = overdue.exact;
const wildcardSeconds = overdue.wildcard;
const fuzzySeconds = overdue.fuzzy;
log(
  `load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (${os.availableParallelism()} cores)`,
);
s.close();
fs.rmSync(dir, { recursive: true, force: true });
if (json)
  console.log(
    JSON.stringify({
      readings: total,
      exactSeconds: +exactSeconds.toFixed(3),
      wildcardSeconds: +wildcardSeconds.toFixed(3),
      fuzzySeconds: +fuzzySeconds.toFixed(3),
      batches: CAMERAS * BATCHES_PER_CAMERA,
      noneDue: {
        exactSeconds: +noneDue.exact.toFixed(3),
        wildcardSeconds: +noneDue.wildcard.toFixed(3),
        fuzzySeconds: +noneDue.fuzzy.toFixed(3),
      },
      mergeSeconds: +mergeSeconds.toFixed(2),
      updateSeconds: +updateSeconds.toFixed(2),
      verifyMergedSeconds: +verifyMergedSeconds.toFixed(2),
      verifyMergedCpuSeconds: +((verifyMergedCpu.user + verifyMergedCpu.system) / 1e6).toFixed(2),
      loadAverage: os.loadavg().map((x) => +x.toFixed(2)),
    }),
  );
