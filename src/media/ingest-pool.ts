/**
 * The import's worker threads (one per core): each reads, hashes, encrypts, writes and verifies
 * the files it is sent and reads their EXIF (src/media/ingest-file.ts) while the main thread
 * walks, names and records. A worker holds at most a few jobs, so the main thread never waits on an idle worker
 * and a failure stops the import after the files already in hand.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { IngestJob, IngestReply } from './ingest-file.js';

/** Jobs sent ahead to each worker (the next is queued in its port while it works). */
const DEPTH = 2;

interface Pending {
  id: number;
  job: IngestJob;
  resolve: (o: IngestReply) => void;
  reject: (e: Error) => void;
}

/**
 * The worker: ingest-worker.js next to this file when built; in development (tsx, vitest)
 * ingest-worker.ts through tsx's require hook (Node 20 applies no loader to workers).
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./ingest-worker.js', import.meta.url));
  const api = createRequire(import.meta.url).resolve('tsx/cjs/api');
  const script = fileURLToPath(new URL('./ingest-worker.ts', import.meta.url));
  const code = `require(${JSON.stringify(api)}).require(${JSON.stringify(script)}, __filename);`;
  return new Worker(code, { eval: true });
}

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export class IngestPool {
  private readonly workers: { w: Worker; held: Map<number, Pending> }[];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;

  constructor(n = os.availableParallelism()) {
    this.workers = Array.from({ length: Math.max(1, n) }, () => {
      const slot = { w: startWorker(), held: new Map<number, Pending>() };
      slot.w.on('message', (m: { id: number; out: IngestReply }) => {
        const p = slot.held.get(m.id);
        if (!p) return;
        slot.held.delete(m.id);
        const out = m.out;
        if (out.ok) p.resolve({ ...out, tail: asBuffer(out.tail) });
        else p.resolve(out);
        this.pump();
      });
      const fail = (e: Error) => {
        for (const p of slot.held.values()) p.reject(e);
        slot.held.clear();
        this.workers.splice(this.workers.indexOf(slot), 1);
        if (this.workers.length === 0) for (const p of this.queue.splice(0)) p.reject(e);
        else this.pump();
      };
      slot.w.on('error', fail);
      slot.w.on('exit', (code) => {
        if (!this.closed) fail(new Error(`an import worker stopped (exit code ${code})`));
      });
      return slot;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** Jobs sent or waiting, not yet answered. */
  get pending(): number {
    return this.queue.length + this.workers.reduce((a, s) => a + s.held.size, 0);
  }

  run(job: IngestJob): Promise<IngestReply> {
    if (this.closed) return Promise.reject(new Error('the import workers have stopped'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length) {
      let best: (typeof this.workers)[number] | undefined;
      for (const s of this.workers) if (s.held.size < DEPTH && (!best || s.held.size < best.held.size)) best = s;
      if (!best) return;
      const p = this.queue.shift()!;
      best.held.set(p.id, p);
      best.w.postMessage({ id: p.id, job: p.job });
    }
  }

  /** Stop the workers (a job they hold is abandoned: its temporary file is removed at the next run). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const e = new Error('the import workers have stopped');
    for (const p of this.queue.splice(0)) p.reject(e);
    for (const s of this.workers) for (const p of s.held.values()) p.reject(e);
    await Promise.allSettled(this.workers.map((s) => s.w.terminate()));
  }
}
