import { describe, expect, it } from 'vitest';
import {
  GH,
  GLYPHS,
  GW,
  INPUTS,
  decodeNet,
  encodeNet,
  forward,
  glyphInput,
  loadGlyphModel,
  narrowness,
  newNet,
  rowReadings,
} from '../../src/ocr/glyph.js';
import type { Grey } from '../../src/ocr/image.js';
import { makeRng } from '../../tools/synth.js';

/** White image with black rectangles. */
function canvas(w: number, h: number, rects: Array<[number, number, number, number]>): Grey {
  const data = new Uint8Array(w * h).fill(255);
  for (const [x, y, rw, rh] of rects)
    for (let yy = y; yy < y + rh; yy++) for (let xx = x; xx < x + rw; xx++) data[yy * w + xx] = 0;
  return { width: w, height: h, data };
}

describe('glyph input', () => {
  it('fills the cell with a character, whatever its size and margin', () => {
    // A hollow box ("0"-like) drawn small with a blank margin, and large.
    const small = canvas(40, 60, [
      [10, 10, 10, 2],
      [10, 28, 10, 2],
      [10, 10, 2, 20],
      [18, 10, 2, 20],
    ]);
    const big = canvas(80, 100, [
      [5, 5, 40, 8],
      [5, 77, 40, 8],
      [5, 5, 8, 80],
      [37, 5, 8, 80],
    ]);
    for (const [g, box] of [
      [small, { x: 0, y: 0, width: 40, height: 60 }],
      [big, { x: 0, y: 0, width: 80, height: 100 }],
    ] as const) {
      const x = glyphInput(g, box);
      expect(x.length).toBe(INPUTS);
      // Ink reaches all four sides of the cell: the tight box was found and stretched.
      expect(x[0]).toBeGreaterThan(0.5);
      expect(x[GW - 1]).toBeGreaterThan(0.5);
      expect(x[(GH - 1) * GW]).toBeGreaterThan(0.5);
      // The middle is empty.
      expect(x[(GH >> 1) * GW + (GW >> 1)]).toBe(0);
      for (let i = 0; i < GW * GH; i++) {
        expect(x[i]).toBeGreaterThanOrEqual(0);
        expect(x[i]).toBeLessThanOrEqual(1);
      }
    }
  });

  it('keeps a narrow bar narrow and centred, and says so in its narrowness input', () => {
    const bar = canvas(30, 60, [[13, 5, 4, 50]]);
    const x = glyphInput(bar, { x: 0, y: 0, width: 30, height: 60 });
    expect(x[(GH >> 1) * GW + (GW >> 1)]).toBeGreaterThan(0.9);
    expect(x[(GH >> 1) * GW]).toBe(0);
    expect(x[GW * GH]).toBeCloseTo(narrowness(4 / 50), 2);
    expect(narrowness(0.5)).toBe(1);
  });

  it('is all zero for a blank box', () => {
    const x = glyphInput(canvas(20, 20, []), { x: 0, y: 0, width: 20, height: 20 });
    expect([...x].every((v) => v === 0)).toBe(true);
  });
});

describe('glyph network', () => {
  it('survives the int8 model file within rounding', () => {
    const net = newNet(16, makeRng(3));
    const back = decodeNet(encodeNet(net));
    const x = new Float32Array(INPUTS).map((_, i) => (i % 7) / 7);
    const a = forward(net, x);
    const b = forward(back, x);
    expect(a.length).toBe(GLYPHS.length);
    expect(b.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    for (let k = 0; k < a.length; k++) expect(Math.abs(a[k]! - b[k]!)).toBeLessThan(0.02);
  });

  it('refuses a file that is not a glyph model', () => {
    expect(() => decodeNet(Buffer.from('PLATE1 and more'))).toThrow(/not a glyph model/);
    const good = encodeNet(newNet(4, makeRng(1)));
    expect(() => decodeNet(good.subarray(0, good.length - 3))).toThrow();
  });

  it('beam: the likeliest serials first, each character from its own distribution', () => {
    const p = (pairs: Record<string, number>) => {
      const v = new Float32Array(GLYPHS.length);
      for (const [c, q] of Object.entries(pairs)) v[GLYPHS.indexOf(c)] = q;
      return v;
    };
    const out = rowReadings([p({ A: 0.9, '4': 0.1 }), p({ '2': 0.6, Z: 0.4 }), p({ '7': 1 })], 10);
    expect(out.map(([t]) => t)).toEqual(['A27', 'AZ7', '427', '4Z7']);
    expect(out[0]![1]).toBeCloseTo(0.54, 5);
  });

  it('the shipped model reads as the reader names it', () => {
    const m = loadGlyphModel();
    if (!m) return expect.fail('models/glyph.bin.gz is not shipped');
    expect(m.name).toMatch(/^glyph [0-9a-f]{12}$/);
    expect(m.net.b2.length).toBe(GLYPHS.length);
  });
});
