/**
 * Finding plates in a whole camera frame: rows of 4–9 small, aligned, character-sized
 * blobs (find.ts) at three local thresholds and both polarities, scored by what a plate's
 * serial looks like in a scene: alone on its panel (no blobs of its size around it), with
 * the panel's edges close around it, about 3–5 character heights wide, in characters of
 * like proportions, standing out clearly. Each candidate's box is then read like a crop
 * (reader.ts). `tsx scripts/bench-finder.ts DIR` measures it without the recogniser.
 */
import { type Box, type Comp, type Grey, cropGrey, integralOf, overlapArea } from './image.js';
import { type CharRow, findRows } from './find.js';

export interface PlateCandidate {
  box: Box;
  score: number;
  charH: number;
}

/** A candidate with the measurements its score is made of (for benchmarks and tuning). */
export interface ExplainedCandidate extends PlateCandidate {
  row: CharRow;
  parts: Record<string, number>;
}

/**
 * Where plates might be in a whole frame, best first, at most `max`: boxes in the frame's
 * pixels around a serial (or, for a plate's header row, reaching down to the serial).
 */
export function findPlates(g: Grey, max = 6): PlateCandidate[] {
  const kept = dedupe(explainPlates(g), max);
  // Rows a tenth as plate-like as the best are clutter, not a second plate: reading them
  // costs time and lets a confident misreading of a sign or a grille win.
  const floor = (kept[0]?.score ?? 0) * 0.1;
  return kept.filter((c) => c.score >= floor).map(({ box, score, charH }) => ({ box, score, charH }));
}

/** Every candidate row in the frame with its score parts, best first (not deduplicated). */
export function explainPlates(g: Grey): ExplainedCandidate[] {
  const cands: ExplainedCandidate[] = [];
  const minH = Math.max(7, g.height * 0.009);
  const maxH = g.height * 0.2;
  const integral = integralOf(g);
  // Three windows: the small one keeps small characters apart from a plate's frame or a
  // bolt next to them (dark ink only: most plates, and light ink at that size is mostly
  // glare and texture); the large ones suit bigger plates and low contrast.
  for (const [win, c, polarities] of [
    [13, 6, [true]],
    [25, 6, [true, false]],
    [51, 14, [true, false]],
  ] as const) {
    const runs = adaptiveRuns(g, integral, win, c);
    for (const dark of polarities) {
      const comps = runComponents(dark ? runs.dark : runs.light, g.height, 12);
      // Gaps up to 2.3 heights: many plates split the serial with an emblem (3 ■ 3).
      const rows = findRows(comps, dark, { minH, maxH, minCount: 4, maxCount: 9, maxGap: 2.3, maxAspect: 2.5 });
      const grid = new CompGrid(comps, g.width, g.height);
      for (const r of rows) {
        if (r.comps.length > 9) continue;
        // Camera overlays (date and time, camera name) run along the frame's top or bottom edge.
        if (r.box.y < g.height * 0.035 || r.box.y + r.box.height > g.height * 0.965) continue;
        const h = r.height;
        const w = r.box.width;
        const parts: Record<string, number> = { ...measure(g, r, grid), win };
        // The plate around this row. Under a header (the state's name, smaller) the serial
        // is below: reach well below and wide enough for it. A serial gets a margin of about
        // a character height, as its plate has, and room for characters the row missed.
        const box =
          parts.under! >= 3
            ? { x: r.box.x - 0.35 * w, y: r.box.y - 1.2 * h, width: 1.7 * w, height: r.box.height + 5 * h }
            : {
                x: r.box.x + w / 2 - Math.max(1.7 * w, 8 * h) / 2,
                y: r.box.y - 1.2 * h,
                width: Math.max(1.7 * w, 8 * h),
                height: r.box.height + 2.4 * h,
              };
        const score = scoreOf(parts);
        cands.push({ box, score, charH: h, row: r, parts });
      }
    }
  }
  cands.sort((a, b) => b.score - a.score);
  return cands;
}

/** Horizontal runs of ink, row by row: run i spans [x0[i], x1[i]) on row y[i]. */
class Runs {
  x0 = new Int32Array(1 << 16);
  x1 = new Int32Array(1 << 16);
  y = new Int32Array(1 << 16);
  n = 0;
  /** rowStart[y]..rowStart[y+1] are row y's runs. */
  rowStart: Int32Array;
  constructor(height: number) {
    this.rowStart = new Int32Array(height + 1);
  }
  push(x0: number, x1: number, y: number): void {
    if (this.n === this.x0.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.x0 = grow(this.x0);
      this.x1 = grow(this.x1);
      this.y = grow(this.y);
    }
    this.x0[this.n] = x0;
    this.x1[this.n] = x1;
    this.y[this.n++] = y;
  }
}

/**
 * Both ink masks of a local-mean threshold in one pass, as runs (thresholdAdaptive in
 * image.ts makes one mask at a time): a pixel is dark ink when it is `c` grey levels below
 * the mean of the `win`×`win` window around it, light ink when `c` above.
 */
function adaptiveRuns(g: Grey, integral: Float64Array, win: number, c: number): { dark: Runs; light: Runs } {
  const { width: w, height: h, data } = g;
  const iw = w + 1;
  const r = Math.max(1, win >> 1);
  const dark = new Runs(h);
  const light = new Runs(h);
  const xa = new Int32Array(w);
  const xb = new Int32Array(w);
  for (let x = 0; x < w; x++) {
    xa[x] = Math.max(0, x - r);
    xb[x] = Math.min(w, x + r + 1);
  }
  // The window's column sums for the current row: one subtraction per window instead of three.
  const col = new Int32Array(iw);
  for (let y = 0; y < h; y++) {
    dark.rowStart[y] = dark.n;
    light.rowStart[y] = light.n;
    const ya = Math.max(0, y - r);
    const yb = Math.min(h, y + r + 1);
    const ra = ya * iw;
    const rb = yb * iw;
    for (let x = 0; x < iw; x++) col[x] = integral[rb + x]! - integral[ra + x]!;
    const dy = yb - ya;
    const base = y * w;
    let state = 0; // 0 none, 1 dark run, 2 light run
    let start = 0;
    for (let x = 0; x < w; x++) {
      const a = xa[x]!;
      const b = xb[x]!;
      const s = col[b]! - col[a]!;
      const n = dy * (b - a);
      const v = data[base + x]! * n;
      // v < mean - c  ⇔  v·n < s - c·n (no division per pixel)
      const k = v < s - c * n ? 1 : v > s + c * n ? 2 : 0;
      if (k !== state) {
        if (state === 1) dark.push(start, x, y);
        else if (state === 2) light.push(start, x, y);
        state = k;
        start = x;
      }
    }
    if (state === 1) dark.push(start, w, y);
    else if (state === 2) light.push(start, w, y);
  }
  dark.rowStart[h] = dark.n;
  light.rowStart[h] = light.n;
  return { dark, light };
}

/** 4-connected components of runs (as components() in image.ts, without a label image). */
function runComponents(runs: Runs, height: number, minArea: number): Comp[] {
  const { x0, x1, rowStart } = runs;
  const parent = new Int32Array(runs.n);
  for (let i = 0; i < runs.n; i++) parent[i] = i;
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]!]!;
      a = parent[a]!;
    }
    return a;
  };
  for (let y = 1; y < height; y++) {
    let j = rowStart[y - 1]!;
    const jEnd = rowStart[y]!;
    const iEnd = rowStart[y + 1]!;
    for (let i = rowStart[y]!; i < iEnd; i++) {
      // Runs above that end before this one starts cannot touch it or any later one.
      while (j < jEnd && x1[j]! <= x0[i]!) j++;
      for (let k = j; k < jEnd && x0[k]! < x1[i]!; k++) {
        const ra = find(i);
        const rb = find(k);
        if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
      }
    }
  }
  const slot = new Int32Array(runs.n).fill(-1);
  const boxes: number[] = [];
  let m = 0;
  for (let i = 0; i < runs.n; i++) {
    const root = find(i);
    let s = slot[root]!;
    if (s < 0) {
      s = slot[root] = m++;
      boxes.push(1 << 30, 1 << 30, -1, -1, 0);
    }
    const k = s * 5;
    const y = runs.y[i]!;
    if (x0[i]! < boxes[k]!) boxes[k] = x0[i]!;
    if (y < boxes[k + 1]!) boxes[k + 1] = y;
    if (x1[i]! - 1 > boxes[k + 2]!) boxes[k + 2] = x1[i]! - 1;
    if (y > boxes[k + 3]!) boxes[k + 3] = y;
    boxes[k + 4] += x1[i]! - x0[i]!;
  }
  const comps: Comp[] = [];
  for (let id = 0; id < m; id++) {
    const k = id * 5;
    if (boxes[k + 4]! < minArea) continue;
    comps.push({
      id,
      x: boxes[k]!,
      y: boxes[k + 1]!,
      width: boxes[k + 2]! - boxes[k]! + 1,
      height: boxes[k + 3]! - boxes[k + 1]! + 1,
      area: boxes[k + 4]!,
    });
  }
  return comps;
}

function dedupe<T extends PlateCandidate>(cands: T[], max: number): T[] {
  const kept: T[] = [];
  for (const c of cands) {
    if (kept.some((k) => iou(k.box, c.box) > 0.3)) continue;
    kept.push(c);
    if (kept.length >= max) break;
  }
  return kept;
}

/** Components bucketed by position, to count the blobs around a row quickly. */
class CompGrid {
  private cell: number;
  private cols: number;
  private cells: Comp[][];
  constructor(comps: Comp[], w: number, h: number, cell = 64) {
    this.cell = cell;
    this.cols = Math.ceil(w / cell);
    this.cells = Array.from({ length: this.cols * Math.ceil(h / cell) }, () => []);
    for (const c of comps) {
      const cx = Math.floor((c.x + c.width / 2) / cell);
      const cy = Math.floor((c.y + c.height / 2) / cell);
      this.cells[cy * this.cols + cx]!.push(c);
    }
  }
  /** Components whose centre lies in the box. */
  within(b: Box): Comp[] {
    const out: Comp[] = [];
    const rows = this.cells.length / this.cols;
    const x0 = Math.max(0, Math.floor(b.x / this.cell));
    const x1 = Math.min(this.cols - 1, Math.floor((b.x + b.width) / this.cell));
    const y0 = Math.max(0, Math.floor(b.y / this.cell));
    const y1 = Math.min(rows - 1, Math.floor((b.y + b.height) / this.cell));
    for (let cy = y0; cy <= y1; cy++) {
      for (let cx = x0; cx <= x1; cx++) {
        for (const c of this.cells[cy * this.cols + cx]!) {
          const mx = c.x + c.width / 2;
          const my = c.y + c.height / 2;
          if (mx >= b.x && mx < b.x + b.width && my >= b.y && my < b.y + b.height) out.push(c);
        }
      }
    }
    return out;
  }
}

/**
 * A row's plate-likeness from its measurements. The strongest sign is what is around
 * the row: a plate's serial stands alone on its panel (the state name and slogan are much
 * smaller), while text on signs, stickers and vans comes in paragraphs, and texture (grass,
 * leaves, gravel, fences) is blobs of the same size in every direction.
 */
function scoreOf(p: Record<string, number>): number {
  // A 5–8 character serial is about 2.6–5.2 character heights wide.
  const w = p.widthH!;
  const wdev = w < 2.6 ? Math.log(2.6 / w) : w > 5.2 ? Math.log(w / 5.2) : 0;
  return (
    p.contrast! *
    (1 + p.around!) ** -2 *
    Math.exp(-2 * wdev) *
    // Characters of one font have much the same proportions; clutter does not.
    Math.exp(-2 * p.aspectSd!) *
    // A plate's panel ends within a character height or so of its serial.
    (0.2 + 0.8 * p.edges!) *
    // Most plates are dark characters on a light panel.
    (p.dark ? 1.5 : 1) *
    // Height counts a little, and rows too small to read (under ~12 px) count less again:
    // a plate big enough to read beats specks; a sign near the camera is no plate for it.
    Math.sqrt(p.h!) *
    Math.min(1, p.h! / 12) *
    // Plates are on cars, rarely in the top of the frame (sky, buildings, signs).
    (p.yRel! < 0.15 ? 0.5 : 1)
  );
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const sd = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
};

/** The measurements a candidate row is scored by. */
function measure(g: Grey, r: CharRow, grid: CompGrid): Record<string, number> {
  const b = r.box;
  const h = r.height;
  const n = r.comps.length;
  // Characters of one font have much the same proportions; the blobs of foliage, gravel,
  // LEDs and clutter that happen to line up do not.
  const aspects = r.comps.map((c) => c.width / c.height);
  // Blobs of a similar size around the row that are not part of it: more text (signs,
  // stickers, a paragraph) or texture (grass, leaves, gravel, fences).
  const ids = new Set(r.comps.map((c) => c.id));
  const around = grid
    .within({ x: b.x - 1.5 * h, y: b.y - 1.6 * h, width: b.width + 3 * h, height: b.height + 3.2 * h })
    .filter((c) => !ids.has(c.id) && c.height >= 0.45 * h && c.height <= 2.5 * h).length;
  // Taller characters just below: this row is a plate's header, its serial underneath.
  const under = grid
    .within({ x: b.x - 0.2 * b.width, y: b.y + b.height, width: 1.4 * b.width, height: 4 * h })
    .filter((c) => c.height >= 1.5 * h && c.height <= 4 * h && c.width < 1.2 * c.height).length;
  return {
    n,
    h,
    under,
    around: around / n,
    aspectSd: sd(aspects),
    widthH: b.width / h,
    contrast: panelContrast(cropGrey(g, b)),
    edges: panelEdges(g, r),
    dark: r.dark ? 1 : 0,
    yRel: (b.y + b.height / 2) / g.height,
  };
}

/**
 * 0..1: how clearly a panel ends around the row, as a plate's does: the strongest step in
 * mean brightness across the row's columns within about a character height above and below
 * it, and across its rows just beyond each end, relative to the characters' own contrast.
 * Text painted on a van or a wall has no such edges near it.
 */
function panelEdges(g: Grey, r: CharRow): number {
  const b = r.box;
  const h = r.height;
  const x0 = Math.max(0, Math.round(b.x));
  const x1 = Math.min(g.width, Math.round(b.x + b.width));
  const y0 = Math.max(0, Math.round(b.y));
  const y1 = Math.min(g.height, Math.round(b.y + b.height));
  if (x1 - x0 < 2 || y1 - y0 < 2) return 0;
  const rowMean = (y: number) => {
    let s = 0;
    for (let x = x0; x < x1; x++) s += g.data[y * g.width + x]!;
    return s / (x1 - x0);
  };
  const colMean = (x: number) => {
    let s = 0;
    for (let y = y0; y < y1; y++) s += g.data[y * g.width + x]!;
    return s / (y1 - y0);
  };
  const step = Math.max(1, Math.round(h * 0.15));
  // Strongest step of f over [a, b) (frame coordinates, clipped to [lo, hi)).
  const strongest = (f: (i: number) => number, a: number, bEnd: number, lo: number, hi: number) => {
    const from = Math.max(lo, Math.round(a));
    const to = Math.min(hi - step, Math.round(bEnd));
    let best = 0;
    const means: number[] = [];
    for (let i = from; i < to + step; i++) means.push(f(i));
    for (let i = 0; i + step < means.length; i++) best = Math.max(best, Math.abs(means[i + step]! - means[i]!));
    return best;
  };
  const above = strongest(rowMean, b.y - 1.3 * h, b.y - 0.1 * h, 0, g.height);
  const below = strongest(rowMean, b.y + b.height + 0.1 * h, b.y + b.height + 1.8 * h, 0, g.height);
  const left = strongest(colMean, b.x - 1.3 * h, b.x - 0.1 * h, 0, g.width);
  const right = strongest(colMean, b.x + b.width + 0.1 * h, b.x + b.width + 1.3 * h, 0, g.width);
  const sub = cropGrey(g, b);
  let lo = 255;
  let hi = 0;
  for (const v of sub.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const c = Math.max(16, hi - lo);
  return Math.min(1, (Math.min(above, below) + Math.min(left, right)) / 2 / (0.5 * c));
}

/** How strongly the characters stand out from the panel around them (0.1..1). */
function panelContrast(sub: Grey): number {
  let lo = 255;
  let hi = 0;
  const hist = new Uint32Array(256);
  for (const v of sub.data) hist[v]!++;
  const n = sub.data.length;
  for (let acc = 0, i = 0; i < 256; i++) {
    acc += hist[i]!;
    if (acc >= n * 0.1) {
      lo = i;
      break;
    }
  }
  for (let acc = 0, i = 255; i >= 0; i--) {
    acc += hist[i]!;
    if (acc >= n * 0.1) {
      hi = i;
      break;
    }
  }
  return Math.min(1, Math.max(0.1, (hi - lo) / 120));
}

export function iou(a: Box, b: Box): number {
  const inter = overlapArea(a, b);
  return inter / (a.width * a.height + b.width * b.height - inter);
}
