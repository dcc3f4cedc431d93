import { describe, expect, it } from 'vitest';
import { decodeGrey, holdsPlate as holds } from '../../src/ocr/image.js';
import { findPlates } from '../../src/ocr/frame.js';
import { makeRng, randomPlateText, renderScene } from '../../tools/synth.js';

describe('plate finder in whole frames', () => {
  it('puts the plate first in most synthetic frames (signs, badges and windows around it)', async () => {
    const rng = makeRng(4242);
    const n = 16;
    let first = 0;
    let top2 = 0;
    const misses: string[] = [];
    for (let i = 0; i < n; i++) {
      const text = randomPlateText(rng);
      const scene = await renderScene(text, { seed: 900 + i });
      const g = await decodeGrey(scene.image);
      const cands = findPlates(g, 4);
      const rank = cands.findIndex((c) => holds(c.box, scene.box));
      if (rank === 0) first++;
      if (rank === 0 || rank === 1) top2++;
      if (rank !== 0) misses.push(`seed ${900 + i} ${text}: rank ${rank + 1}`);
      // Best first, and boxes in the frame's pixels.
      for (let k = 1; k < cands.length; k++) expect(cands[k]!.score).toBeLessThanOrEqual(cands[k - 1]!.score);
      for (const c of cands) {
        expect(c.charH).toBeGreaterThan(0);
        expect(c.box.x + c.box.width).toBeGreaterThan(0);
        expect(c.box.x).toBeLessThan(g.width);
      }
    }
    expect(first, misses.join(', ')).toBeGreaterThanOrEqual(Math.ceil(n * 0.75));
    expect(top2, misses.join(', ')).toBeGreaterThanOrEqual(Math.ceil(n * 0.85));
  });

  it('finds nothing much in a frame without text', async () => {
    const w = 640;
    const h = 360;
    const data = new Uint8Array(w * h);
    // A smooth gradient with a few plain rectangles: no rows of characters anywhere.
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = 60 + ((x + y) >> 3);
    for (const [x0, y0, bw, bh, v] of [
      [50, 50, 120, 60, 220],
      [300, 200, 200, 80, 20],
    ] as const) {
      for (let y = y0; y < y0 + bh; y++) for (let x = x0; x < x0 + bw; x++) data[y * w + x] = v;
    }
    expect(findPlates({ width: w, height: h, data })).toEqual([]);
  });
});
