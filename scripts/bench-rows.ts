/**
 * Serial-row segmentation benchmark, with no recogniser:
 * `tsx scripts/bench-rows.ts DIR [--save /tmp/rows] [--only FILE,...] [--quiet]`
 *
 * For each crop of DIR/crops/groundtruth.csv, finds the plate's candidate rows with
 * plateLines and counts how often the first row (and any row) holds as many characters
 * as the plate has. Lists the crops where the first row is wrong with the expected length,
 * the counts and kinds of the rows found. With --save, writes each crop's rows as PNGs.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { decodeGrey } from '../src/ocr/image.js';
import { plateLines } from '../src/ocr/find.js';

const args = process.argv.slice(2);
let dir = '';
let save = '';
let only: Set<string> | null = null;
let quiet = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--save') save = args[++i]!;
  else if (a === '--only') only = new Set(args[++i]!.split(','));
  else if (a === '--quiet') quiet = true;
  else dir = a;
}
if (!dir) {
  process.stderr.write('usage: tsx scripts/bench-rows.ts DIR [--save OUTDIR] [--only FILE,...] [--quiet]\n');
  process.exit(2);
}

const rows = fs
  .readFileSync(path.join(dir, 'crops', 'groundtruth.csv'), 'utf8')
  .trim()
  .split(/\r?\n/)
  .slice(1)
  .map((l) => l.split(','))
  .map(([file, state, plate]) => ({
    file: file!,
    state: state!,
    plate: (plate ?? '').toUpperCase().replace(/[^A-Z0-9]/g, ''),
  }))
  .filter((r) => !only || only.has(r.file));
if (save) fs.mkdirSync(save, { recursive: true });

let first = 0;
let any = 0;
let ms = 0;
const wrong: string[] = [];
for (const r of rows) {
  const g = await decodeGrey(fs.readFileSync(path.join(dir, 'crops', r.file)));
  const t0 = performance.now();
  const lines = plateLines(g, { targetH: 40, stretch: 1, max: 5 });
  ms += performance.now() - t0;
  const counts = lines.map((l) => l.row.comps.length);
  const ok0 = counts[0] === r.plate.length;
  if (ok0) first++;
  if (counts.includes(r.plate.length)) any++;
  if (!ok0)
    wrong.push(
      `${r.file.padEnd(12)} ${r.plate.padEnd(8)} want ${r.plate.length} got ${lines.map((l) => `${l.row.comps.length}${l.kind}`).join(' ') || '-'}`,
    );
  if (save) {
    const base = path.join(save, r.file.replace(/\.\w+$/, ''));
    await Promise.all(
      lines.map((l, i) =>
        sharp(Buffer.from(l.image.data), { raw: { width: l.image.width, height: l.image.height, channels: 1 } })
          .png()
          .toFile(`${base}-${i}-${l.kind}-${l.row.comps.length}.png`),
      ),
    );
  }
}
const pct = (k: number) => `${((100 * k) / Math.max(1, rows.length)).toFixed(1)}%`;
if (!quiet) for (const w of wrong) console.log(w);
console.log(
  `rows: ${rows.length} crops, first row right count ${pct(first)} (${first}), any row ${pct(any)} (${any}), ${(ms / Math.max(1, rows.length)).toFixed(1)} ms/crop`,
);
