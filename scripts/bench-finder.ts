/**
 * Plate-finder benchmark, without the recogniser:
 * `tsx scripts/bench-finder.ts DIR [--crops OUTDIR [--draw A,B]] [--max N] [--verbose]`
 *
 * DIR holds cars/groundtruth.txt (`file x y w h PLATE`, the plate's box in the original
 * pixels), as ../shared/data/plates-dev does. Each frame is decoded as the reader decodes
 * it (decodeGrey, ≤ 1920 px) and findPlates runs on it; a candidate "holds" the plate when
 * ≥ 70 % of the plate's box lies inside it and it is at most 30× the plate's area. Prints
 * the share of frames whose plate is held by the candidate at rank 1, within the top 2 and
 * within the top 4 (of --max candidates, 4 by default as the reader reads), the milliseconds per frame spent in findPlates, and the misses with
 * the plate's height in (decoded) pixels. With --crops, writes for each miss the frame with
 * the plate (green) and the candidates (red, rank 1 thickest) drawn on it, shrunk; with
 * --draw A,B also for the frames whose names contain A or B.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { type Box, decodeGrey, holdsPlate } from '../src/ocr/image.js';
import { findPlates } from '../src/ocr/frame.js';

function parseArgs(argv: string[]) {
  const out = { dir: '', crops: '', max: 4, verbose: false, draw: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--crops') out.crops = argv[++i]!;
    else if (a === '--max') out.max = Number(argv[++i]);
    else if (a === '--verbose') out.verbose = true;
    else if (a === '--draw') out.draw = argv[++i]!.split(',');
    else if (!out.dir) out.dir = a;
  }
  return out;
}

/** Does candidate `c` hold plate `p`? (re-exported: tuning scripts import it from here) */
export const holds = holdsPlate;

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!o.dir) {
    process.stderr.write('usage: tsx scripts/bench-finder.ts DIR [--crops OUTDIR] [--max N] [--verbose]\n');
    process.exitCode = 2;
    return;
  }
  const gt = fs
    .readFileSync(path.join(o.dir, 'cars', 'groundtruth.txt'), 'utf8')
    .trim()
    .split(/\r?\n/)
    .filter(Boolean);
  if (o.crops) fs.mkdirSync(o.crops, { recursive: true });
  let n = 0;
  const at = [0, 0, 0];
  let ms = 0;
  let cpu = 0;
  const misses: string[] = [];
  const ranks: number[] = [];
  for (const line of gt) {
    const [file, x, y, w, h, plate] = line.trim().split(/\s+/);
    const buf = fs.readFileSync(path.join(o.dir, 'cars', file!));
    const g = await decodeGrey(buf);
    const p = { x: +x! * g.scale, y: +y! * g.scale, width: +w! * g.scale, height: +h! * g.scale };
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const cands = findPlates(g, o.max);
    ms += performance.now() - t0;
    const c1 = process.cpuUsage(c0);
    cpu += (c1.user + c1.system) / 1000;
    n++;
    const rank = cands.findIndex((c) => holds(c.box, p));
    ranks.push(rank);
    if (rank === 0) at[0]!++;
    if (rank >= 0 && rank < 2) at[1]!++;
    if (rank >= 0 && rank < 4) at[2]!++;
    const desc = `${file} ${plate} plateH=${p.height.toFixed(0)} rank=${rank < 0 ? '-' : rank + 1}`;
    if (o.verbose) {
      console.log(desc);
      for (const c of cands)
        console.log(
          `   ${holds(c.box, p) ? '*' : ' '} s=${c.score.toFixed(2)} h=${c.charH.toFixed(0)} box=${[c.box.x, c.box.y, c.box.width, c.box.height].map((v) => v.toFixed(0)).join(',')}`,
        );
    }
    if (o.crops && o.draw.some((d) => file!.includes(d)))
      await drawMiss(
        g,
        p,
        cands.map((c) => c.box),
        path.join(o.crops, `drawn-${path.parse(file!).name}.png`),
      );
    if (rank !== 0) {
      misses.push(desc);
      if (o.crops)
        await drawMiss(
          g,
          p,
          cands.map((c) => c.box),
          path.join(o.crops, `${rank < 0 ? 'none' : `r${rank + 1}`}-${path.parse(file!).name}.png`),
        );
    }
  }
  const pct = (k: number) => `${k}/${n} (${((100 * k) / n).toFixed(1)} %)`;
  console.log(`misses (plate not at rank 1):`);
  for (const m of misses) console.log(`  ${m}`);
  console.log(
    `frames ${n}: rank 1 ${pct(at[0]!)}, top 2 ${pct(at[1]!)}, top 4 ${pct(at[2]!)}; findPlates ${(ms / n).toFixed(1)} ms/frame wall, ${(cpu / n).toFixed(1)} ms/frame CPU`,
  );
}

async function drawMiss(g: { width: number; height: number; data: Uint8Array }, p: Box, boxes: Box[], file: string) {
  const rect = (b: Box, colour: string, sw: number) =>
    `<rect x="${b.x.toFixed(0)}" y="${b.y.toFixed(0)}" width="${b.width.toFixed(0)}" height="${b.height.toFixed(0)}" fill="none" stroke="${colour}" stroke-width="${sw}"/>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${g.width}" height="${g.height}">${boxes.map((b, i) => rect(b, i === 0 ? '#ff0000' : i === 1 ? '#ff9900' : '#ff00ff', i === 0 ? 6 : 3)).join('')}${rect(p, '#00ff00', 3)}</svg>`;
  const drawn = await sharp(Buffer.from(g.data), { raw: { width: g.width, height: g.height, channels: 1 } })
    .toColourspace('srgb')
    .composite([{ input: Buffer.from(svg) }])
    .png()
    .toBuffer();
  await sharp(drawn).resize({ width: 1000, height: 1000, fit: 'inside' }).png().toFile(file);
}

// Run only as a script: tuning scripts import holds().
if (process.argv[1]?.endsWith('bench-finder.ts')) void main();
