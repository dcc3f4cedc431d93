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
  const sum = new Float64Array(comps.length ? Math.max(...comps.map((c) => c.id)) + 1 : 0);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l) sum[l - 1]! += map[i]!;
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
    out.push({ x: x0, y: y0, width: x1 - x0, height: y1 - y0, score });
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
