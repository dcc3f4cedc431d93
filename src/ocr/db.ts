/**
 * DB (differentiable binarisation) post-processing of the detector's probability map,
 * after PaddleOCR's DBPostProcess: threshold the map, take connected regions, score each
 * by its mean probability, and grow ("unclip") each box by area × ratio / perimeter,
 * since the detector is trained on shrunk text regions. Then rows: boxes of similar
 * height side by side (a serial split by an emblem) are one row. Pure.
 */
import { type Box, components } from './image.js';

export interface TextBox extends Box {
  /** Mean probability inside the region. */
  score: number;
  /** The region's slant from its second moments, radians (positive: falling to the right in image coordinates); 0 when unknown. */
  angle?: number;
  /** The region's length and thickness along and across its slant, in map pixels before unclipping. */
  long?: number;
  thick?: number;
  /** The region's centroid, in map pixels. */
  cx?: number;
  cy?: number;
}

export interface DbOptions {
  /** Pixel threshold on the probability map; @default 0.3 */
  thresh?: number;
  /** Least mean probability of a kept region; @default 0.5 */
  boxThresh?: number;
  /** Unclip ratio; @default 1.6 */
  unclip?: number;
  /** Least side of a kept region, in map pixels; @default 3 */
  minSize?: number;
}

/** Boxes in map pixels (multiply by the caller's scale for the image's). */
export function dbBoxes(map: Float32Array, width: number, height: number, o: DbOptions = {}): TextBox[] {
  const thresh = o.thresh ?? 0.3;
  const boxThresh = o.boxThresh ?? 0.5;
  const ratio = o.unclip ?? 1.6;
  const minSize = o.minSize ?? 3;
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = map[i]! > thresh ? 1 : 0;
  const { labels, comps } = components(mask, width, height, minSize * minSize);
  const nId = comps.length ? Math.max(...comps.map((c) => c.id)) + 1 : 0;
  const sum = new Float64Array(nId);
  // Moments about each region's box corner: x, y, xx, yy, xy.
  const mom = new Float64Array(nId * 5);
  const ox = new Float64Array(nId);
  const oy = new Float64Array(nId);
  for (const c of comps) {
    ox[c.id] = c.x;
    oy[c.id] = c.y;
  }
  for (let row = 0, i = 0; row < height; row++)
    for (let col = 0; col < width; col++, i++) {
      const l = labels[i]!;
      if (!l) continue;
      sum[l - 1]! += map[i]!;
      const k = (l - 1) * 5;
      const x = col - ox[l - 1]!;
      const y = row - oy[l - 1]!;
      mom[k]! += x;
      mom[k + 1]! += y;
      mom[k + 2]! += x * x;
      mom[k + 3]! += y * y;
      mom[k + 4]! += x * y;
    }
  const out: TextBox[] = [];
  for (const c of comps) {
    if (Math.min(c.width, c.height) < minSize) continue;
    const score = sum[c.id]! / c.area;
    if (score < boxThresh) continue;
    // The region's own area and perimeter, as PaddleOCR unclips the polygon.
    const d = (c.area * ratio) / (2 * (c.width + c.height));
    const x0 = Math.max(0, c.x - d);
    const y0 = Math.max(0, c.y - d);
    const x1 = Math.min(width, c.x + c.width + d);
    const y1 = Math.min(height, c.y + c.height + d);
    const k = c.id * 5;
    const mx = mom[k]! / c.area;
    const my = mom[k + 1]! / c.area;
    const sxx = mom[k + 2]! / c.area - mx * mx;
    const syy = mom[k + 3]! / c.area - my * my;
    const sxy = mom[k + 4]! / c.area - mx * my;
    const angle = 0.5 * Math.atan2(2 * sxy, sxx - syy);
    // A filled rectangle of side L has variance L²/12 along it.
    const tr = (sxx + syy) / 2;
    const det = Math.sqrt(Math.max(0, ((sxx - syy) / 2) ** 2 + sxy * sxy));
    const long = Math.sqrt(12 * (tr + det));
    const thick = Math.sqrt(12 * Math.max(0, tr - det));
    out.push({
      x: x0,
      y: y0,
      width: x1 - x0,
      height: y1 - y0,
      score,
      angle,
      long,
      thick,
      cx: c.x + mx + 0.5,
      cy: c.y + my + 0.5,
    });
  }
  return out;
}

export interface Row extends Box {
  boxes: TextBox[];
  score: number;
}

/**
 * Groups boxes into rows: a box joins a row when their vertical centres are within
 * half the smaller height, their heights within a factor 1.6, and the horizontal gap
 * under 1.5 heights. Rows are returned tallest first.
 */
export function groupRows(boxes: TextBox[]): Row[] {
  const sorted = [...boxes].sort((a, b) => a.x - b.x);
  const rows: Row[] = [];
  for (const b of sorted) {
    const cy = b.y + b.height / 2;
    const row = rows.find((r) => {
      const rh = Math.min(r.height, b.height);
      const ry = r.y + r.height / 2;
      const gap = b.x - (r.x + r.width);
      return (
        Math.abs(ry - cy) < rh * 0.5 &&
        Math.max(r.height, b.height) / rh < 1.6 &&
        gap < 1.5 * Math.max(r.height, b.height)
      );
    });
    if (!row) {
      rows.push({ x: b.x, y: b.y, width: b.width, height: b.height, boxes: [b], score: b.score });
      continue;
    }
    const x1 = Math.max(row.x + row.width, b.x + b.width);
    const y1 = Math.max(row.y + row.height, b.y + b.height);
    row.x = Math.min(row.x, b.x);
    row.y = Math.min(row.y, b.y);
    row.width = x1 - row.x;
    row.height = y1 - row.y;
    row.boxes.push(b);
    row.score = Math.max(row.score, b.score);
  }
  return rows.sort((a, b) => b.height - a.height);
}
