/**
 * Training characters for the glyph model:
 * `tsx scripts/train-glyph-model/make-glyphs.ts OUT COUNT [SHARD] [SHARDS] [SEED0]`
 *
 * Renders synthetic plates (tools/synth.ts) in many typefaces, runs the reader's own row
 * finding and redraw on each (src/ocr/find.ts), and keeps the characters of each redrawn
 * row that holds exactly the plate's characters: the model learns the characters as the
 * reader will show them. Writes OUT/shard-N.bin: per character one class byte, then the
 * INPUTS float32 values of glyphFeatures (src/ocr/glyph.ts), the aspect ratio in its slot.
 */
import fs from 'node:fs';
import path from 'node:path';
import { decodeGrey } from '../../src/ocr/image.js';
import { plateLines } from '../../src/ocr/find.js';
import { GH, GLYPHS, GW, INPUTS, glyphFeatures } from '../../src/ocr/glyph.js';
import { makeRng, randomPlateText, renderPlate } from '../../tools/synth.js';
import { TRAINING_FACES } from './faces.js';

const [out = 'glyphs', countArg = '100', shardArg = '0', shardsArg = '1', seedArg = '700000'] = process.argv.slice(2);
const count = Number(countArg);
const shard = Number(shardArg);
const shards = Number(shardsArg);
const seed0 = Number(seedArg);
fs.mkdirSync(out, { recursive: true });
const file = path.join(out, `shard-${shard}.bin`);
const fd = fs.openSync(file, 'w');
const rec = Buffer.alloc(1 + 4 * INPUTS);
let kept = 0;
let tried = 0;
for (let i = shard; i < count; i += shards) {
  const rng = makeRng(seed0 + i);
  let text = randomPlateText(rng);
  // Any character in any place too (vanity plates; I, O and Q), so no class is rare.
  if (rng() < 0.35) {
    const n = 4 + Math.floor(rng() * 4);
    text = Array.from({ length: n }, () => GLYPHS[Math.floor(rng() * GLYPHS.length)]).join('');
  }
  const small = rng() < 0.35;
  const f = rng() < 0.75 ? TRAINING_FACES[Math.floor(rng() * TRAINING_FACES.length)] : undefined;
  // Plate lettering ranges from light to heavy strokes.
  const face = f && (rng() < 0.45 ? { ...f, weight: 'normal' } : f);
  const png = await renderPlate(text, {
    seed: seed0 + i,
    width: small ? 70 + rng() * 110 : 220 + rng() * 260,
    ...(face ? { face } : {}),
    ...(small ? { noise: rng() * 6, blur: rng() < 0.5 ? rng() * 0.6 : 0 } : {}),
  });
  tried++;
  const g = await decodeGrey(png);
  const lines = plateLines(g, { targetH: 40, stretch: 1, max: 2 });
  for (const l of lines) {
    if (l.glyphs.length !== text.length) continue;
    for (let k = 0; k < text.length; k++) {
      // The aspect ratio itself is kept (the trainer turns it into the narrowness input).
      const { input: x, aspect } = glyphFeatures(l.image, l.glyphs[k]!);
      x[GW * GH] = aspect;
      rec[0] = GLYPHS.indexOf(text[k]!);
      Buffer.from(x.buffer, x.byteOffset, x.byteLength).copy(rec, 1);
      fs.writeSync(fd, rec);
      kept++;
    }
  }
}
fs.closeSync(fd);
process.stdout.write(`shard ${shard}: ${tried} plates, ${kept} characters\n`);
