/**
 * In-process tuning harness for the PP-OCR plate pipeline (no worker threads):
 * `tsx scripts/tune-plates.ts DIR [crops|cars] [--limit N] [--debug|--all] [--files a,b]`, with
 * CUSTODY_OCR_TUNE='{"rows":2,...}' overriding DEFAULT_TUNING. Prints the share exact,
 * in alternatives, CPU ms per image split into detection and recognition, and the misses.
 */
import fs from 'node:fs';
import path from 'node:path';
import { overlapArea } from '../src/ocr/image.js';
import { cleanPlate } from '../src/ocr/layout.js';
import { DEFAULT_TUNING, readImage } from '../src/ocr/plate.js';
import { createEngine, type Engine } from '../src/ocr/ppocr.js';

const [dir, which = 'crops', ...rest] = process.argv.slice(2);
const limit = rest.includes('--limit') ? Number(rest[rest.indexOf('--limit') + 1]) : Infinity;
const debugOn = rest.includes('--debug') || rest.includes('--all');
// --all: the debug lines of every image, not only of the misses.
const debugAll = rest.includes('--all');
const only = rest.includes('--files') ? new Set(rest[rest.indexOf('--files') + 1]!.split(',')) : undefined;
const tune = { ...DEFAULT_TUNING, ...JSON.parse(process.env.CUSTODY_OCR_TUNE ?? '{}') };

const items: { file: string; plate: string; box?: { x: number; y: number; width: number; height: number } }[] =
  which === 'crops'
    ? fs
        .readFileSync(path.join(dir!, 'crops/groundtruth.csv'), 'utf8')
        .trim()
        .split(/\r?\n/)
        .slice(1)
        .map((l) => l.split(','))
        .map(([f, , p]) => ({ file: path.join(dir!, 'crops', f!), plate: cleanPlate(p!) }))
    : fs
        .readFileSync(path.join(dir!, 'cars/groundtruth.txt'), 'utf8')
        .trim()
        .split(/\r?\n/)
        .map((l) => l.trim().split(/\s+/))
        .map((a) => ({
          file: path.join(dir!, 'cars', a[0]!),
          plate: cleanPlate(a[5]!),
          box: { x: +a[1]!, y: +a[2]!, width: +a[3]!, height: +a[4]! },
        }));

// CUSTODY_OCR_FOLD=0: the shipped networks as they are (fold.ts), for comparison.
const base = await createEngine({ fold: process.env.CUSTODY_OCR_FOLD !== '0' });
const t = { det: 0, rec: 0, nDet: 0, nRec: 0 };
const engine: Engine = {
  ...base,
  async detect(g, w, h) {
    const t0 = performance.now();
    const r = await base.detect(g, w, h);
    t.det += performance.now() - t0;
    t.nDet++;
    return r;
  },
  async recognise(l, minWidth, stretch) {
    const t0 = performance.now();
    const r = await base.recognise(l, minWidth, stretch);
    t.rec += performance.now() - t0;
    t.nRec++;
    return r;
  },
};
let exact = 0;
let inAlt = 0;
const misses: string[] = [];
const cpu0 = process.cpuUsage();
const list = items.filter((it) => !only || only.has(path.basename(it.file).replace(/\.[a-z]+$/, ''))).slice(0, limit);
for (const it of list) {
  const lines: string[] = [];
  const r = await readImage(engine, fs.readFileSync(it.file), which === 'crops' ? 'crop' : 'frame', tune, (s) =>
    lines.push(s),
  );
  const got = r.scored[0]?.text ?? null;
  const alts = r.scored.slice(0, 11).map((s) => s.text);
  if (got === it.plate) exact++;
  if (alts.includes(it.plate)) inAlt++;
  if (got !== it.plate || debugAll) {
    const b = r.box && {
      x: r.box.x / r.scale,
      y: r.box.y / r.scale,
      width: r.box.width / r.scale,
      height: r.box.height / r.scale,
    };
    const hit =
      !it.box || (b && overlapArea(b, it.box) > 0.3 * Math.min(b.width * b.height, it.box.width * it.box.height));
    misses.push(
      `  ${got === it.plate ? 'read' : 'miss'} ${path.basename(it.file)}: expected ${it.plate}, got ${got} ${alts.includes(it.plate) ? '[alt]' : ''}${hit ? '' : '[not found]'} ${r.scored
        .slice(0, 4)
        .map((s) => `${s.text}:${s.score.toFixed(3)}`)
        .join(' ')}`,
    );
    if (debugOn) misses.push(...lines.map((l) => `      ${l}`));
  }
}
const cpu = process.cpuUsage(cpu0);
const n = list.length;
console.log(misses.join('\n'));
console.log(
  `${which}: n=${n} exact ${((100 * exact) / n).toFixed(1)}% alt ${((100 * inAlt) / n).toFixed(1)}% cpu ${((cpu.user + cpu.system) / 1000 / n).toFixed(0)} ms/img; det ${(t.det / n).toFixed(0)} ms (${(t.nDet / n).toFixed(1)}) rec ${(t.rec / n).toFixed(0)} ms (${(t.nRec / n).toFixed(1)}) tune=${JSON.stringify(tune)}`,
);
await base.release();
