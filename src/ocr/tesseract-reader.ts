/**
 * Plate reading with tesseract.js, fully offline.
 *
 * A frame goes: decode to grey → find rows of plate-like characters (find.ts) → cut each
 * candidate plate out, upscaled → pick its serial row at several thresholds and redraw it
 * clean and level → recognise each redraw as one line (PSM 7, A–Z0–9 only) → vote, weighed
 * by the recogniser's confidence and US layout knowledge (layout.ts).
 *
 * The language data is read from disk and handed to the workers as bytes, so tesseract.js
 * never resolves a path or URL of its own (it fetches from a CDN when left to itself).
 * The shipped plate model (models/plate.traineddata.gz) is used when present, else the
 * stock English model from @tesseract.js-data/eng.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createWorker, OEM, PSM, type Worker } from 'tesseract.js';
import { type Box, type Grey, cropGrey, decodeGrey, resizeGrey } from './image.js';
import { plateLines, type LineImage } from './find.js';
import { findPlates } from './frame.js';
import { cleanPlate, layoutFixes, layoutPrior, lookalikeVariants } from './layout.js';
import { type GlyphModel, classifyRow, loadGlyphModel, rowReadings } from './glyph.js';

export interface PlateReading {
  text: string;
  confidence: number;
} // text A–Z0–9 only, confidence 0..1
export interface PlateBox {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface PlateResult {
  best: PlateReading | null;
  /** Up to 10, best first, excluding best. */
  alternatives: PlateReading[];
  box: PlateBox | null;
  engine: string;
  model: string;
  ms: number;
}
export interface PlateReaderOptions {
  /** Recogniser workers (threads); @default os.availableParallelism() */
  workers?: number;
  /** What `read` gets when not told: a whole camera frame or a cropped plate; @default 'frame' */
  kind?: 'frame' | 'crop';
  /**
   * The recognition model: 'plate' (shipped in models/, trained on rendered plates),
   * 'eng' (the stock English model), or 'both' (eng, and the plate model where eng is
   * unsure). With 'both', the glyph classifier (models/glyph.bin.gz) votes too when it is
   * shipped; @default 'both' when the plate model is shipped, else 'eng'
   */
  model?: 'plate' | 'eng' | 'both';
  /** Receives a line per candidate and reading, for tuning; @default none */
  debug?: (line: string) => void;
}
export interface PlateReader {
  read(image: Buffer, kind?: 'frame' | 'crop'): Promise<PlateResult>;
  /** Ends the workers; idempotent. */
  end(): Promise<void>;
  engine: string;
  model: string;
}

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

/** Where the shipped plate model lives (from src/ocr or dist/src/ocr). */
function plateModelPath(): string | null {
  for (const rel of ['../../models/plate.traineddata.gz', '../../../models/plate.traineddata.gz']) {
    const p = path.resolve(here, rel);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

/** `psm`: the page segmentation the model wants (13, a raw line, is how the plate model was trained). */
interface Model {
  code: string;
  dir: string;
  name: string;
  stretch: number;
  psm: PSM;
  weight: number;
}

function plateModel(): Model | null {
  const platePath = plateModelPath();
  if (!platePath) return null;
  const hash = createHash('sha256').update(fs.readFileSync(platePath)).digest('hex').slice(0, 12);
  return {
    code: 'plate',
    dir: path.dirname(platePath),
    name: `plate ${hash}`,
    stretch: 1,
    psm: PSM.RAW_LINE,
    weight: 0.35,
  };
}

function engModel(): Model {
  const pkg = path.dirname(require.resolve('@tesseract.js-data/eng/package.json'));
  // The stock model reads narrow plate lettering better when it is widened.
  return {
    code: 'eng',
    dir: path.join(pkg, '4.0.0_best_int'),
    name: 'eng 4.0.0_best_int',
    stretch: 1.6,
    psm: PSM.SINGLE_LINE,
    weight: 1,
  };
}

function loadModels(which: PlateReaderOptions['model']): Model[] {
  const plate = which === 'eng' ? null : plateModel();
  if ((which === 'plate' || which === 'both') && !plate)
    throw new Error('the plate model is not shipped (models/plate.traineddata.gz)');
  if (which === 'plate') return [plate!];
  // The stock model first; the plate model is consulted when the stock model is unsure.
  return plate ? [engModel(), plate] : [engModel()];
}

const TESS_VERSION: string = (require('tesseract.js/package.json') as { version: string }).version;

/** A line read by the recogniser: text, overall and per-character confidence (0..1). */
export interface LineRead {
  text: string;
  conf: number;
  charConf: number[];
}

/** A fixed set of tesseract.js workers and a queue in front of them. */
class Pool {
  private idle: Worker[] = [];
  private waiting: Array<(w: Worker) => void> = [];
  private ended = false;
  private constructor(private readonly all: Worker[]) {
    this.idle = [...all];
  }

  static async create(n: number, model: Model): Promise<Pool> {
    const workers = await Promise.all(Array.from({ length: n }, () => makeWorker(model)));
    return new Pool(workers);
  }

  async run<T>(f: (w: Worker) => Promise<T>): Promise<T> {
    if (this.ended) throw new Error('plate reader has ended');
    const w = this.idle.pop() ?? (await new Promise<Worker>((res) => this.waiting.push(res)));
    try {
      return await f(w);
    } finally {
      const next = this.waiting.shift();
      if (next) next(w);
      else this.idle.push(w);
    }
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await Promise.allSettled(this.all.map((w) => w.terminate()));
  }
}

async function makeWorker(model: Model): Promise<Worker> {
  // A local directory as langPath makes tesseract.js read <dir>/<code>.traineddata.gz from
  // disk; handing it the bytes ({code, data}) is broken in 7.0.0 (it inits with the data as
  // the language name).
  const worker = await createWorker(
    model.code,
    OEM.LSTM_ONLY,
    {
      langPath: model.dir,
      cacheMethod: 'none',
      gzip: true,
      // Without an error handler a failed job throws from the worker thread and takes the
      // process with it; the job's promise still rejects and read() turns that into null.
      errorHandler: () => {},
    },
    {
      load_system_dawg: '0',
      load_freq_dawg: '0',
      load_unambig_dawg: '0',
      load_punc_dawg: '0',
      load_number_dawg: '0',
      load_bigram_dawg: '0',
    },
  );
  await worker.setParameters({
    tessedit_pageseg_mode: model.psm,
    tessedit_char_whitelist: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
    user_defined_dpi: '300',
  });
  return worker;
}

/** A grey image as binary PGM, which tesseract's image reader takes without a codec. */
function toPgm(g: Grey): Buffer {
  const head = Buffer.from(`P5\n${g.width} ${g.height}\n255\n`, 'ascii');
  return Buffer.concat([head, Buffer.from(g.data.buffer, g.data.byteOffset, g.data.length)]);
}

interface Blocks {
  blocks?: Array<{
    paragraphs?: Array<{ lines?: Array<{ words?: Array<{ symbols?: Array<{ text: string; confidence: number }> }> }> }>;
  }> | null;
}

async function recogniseLine(pool: Pool, img: Grey): Promise<LineRead> {
  const res = await pool.run((w) => w.recognize(toPgm(img) as unknown as Buffer, {}, { text: true, blocks: true }));
  const data = res.data as unknown as Blocks & { text: string; confidence: number };
  const charConf: number[] = [];
  let text = '';
  for (const b of data.blocks ?? [])
    for (const p of b.paragraphs ?? [])
      for (const l of p.lines ?? [])
        for (const w of l.words ?? []) {
          for (const s of w.symbols ?? []) {
            const c = cleanPlate(s.text);
            if (!c) continue;
            text += c;
            for (let i = 0; i < c.length; i++) charConf.push(s.confidence / 100);
          }
        }
  if (!text) text = cleanPlate(data.text ?? '');
  while (charConf.length < text.length) charConf.push(data.confidence / 100);
  return { text, conf: (data.confidence ?? 0) / 100, charConf };
}

export interface Scored {
  text: string;
  score: number;
}

/** A reading in the vote: `line` is the redrawn line it read, `model` what read it ('eng', 'plate', 'glyph'). */
export type VoteRead = LineRead & {
  weight: number;
  count: number;
  beam?: Array<[string, number]>;
  line?: number;
  model?: string;
};

/**
 * Votes over the readings of one plate's redraws. Each reading adds its confidence to
 * its text; layout fixes and look-alikes of the uncertain characters add smaller
 * amounts, so they show up as alternatives and can win a close vote.
 */
export function vote(given: VoteRead[]): Scored[] {
  const reads = deferTwins(given);
  const score = new Map<string, number>();
  const add = (t: string, v: number) => {
    if (t.length >= 2) score.set(t, (score.get(t) ?? 0) + v);
  };
  for (const r of reads) {
    if (!r.text) continue;
    if (r.beam) {
      // The glyph classifier: its beam ranks its own alternatives, by probability.
      const top = r.beam[0]![1];
      const base = (0.25 + r.conf) * r.weight;
      for (const [t, p] of r.beam) add(t, base * (p / top));
      for (const [t, cost] of layoutFixes(r.text)) add(t, base * (cost <= 0.5 ? 0.6 : 0.2));
      continue;
    }
    // A reading whose length differs from the number of characters found is suspect.
    const lenOk = r.text.length === r.count ? 1 : 0.6;
    const base = (0.25 + r.conf) * r.weight * lenOk;
    add(r.text, base);
    // Twins (O/0, I/1) look the same: a fix by twins alone weighs as much as the reading.
    for (const [t, cost] of layoutFixes(r.text)) add(t, base * (cost <= 0.5 ? 1 : cost <= 1.25 ? 0.45 : 0.25));
    const order = r.charConf
      .map((c, i) => [c, i] as const)
      .sort((a, b) => a[0] - b[0])
      .slice(0, 3)
      .map(([, i]) => i);
    for (const t of lookalikeVariants(r.text, order)) add(t, base * 0.05);
    // A stray mark at either end (a bolt, a sticker's edge, part of the frame) often
    // reads as an extra character.
    if (r.text.length >= 6) {
      add(r.text.slice(1), base * 0.08);
      add(r.text.slice(0, -1), base * 0.08);
    }
  }
  // Scaled by the square root of the total weight: agreement among more lines still
  // counts, but a plate read by both models does not outweigh one read by one.
  const total = reads.reduce((a, r) => a + (r.text ? (0.25 + r.conf) * r.weight : 0), 0) || 1;
  const out = [...score.entries()].map(([text, s]) => ({
    text,
    score: (s / Math.sqrt(total)) * (0.35 + layoutPrior(text)),
  }));
  out.sort((a, b) => b.score - a.score);
  return out;
}

function toResult(
  scored: Scored[],
  box: Box | null,
  t0: number,
  engine: string,
  model: string,
  scale = 1,
): PlateResult {
  const ms = Date.now() - t0;
  if (!scored.length) return { best: null, alternatives: [], box, engine, model, ms };
  const total = scored.reduce((a, s) => a + s.score, 0);
  const top = scored[0]!.score;
  // Share of the vote, tempered by how strong the top reading is on its own.
  const conf = (s: Scored) => Math.max(0, Math.min(1, (s.score / total) * Math.min(1, top / 1.2)));
  const [best, ...rest] = scored;
  return {
    best: { text: best!.text, confidence: round3(conf(best!)) },
    alternatives: rest.slice(0, 10).map((s) => ({ text: s.text, confidence: round3(conf(s)) })),
    // In the pixels of the image as given (it may have been shrunk for finding).
    box: box && {
      x: Math.round(box.x / scale),
      y: Math.round(box.y / scale),
      width: Math.round(box.width / scale),
      height: Math.round(box.height / scale),
    },
    engine,
    model,
    ms,
  };
}
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** A box cut to the image's bounds. */
function clip(b: Box, g: Grey): Box {
  const x = Math.max(0, b.x);
  const y = Math.max(0, b.y);
  return {
    x,
    y,
    width: Math.max(1, Math.min(g.width, b.x + b.width) - x),
    height: Math.max(1, Math.min(g.height, b.y + b.height) - y),
  };
}

interface Recogniser {
  pool: Pool;
  model: Model;
}

/** Weight of a row with a picture taken out (find.ts's pruneEmblems): the better guess when there was one. */
const EMBLEM_PRUNED = Number(process.env.CUSTODY_EMBLEM_PRUNED ?? 1.6);

/** How much the glyph classifier's reading of a line counts against one of the English model's. */
const GLYPH_WEIGHT = Number(process.env.CUSTODY_GLYPH_WEIGHT ?? 0.2);

/** The glyph classifier's reading of each line: the likeliest serial and its beam. */
function glyphReads(glyph: GlyphModel | null, lines: LineImage[]): VoteRead[] {
  if (!glyph) return [];
  return lines.map((l, i) => {
    const probs = classifyRow(glyph, l.image, l.glyphs);
    const beam = rowReadings(probs, 12);
    const charConf = probs.map((p) => Math.max(...p));
    const [text, p] = beam[0] ?? ['', 0];
    const conf = text ? p ** (1 / text.length) : 0;
    const weight = GLYPH_WEIGHT * (i === 0 ? 1.2 : 1) * (l.kind.endsWith('e') ? EMBLEM_PRUNED : 1);
    return { text, conf, charConf, weight, count: l.glyphs.length, beam, line: i, model: 'glyph' };
  });
}

/** Letter–digit twins: the classifier, trained on rendered typefaces, does not overrule the English model on these. */
const TWINS = new Set(['2Z', 'Z2', '0O', 'O0', '8B', 'B8', '5S', 'S5', '1I', 'I1']);

/**
 * The English model's reading of a line with the characters the classifier is sure of put
 * in: where the two read as many characters and disagree on one, the classifier's answer
 * if it is at least 90 % sure and the two are not letter–digit twins. The classifier
 * knows the shapes of plate lettering better; the English model knows real 2s from Zs.
 * Null when nothing changes.
 */
function fuse(eng: VoteRead, gl: VoteRead | undefined): VoteRead | null {
  if (!gl?.text || eng.text.length !== gl.text.length) return null;
  let text = '';
  let changed = false;
  for (let k = 0; k < eng.text.length; k++) {
    const a = eng.text[k]!;
    const b = gl.text[k]!;
    if (a === b || TWINS.has(a + b) || gl.charConf[k]! < 0.9) text += a;
    else {
      text += b;
      changed = true;
    }
  }
  return changed ? { ...eng, text } : null;
}

/** A reading with the letter–digit twins of the English model's reading put in, where both read as many characters. */
function twinsFrom(text: string, eng: string): string {
  if (text.length !== eng.length) return text;
  let out = '';
  for (let k = 0; k < text.length; k++) out += TWINS.has(text[k]! + eng[k]!) ? eng[k]! : text[k]!;
  return out;
}

/** The weight, against its reading with the twins put in, of a synthetic-trained model's reading as it was. */
const KEEP_TWINS = 0.25;

/**
 * The models trained on rendered plates (the glyph classifier and the plate LSTM) read some
 * real 2s as Z, 0s as O and 1s as I: their readings of a line take the letter–digit twins
 * (TWINS) from the English model's reading of the same line.
 */
function deferTwins(reads: VoteRead[]): VoteRead[] {
  const eng = new Map<number, string>();
  for (const r of reads) if (r.model === 'eng' && r.line !== undefined && !eng.has(r.line)) eng.set(r.line, r.text);
  return reads.flatMap((r) => {
    const e = r.model !== 'eng' && r.line !== undefined ? eng.get(r.line) : undefined;
    if (e === undefined) return [r];
    const text = twinsFrom(r.text, e);
    let beam = r.beam;
    if (beam) {
      const m = new Map<string, number>();
      for (const [t, p] of beam) {
        const u = twinsFrom(t, e);
        m.set(u, (m.get(u) ?? 0) + p);
      }
      beam = [...m.entries()].sort((a, b) => b[1] - a[1]);
    }
    if (text === r.text && beam === r.beam) return [r];
    // The reading as it was stays, weakly, among the alternatives.
    return [
      { ...r, text, ...(beam ? { beam } : {}) },
      { ...r, weight: r.weight * KEEP_TWINS },
    ];
  });
}

/** Lines the plate model reads when the vote is still unsure after the English model. */
const PLATE_LINES = 3;
/** Lines the English model reads before it is asked about the rest (see readPlateImage). */
const FIRST_LINES = Number(process.env.CUSTODY_FIRST_LINES ?? 2);

/**
 * Reads the serial on one plate image (a crop, or a region cut from a frame). The glyph
 * classifier reads every candidate line (it is cheap); the English model reads the first
 * two lines, then one more at a time until the vote settles; the plate model reads up to
 * three lines only when the vote is still unsure: its readings disagree, or its best is not
 * a usual US layout.
 */
async function readPlateImage(
  recs: Recogniser[],
  glyph: GlyphModel | null,
  g: Grey,
  maxLines: number,
  debug?: (line: string) => void,
): Promise<{ scored: Scored[]; lines: LineImage[] }> {
  const lines = plateLines(g, { targetH: 40, stretch: 1, max: maxLines });
  return { scored: await readLines(recs, glyph, lines, glyphReads(glyph, lines), debug), lines };
}

async function readLines(
  recs: Recogniser[],
  glyph: GlyphModel | null,
  lines: LineImage[],
  glyphs: VoteRead[],
  debug?: (line: string) => void,
): Promise<Scored[]> {
  const readWith = (rs: Recogniser[], from: number, to: number) =>
    Promise.all(
      lines.slice(from, to).flatMap((l, k) =>
        rs.map(async ({ pool, model }) => {
          const i = from + k;
          const img =
            model.stretch === 1 ? l.image : resizeGrey(l.image, l.image.width * model.stretch, l.image.height);
          // A row with an emblem taken out is the better guess when there was one to take out.
          const weight = model.weight * (i === 0 ? 1.2 : 1) * (l.kind.endsWith('e') ? EMBLEM_PRUNED : 1);
          const read: VoteRead = {
            ...(await recogniseLine(pool, img)),
            weight,
            count: l.row.comps.length,
            line: i,
            model: model.code,
          };
          const fused = model.code === 'eng' ? fuse(read, glyphs[i]) : null;
          return fused ? [read, fused] : [read];
        }),
      ),
    ).then((r) => r.flat());
  const unsure = (reads: VoteRead[], scored: Scored[]) => {
    const top = scored[0]?.text ?? '';
    const agree = reads.filter((r) => r.text === top).length;
    return agree < Math.min(2, reads.length) || layoutPrior(top) < 0.8;
  };
  const head = glyph ? FIRST_LINES : lines.length;
  let reads: VoteRead[] = [...glyphs, ...(await readWith(recs.slice(0, 1), 0, head))];
  let scored = vote(reads);
  // Agreement between the classifier and the English model settles it; until then the
  // English model reads the next line, one at a time.
  const settled = () => {
    const top = scored[0]!.text;
    return reads.some((r) => r.text === top && !r.beam) && !unsure(reads, scored);
  };
  for (let k = head; k < lines.length && scored.length && !settled(); k++) {
    reads = [...reads, ...(await readWith(recs.slice(0, 1), k, k + 1))];
    scored = vote(reads);
  }
  if (recs.length > 1 && scored.length && unsure(reads, scored)) {
    reads = [...reads, ...(await readWith(recs.slice(1), 0, Math.min(lines.length, PLATE_LINES)))];
    scored = vote(reads);
  }
  if (debug) {
    debug(`lines ${lines.map((l) => `${l.kind}:${l.row.comps.length}`).join(',')}`);
    for (const r of reads)
      debug(
        `  ${r.beam ? 'glyph' : 'tess '} ${r.text.padEnd(9)} conf=${r.conf.toFixed(2)} w=${r.weight.toFixed(2)} [${r.charConf.map((c) => c.toFixed(2)).join(' ')}]`,
      );
    debug(
      `  vote ${scored
        .slice(0, 5)
        .map((x) => `${x.text}:${x.score.toFixed(2)}`)
        .join(' ')}`,
    );
  }
  return scored;
}

export async function createTesseractReader(opts: PlateReaderOptions = {}): Promise<PlateReader> {
  const models = loadModels(opts.model);
  const n = Math.max(1, opts.workers ?? os.availableParallelism());
  const recs: Recogniser[] = await Promise.all(models.map(async (m) => ({ model: m, pool: await Pool.create(n, m) })));
  const glyph = opts.model === 'eng' || opts.model === 'plate' ? null : loadGlyphModel();
  const model = { name: [...models.map((m) => m.name), ...(glyph ? [glyph.name] : [])].join(' + ') };
  const engine = `tesseract.js ${TESS_VERSION}`;
  const defaultKind = opts.kind ?? 'frame';
  let ended = false;

  async function read(image: Buffer, kind: 'frame' | 'crop' = defaultKind): Promise<PlateResult> {
    const t0 = Date.now();
    if (ended) throw new Error('plate reader has ended');
    let g: Grey & { scale: number };
    try {
      g = await decodeGrey(image);
    } catch {
      return toResult([], null, t0, engine, model.name);
    }
    try {
      if (kind === 'crop') {
        const { scored, lines } = await readPlateImage(recs, glyph, g, 5, opts.debug);
        // The plate is the crop; its serial row, with a margin, is the more useful box.
        const lb = lines[0]?.box;
        const box = lb
          ? clip(
              {
                x: lb.x - lb.height * 0.5,
                y: lb.y - lb.height * 0.5,
                width: lb.width + lb.height,
                height: lb.height * 2,
              },
              g,
            )
          : null;
        return toResult(scored, box, t0, engine, model.name, g.scale);
      }
      return await readFrame(g, t0);
    } catch {
      return toResult([], null, t0, engine, model.name);
    }
  }

  /** Candidates read by the recognisers; the rest only by the glyph classifier. */
  const FRAME_READS = Number(process.env.CUSTODY_FRAME_READS ?? 2);

  async function readFrame(g: Grey & { scale: number }, t0: number): Promise<PlateResult> {
    const cands = findPlates(g, 4);
    // First every candidate's serial rows, and the glyph classifier's vote on them (cheap).
    const prepared = cands.map((c) => {
      let region = cropGrey(g, c.box);
      let ox = Math.max(0, Math.floor(c.box.x));
      let oy = Math.max(0, Math.floor(c.box.y));
      // The region is ~6 header heights tall; a serial in it is a sixth of it or more.
      let lines = plateLines(region, { targetH: 40, stretch: 1, max: 2, minH: 0.1, workH: 300 });
      const first = lines[0]?.box;
      if (first && first.height > c.charH * 1.5) {
        // The finder's row was the plate's header: cut again around the serial found
        // below it, whose ends the first cut may have missed.
        const bw = Math.max(1.7 * first.width, 9 * first.height);
        const again = {
          x: ox + first.x + first.width / 2 - bw / 2,
          y: oy + first.y - 1.2 * first.height,
          width: bw,
          height: first.height * 3.4,
        };
        region = cropGrey(g, again);
        ox = Math.max(0, Math.floor(again.x));
        oy = Math.max(0, Math.floor(again.y));
        lines = plateLines(region, { targetH: 40, stretch: 1, max: 2, minH: 0.2, workH: 220 });
      }
      const glyphs = glyphReads(glyph, lines);
      const lb = lines[0]?.box;
      // Report the plate: the serial row with a margin, in frame pixels.
      const box = lb
        ? clip(
            {
              x: ox + lb.x - lb.height * 0.5,
              y: oy + lb.y - lb.height * 0.5,
              width: lb.width + lb.height,
              height: lb.height * 2,
            },
            g,
          )
        : clip(c.box, g);
      const quick = vote(glyphs);
      const prior = 0.6 + 0.4 * Math.min(1, c.score / (cands[0]!.score || 1));
      return { c: { ...c, box }, lines, glyphs, quick, rank: (quick[0]?.score ?? 0) * prior };
    });
    // Then the recognisers, on the candidates the classifier found most plate-like (all of
    // them without a classifier).
    const order = [...prepared].sort((a, b) => b.rank - a.rank);
    const full = glyph ? new Set(order.filter((p) => p.lines.length).slice(0, FRAME_READS)) : new Set(prepared);
    const results = await Promise.all(
      prepared.map(async (p) => {
        const scored = full.has(p)
          ? await readLines(recs, glyph, p.lines, p.glyphs, opts.debug)
          : p.quick.map((x) => ({ ...x, score: x.score * 0.5 }));
        opts.debug?.(
          `cand ${JSON.stringify(p.c.box)} s=${p.c.score.toFixed(0)} h=${p.c.charH} lines=${p.lines.map((l) => `${l.kind}:${l.row.comps.length}`).join(',')} → ${scored
            .slice(0, 3)
            .map((x) => `${x.text}:${x.score.toFixed(2)}`)
            .join(' ')}`,
        );
        return { c: p.c, scored };
      }),
    );
    let best: { c: (typeof cands)[number]; scored: Scored[]; value: number } | null = null;
    const merged = new Map<string, number>();
    for (const r of results) {
      if (!r.scored.length) continue;
      const value = r.scored[0]!.score * (0.6 + 0.4 * Math.min(1, r.c.score / (cands[0]!.score || 1)));
      if (!best || value > best.value) best = { ...r, value };
    }
    if (!best) return toResult([], null, t0, engine, model.name);
    for (const s of best.scored) merged.set(s.text, s.score);
    // Readings from other candidates are alternatives only (other cars, signs).
    for (const r of results)
      if (r !== undefined && r.c !== best.c)
        for (const s of r.scored.slice(0, 2)) {
          if (!merged.has(s.text)) merged.set(s.text, s.score * 0.3);
        }
    const scored = [...merged.entries()].map(([text, score]) => ({ text, score })).sort((a, b) => b.score - a.score);
    return toResult(scored, best.c.box, t0, engine, model.name, g.scale);
  }

  return {
    read,
    async end() {
      if (ended) return;
      ended = true;
      await Promise.all(recs.map((r) => r.pool.end()));
    },
    engine,
    model: model.name,
  };
}
