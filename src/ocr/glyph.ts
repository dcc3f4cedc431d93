/**
 * A second opinion on each character: a small neural network (one hidden layer) that
 * classifies the characters of a redrawn serial row one by one.
 *
 * The row finder (find.ts) already cuts the serial into its characters, so a classifier
 * that sees one character at a time reads exactly as many characters as the row holds,
 * and says how sure it is of each. Tesseract reads the whole line and sometimes drops or
 * doubles a character; the two disagree in different ways, which is what the vote in
 * reader.ts needs.
 *
 * The weights (models/glyph.bin.gz) are trained by scripts/train-glyph-model.ts from
 * plates the project renders itself (synth.ts), redrawn by find.ts exactly as the reader
 * redraws real ones. Pure functions plus one file read: no native code, no worker.
 */
import { sha256Hex } from '../core/hash.js';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Box, Grey } from './image.js';

/** The classes, in output order. */
export const GLYPHS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** Input: the character fitted into GW × GH cells (see glyphInput), plus its narrowness and ink density. */
export const GW = 24;
export const GH = 32;
export const INPUTS = GW * GH + 2;

/**
 * 0..1, how bar-like a character is: 1 for anything as wide as an ordinary character.
 * Only narrowness says something (1 and I against the rest); how wide the others are
 * depends on the typeface, not the character.
 */
export const narrowness = (aspect: number): number => Math.min(1, aspect / 0.35);

/** A character's ink as the network's input: GW × GH coverage values (0..1), aspect, fill. */
export function glyphInput(img: Grey, b: Box): Float32Array {
  const { input, aspect } = glyphFeatures(img, b);
  input[GW * GH] = narrowness(aspect);
  return input;
}

/** The input with its aspect-ratio slot left at 0, and the aspect ratio (width/height) of the ink. */
export function glyphFeatures(img: Grey, b: Box): { input: Float32Array; aspect: number } {
  const out = new Float32Array(INPUTS);
  const x0 = Math.max(0, Math.floor(b.x));
  const y0 = Math.max(0, Math.floor(b.y));
  const x1 = Math.min(img.width, Math.ceil(b.x + b.width));
  const y1 = Math.min(img.height, Math.ceil(b.y + b.height));
  const w = x1 - x0;
  const h = y1 - y0;
  if (w <= 0 || h <= 0) return { input: out, aspect: 0 };
  // Tight box around the ink (the drawn box can carry a blank column or row).
  let tx0 = x1,
    ty0 = y1,
    tx1 = x0 - 1,
    ty1 = y0 - 1;
  let ink = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const v = 255 - img.data[y * img.width + x]!;
      if (v > 96) {
        if (x < tx0) tx0 = x;
        if (x > tx1) tx1 = x;
        if (y < ty0) ty0 = y;
        if (y > ty1) ty1 = y;
      }
    }
  }
  if (tx1 < tx0) return { input: out, aspect: 0 };
  const cw = tx1 - tx0 + 1;
  const ch = ty1 - ty0 + 1;
  // Full height; full width too unless the character is a narrow bar (1, I), which keeps
  // its shape, centred. Typefaces differ most in width and weight, so filling the cell
  // makes a wide light 2 and a narrow bold 2 alike; the aspect ratio is an input of its own.
  const s = GH / ch;
  const sx = cw * s >= GW * 0.4 ? GW / cw : s;
  const dw = cw * sx;
  const dh = GH;
  const ox = (GW - dw) / 2;
  const oy = 0;
  for (let gy = 0; gy < GH; gy++) {
    const sy0 = ty0 + (gy - oy) / s;
    const sy1 = ty0 + (gy + 1 - oy) / s;
    if (sy1 <= ty0 || sy0 >= ty1 + 1) continue;
    for (let gx = 0; gx < GW; gx++) {
      const sx0 = tx0 + (gx - ox) / sx;
      const sx1 = tx0 + (gx + 1 - ox) / sx;
      if (sx1 <= tx0 || sx0 >= tx1 + 1) continue;
      let acc = 0;
      let area = 0;
      for (let y = Math.max(ty0, Math.floor(sy0)); y < Math.min(ty1 + 1, Math.ceil(sy1)); y++) {
        const wy = Math.min(y + 1, sy1) - Math.max(y, sy0);
        if (wy <= 0) continue;
        for (let x = Math.max(tx0, Math.floor(sx0)); x < Math.min(tx1 + 1, Math.ceil(sx1)); x++) {
          const wx = Math.min(x + 1, sx1) - Math.max(x, sx0);
          if (wx <= 0) continue;
          acc += wx * wy * (255 - img.data[y * img.width + x]!);
          area += wx * wy;
        }
      }
      const v = area > 0 ? acc / area / 255 : 0;
      out[gy * GW + gx] = v;
      ink += v;
    }
  }
  out[GW * GH + 1] = ink / (dw * dh || 1);
  return { input: out, aspect: cw / ch };
}

/** A one-hidden-layer network: inputs → hidden (ReLU) → classes (softmax). */
export interface GlyphNet {
  hidden: number;
  w1: Float32Array; // hidden × INPUTS
  b1: Float32Array;
  w2: Float32Array; // classes × hidden
  b2: Float32Array;
}

export function newNet(hidden: number, rng: () => number): GlyphNet {
  const classes = GLYPHS.length;
  const gauss = () => (rng() + rng() + rng() - 1.5) * 2;
  const w1 = new Float32Array(hidden * INPUTS).map(() => gauss() * Math.sqrt(2 / INPUTS));
  const w2 = new Float32Array(classes * hidden).map(() => gauss() * Math.sqrt(1 / hidden));
  return { hidden, w1, b1: new Float32Array(hidden), w2, b2: new Float32Array(classes) };
}

/** Class probabilities for one input; `h` receives the hidden activations when given. */
export function forward(net: GlyphNet, x: Float32Array, h = new Float32Array(net.hidden)): Float32Array {
  const { hidden, w1, b1, w2, b2 } = net;
  for (let j = 0; j < hidden; j++) {
    let s = b1[j]!;
    const o = j * INPUTS;
    for (let i = 0; i < INPUTS; i++) s += w1[o + i]! * x[i]!;
    h[j] = Math.max(s, 0);
  }
  const classes = b2.length;
  const p = new Float32Array(classes);
  let max = -Infinity;
  for (let k = 0; k < classes; k++) {
    let s = b2[k]!;
    const o = k * hidden;
    for (let j = 0; j < hidden; j++) s += w2[o + j]! * h[j]!;
    p[k] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let k = 0; k < classes; k++) {
    p[k] = Math.exp(p[k]! - max);
    sum += p[k]!;
  }
  for (let k = 0; k < classes; k++) p[k]! /= sum;
  return p;
}

// ---------------------------------------------------------------------------
// The model file: "GLYPH1" magic, then little-endian u32 hidden, then the four arrays
// as int8 with one float32 scale per output row (w1, w2) and float32 biases; gzipped.

export function encodeNet(net: GlyphNet): Buffer {
  const classes = net.b2.length;
  const parts: Buffer[] = [Buffer.from('GLYPH1', 'ascii')];
  const u32 = Buffer.alloc(8);
  u32.writeUInt32LE(net.hidden, 0);
  u32.writeUInt32LE(classes, 4);
  parts.push(u32);
  const quant = (w: Float32Array, rows: number, cols: number) => {
    const scales = new Float32Array(rows);
    const q = Buffer.alloc(rows * cols);
    for (let r = 0; r < rows; r++) {
      let m = 0;
      for (let c = 0; c < cols; c++) m = Math.max(m, Math.abs(w[r * cols + c]!));
      const s = m / 127 || 1;
      scales[r] = s;
      for (let c = 0; c < cols; c++) q.writeInt8(Math.round(w[r * cols + c]! / s), r * cols + c);
    }
    parts.push(Buffer.from(scales.buffer.slice(0)), q);
  };
  quant(net.w1, net.hidden, INPUTS);
  parts.push(Buffer.from(net.b1.buffer.slice(0)));
  quant(net.w2, classes, net.hidden);
  parts.push(Buffer.from(net.b2.buffer.slice(0)));
  return Buffer.concat(parts);
}

export function decodeNet(buf: Buffer): GlyphNet {
  if (buf.subarray(0, 6).toString('ascii') !== 'GLYPH1') throw new Error('not a glyph model');
  const hidden = buf.readUInt32LE(6);
  const classes = buf.readUInt32LE(10);
  if (classes !== GLYPHS.length) throw new Error(`glyph model has ${classes} classes, expected ${GLYPHS.length}`);
  let off = 14;
  const f32 = (n: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = buf.readFloatLE(off + 4 * i);
    off += 4 * n;
    return a;
  };
  const deq = (rows: number, cols: number) => {
    const scales = f32(rows);
    const w = new Float32Array(rows * cols);
    for (let i = 0; i < rows * cols; i++) w[i] = buf.readInt8(off + i) * scales[Math.floor(i / cols)]!;
    off += rows * cols;
    return w;
  };
  const w1 = deq(hidden, INPUTS);
  const b1 = f32(hidden);
  const w2 = deq(classes, hidden);
  const b2 = f32(classes);
  if (off !== buf.length) throw new Error('glyph model has the wrong size');
  return { hidden, w1, b1, w2, b2 };
}

/** Where the shipped glyph model lives (from src/ocr or dist/src/ocr). */
export function glyphModelPath(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const rel of ['../../models/glyph.bin.gz', '../../../models/glyph.bin.gz']) {
    const p = path.resolve(here, rel);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

export interface GlyphModel {
  net: GlyphNet;
  name: string;
}

/** The shipped model, or null when it is not there. */
export function loadGlyphModel(file = glyphModelPath()): GlyphModel | null {
  if (!file) return null;
  const gz = fs.readFileSync(file);
  const hash = sha256Hex(gz).slice(0, 12);
  return { net: decodeNet(gunzipSync(gz)), name: `glyph ${hash}` };
}

/** Per-character class probabilities for each character box of a redrawn row. */
export function classifyRow(model: GlyphModel, img: Grey, glyphs: Box[]): Float32Array[] {
  const h = new Float32Array(model.net.hidden);
  return glyphs.map((b) => forward(model.net, glyphInput(img, b), h));
}

/**
 * The most likely serials for a row, as `[text, probability]`, best first: a beam over the
 * characters' distributions, each keeping its `perChar` likeliest classes.
 */
export function rowReadings(probs: Float32Array[], max = 12, perChar = 4): Array<[string, number]> {
  let beam: Array<[string, number]> = [['', 1]];
  for (const p of probs) {
    const top = [...p]
      .map((v, k) => [k, v] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, perChar)
      .filter(([, v]) => v > 1e-4);
    const next: Array<[string, number]> = [];
    for (const [t, q] of beam) for (const [k, v] of top) next.push([t + GLYPHS[k], q * v]);
    next.sort((a, b) => b[1] - a[1]);
    beam = next.slice(0, Math.max(max, 16));
  }
  return beam.slice(0, max);
}
