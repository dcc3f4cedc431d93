import { describe, expect, it } from 'vitest';
import { type Grey, decodeGrey } from '../../src/ocr/image.js';
import { plateLines } from '../../src/ocr/find.js';
import { makeRng, randomPlateText, renderPlate } from '../../tools/synth.js';

/** A white plate 460×220 with dark glyphs drawn by `paint`. */
function plate(paint: (set: (x: number, y: number, v?: number) => void) => void): Grey {
  const width = 460;
  const height = 220;
  const data = new Uint8Array(width * height).fill(235);
  const set = (x: number, y: number, v = 25) => {
    x = Math.round(x);
    y = Math.round(y);
    if (x >= 0 && x < width && y >= 0 && y < height) data[y * width + x] = v;
  };
  paint(set);
  return { width, height, data };
}

const TOP = 60;
const H = 100;
const W = 46;
const S = 11;

/** Block letters: a box (0), an H, an L, a bar (1), an E. */
function glyph(set: (x: number, y: number, v?: number) => void, kind: string, x0: number, v = 25) {
  const rect = (x: number, y: number, w: number, h: number) => {
    for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) set(xx, yy, v);
  };
  if (kind === '1') {
    rect(x0 + (W - S) / 2, TOP, S, H);
    return;
  }
  rect(x0, TOP, S, H); // left stem
  if (kind === '0' || kind === 'H') rect(x0 + W - S, TOP, S, H);
  if (kind === '0' || kind === 'E') rect(x0, TOP, W, S);
  if (kind === '0' || kind === 'L' || kind === 'E') rect(x0, TOP + H - S, W, S);
  if (kind === 'H' || kind === 'E') rect(x0, TOP + (H - S) / 2, W, S);
}

const serial = (set: (x: number, y: number, v?: number) => void, kinds: string, xs: number[]) => {
  [...kinds].forEach((k, i) => {
    glyph(set, k, xs[i]!);
  });
};

describe('serial rows', () => {
  it('finds the characters of a clean row, one glyph box per character', () => {
    const g = plate((set) => serial(set, 'H0L1E0', [40, 102, 164, 226, 288, 350]));
    const lines = plateLines(g, { targetH: 40, stretch: 1, max: 5 });
    expect(lines[0]!.row.comps.length).toBe(6);
    for (const l of lines) {
      expect(l.glyphs.length).toBe(l.row.comps.length);
      for (let i = 1; i < l.glyphs.length; i++) expect(l.glyphs[i]!.x).toBeGreaterThanOrEqual(l.glyphs[i - 1]!.x);
    }
  });

  it('leaves out a solid silhouette drawn among the characters', () => {
    const g = plate((set) => {
      serial(set, 'H0L', [20, 82, 144]);
      serial(
        set,
        '1E0',
        [296, 358, 410].map((x) => x - 10),
      );
      // A dark, solid, irregular picture as tall as the characters, in the gap.
      for (let y = TOP - 4; y < TOP + H + 4; y++) {
        const r = 30 + 12 * Math.sin(y / 9);
        for (let x = 240 - r; x < 240 + r * 0.8; x++) set(x, y);
      }
    });
    const lines = plateLines(g, { targetH: 40, stretch: 1, max: 5 });
    expect(lines[0]!.row.comps.length).toBe(6);
  });

  it('leaves out a picture drawn in a lighter ink', () => {
    const g = plate((set) => {
      serial(set, 'H0L', [20, 82, 144]);
      serial(set, '1E0', [290, 352, 404]);
      glyph(set, '0', 220, 150); // an outline in another colour, character-sized
    });
    const lines = plateLines(g, { targetH: 40, stretch: 1, max: 5 });
    expect(lines[0]!.row.comps.length).toBe(6);
  });

  it('keeps a first character that touches a picture beside it', () => {
    const g = plate((set) => {
      serial(set, 'H0L1E0', [70, 132, 194, 256, 318, 380]);
      // A big dark picture at the left edge, joined to the H by a thin line.
      for (let y = 20; y < 200; y++) for (let x = 0; x < 40 + 10 * Math.sin(y / 15); x++) set(x, y);
      for (let x = 30; x < 72; x++) for (let y = TOP + 40; y < TOP + 43; y++) set(x, y);
    });
    const lines = plateLines(g, { targetH: 40, stretch: 1, max: 5 });
    expect(lines[0]!.row.comps.length).toBe(6);
  });

  it("counts the characters of the project's synthetic plates (≥ 85 %)", async () => {
    const rng = makeRng(4242);
    const n = 30;
    const wrong: string[] = [];
    for (let i = 0; i < n; i++) {
      const text = randomPlateText(rng);
      const g = await decodeGrey(await renderPlate(text, { seed: 9100 + i }));
      const lines = plateLines(g, { targetH: 40, stretch: 1, max: 5 });
      const got = lines[0]?.row.comps.length ?? 0;
      if (got !== text.length) wrong.push(`${text}: ${got}`);
    }
    expect(wrong.length, wrong.join(', ')).toBeLessThanOrEqual(Math.floor(n * 0.15));
  }, 30_000);
});
