/**
 * Finding plates in a whole camera frame: rows of 4–9 small, aligned, character-sized
 * blobs on a plain panel. Each candidate's box is then read like a crop (find.ts).
 */
import { type Box, type Grey, components, cropGrey, otsu, thresholdAdaptive } from './image.js';
import { type CharRow, findRows } from './find.js';

export interface PlateCandidate { box: Box; score: number; charH: number }

/**
 * Where plates might be in a whole frame: rows of 4–9 small characters, at a few
 * thresholds and both polarities. Boxes are in the frame's pixels, best first.
 */
export function findPlates(g: Grey, max = 6): PlateCandidate[] {
  const cands: PlateCandidate[] = [];
  const minH = Math.max(7, g.height * 0.009);
  const maxH = g.height * 0.2;
  for (const dark of [true, false]) {
    for (const [win, c] of [[25, 6], [51, 14]] as const) {
      const mask = thresholdAdaptive(g, win, c, dark);
      const { comps } = components(mask, g.width, g.height, 12);
      // Gaps up to 2.3 heights: many plates split the serial with an emblem (3 ■ 3).
      const rows = findRows(comps, dark, { minH, maxH, minCount: 4, maxCount: 9, maxGap: 2.3, maxAspect: 2.5 });
      for (const r of rows) {
        if (r.comps.length > 9) continue;
        // Camera overlays (date and time, camera name) run along the frame's top or bottom edge.
        if (r.box.y < g.height * 0.035 || r.box.y + r.box.height > g.height * 0.965) continue;
        const h = r.height;
        const w = r.box.width;
        // The plate around this row, whether the row is its serial or its (smaller) header:
        // wide enough for both, and reaching well below.
        const box = { x: r.box.x - 0.35 * w, y: r.box.y - 1.2 * h, width: 1.7 * w, height: r.box.height + 5 * h };
        const contrast = panelContrast(g, r);
        // Row scores grow with character height; in a frame, plates are small and signs
        // and badges near the camera are not, so height counts for much less here.
        const score = (r.score / h) * Math.pow(h, 0.3) * contrast * panelShare(g, r);
        cands.push({ box, score, charH: h });
      }
    }
  }
  cands.sort((a, b) => b.score - a.score);
  const kept: PlateCandidate[] = [];
  for (const c of cands) {
    if (kept.some((k) => iou(k.box, c.box) > 0.3)) continue;
    kept.push(c);
    if (kept.length >= max) break;
  }
  return kept;
}

/** How strongly the characters stand out from the panel around them (0..1). */
function panelContrast(g: Grey, r: CharRow): number {
  const sub = cropGrey(g, r.box);
  let lo = 255;
  let hi = 0;
  const hist = new Uint32Array(256);
  for (const v of sub.data) hist[v]!++;
  const n = sub.data.length;
  for (let acc = 0, i = 0; i < 256; i++) { acc += hist[i]!; if (acc >= n * 0.1) { lo = i; break; } }
  for (let acc = 0, i = 255; i >= 0; i--) { acc += hist[i]!; if (acc >= n * 0.1) { hi = i; break; } }
  return Math.min(1, Math.max(0.1, (hi - lo) / 120));
}

/**
 * 0.3..1: how much of the strips just above and below the row look like the panel the
 * characters are printed on (the background side of the row's own threshold). Plates
 * have plain margins there; text and clutter on a car or in a scene mostly do not.
 */
function panelShare(g: Grey, r: CharRow): number {
  const b = r.box;
  const h = r.height;
  const sub = cropGrey(g, b);
  const t = otsu(sub);
  let bg = 0;
  let n = 0;
  for (const [ya, yb] of [[b.y - 0.5 * h, b.y - 0.12 * h], [b.y + b.height + 0.12 * h, b.y + b.height + 0.5 * h]] as const) {
    const y0 = Math.max(0, Math.round(ya));
    const y1 = Math.min(g.height, Math.round(yb));
    for (let y = y0; y < y1; y++) {
      for (let x = Math.max(0, Math.round(b.x)); x < Math.min(g.width, Math.round(b.x + b.width)); x++) {
        const v = g.data[y * g.width + x]!;
        if (r.dark ? v > t : v < t) bg++;
        n++;
      }
    }
  }
  return n ? 0.3 + 0.7 * (bg / n) : 0.5;
}

export function iou(a: Box, b: Box): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  return inter / (a.width * a.height + b.width * b.height - inter);
}
