import { describe, expect, it } from 'vitest';
import { beamDecode, greedyDecode } from '../../src/ocr/ctc.js';
import { dbBoxes, groupRows } from '../../src/ocr/db.js';
import { looksLikeOverlay, oToZero, votePlate } from '../../src/ocr/plate.js';

const ABC = 'AB';

/** Probabilities T × 3 (gap, A, B) from rows of [gap, A, B]. */
const probs = (rows: number[][]) => ({ probs: new Float32Array(rows.flat()), steps: rows.length });

describe('restricted CTC decoding', () => {
  it('merges repeats, drops gaps, and keeps a doubled character only across a gap', () => {
    const { probs: p, steps } = probs([
      [0.1, 0.9, 0],
      [0.1, 0.9, 0],
      [0.9, 0.1, 0],
      [0.1, 0.9, 0],
      [0.1, 0, 0.9],
    ]);
    expect(greedyDecode(p, steps, ABC).text).toBe('AAB');
    expect(beamDecode(p, steps, ABC)[0]!.text).toBe('AAB');
  });

  it('gives the alternatives with probabilities summed over alignments, likeliest first', () => {
    const { probs: p, steps } = probs([
      [0.05, 0.6, 0.35],
      [0.9, 0.05, 0.05],
    ]);
    const out = beamDecode(p, steps, ABC);
    expect(out.map((d) => d.text).slice(0, 2)).toEqual(['A', 'B']);
    // A·gap, A·A and gap·A.
    expect(out[0]!.p).toBeCloseTo(0.6 * 0.9 + 0.6 * 0.05 + 0.05 * 0.05, 5);
    for (let k = 1; k < out.length; k++) expect(out[k]!.p).toBeLessThanOrEqual(out[k - 1]!.p);
  });
});

describe('DB post-processing', () => {
  it('finds a text region in a probability map, unclipped, and groups side-by-side boxes into one row', () => {
    const w = 100;
    const h = 40;
    const map = new Float32Array(w * h);
    // Two blobs on one line (a serial split by an emblem) and a smaller one below.
    const fill = (x0: number, y0: number, bw: number, bh: number) => {
      for (let y = y0; y < y0 + bh; y++) for (let x = x0; x < x0 + bw; x++) map[y * w + x] = 0.9;
    };
    fill(10, 10, 30, 10);
    fill(50, 10, 30, 10);
    fill(30, 30, 20, 4);
    const boxes = dbBoxes(map, w, h);
    expect(boxes).toHaveLength(3);
    // Grown by area × 1.6 / perimeter = 300 × 1.6 / 80 = 6 px on each side.
    expect(boxes.find((b) => b.x < 10)).toMatchObject({ x: 4, y: 4, width: 42, height: 22 });
    const rows = groupRows(boxes);
    expect(rows[0]!.boxes).toHaveLength(2);
    expect(rows).toHaveLength(2);
  });

  it('finds nothing in an empty map', () => {
    expect(dbBoxes(new Float32Array(64 * 32), 64, 32)).toEqual([]);
  });
});

describe('choosing a plate reading', () => {
  it('reads O as 0 where no common layout wants a letter', () => {
    expect(oToZero('CHICAGO')).toBe('CHICAG0');
    expect(oToZero('1O23456')).toBe('1023456');
    // 999AAA and AAA999 want letters there.
    expect(oToZero('093GOK')).toBe('093GOK');
    expect(oToZero('NOX218')).toBe('NOX218');
  });

  it('prefers a usual layout and keeps the others as alternatives', () => {
    const scored = votePlate([
      {
        weight: 1,
        readings: [
          { text: '7ABC123', p: 0.5, charConf: [] },
          { text: '7ABC1234', p: 0.45, charConf: [] },
        ],
      },
    ]);
    expect(scored[0]!.text).toBe('7ABC123');
    expect(scored.map((s) => s.text)).toContain('7ABC1234');
  });

  it('knows a camera overlay', () => {
    expect(looksLikeOverlay('20140512134510')).toBe(true);
    expect(looksLikeOverlay('7ABC123')).toBe(false);
    expect(looksLikeOverlay('1234567')).toBe(false);
  });
});
