/**
 * Finding a plate's characters: rows of same-height, aligned, character-shaped blobs.
 *
 * A US plate's serial is the largest row of evenly spaced, equally tall characters on it;
 * the state name, slogan, stickers and dealer frame are smaller, or not a row. The same
 * idea finds plates in a whole frame (rows of 4–9 small characters on a light or dark
 * panel) and, inside a crop, picks the serial out from everything else, which is then
 * redrawn clean and level for the recogniser.
 */
import {
  type Box,
  type Comp,
  type Grey,
  components,
  normalise,
  otsu,
  resizeGrey,
  thresholdAdaptive,
  thresholdGlobal,
} from './image.js';

export interface CharRow {
  comps: Comp[];
  /** Median character height in pixels. */
  height: number;
  /** Slope of the line through the characters' tops (dy/dx). */
  slope: number;
  box: Box;
  score: number;
  /** Ink is dark on a light plate (true) or light on a dark plate. */
  dark: boolean;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1]! : 0;
};

/** Is this blob shaped like a plate character of about this height? */
function charLike(c: Comp, minH: number, maxH: number, maxAspect: number): boolean {
  if (c.height < minH || c.height > maxH) return false;
  const aspect = c.width / c.height;
  if (aspect < 0.08 || aspect > maxAspect) return false;
  const fill = c.area / (c.width * c.height);
  if (fill < 0.14) return false;
  if (fill > 0.9 && aspect > 0.35) return false; // solid blocks: stickers, bolts, shadows
  return true;
}

function lineFit(xs: number[], ys: number[]): { slope: number; icept: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, icept: my - slope * mx };
}

export interface RowOptions {
  minH: number;
  maxH: number;
  minCount?: number;
  maxCount?: number;
  maxGap?: number;
  /** Widest blob taken, as width/height: above ~1.1 it is characters run together; @default 1.15 */
  maxAspect?: number;
}

/** Rows of character-like blobs, best first. */
export function findRows(all: Comp[], dark: boolean, o: RowOptions): CharRow[] {
  const minCount = o.minCount ?? 4;
  const maxCount = o.maxCount ?? 10;
  const maxGap = o.maxGap ?? 1.6;
  const cs = all.filter((c) => charLike(c, o.minH, o.maxH, o.maxAspect ?? 1.15)).sort((a, b) => a.x - b.x);
  const rows: CharRow[] = [];
  const used = new Set<string>();
  for (let i = 0; i < cs.length; i++) {
    const seed = cs[i]!;
    const chain: Comp[] = [seed];
    let last = seed;
    let h = seed.height;
    for (let j = i + 1; j < cs.length; j++) {
      const c = cs[j]!;
      const gap = c.x - (last.x + last.width);
      if (gap > maxGap * h) break;
      if (gap < -0.15 * h) continue;
      const ratio = c.height / h;
      if (ratio < 0.78 || ratio > 1.3) continue;
      // Tops and bottoms line up with the previous character (allowing a few degrees of
      // skew); one of them may stray further (a descending J, a Q's tail, a touching bolt).
      const tol = 0.17 * h + 0.08 * Math.abs(c.x - last.x);
      const dt = Math.abs(c.y - last.y);
      const db = Math.abs(c.y + c.height - last.y - last.height);
      if (Math.min(dt, db) > tol || Math.max(dt, db) > 2.2 * tol) continue;
      chain.push(c);
      last = c;
      h = median(chain.map((k) => k.height));
    }
    const wide = chain.filter((c) => c.width > c.height * 1.1).length;
    if (chain.length + wide < minCount || wide > chain.length / 2) continue;
    const key = chain.map((c) => c.id).join(',');
    if (used.has(key)) continue;
    used.add(key);
    rows.push(scoreRow(chain, dark, maxCount));
  }
  // Drop rows that are part of a better row.
  rows.sort((a, b) => b.score - a.score);
  const kept: CharRow[] = [];
  for (const r of rows) {
    const ids = new Set(r.comps.map((c) => c.id));
    if (kept.some((k) => k.comps.filter((c) => ids.has(c.id)).length >= Math.min(ids.size, k.comps.length) * 0.5))
      continue;
    kept.push(r);
  }
  return kept;
}

function scoreRow(chain: Comp[], dark: boolean, _maxCount: number): CharRow {
  const h = median(chain.map((c) => c.height));
  const fit = lineFit(
    chain.map((c) => c.x + c.width / 2),
    chain.map((c) => c.y),
  );
  const x0 = Math.min(...chain.map((c) => c.x));
  const x1 = Math.max(...chain.map((c) => c.x + c.width));
  const y0 = Math.min(...chain.map((c) => c.y));
  const y1 = Math.max(...chain.map((c) => c.y + c.height));
  const n = chain.length;
  const hs = chain.map((c) => Math.abs(c.height - h) / h);
  const uniform = 1 - Math.min(0.5, hs.reduce((a, b) => a + b, 0) / n);
  // Plates carry 5–8 characters; longer rows are words (state names, slogans).
  const countScore = n <= 8 ? Math.min(n, 7) : Math.max(2, 8 - (n - 8) * 1.5);
  // Evenly spaced characters.
  const gaps: number[] = [];
  for (let i = 1; i < n; i++) gaps.push(chain[i]!.x - chain[i - 1]!.x);
  const mg = median(gaps);
  const irregular =
    gaps.reduce((a, g) => a + Math.min(1, Math.abs(g - mg) / Math.max(1, mg)), 0) / Math.max(1, gaps.length);
  const score = countScore * h * uniform * (1 - 0.4 * irregular) * (1 - Math.min(0.5, Math.abs(fit.slope)));
  return {
    comps: chain,
    height: h,
    slope: fit.slope,
    box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
    score,
    dark,
  };
}

/**
 * Splits blobs that are characters run together (touching at low resolution, or joined by
 * a frame's shadow) at the weakest columns, into as many pieces as their width suggests.
 */
export function splitWide(row: CharRow, labels: Int32Array, w: number): CharRow {
  const normal = row.comps.filter((c) => c.width <= c.height * 0.95).map((c) => c.width);
  const cw = normal.length >= 2 ? Math.max(median(normal), row.height * 0.35) : row.height * 0.55;
  const out: Comp[] = [];
  for (const c of row.comps) {
    const k = Math.round(c.width / (cw * 1.08));
    if (c.width <= c.height * 0.95 || k < 2) {
      out.push(c);
      continue;
    }
    const proj = new Float32Array(c.width);
    for (let y = c.y; y < c.y + c.height; y++) {
      for (let x = 0; x < c.width; x++) if (labels[y * w + c.x + x] === c.id + 1) proj[x]!++;
    }
    const cuts: number[] = [0];
    const step = c.width / k;
    for (let j = 1; j < k; j++) {
      const mid = Math.round(j * step);
      const r = Math.round(step * 0.3);
      let bestX = mid;
      for (let x = Math.max(1, mid - r); x <= Math.min(c.width - 2, mid + r); x++)
        if (proj[x]! < proj[bestX]!) bestX = x;
      cuts.push(bestX);
    }
    cuts.push(c.width);
    for (let j = 0; j < k; j++) {
      const x0 = c.x + cuts[j]!;
      const x1 = c.x + cuts[j + 1]!;
      if (x1 - x0 < 2) continue;
      out.push({ ...c, x: x0, width: x1 - x0, area: Math.round((c.area * (x1 - x0)) / c.width) });
    }
  }
  return { ...row, comps: out };
}

/**
 * Looks again for the row inside the band its tops and bottoms span, with everything
 * above and below cut away: a character that touches a sticker, a bolt, the frame or a
 * picture printed on the plate is freed and rejoins the row.
 */
function refineInBand(
  mask: Uint8Array,
  w: number,
  h: number,
  row: CharRow,
): { row: CharRow; labels: Int32Array } | null {
  const cs = row.comps;
  const xs = cs.map((c) => c.x + c.width / 2);
  const top = lineFit(
    xs,
    cs.map((c) => c.y),
  );
  const bot = lineFit(
    xs,
    cs.map((c) => c.y + c.height),
  );
  const m = 0.06 * row.height;
  const band = new Uint8Array(w * h);
  for (let x = 0; x < w; x++) {
    const y0 = Math.max(0, Math.floor(top.icept + top.slope * x - m));
    const y1 = Math.min(h - 1, Math.ceil(bot.icept + bot.slope * x + m));
    for (let y = y0; y <= y1; y++) band[y * w + x] = mask[y * w + x]!;
  }
  const { labels, comps } = components(band, w, h, 20);
  // Cut-off plate edges and frame bars look like a 1: a new blob must not touch the image
  // side, and must be as wide as the row's narrowest character.
  const minW = Math.min(...cs.map((c) => c.width)) * 0.8;
  const x0 = Math.min(...cs.map((c) => c.x));
  const x1 = Math.max(...cs.map((c) => c.x + c.width));
  const keep = comps.filter(
    (c) => (c.x >= x0 - 2 && c.x + c.width <= x1 + 2) || (c.x > 0 && c.x + c.width < w && c.width >= minW),
  );
  const rows = findRows(keep, row.dark, {
    minH: row.height * 0.75,
    maxH: row.height * 1.2,
    minCount: 3,
    maxAspect: 3.2,
    maxGap: 2.3,
  });
  return rows[0] ? { row: rows[0], labels } : null;
}

/** What a blob's pixels say about it, beyond its box. */
export interface CompLook {
  /** Typical stroke thickness: four times the mean distance of its pixels to the nearest non-ink (about the stroke width whatever the stroke's direction). */
  stroke: number;
  /** Mean grey of its pixels in the working image. */
  tone: number;
  /** Mean grey of the other pixels of its box: the plate right behind it. */
  behind: number;
}

/** Stroke thickness and ink tone of each blob of a row (`labels` hold id+1). */
export function compLooks(g: Grey, labels: Int32Array, comps: Comp[]): CompLook[] {
  return comps.map((c) => {
    let l = lookCache.get(c);
    if (!l) {
      l = lookOf(g, labels, c);
      lookCache.set(c, l);
    }
    return l;
  });
}

/** A blob's looks, once: a blob belongs to one labelling (rows, their splits and prunings share blobs). */
const lookCache = new WeakMap<Comp, CompLook>();

function lookOf(g: Grey, labels: Int32Array, c: Comp): CompLook {
  const w = g.width;
  const id = c.id + 1;
  const bw = c.width + 2;
  const bh = c.height + 2;
  // Chamfer distance (3-4) to the nearest pixel that is not this blob, one pixel of margin.
  const d = new Int32Array(bw * bh);
  let tone = 0;
  let behind = 0;
  let n = 0;
  const gd = g.data;
  for (let y = 0; y < c.height; y++) {
    const row = (c.y + y) * w + c.x;
    const o = (y + 1) * bw + 1;
    for (let x = 0; x < c.width; x++) {
      const v = gd[row + x]!;
      if (labels[row + x] === id) {
        d[o + x] = 1 << 20;
        tone += v;
        n++;
      } else behind += v;
    }
  }
  for (let y = 1; y < bh - 1; y++) {
    for (let i = y * bw + 1, e = i + bw - 2; i < e; i++) {
      let v = d[i]!;
      if (!v) continue;
      let t = d[i - 1]! + 3;
      if (t < v) v = t;
      t = d[i - bw]! + 3;
      if (t < v) v = t;
      t = d[i - bw - 1]! + 4;
      if (t < v) v = t;
      t = d[i - bw + 1]! + 4;
      if (t < v) v = t;
      d[i] = v;
    }
  }
  let sum = 0;
  for (let y = bh - 2; y >= 1; y--) {
    for (let i = y * bw + bw - 2, e = y * bw; i > e; i--) {
      let v = d[i]!;
      if (!v) continue;
      let t = d[i + 1]! + 3;
      if (t < v) v = t;
      t = d[i + bw]! + 3;
      if (t < v) v = t;
      t = d[i + bw + 1]! + 4;
      if (t < v) v = t;
      t = d[i + bw - 1]! + 4;
      if (t < v) v = t;
      d[i] = v;
      sum += v;
    }
  }
  const rest = c.width * c.height - n;
  return { stroke: n ? (4 * sum) / (3 * n) : 0, tone: n ? tone / n : 0, behind: rest > 0 ? behind / rest : 255 };
}

/**
 * The row without blobs that are unlike its characters: solid round shapes, or blobs whose
 * ink density and height both differ from the row's, at an end or in a wide gap. With the
 * blobs' looks (and the plate's tone behind the row), also pictures anywhere in the row:
 * silhouettes and shapes drawn with strokes much thicker or thinner than the characters',
 * or in another colour. Null when nothing looks out of place.
 */
export function pruneEmblems(row: CharRow, looks?: CompLook[], byLooksOnly = false): CharRow | null {
  const order = row.comps.map((_c, i) => i).sort((a, b) => row.comps[a]!.x - row.comps[b]!.x);
  const cs = order.map((i) => row.comps[i]!);
  const lk = looks && order.map((i) => looks[i]!);
  if (cs.length < 4) return null;
  const fill = (c: Comp) => c.area / (c.width * c.height);
  const medFill = median(cs.map(fill));
  const medH = median(cs.map((c) => c.height));
  const medAspect = median(cs.map((c) => c.width / c.height));
  const gaps = cs.slice(1).map((c, i) => c.x - (cs[i]!.x + cs[i]!.width));
  const medGap = Math.max(1, median(gaps));
  const medStroke = lk ? median(lk.map((l) => l.stroke)) : 0;
  const medContrast = lk ? Math.max(10, median(lk.map((l) => Math.abs(l.behind - l.tone)))) : 0;
  const drop = new Set<Comp>();
  cs.forEach((c, i) => {
    const f = fill(c);
    const aspect = c.width / c.height;
    const fDev = Math.abs(f - medFill) / medFill;
    const hDev = Math.abs(c.height - medH) / medH;
    const wideGap = (i > 0 && gaps[i - 1]! > 1.8 * medGap) || (i < gaps.length && gaps[i]! > 1.8 * medGap);
    const edge = i === 0 || i === cs.length - 1;
    // Bars (1, I) are denser than other characters: density alone does not condemn them.
    const bar = aspect < 0.32;
    if (
      !byLooksOnly &&
      ((f > 0.62 && aspect > 0.7) ||
        (!bar && hDev > 0.1 && fDev > 0.3 && (edge || wideGap)) ||
        (!bar && fDev > 0.55 && (edge || wideGap)))
    ) {
      drop.add(c);
      return;
    }
    if (!lk || medStroke <= 0) return;
    const s = lk[i]!.stroke / medStroke;
    const k = Math.abs(lk[i]!.behind - lk[i]!.tone) / medContrast;
    // A picture is drawn with other strokes (a silhouette, a ragged branch, a thin
    // outline) or in another ink: one strong sign, or two weaker ones (one of them in its
    // pixels), condemn it. Bold W and M are thick where their strokes meet, bars thin.
    if (s > 2.1 || s < 0.42 || k < 0.6 || k > 1.6) {
      drop.add(c);
      return;
    }
    let looksOff = 0;
    if ((s > 1.55 || s < 0.62) && !(bar && s < 1)) looksOff++;
    if (k < 0.72 || k > 1.35) looksOff++;
    let shapeOff = 0;
    if (hDev > 0.08) shapeOff++;
    if (aspect > Math.max(0.7, medAspect * 1.5)) shapeOff++;
    if (looksOff && looksOff + shapeOff >= 2) drop.add(c);
  });
  if (!drop.size || cs.length - drop.size < 3) return null;
  return { ...row, comps: cs.filter((c) => !drop.has(c)), score: row.score * 1.001 };
}

/**
 * The row with characters it lost put back: where a character should stand (a pitch
 * before the first, after the last, or at either side of a wide gap) and a blob there
 * holds a character-sized piece that spans the row's band, with the row's strokes and
 * ink, that piece joins the row, cut from whatever it touches (a picture, the frame).
 */
export function extendRow(g: Grey, labels: Int32Array, row: CharRow, looks: CompLook[]): CharRow {
  const w = g.width;
  let cs = [...row.comps].sort((a, b) => a.x - b.x);
  if (cs.length < 3 || cs.length >= 8) return row;
  const h = row.height;
  const xs = cs.map((c) => c.x + c.width / 2);
  const top = lineFit(
    xs,
    cs.map((c) => c.y),
  );
  const bot = lineFit(
    xs,
    cs.map((c) => c.y + c.height),
  );
  const normal = cs.filter((c) => c.width >= c.height * 0.32);
  const cw = normal.length >= 2 ? median(normal.map((c) => c.width)) : h * 0.5;
  const gaps = cs.slice(1).map((c, i) => c.x - (cs[i]!.x + cs[i]!.width));
  const gap = Math.max(1, median(gaps));
  const medStroke = median(looks.map((l) => l.stroke));
  const medContrast = Math.max(10, median(looks.map((l) => Math.abs(l.behind - l.tone))));
  const m = Math.max(1, Math.round(0.06 * h));
  /** The piece of ink in columns [x0, x1) within the band, if it makes a character. */
  const pieceAt = (x0: number, x1: number): Comp | null => {
    x0 = Math.max(0, Math.round(x0));
    x1 = Math.min(w, Math.round(x1));
    if (x1 - x0 < 2) return null;
    const count = new Map<number, number>();
    for (let x = x0; x < x1; x++) {
      const y0 = Math.max(0, Math.floor(top.icept + top.slope * x - m));
      const y1 = Math.min(g.height - 1, Math.ceil(bot.icept + bot.slope * x + m));
      for (let y = y0; y <= y1; y++) {
        const l = labels[y * w + x]!;
        if (l) count.set(l, (count.get(l) ?? 0) + 1);
      }
    }
    let id = 0;
    let most = 0;
    for (const [l, n] of count)
      if (n > most) {
        most = n;
        id = l;
      }
    if (!id || cs.some((c) => c.id + 1 === id && c.x < x1 && c.x + c.width > x0)) return null;
    // That blob's ink per column of the window, within the band.
    const band = (x: number) =>
      [
        Math.max(0, Math.floor(top.icept + top.slope * x - m)),
        Math.min(g.height - 1, Math.ceil(bot.icept + bot.slope * x + m)),
      ] as const;
    const proj = new Int32Array(x1 - x0);
    for (let x = x0; x < x1; x++) {
      const [y0, y1] = band(x);
      for (let y = y0; y <= y1; y++) if (labels[y * w + x] === id) proj[x - x0]!++;
    }
    // Where it runs on past the window (into a picture, the frame), cut it at its thinnest
    // column near that side, and only where that is thin.
    const sl = Math.max(2, Math.round(2 * slack));
    let cl = x0;
    let cr = x1 - 1;
    if (proj[0]! > 0 && x0 > 0) {
      for (let x = x0; x <= Math.min(x1 - 1, x0 + sl); x++) if (proj[x - x0]! < proj[cl - x0]!) cl = x;
    }
    if (proj[x1 - x0 - 1]! > 0 && x1 < w) {
      for (let x = x1 - 1; x >= Math.max(cl, x1 - 1 - sl); x--) if (proj[x - x0]! < proj[cr - x0]!) cr = x;
    }
    const bandH = bot.icept - top.icept + 2 * m;
    if ((cl > x0 || (x0 > 0 && proj[0]! > 0)) && proj[cl - x0]! > 0.35 * bandH) return null;
    if ((cr < x1 - 1 || (x1 < w && proj[x1 - x0 - 1]! > 0)) && proj[cr - x0]! > 0.35 * bandH) return null;
    if (proj[cl - x0]! > 0) cl++;
    if (proj[cr - x0]! > 0) cr--;
    // A hairline that joined it to the other thing is no part of it.
    const hair = Math.max(1, 0.07 * bandH);
    while (cl < cr && proj[cl - x0]! <= hair) cl++;
    while (cr > cl && proj[cr - x0]! <= hair) cr--;
    // Tight box of the piece.
    let bx0 = w;
    let bx1 = -1;
    let by0 = g.height;
    let by1 = -1;
    let area = 0;
    for (let x = cl; x <= cr; x++) {
      const [y0, y1] = band(x);
      for (let y = y0; y <= y1; y++) {
        if (labels[y * w + x] !== id) continue;
        area++;
        if (x < bx0) bx0 = x;
        if (x > bx1) bx1 = x;
        if (y < by0) by0 = y;
        if (y > by1) by1 = y;
      }
    }
    if (bx1 < 0) return null;
    const pw = bx1 - bx0 + 1;
    const ph = by1 - by0 + 1;
    const cx = (bx0 + bx1) / 2;
    // Spans the band: tops and bottoms on the row's lines.
    if (
      ph < 0.85 * h ||
      Math.abs(by0 - (top.icept + top.slope * cx)) > 0.12 * h ||
      Math.abs(by1 + 1 - (bot.icept + bot.slope * cx)) > 0.12 * h
    )
      return null;
    if (pw < 0.12 * h || pw > 1.3 * cw) return null;
    // Not something that crosses the band (a frame's or a sticker's edge): a character
    // stays clear of the band's edges, above its top line and below its bottom line.
    let atTop = 0;
    let atBottom = 0;
    for (let x = bx0; x <= bx1; x++) {
      const [y0, y1] = band(x);
      if (y0 > 0 && labels[y0 * w + x] === id) atTop++;
      if (y1 < g.height - 1 && labels[y1 * w + x] === id) atBottom++;
    }
    if (atTop >= 2 && atBottom >= 2) return null;
    // One piece, not the ends of two things, and not cut by the image's side.
    if (bx0 === 0 || bx1 === w - 1) return null;
    let cols = 0;
    for (let x = bx0; x <= bx1; x++) if (proj[x - x0]! > 0) cols++;
    if (cols < pw * 0.95) return null;
    const fill = area / (pw * ph);
    if (fill < 0.18 || fill > 0.85) return null;
    const piece: Comp = { id: id - 1, x: bx0, y: by0, width: pw, height: ph, area };
    const [lk] = compLooks(g, labels, [piece]);
    const st = lk!.stroke / medStroke;
    const k = Math.abs(lk!.behind - lk!.tone) / medContrast;
    if (st < 0.65 || st > 1.5 || k < 0.8 || k > 1.25) return null;
    // Full-height strokes that go on well above or below the band are the frame's or a
    // sticker's edges, not a character's.
    const inky = (x: number, y: number) =>
      x >= 0 &&
      x < w &&
      y >= 0 &&
      y < g.height &&
      Math.abs(g.data[y * w + x]! - lk!.tone) < 0.4 * Math.abs(lk!.behind - lk!.tone);
    // A line goes on there, not a dark (or light) area the character stands under.
    const side = Math.round(0.25 * h);
    const line = (x: number, y: number) => inky(x, y) && !(inky(x - side, y) && inky(x + side, y));
    let stems = 0;
    let on = 0;
    for (let x = bx0; x <= bx1; x++) {
      if (proj[x - x0]! < 0.7 * ph) continue;
      stems++;
      const far = Math.round(0.3 * h);
      if ((line(x, by0 - 2 * m) && line(x, by0 - far)) || (line(x, by1 + 2 * m) && line(x, by1 + far))) on++;
    }
    if (stems && on >= 0.6 * stems) return null;
    return piece;
  };
  const added: Comp[] = [];
  const slack = 0.25 * cw;
  for (let pass = 0; pass < 2 && cs.length + added.length < 8; pass++) {
    const all = [...cs, ...added].sort((a, b) => a.x - b.x);
    const first = all[0]!;
    const last = all[all.length - 1]!;
    const tries: Array<[number, number]> = [
      [first.x - gap - cw - slack, first.x - 1],
      [last.x + last.width + 1, last.x + last.width + gap + cw + slack],
    ];
    for (let i = 1; i < all.length; i++) {
      const a = all[i - 1]!;
      const b = all[i]!;
      if (b.x - (a.x + a.width) < gap + 0.8 * cw) continue;
      tries.push([a.x + a.width + 1, a.x + a.width + gap + cw + slack]);
      tries.push([b.x - gap - cw - slack, b.x - 1]);
    }
    let grew = false;
    for (const [x0, x1] of tries) {
      if (cs.length + added.length >= 8) break;
      const p = pieceAt(x0, x1);
      if (!p || [...cs, ...added].some((c) => c.x < p.x + p.width && c.x + c.width > p.x)) continue;
      // At the row's spacing from its neighbour.
      const near = Math.min(...[...cs, ...added].map((c) => Math.max(c.x - (p.x + p.width), p.x - (c.x + c.width))));
      if (near > gap + 0.6 * cw) continue;
      added.push(p);
      grew = true;
    }
    if (!grew) break;
  }
  if (!added.length) return row;
  cs = [...cs, ...added].sort((a, b) => a.x - b.x);
  const x0 = Math.min(...cs.map((c) => c.x));
  const x1 = Math.max(...cs.map((c) => c.x + c.width));
  const y0 = Math.min(...cs.map((c) => c.y));
  const y1 = Math.max(...cs.map((c) => c.y + c.height));
  return { ...row, comps: cs, box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } };
}

export interface Mask {
  mask: Uint8Array;
  dark: boolean;
  kind: string;
}

/** The thresholds tried on a plate: adaptive (local mean) and global (Otsu), each plain and moved toward the ink. */
const MASK_KINDS = ['a10', 'g0', 'g25', 'a25'] as const;

/** One ink mask of a plate-sized image. */
export function plateMask(g: Grey, charH: number, kind: (typeof MASK_KINDS)[number], dark: boolean): Mask {
  const win = Math.max(15, Math.round(charH * 1.6)) | 1;
  if (kind === 'a10') return { mask: thresholdAdaptive(g, win, 10, dark), dark, kind };
  if (kind === 'a25') return { mask: thresholdAdaptive(g, win, 25, dark), dark, kind };
  const t = otsu(g);
  const d = kind === 'g0' ? 0 : 25;
  return { mask: thresholdGlobal(g, dark ? t - d : t + d, dark), dark, kind };
}

export interface LineImage {
  /** Clean black-on-white image of the row, characters `targetH` tall. */
  image: Grey;
  row: CharRow;
  /** The row's box in the pixels of the image given to plateLines. */
  box: Box;
  kind: string;
  /** Each character's box in `image`, left to right (one per blob of `row`). */
  glyphs: Box[];
}

/**
 * Redraws a row of blobs as black characters on white, level, each character
 * `targetH` pixels tall, gaps evened out, and stretched `stretch` times horizontally.
 */
export function redrawRow(
  labels: Int32Array,
  srcW: number,
  row: CharRow,
  targetH = 40,
  stretch = 1,
): Grey & { glyphs: Box[] } {
  const s = targetH / row.height;
  const sx = s * stretch;
  const padX = Math.round(targetH * 0.5);
  const padY = Math.round(targetH * 0.3);
  const comps = [...row.comps].sort((a, b) => a.x - b.x);
  const topFit = lineFit(
    comps.map((c) => c.x + c.width / 2),
    comps.map((c) => c.y),
  );
  const place: Array<{ c: Comp; ox: number; oy: number }> = [];
  let x = padX;
  let prevRight = -1;
  for (const c of comps) {
    if (prevRight >= 0) {
      const gap = Math.max(0, c.x - prevRight);
      x += Math.min(Math.max(gap, 0.12 * row.height), 0.5 * row.height) * sx;
    }
    const lineTop = topFit.icept + topFit.slope * (c.x + c.width / 2);
    place.push({ c, ox: x, oy: padY + (c.y - lineTop) * s });
    x += c.width * sx;
    prevRight = c.x + c.width;
  }
  const W = Math.round(x + padX);
  const H = Math.round(targetH + 2 * padY);
  const acc = new Float32Array(W * H);
  const SS = 3;
  for (const { c, ox, oy } of place) {
    const id = c.id + 1;
    const ow = Math.ceil(c.width * sx);
    const oh = Math.ceil(c.height * s);
    for (let yy = 0; yy < oh; yy++) {
      const ty = Math.round(oy + yy);
      if (ty < 0 || ty >= H) continue;
      for (let xx = 0; xx < ow; xx++) {
        const tx = Math.round(ox + xx);
        if (tx < 0 || tx >= W) continue;
        let hit = 0;
        for (let a = 0; a < SS; a++) {
          const sy = c.y + Math.floor((yy + (a + 0.5) / SS) / s);
          if (sy >= c.y + c.height) continue;
          for (let b = 0; b < SS; b++) {
            const sxp = c.x + Math.floor((xx + (b + 0.5) / SS) / sx);
            if (sxp >= c.x + c.width) continue;
            if (labels[sy * srcW + sxp] === id) hit++;
          }
        }
        const v = hit / (SS * SS);
        if (v > acc[ty * W + tx]!) acc[ty * W + tx] = v;
      }
    }
  }
  const data = new Uint8Array(W * H);
  for (let i = 0; i < data.length; i++) data[i] = 255 - Math.round(acc[i]! * 255);
  const glyphs = place.map(({ c, ox, oy }) => ({
    x: Math.round(ox),
    y: Math.round(oy),
    width: Math.ceil(c.width * sx),
    height: Math.ceil(c.height * s),
  }));
  return { width: W, height: H, data, glyphs };
}

/**
 * The candidate serial rows of a plate image (a crop, or a region cut from a frame):
 * each threshold gives its best row; rows are redrawn clean. Best first, deduplicated.
 */
export function plateLines(
  g0: Grey,
  opts: { targetH?: number; stretch?: number; max?: number; minH?: number; workH?: number } = {},
): LineImage[] {
  // Work at a size where the serial is ~40–90 px tall.
  let scale = (opts.workH ?? 220) / g0.height;
  if (Math.abs(scale - 1) <= 0.15) scale = 1;
  const g = normalise(scale !== 1 ? resizeGrey(g0, g0.width * scale, g0.height * scale) : g0);
  const minH = g.height * (opts.minH ?? 0.2);
  const maxH = g.height * 0.8;
  const found: Array<{ row: CharRow; labels: Int32Array; kind: string }> = [];
  const bestBy = { dark: 0, light: 0 };
  const tryMask = (m: Mask) => {
    const { labels, comps } = components(m.mask, g.width, g.height, 20);
    const rows = findRows(comps, m.dark, { minH, maxH, minCount: 3, maxAspect: 3.2, maxGap: 2.3 });
    if (!rows[0]) return;
    const refined = refineInBand(m.mask, g.width, g.height, rows[0]);
    const base =
      refined && refined.row.comps.length >= rows[0].comps.length
        ? { row: refined.row, labels: refined.labels, kind: `${m.dark ? 'd' : 'l'}${m.kind}b` }
        : { row: rows[0], labels, kind: `${m.dark ? 'd' : 'l'}${m.kind}` };
    const pick = { ...base, row: splitWide(base.row, base.labels, g.width) };
    // An emblem in the row (a state shape, a fruit, a flag) is read as a character: offer
    // the row without it first, and the row as found after it. Pictures are judged whole
    // first (split, a silhouette's pieces look like characters), then piece by piece.
    const whole = pruneEmblems(base.row, compLooks(g, base.labels, base.row.comps), true);
    let row = whole ? splitWide(whole, base.labels, g.width) : pick.row;
    let looks = compLooks(g, base.labels, row.comps);
    const pieces = pruneEmblems(row, looks);
    if (pieces) {
      const kept = new Set(pieces.comps);
      looks = looks.filter((_, i) => kept.has(row.comps[i]!));
      row = pieces;
    }
    const pruned = whole !== null || pieces !== null;
    const ext = extendRow(g, base.labels, row, looks);
    if (pruned) found.push({ ...pick, row: { ...ext, score: pick.row.score * 1.001 }, kind: `${pick.kind}e` });
    else if (ext !== row) found.push({ ...pick, row: { ...ext, score: ext.score * 1.001 }, kind: `${pick.kind}x` });
    found.push(pruned ? { ...pick, row: { ...pick.row, score: pick.row.score * 0.8 } } : pick);
    const k = m.dark ? 'dark' : 'light';
    bestBy[k] = Math.max(bestBy[k], pick.row.score);
  };
  const charH = g.height * 0.4;
  for (const dark of [true, false]) tryMask(plateMask(g, charH, 'a10', dark));
  // The other thresholds only for the polarity the plate has (both when unsure), and
  // always for dark ink: most serials are dark, and on a gradient or a busy picture the
  // adaptive threshold can join a dark serial to the background and find no row at all.
  for (const dark of [true, false]) {
    const mine = dark ? bestBy.dark : bestBy.light;
    const other = dark ? bestBy.light : bestBy.dark;
    if (!dark && mine < other * 0.7) continue;
    for (const kind of MASK_KINDS.slice(1)) tryMask(plateMask(g, charH, kind, dark));
  }
  if (!found.length) return [];
  found.sort((a, b) => b.row.score - a.row.score);
  // Keep the polarity of the best row: a plate has one ink colour for its serial.
  const dark = found[0]!.row.dark;
  const best = found.filter((f) => f.row.dark === dark || f.row.score > found[0]!.row.score * 0.9);
  const seen = new Set<string>();
  const out: LineImage[] = [];
  for (const f of best) {
    const key = f.row.comps
      .map((c) => `${Math.round(c.x / 4)}:${Math.round(c.width / 4)}:${Math.round(c.height / 4)}`)
      .join('|');
    if (seen.has(key)) continue;
    seen.add(key);
    const b = f.row.box;
    const box = { x: b.x / scale, y: b.y / scale, width: b.width / scale, height: b.height / scale };
    const { glyphs, ...image } = redrawRow(f.labels, g.width, f.row, opts.targetH ?? 40, opts.stretch ?? 1);
    out.push({ image, row: f.row, box, kind: f.kind, glyphs });
    if (out.length >= (opts.max ?? 5)) break;
  }
  return out;
}
