/**
 * Plate-reading benchmark:
 * `tsx scripts/bench-plates.ts DIR [--json] [--only crops|cars|fps] [--limit N] [--workers N] [--threads N] [--no-fold]`
 *
 * DIR holds crops/groundtruth.csv (file,state,plate) and cars/groundtruth.txt
 * (file x y w h PLATE), as ../shared/data/plates-dev does (pass it as an absolute path or
 * relative to the current directory). Prints, for each part, the share read exactly (top
 * answer, A–Z0–9 only), the share with the right plate among the alternatives,
 * milliseconds per image on one worker, and the misses; then frames per second with a
 * pool of --workers (default: one per core; --threads onnxruntime threads each, default 1)
 * reading the cars all at once, as `custody ocr` does, both by the clock (`fps`) and by the
 * CPU time the pool used (`fpsIdle`: what the same work gives on that many idle cores — the
 * machine this runs on is often shared). --no-fold runs the shipped networks as they are
 * instead of folded (src/ocr/fold.ts), to compare. With --json the last line is
 * {"crops":{n,exact,inAlternatives,msPerImage},"cars":{...},"fps":N,"fpsIdle":N,"loadAverage":N}.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPlateReader, type PlateResult } from '../src/ocr/reader.js';
import { cleanPlate } from '../src/ocr/layout.js';
import { overlapArea } from '../src/ocr/image.js';

interface Item {
  file: string;
  plate: string;
  box?: { x: number; y: number; width: number; height: number };
}
interface Miss {
  file: string;
  expected: string;
  got: string | null;
  inAlternatives: boolean;
  boxHit?: boolean;
}
interface Part {
  n: number;
  exact: number;
  inAlternatives: number;
  msPerImage: number;
}

function parseArgs(argv: string[]) {
  const out = {
    dir: '',
    json: false,
    workers: os.availableParallelism(),
    threads: 1,
    only: undefined as string | undefined,
    limit: Infinity,
    fold: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') out.json = true;
    else if (a === '--workers') out.workers = Number(argv[++i]);
    else if (a === '--threads') out.threads = Number(argv[++i]);
    else if (a === '--only') out.only = argv[++i];
    else if (a === '--limit') out.limit = Number(argv[++i]);
    else if (a === '--no-fold') out.fold = false;
    else if (!out.dir) out.dir = a;
  }
  if (!out.dir) {
    process.stderr.write(
      'usage: tsx scripts/bench-plates.ts DIR [--json] [--only crops|cars|fps] [--limit N] [--workers N] [--threads N] [--no-fold]\n',
    );
    process.exitCode = 2;
  }
  return out;
}

function readCrops(dir: string): Item[] {
  const f = path.join(dir, 'crops', 'groundtruth.csv');
  if (!fs.existsSync(f)) return [];
  return fs
    .readFileSync(f, 'utf8')
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .filter(Boolean)
    .map((line) => {
      const [file, , plate] = line.split(',');
      return { file: path.join(dir, 'crops', file!), plate: cleanPlate(plate ?? '') };
    });
}

function readCars(dir: string): Item[] {
  const f = path.join(dir, 'cars', 'groundtruth.txt');
  if (!fs.existsSync(f)) return [];
  return fs
    .readFileSync(f, 'utf8')
    .trim()
    .split(/\r?\n/)
    .filter(Boolean)
    .map((line) => {
      const [file, x, y, w, h, plate] = line.trim().split(/\s+/);
      return {
        file: path.join(dir, 'cars', file!),
        plate: cleanPlate(plate ?? ''),
        box: { x: +x!, y: +y!, width: +w!, height: +h! },
      };
    });
}

function overlaps(a: PlateResult['box'], b: Item['box']): boolean {
  return !!a && !!b && overlapArea(a, b) > 0.3 * b.width * b.height;
}

async function runPart(
  items: Item[],
  kind: 'crop' | 'frame',
  log: (s: string) => void,
  fold: boolean,
): Promise<{ part: Part; misses: Miss[] }> {
  // One worker, one image at a time: the time per image is what one core does.
  const reader = await createPlateReader({ workers: 1, kind, fold });
  const misses: Miss[] = [];
  let exact = 0;
  let inAlt = 0;
  let ms = 0;
  // CPU time of the whole process (main thread and recogniser threads): on a busy machine
  // wall time overstates what one image costs one core.
  const cpu0 = process.cpuUsage();
  try {
    for (const it of items) {
      const img = fs.readFileSync(it.file);
      const t0 = performance.now();
      const r = await reader.read(img, kind);
      ms += performance.now() - t0;
      const got = r.best?.text ?? null;
      const ok = got === it.plate;
      const alt = ok || r.alternatives.some((a) => a.text === it.plate);
      if (ok) exact++;
      if (alt) inAlt++;
      if (!ok)
        misses.push({
          file: path.basename(it.file),
          expected: it.plate,
          got,
          inAlternatives: alt,
          ...(it.box ? { boxHit: overlaps(r.box, it.box) } : {}),
        });
    }
  } finally {
    await reader.end();
  }
  const n = items.length;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / Math.max(1, n);
  log(
    `${kind === 'crop' ? 'crops' : 'cars'}: ${n} images, exact ${pct(exact, n)}, in alternatives ${pct(inAlt, n)}, ${(ms / Math.max(1, n)).toFixed(0)} ms/image wall, ${cpuMs.toFixed(0)} ms/image CPU (${reader.model})`,
  );
  for (const m of misses)
    log(
      `  miss ${m.file}: expected ${m.expected}, got ${m.got ?? '(nothing)'}${m.inAlternatives ? ' [in alternatives]' : ''}${m.boxHit === false ? ' [plate not found]' : ''}`,
    );
  return {
    part: {
      n,
      exact: n ? exact / n : 0,
      inAlternatives: n ? inAlt / n : 0,
      msPerImage: Math.round(ms / Math.max(1, n)),
    },
    misses,
  };
}

/** Frames per second with a pool of `workers`, every frame submitted at once (after one warm-up read per worker). */
async function framesPerSecond(
  items: Item[],
  workers: number,
  threads: number,
  log: (s: string) => void,
  fold: boolean,
): Promise<{ fps: number; fpsIdle: number }> {
  const reader = await createPlateReader({ workers, threads, kind: 'frame', fold });
  try {
    const images = items.map((it) => fs.readFileSync(it.file));
    await Promise.all(images.slice(0, workers).map((img) => reader.read(img)));
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await Promise.all(images.map((img) => reader.read(img)));
    const fps = images.length / ((performance.now() - t0) / 1000);
    const cpu = process.cpuUsage(cpu0);
    // What the same CPU time gives on `workers` cores nobody else uses.
    const fpsIdle = images.length / ((cpu.user + cpu.system) / 1e6 / workers);
    log(
      `throughput: ${images.length} frames, ${workers} workers × ${threads} threads, ${fps.toFixed(1)} frames/s (${fpsIdle.toFixed(1)} by CPU time on idle cores; load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')})`,
    );
    return { fps: Math.round(fps * 10) / 10, fpsIdle: Math.round(fpsIdle * 10) / 10 };
  } finally {
    await reader.end();
  }
}

const pct = (a: number, n: number) => `${n ? ((100 * a) / n).toFixed(1) : '0.0'}% (${a}/${n})`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!args.dir) return;
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const crops = readCrops(args.dir).slice(0, args.limit);
  const cars = readCars(args.dir).slice(0, args.limit);
  if (!crops.length && !cars.length) {
    process.stderr.write(`no crops/groundtruth.csv or cars/groundtruth.txt under ${args.dir}\n`);
    process.exitCode = 2;
    return;
  }
  const empty: Part = { n: 0, exact: 0, inAlternatives: 0, msPerImage: 0 };
  const c =
    args.only === 'cars' || args.only === 'fps' || !crops.length
      ? { part: empty }
      : await runPart(crops, 'crop', log, args.fold);
  const f =
    args.only === 'crops' || args.only === 'fps' || !cars.length
      ? { part: empty }
      : await runPart(cars, 'frame', log, args.fold);
  const t =
    args.only === 'crops' || !cars.length
      ? { fps: 0, fpsIdle: 0 }
      : await framesPerSecond(cars, args.workers, args.threads, log, args.fold);
  const loadAverage = Math.round(os.loadavg()[0]! * 10) / 10;
  if (args.json) log(JSON.stringify({ crops: c.part, cars: f.part, ...t, loadAverage }));
}

await main();
