/**
 * Trains models/glyph.bin.gz, the per-character classifier of src/ocr/glyph.ts. Run by hand,
 * never in CI (about 40 minutes on two busy cores):
 *
 *   apt-get install -y fonts-texgyre fonts-urw-base35 fonts-liberation fonts-roboto \
 *     fonts-routed-gothic fonts-b612 fonts-freefont-ttf fonts-noto-core fonts-lato \
 *     fonts-cantarell fonts-hack fonts-open-sans fonts-jetbrains-mono
 *   npx tsx scripts/train-glyph-model.ts [WORK_DIR] [PLATES] [EPOCHS]
 *
 * 1. renders PLATES synthetic plates in two shards (scripts/train-glyph-model/make-glyphs.ts)
 *    unless WORK_DIR already holds them; characters come out of the reader's own row
 *    finder and redraw, so training sees what reading sees;
 * 2. trains a one-hidden-layer network with momentum SGD, with small shifts and stroke
 *    thickening or thinning as augmentation; every 20th character is held out;
 * 3. writes the int8 model and prints its held-out accuracy and SHA-256.
 * Seeded throughout: a rebuild gives the same model on the same machine and fonts.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  GH,
  GLYPHS,
  GW,
  INPUTS,
  type GlyphNet,
  decodeNet,
  encodeNet,
  forward,
  narrowness,
  newNet,
} from '../src/ocr/glyph.js';
import { makeRng } from '../tools/synth.js';

const [work = '/tmp/glyph-train', platesArg = '5000', epochsArg = '7'] = process.argv.slice(2);
const PLATES = Number(platesArg);
const EPOCHS = Number(epochsArg);
// The defaults are what made the shipped model (5,000 plates, 7 epochs, 128 hidden units).
const HIDDEN = Number(process.env.HIDDEN ?? 128);
const SHARDS = 2;

async function render(): Promise<void> {
  fs.mkdirSync(work, { recursive: true });
  if (fs.readdirSync(work).some((f) => f.startsWith('shard-'))) return;
  console.log(`1/3 rendering ${PLATES} plates`);
  const script = path.join(path.dirname(new URL(import.meta.url).pathname), 'train-glyph-model', 'make-glyphs.ts');
  await Promise.all(
    Array.from(
      { length: SHARDS },
      (_, s) =>
        new Promise<void>((res, rej) => {
          const p = spawn('npx', ['tsx', script, work, String(PLATES), String(s), String(SHARDS)], {
            stdio: 'inherit',
          });
          p.on('exit', (code) => (code === 0 ? res() : rej(new Error(`shard ${s} failed`))));
        }),
    ),
  );
}

function load(): { x: Float32Array[]; y: number[] } {
  const x: Float32Array[] = [];
  const y: number[] = [];
  const rec = 1 + 4 * INPUTS;
  let skipped = 0;
  for (const f of fs
    .readdirSync(work)
    .filter((n) => n.startsWith('shard-'))
    .sort()) {
    const buf = fs.readFileSync(path.join(work, f));
    for (let o = 0; o + rec <= buf.length; o += rec) {
      const v = new Float32Array(INPUTS);
      for (let i = 0; i < INPUTS; i++) v[i] = buf.readFloatLE(o + 1 + 4 * i);
      // The files hold the aspect ratio; the network sees only how narrow a character is.
      v[GW * GH] = narrowness(v[GW * GH]!);
      // A typeface squeezed until an ordinary character is a bar is no plate's lettering.
      if (v[GW * GH]! < 0.85 && !'1IJ'.includes(GLYPHS[buf[o]!]!)) {
        skipped++;
        continue;
      }
      y.push(buf[o]!);
      x.push(v);
    }
  }
  console.log(`${skipped} over-squeezed characters left out`);
  return { x, y };
}

/** A shifted, thickened or thinned copy of a character's input. */
function augment(src: Float32Array, rng: () => number, out: Float32Array): Float32Array {
  const dx = rng() < 0.5 ? 0 : rng() < 0.5 ? -1 : 1;
  const dy = rng() < 0.5 ? 0 : rng() < 0.5 ? -1 : 1;
  const r = rng();
  const g = r < 0.25 ? 0.6 : r < 0.5 ? 1.8 : 1; // thicker (gamma < 1) or thinner strokes
  out.fill(0);
  for (let y = 0; y < GH; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= GH) continue;
    for (let x = 0; x < GW; x++) {
      const sx = x - dx;
      if (sx < 0 || sx >= GW) continue;
      const v = src[sy * GW + sx]!;
      out[y * GW + x] = g === 1 ? v : v ** g;
    }
  }
  out[GW * GH] = Math.min(1, src[GW * GH]! * (0.9 + 0.2 * rng()));
  out[GW * GH + 1] = src[GW * GH + 1]!;
  return out;
}

function accuracy(net: GlyphNet, x: Float32Array[], y: number[]): number {
  let ok = 0;
  for (let i = 0; i < x.length; i++) {
    const p = forward(net, x[i]!);
    let best = 0;
    for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
    if (best === y[i]) ok++;
  }
  return ok / Math.max(1, x.length);
}

function train(net: GlyphNet, x: Float32Array[], y: number[], evalX: Float32Array[], evalY: number[]): void {
  const rng = makeRng(4242);
  const { hidden } = net;
  const classes = GLYPHS.length;
  const v1 = new Float32Array(net.w1.length);
  const vb1 = new Float32Array(hidden);
  const v2 = new Float32Array(net.w2.length);
  const vb2 = new Float32Array(classes);
  const g1 = new Float32Array(net.w1.length);
  const gb1 = new Float32Array(hidden);
  const g2 = new Float32Array(net.w2.length);
  const gb2 = new Float32Array(classes);
  const h = new Float32Array(hidden);
  const dh = new Float32Array(hidden);
  const xa = new Float32Array(INPUTS);
  const BATCH = 32;
  const order = x.map((_, i) => i);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const lr = 0.02 * (epoch < EPOCHS * 0.6 ? 1 : epoch < EPOCHS * 0.85 ? 0.3 : 0.1);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let loss = 0;
    const t0 = Date.now();
    for (let b = 0; b < order.length; b += BATCH) {
      g1.fill(0);
      gb1.fill(0);
      g2.fill(0);
      gb2.fill(0);
      const end = Math.min(order.length, b + BATCH);
      for (let s = b; s < end; s++) {
        const idx = order[s]!;
        const inp = augment(x[idx]!, rng, xa);
        const p = forward(net, inp, h);
        const t = y[idx]!;
        loss -= Math.log(Math.max(1e-9, p[t]!));
        dh.fill(0);
        for (let k = 0; k < classes; k++) {
          const d = p[k]! - (k === t ? 1 : 0);
          gb2[k]! += d;
          const o = k * hidden;
          for (let j = 0; j < hidden; j++) {
            g2[o + j]! += d * h[j]!;
            dh[j]! += d * net.w2[o + j]!;
          }
        }
        for (let j = 0; j < hidden; j++) {
          if (h[j]! <= 0) continue;
          const d = dh[j]!;
          gb1[j]! += d;
          const o = j * INPUTS;
          for (let i = 0; i < INPUTS; i++) {
            const v = inp[i]!;
            if (v !== 0) g1[o + i]! += d * v;
          }
        }
      }
      const n = end - b;
      const step = (w: Float32Array, v: Float32Array, g: Float32Array, decay: number) => {
        for (let i = 0; i < w.length; i++) {
          v[i] = 0.9 * v[i]! - lr * (g[i]! / n + decay * w[i]!);
          w[i]! += v[i]!;
        }
      };
      step(net.w1, v1, g1, 1e-5);
      step(net.b1, vb1, gb1, 0);
      step(net.w2, v2, g2, 1e-5);
      step(net.b2, vb2, gb2, 0);
    }
    console.log(
      `epoch ${epoch + 1}/${EPOCHS}: loss ${(loss / order.length).toFixed(4)}, held-out accuracy ${(100 * accuracy(net, evalX, evalY)).toFixed(2)} %, ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
  }
}

await render();
console.log('2/3 training');
const all = load();
const trainX: Float32Array[] = [];
const trainY: number[] = [];
const evalX: Float32Array[] = [];
const evalY: number[] = [];
all.x.forEach((v, i) => {
  if (i % 20 === 0) {
    evalX.push(v);
    evalY.push(all.y[i]!);
  } else {
    trainX.push(v);
    trainY.push(all.y[i]!);
  }
});
console.log(`${trainX.length} training characters, ${evalX.length} held out, hidden ${HIDDEN}`);
const net = newNet(HIDDEN, makeRng(99));
train(net, trainX, trainY, evalX, evalY);

console.log('3/3 writing the model');
const bin = encodeNet(net);
const quantised = decodeNet(bin);
console.log(`held-out accuracy after int8: ${(100 * accuracy(quantised, evalX, evalY)).toFixed(2)} %`);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
// OUT= writes elsewhere, to compare a new model with the shipped one before replacing it.
const outFile = process.env.OUT ?? path.join(root, 'models', 'glyph.bin.gz');
fs.mkdirSync(path.dirname(outFile), { recursive: true });
const gz = gzipSync(bin, { level: 9 });
fs.writeFileSync(outFile, gz);
console.log(`sha256 ${createHash('sha256').update(gz).digest('hex')}  ${outFile} (${gz.length} bytes)`);
