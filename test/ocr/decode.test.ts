import { describe, expect, it } from 'vitest';
import { beamDecode, greedyDecode } from '../../src/ocr/ctc.js';
import { dbBoxes, groupRows } from '../../src/ocr/db.js';
import { cropGrey, type Grey, rotatedCrop } from '../../src/ocr/image.js';
import {
  DEFAULT_TUNING,
  extension,
  iToOne,
  looksLikeOverlay,
  oToZero,
  trimShortEnds,
  votePlate,
} from '../../src/ocr/plate.js';

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
    // Where each character is likeliest along the line.
    expect(beamDecode(p, steps, ABC)[0]!.at).toEqual([0, 3, 4]);
    expect(greedyDecode(p, steps, ABC).at).toEqual([0, 3, 4]);
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

  it("measures a slanted region's slant, length and thickness", () => {
    const w = 160;
    const h = 80;
    const map = new Float32Array(w * h);
    // A band 100 long and 12 thick, falling 6° to the right about (80, 40).
    const a = (6 * Math.PI) / 180;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const u = (x - 80) * Math.cos(a) + (y - 40) * Math.sin(a);
        const v = -(x - 80) * Math.sin(a) + (y - 40) * Math.cos(a);
        if (Math.abs(u) <= 50 && Math.abs(v) <= 6) map[y * w + x] = 0.9;
      }
    const [b] = dbBoxes(map, w, h);
    expect((b!.angle! * 180) / Math.PI).toBeCloseTo(6, 0);
    expect(b!.long!).toBeGreaterThan(97);
    expect(b!.long!).toBeLessThan(104);
    expect(b!.thick!).toBeGreaterThan(11);
    expect(b!.thick!).toBeLessThan(14.5);
    // Its upright box holds the slant: much taller than the band.
    expect(b!.height).toBeGreaterThan(25);
    // A level band has no slant.
    const level = new Float32Array(w * h);
    for (let y = 34; y < 46; y++) for (let x = 30; x < 130; x++) level[y * w + x] = 0.9;
    expect(dbBoxes(level, w, h)[0]!.angle).toBeCloseTo(0, 5);
  });
});

describe('a slanted line cut level', () => {
  it('turns a slanted dark bar into a level one that fills the cut', () => {
    const w = 200;
    const h = 100;
    const data = new Uint8Array(w * h).fill(230);
    const a = (-8 * Math.PI) / 180;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const u = (x - 100) * Math.cos(a) + (y - 50) * Math.sin(a);
        const v = -(x - 100) * Math.sin(a) + (y - 50) * Math.cos(a);
        if (Math.abs(u) <= 60 && Math.abs(v) <= 8) data[y * w + x] = 20;
      }
    const g: Grey = { width: w, height: h, data };
    const line = rotatedCrop(g, 100, 50, 110, 30, a);
    expect(line.width).toBe(110);
    expect(line.height).toBe(30);
    const mean = (y: number) => line.data.subarray(y * 110, (y + 1) * 110).reduce((s, v) => s + v, 0) / 110;
    // The middle rows are bar from end to end, the top and bottom rows background.
    expect(mean(15)).toBeLessThan(30);
    expect(mean(2)).toBeGreaterThan(220);
    expect(mean(27)).toBeGreaterThan(220);
    // Cut upright instead, the same rows cross the bar's slant.
    const upright = cropGrey(g, { x: 45, y: 35, width: 110, height: 30 });
    const m2 = (y: number) => upright.data.subarray(y * 110, (y + 1) * 110).reduce((s, v) => s + v, 0) / 110;
    expect(m2(2)).toBeLessThan(200);
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

  it('reads O/0 by place too: a leading O before letters is 0, a 0 inside a letter group is O', () => {
    expect(oToZero('OJT898')).toBe('OJT898');
    expect(oToZero('OJT898', true)).toBe('0JT898');
    expect(oToZero('778A0S', true)).toBe('778AOS');
    expect(oToZero('093G0K', true)).toBe('093GOK');
    // A 0 between letters that fits no common layout either way stays.
    expect(oToZero('SH0R7X', true)).toBe('SH0R7X');
    expect(oToZero('NOX218', true)).toBe('NOX218');
  });

  it('reads I as 1 only where that alone makes the reading a listed layout', () => {
    expect(iToOne('CK0AIF')).toBe('CK0A1F');
    expect(iToOne('AB12I4')).toBe('AB1214');
    // Already a listed layout (AAA999), or no listed layout either way: the I stays.
    expect(iToOne('ABI123')).toBe('ABI123');
    expect(iToOne('ILLINOIS')).toBe('ILLINOIS');
    expect(iToOne('AB1234')).toBe('AB1234');
  });

  it('votes the I-as-1 reading first and keeps the I as an alternative', () => {
    const scored = votePlate([{ readings: [{ text: 'CK0AIF', p: 0.9, charConf: [], at: [] }], weight: 1 }]);
    expect(scored[0]!.text).toBe('CK0A1F');
    expect(scored.map((x) => x.text)).toContain('CK0AIF');
    const off = votePlate([{ readings: [{ text: 'CK0AIF', p: 0.9, charConf: [], at: [] }], weight: 1 }], {
      ...DEFAULT_TUNING,
      keepI: 0,
    });
    expect(off[0]!.text).toBe('CK0AIF');
  });

  it('counts a reading of ten or more characters less than a plate-length part of it', () => {
    const read = (text: string, p: number) => ({ text, p, charConf: [], at: [] });
    const lines = [
      // The row read five ways, all running on past the plate; one part of it read alone.
      ...[1, 1, 0.8, 0.5, 0.5].map((weight) => ({ readings: [read('M5VCF20377', 0.95)], weight })),
      { readings: [read('5VCF203', 0.95)], weight: 0.8 },
    ];
    expect(votePlate(lines)[0]!.text).toBe('5VCF203');
    expect(votePlate(lines, { ...DEFAULT_TUNING, tooLong: 1 })[0]!.text).toBe('M5VCF20377');
    // Nine characters is still a plate (a vanity plate).
    const nine = [
      { readings: [read('BIGCHEESE', 0.9)], weight: 1 },
      { readings: [read('CHEESE', 0.5)], weight: 0.8 },
    ];
    expect(votePlate(nine)[0]!.text).toBe('BIGCHEESE');
  });

  it('prefers a usual layout and keeps the others as alternatives', () => {
    const scored = votePlate([
      {
        weight: 1,
        readings: [
          { text: '7ABC123', p: 0.5, charConf: [], at: [] },
          { text: '7ABC1234', p: 0.45, charConf: [], at: [] },
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

/** A white line 200×50 with black rectangles [x0, y0, x1, y1]. */
function line(rects: number[][]): Grey {
  const g = { width: 200, height: 50, data: new Uint8Array(200 * 50).fill(230) };
  for (const [x0, y0, x1, y1] of rects)
    for (let y = y0!; y < y1!; y++) for (let x = x0!; x < x1!; x++) g.data[y * 200 + x] = 20;
  return g;
}
const SERIAL = [
  [40, 5, 55, 45],
  [70, 5, 85, 45],
  [100, 5, 115, 45],
];
const reading = (text: string, at: number[]) => ({ text, p: 0.8, charConf: at.map(() => 0.9), at });

describe('characters at the ends by the height of their ink', () => {
  it('drops stacked letters beside the serial, at either end', () => {
    const g = line([...SERIAL, [10, 3, 22, 20], [10, 28, 22, 46], [130, 3, 142, 20], [130, 28, 142, 46]]);
    // stepPx 10: step t is x = 10 t + 5.
    const out = trimShortEnds(g, [reading('R123E', [1, 4, 7, 10, 13])], 10, 0.7);
    expect(out[0]!.text).toBe('123');
    expect(out[0]!.at).toEqual([4, 7, 10]);
    expect(out[0]!.rel!.every((r) => Math.abs(r - 1) < 0.05)).toBe(true);
  });

  it('keeps a short character that is not one of a stack, and full-height ones', () => {
    const g = line([...SERIAL, [10, 20, 22, 40]]);
    expect(trimShortEnds(g, [reading('R123', [1, 4, 7, 10])], 10, 0.7)[0]!.text).toBe('R123');
    expect(trimShortEnds(g, [reading('R123', [1, 4, 7, 10])], 10, 0.7, false)[0]!.text).toBe('123');
    const tall = line([...SERIAL, [10, 5, 22, 45]]);
    expect(trimShortEnds(tall, [reading('1123', [1, 4, 7, 10])], 10, 0.7)[0]!.text).toBe('1123');
  });

  it('merges readings that become the same', () => {
    const g = line([...SERIAL, [10, 3, 22, 20], [10, 28, 22, 46]]);
    const out = trimShortEnds(
      g,
      [reading('R123', [1, 4, 7, 10]), { ...reading('B123', [1, 4, 7, 10]), p: 0.1 }],
      10,
      0.7,
    );
    expect(out).toHaveLength(1);
    expect(out[0]!.p).toBeCloseTo(0.9, 5);
  });

  it('takes a wider reading that adds full-height characters, not one that adds short ones', () => {
    const row = reading('321', [4, 7, 10]);
    expect(extension(row, { ...reading('1321', [1, 4, 7, 10]), rel: [1, 1, 1, 1] })?.text).toBe('1321');
    expect(extension(row, { ...reading('1321', [1, 4, 7, 10]), rel: [0.5, 1, 1, 1] })).toBeNull();
    expect(extension(row, { ...reading('1421', [1, 4, 7, 10]), rel: [1, 1, 1, 1] })).toBeNull();
    expect(extension(row, reading('1321', [1, 4, 7, 10]))).toBeNull();
  });
});
