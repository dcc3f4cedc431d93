/**
 * Training lines for the plate model: `tsx scripts/train-plate-model/make-lines.ts OUT COUNT [SHARD] [SHARDS]`
 *
 * Renders synthetic plates (tools/synth.ts), runs the reader's own row finding and
 * redraw on each (src/ocr/find.ts), and writes the redraws that hold exactly the plate's
 * characters as OUT/NAME.png with OUT/NAME.gt.txt and a line box file OUT/NAME.box. The
 * model so learns the lettering as the reader will show it: binarised, level, redrawn.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { decodeGrey } from '../../src/ocr/image.js';
import { plateLines } from '../../src/ocr/find.js';
import { makeRng, randomPlateText, renderPlate } from '../../tools/synth.js';

const [out = 'lines', countArg = '100', shardArg = '0', shardsArg = '1'] = process.argv.slice(2);
const count = Number(countArg);
const shard = Number(shardArg);
const shards = Number(shardsArg);
fs.mkdirSync(out, { recursive: true });
let kept = 0;
let tried = 0;
for (let i = shard; i < count; i += shards) {
  const rng = makeRng(900_001 + i);
  // Some vanity-like serials too, so the model does not lean on one layout.
  let text = randomPlateText(rng);
  if (rng() < 0.12) {
    const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    const n = 4 + Math.floor(rng() * 5);
    text = Array.from({ length: n }, () => abc[Math.floor(rng() * abc.length)]).join('');
  }
  const small = rng() < 0.35;
  const png = await renderPlate(text, {
    seed: 500_000 + i,
    width: small ? 60 + rng() * 110 : 260 + rng() * 240,
    ...(small ? { noise: rng() * 6, blur: rng() < 0.5 ? rng() * 0.6 : 0 } : {}),
  });
  tried++;
  const g = await decodeGrey(png);
  const lines = plateLines(g, { targetH: 40, stretch: 1, max: 3 });
  let j = 0;
  for (const l of lines) {
    if (l.row.comps.length !== text.length) continue;
    const name = `p${String(i).padStart(6, '0')}_${j++}`;
    const { width: w, height: h } = l.image;
    await sharp(Buffer.from(l.image.data), { raw: { width: w, height: h, channels: 1 } })
      .png()
      .toFile(path.join(out, `${name}.png`));
    fs.writeFileSync(path.join(out, `${name}.gt.txt`), `${text}\n`);
    // A line box file: every character gets the whole line's box, then a tab ends the line.
    const box = `${[...text].map((c) => `${c} 0 0 ${w} ${h} 0`).join('\n')}\n\t 0 0 ${w} ${h} 0\n`;
    fs.writeFileSync(path.join(out, `${name}.box`), box);
    kept++;
  }
}
process.stdout.write(`shard ${shard}: ${tried} plates, ${kept} lines\n`);
