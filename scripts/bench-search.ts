/**
 * Benchmark for `custody search`: builds a PlateIndex over synthetic readings (2,000,000
 * images by default, each with a best reading and 0–10 OCR-like alternatives), then times
 * exact, wildcard and fuzzy searches (the median of several different queries each).
 *
 *   tsx scripts/bench-search.ts [--images N] [--seed S] [--formats CSV] [--json]
 *
 * --formats takes a ground-truth CSV of real plates (`file,state,plate`, e.g.
 * ../shared/data/plates-dev/crops/groundtruth.csv) and draws the synthetic plates' shapes
 * (letter/digit patterns) from it; no real plate itself is used.
 *
 * With --json the last line is {"readings":…,"exactSeconds":…,"wildcardSeconds":…,
 * "fuzzySeconds":…,"buildSeconds":…,"heapMB":…} plus a few more figures: "readings" counts
 * images (each a best reading and its alternatives), "rows" every reading; "heapMB" is the JS
 * heap, the index itself lives in typed arrays ("arrayBuffersMB"); "loadSeconds" is what a
 * command pays to bring the stored index back (deserialize in place) and search once.
 * Synthetic plates only: no real plate is used.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { PlateIndex, CONFUSION_CLASSES, type Reading } from '../src/core/plate-match.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const IMAGES = Number(flag('--images') ?? 2_000_000);
const SEED = Number(flag('--seed') ?? 20261126);
const JSON_OUT = args.includes('--json');

/** mulberry32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(SEED);
const int = (n: number): number => Math.floor(rand() * n);
const LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ'; // US plates mostly avoid I, O, Q
const DIGITS = '0123456789';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const pick = (s: string): string => s[int(s.length)];

/** Letter/digit shapes of real plates (only their shapes), when --formats is given. */
const FORMATS_FILE = flag('--formats');
const SHAPES: string[] | undefined = FORMATS_FILE
  ? readFileSync(FORMATS_FILE, 'utf8')
      .split(/\r?\n/)
      .slice(1)
      .map((line) =>
        (line.split(',')[2] ?? '')
          .trim()
          .toUpperCase()
          .replace(/[^A-Z0-9]/g, ''),
      )
      .filter((p) => p.length >= 2)
      .map((p) => p.replace(/[A-Z]/g, 'L').replace(/[0-9]/g, 'D'))
  : undefined;

/** US-like formats: California 1ABC234, ABC1234, 123ABC, AB12345, 7-char vanity-ish. */
function makePlate(): string {
  const r = rand();
  const f = (fmt: string): string =>
    [...fmt].map((c) => (c === 'L' ? pick(LETTERS) : c === 'D' ? pick(DIGITS) : c)).join('');
  if (SHAPES?.length) return f(SHAPES[int(SHAPES.length)]);
  if (r < 0.55) return f('DLLLDDD');
  if (r < 0.8) return f('LLLDDDD');
  if (r < 0.9) return f('DDDLLL');
  if (r < 0.96) return f('LLDDDDD');
  return f('LLLLDD');
}

const CONFUSE = new Map<string, string>();
for (const cls of CONFUSION_CLASSES) for (const ch of cls) CONFUSE.set(ch, cls.replace(ch, ''));

/** One OCR-like corruption: mostly confusions, sometimes a dropped, added or wrong character. */
function corrupt(p: string): string {
  const r = rand();
  const i = int(p.length);
  if (r < 0.6) {
    const others = CONFUSE.get(p[i]);
    // A character with no confusion partner gets a confusion elsewhere, or stays.
    for (let k = 0; k < p.length; k++) {
      const j = (i + k) % p.length;
      const o = CONFUSE.get(p[j]);
      if (o) return p.slice(0, j) + pick(o) + p.slice(j + 1);
    }
    return others ? p : p.slice(0, i) + pick(ALNUM) + p.slice(i + 1);
  }
  if (r < 0.75) return p.slice(0, i) + p.slice(i + 1);
  if (r < 0.85) return p.slice(0, i) + pick(ALNUM) + p.slice(i);
  return p.slice(0, i) + pick(ALNUM) + p.slice(i + 1);
}

// A city's traffic: a population of vehicles, some seen far more often than others.
const POPULATION = Math.max(1000, Math.round(IMAGES / 5));
const vehicles: string[] = Array.from({ length: POPULATION }, makePlate);
const sighting = (): number => Math.floor(POPULATION * rand() ** 2);

function readingsFor(truth: string): Reading[] {
  const out: Reading[] = [];
  const best = rand() < 0.85 ? truth : corrupt(truth);
  out.push({ text: best, confidence: 0.6 + 0.4 * rand() });
  const alts = int(11);
  let conf = out[0].confidence;
  for (let k = 0; k < alts; k++) {
    conf *= 0.7 + 0.25 * rand();
    const alt = rand() < 0.3 ? corrupt(corrupt(truth)) : corrupt(truth);
    out.push({ text: alt, confidence: conf });
  }
  return out;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const index = new PlateIndex();
const truthOf = new Map<number, string>();
const STRIDE = Math.max(1, Math.floor(IMAGES / 11));
let buildMs = 0;
const tGen = performance.now();
for (let id = 0; id < IMAGES; id++) {
  const v = vehicles[sighting()];
  if (id % STRIDE === 7) truthOf.set(id, v);
  const readings = readingsFor(v);
  const t0 = performance.now();
  index.add({ imageId: id, readings });
  buildMs += performance.now() - t0;
}
const genMs = performance.now() - tGen - buildMs;
// The first search groups rows by plate; count it as part of building.
const tPost = performance.now();
index.search('7ABC123');
buildMs += performance.now() - tPost;

const queries = [...truthOf.entries()].slice(0, 11);
const time = (f: () => unknown): number => {
  const t0 = performance.now();
  f();
  return (performance.now() - t0) / 1000;
};
const exact: number[] = [];
const wildcard: number[] = [];
const fuzzy: number[] = [];
let found = 0;
let fuzzyFirst = 0;
const kinds: Record<string, number> = {};
for (const [id, plate] of queries) {
  exact.push(time(() => index.search(plate)));
  // Two shapes: a known start (7A?C1*), and a known end with the start unknown (*C?23).
  const pat =
    wildcard.length % 2 ? `*${plate.slice(-4, -2)}?${plate.slice(-1)}` : `${plate.slice(0, 2)}?${plate.slice(3, 5)}*`;
  wildcard.push(time(() => index.search(pat, { limit: 1000 })));
  // The fuzzy query is how a deputy might type a misread plate: one confusion.
  const misread = [...plate].map((c, i) => (i === 1 && CONFUSE.has(c) ? CONFUSE.get(c)![0] : c)).join('');
  let hits: ReturnType<PlateIndex['search']> = [];
  fuzzy.push(time(() => (hits = index.search(misread, { fuzzy: true, limit: 1000 }))));
  if (hits.some((h) => h.imageId === id)) found++;
  for (const h of hits) kinds[h.kind] = (kinds[h.kind] ?? 0) + 1;
  if (hits.length && (hits[0].reading === plate || hits[0].reading === misread)) fuzzyFirst++;
}

// What a command pays to bring a stored index back before it can search.
let serialized: Buffer | undefined = index.serialize();
const serializedMB = +(serialized.length / 2 ** 20).toFixed(1);
const tLoad = performance.now();
const loaded = PlateIndex.deserialize(serialized, { copy: false });
const deserializeSeconds = (performance.now() - tLoad) / 1000;
loaded.search(queries[0][1]);
const loadSeconds = (performance.now() - tLoad) / 1000;
serialized = undefined;

const mem = process.memoryUsage();
const result = {
  readings: IMAGES,
  rows: index.readingCount,
  distinctPlates: index.plateCount,
  exactSeconds: +median(exact).toFixed(6),
  wildcardSeconds: +median(wildcard).toFixed(6),
  maxWildcardSeconds: +Math.max(...wildcard).toFixed(6),
  fuzzySeconds: +median(fuzzy).toFixed(6),
  maxFuzzySeconds: +Math.max(...fuzzy).toFixed(6),
  buildSeconds: +(buildMs / 1000).toFixed(3),
  generateSeconds: +(genMs / 1000).toFixed(3),
  heapMB: Math.round(mem.heapUsed / 2 ** 20),
  arrayBuffersMB: Math.round(mem.arrayBuffers / 2 ** 20),
  rssMB: Math.round(mem.rss / 2 ** 20),
  serializedMB,
  loadSeconds: +loadSeconds.toFixed(3),
  deserializeSeconds: +deserializeSeconds.toFixed(3),
};

if (SHAPES) console.log(`plate shapes drawn from ${SHAPES.length} real plates in ${FORMATS_FILE}`);
console.log(
  `images ${IMAGES.toLocaleString('en-US')} · readings (rows) ${result.rows.toLocaleString('en-US')} · distinct plates ${result.distinctPlates.toLocaleString('en-US')}`,
);
console.log(
  `build ${result.buildSeconds} s (+ ${result.generateSeconds} s generating) · heap ${result.heapMB} MB · typed arrays ${result.arrayBuffersMB} MB · rss ${result.rssMB} MB · serialized ${result.serializedMB} MB`,
);
console.log(
  `median of ${queries.length}: exact ${(result.exactSeconds * 1000).toFixed(3)} ms · wildcard ${(result.wildcardSeconds * 1000).toFixed(1)} ms (max ${(result.maxWildcardSeconds * 1000).toFixed(1)} ms) · fuzzy ${(result.fuzzySeconds * 1000).toFixed(3)} ms (max ${(result.maxFuzzySeconds * 1000).toFixed(3)} ms)`,
);
console.log(`deserialize ${result.deserializeSeconds} s, + first search ${result.loadSeconds} s`);
console.log(
  `fuzzy results per query (images, up to 1000): ${Object.entries(kinds)
    .map(([k, n]) => `${k} ${(n / queries.length).toFixed(1)}`)
    .join(' · ')}`,
);
console.log(
  `fuzzy found the sampled image ${found}/${queries.length} times; a true reading ranked first ${fuzzyFirst}/${queries.length}`,
);
if (JSON_OUT) console.log(JSON.stringify(result));
