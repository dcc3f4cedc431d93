/**
 * Plate reading, fully offline: PP-OCRv4 text detection and recognition through
 * onnxruntime-node (ppocr.ts), the plate pipeline in plate.ts, and a pool of worker
 * threads, one onnxruntime session pair (one thread each) per worker: onnxruntime-node
 * runs a model synchronously on the calling thread, so parallelism needs threads of our
 * own.
 */
import os from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ImageResult, Scored } from './plate.js';
import { ENGINE, modelName } from './ppocr.js';

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
  /** Worker threads, each with its own recogniser; @default os.availableParallelism() */
  workers?: number;
  /** onnxruntime intra-op threads per worker; @default 1 */
  threads?: number;
  /** What `read` gets when not told: a whole camera frame or a cropped plate; @default 'frame' */
  kind?: 'frame' | 'crop';
  /** Receives a line per region and reading, for tuning; @default none */
  debug?: (line: string) => void;
  /** false: the shipped networks as they are, not folded (fold.ts), for comparison; @default true */
  fold?: boolean;
}
export interface PlateReader {
  read(image: Buffer, kind?: 'frame' | 'crop'): Promise<PlateResult>;
  /** Ends the workers; idempotent. */
  end(): Promise<void>;
  engine: string;
  model: string;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Readings as the interface gives them: the best, up to 10 alternatives, confidences 0..1. */
export function toResult(r: ImageResult, ms: number, engine: string, model: string): PlateResult {
  const scored: Scored[] = r.scored;
  if (!scored.length) return { best: null, alternatives: [], box: null, engine, model, ms };
  const total = scored.reduce((a, s) => a + s.score, 0);
  const top = scored[0]!.score;
  // Share of the vote, tempered by how strong the top reading is on its own (a clear
  // reading of a usual layout scores about 1).
  const conf = (s: Scored) => Math.max(0, Math.min(1, (s.score / total) * Math.min(1, top / 0.8)));
  const [best, ...rest] = scored;
  const box = r.box && {
    x: Math.round(r.box.x / r.scale),
    y: Math.round(r.box.y / r.scale),
    width: Math.round(r.box.width / r.scale),
    height: Math.round(r.box.height / r.scale),
  };
  return {
    best: { text: best!.text, confidence: round3(conf(best!)) },
    alternatives: rest.slice(0, 10).map((s) => ({ text: s.text, confidence: round3(conf(s)) })),
    box,
    engine,
    model,
    ms,
  };
}

interface Job {
  id: number;
  image: Buffer;
  kind: 'frame' | 'crop';
  resolve: (r: ImageResult) => void;
  reject: (e: Error) => void;
}

/**
 * The worker: worker.js next to this file when built; in development (tsx, vitest)
 * worker.ts, compiled by tsx's require hook inside the worker thread (Node 20 does not
 * apply the main thread's loader, nor `--import`, to workers).
 */
function startWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData });
  const api = createRequire(import.meta.url).resolve('tsx/cjs/api');
  const script = fileURLToPath(new URL('./worker.ts', import.meta.url));
  const code = `require(${JSON.stringify(api)}).require(${JSON.stringify(script)}, __filename);`;
  return new Worker(code, { eval: true, workerData });
}

/** Worker threads, each reading one image at a time, and a queue in front of them. */
class Pool {
  private idle: Worker[] = [];
  private queue: Job[] = [];
  private busy = new Map<Worker, Job>();
  private ended = false;
  private nextId = 0;

  private constructor(private readonly all: Worker[]) {
    for (const w of all) {
      w.on('message', (m: { id: number; result?: ImageResult; error?: string; debug?: string }) => {
        if (m.debug !== undefined) return this.debug?.(m.debug);
        const job = this.busy.get(w);
        if (!job || job.id !== m.id) return;
        this.busy.delete(w);
        if (m.result) job.resolve(m.result);
        else job.reject(new Error(m.error ?? 'plate reading failed'));
        this.idle.push(w);
        this.pump();
      });
      w.on('error', (e) => {
        const job = this.busy.get(w);
        this.busy.delete(w);
        job?.reject(e);
      });
    }
    this.idle = [...all];
  }

  debug?: (s: string) => void;

  static async create(n: number, debug: boolean, threads: number, fold: boolean): Promise<Pool> {
    const workers = Array.from({ length: n }, () => startWorker({ debug, threads, fold }));
    // Each worker says when its sessions are loaded (or why they are not).
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const onMsg = (m: { ready?: boolean; error?: string }) => {
              if (m.ready) {
                w.off('message', onMsg);
                w.off('error', reject);
                resolve();
              } else if (m.error) reject(new Error(m.error));
            };
            w.on('message', onMsg);
            w.once('error', reject);
          }),
      ),
    ).catch(async (e) => {
      await Promise.allSettled(workers.map((w) => w.terminate()));
      throw e;
    });
    return new Pool(workers);
  }

  read(image: Buffer, kind: 'frame' | 'crop'): Promise<ImageResult> {
    if (this.ended) return Promise.reject(new Error('plate reader has ended'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, image, kind, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const job = this.queue.shift()!;
      this.busy.set(w, job);
      w.postMessage({ id: job.id, image: job.image, kind: job.kind });
    }
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    for (const j of this.queue) j.reject(new Error('plate reader has ended'));
    this.queue = [];
    await Promise.allSettled(this.all.map((w) => w.terminate()));
  }
}

export async function createPlateReader(opts: PlateReaderOptions = {}): Promise<PlateReader> {
  const n = Math.max(1, opts.workers ?? os.availableParallelism());
  const fold = opts.fold ?? true;
  const model = modelName(undefined, fold);
  const engine = ENGINE;
  const pool = await Pool.create(n, Boolean(opts.debug), Math.max(1, opts.threads ?? 1), fold);
  pool.debug = opts.debug;
  const defaultKind = opts.kind ?? 'frame';
  let ended = false;

  async function read(image: Buffer, kind: 'frame' | 'crop' = defaultKind): Promise<PlateResult> {
    if (ended) throw new Error('plate reader has ended');
    const t0 = performance.now();
    let r: ImageResult;
    try {
      r = await pool.read(image, kind);
    } catch {
      r = { scored: [], box: null, scale: 1 };
    }
    return toResult(r, Math.round(performance.now() - t0), engine, model);
  }

  return {
    read,
    async end() {
      if (ended) return;
      ended = true;
      await pool.end();
    },
    engine,
    model,
  };
}
