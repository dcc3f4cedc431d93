/** Plate reading as a queue: every image not yet read (or one batch); the swap never waits for it. */
import os from 'node:os';
import type { Session } from '../ledger/session.js';
import type { OcrProgress, OcrSummary } from '../ocr/queue.js';

export interface ReadPlatesInput {
  /** Read again images read before (after an upgrade of the engine or model). */
  reread?: boolean;
  /** Only this import batch. */
  batch?: string;
  /** Recogniser workers. @default one per core */
  workers?: number;
  /** Save progress every n images. */
  checkpointEvery?: number;
  onProgress?: (p: OcrProgress) => void;
  /** An aborted run stops cleanly and resumes next time. */
  signal?: AbortSignal;
}

/** Read plates for every image not yet read (or one batch). Used by `ocr` and by the swap. */
export async function readPlates(s: Session, o: ReadPlatesInput = {}): Promise<OcrSummary> {
  const { createPlateReader } = await import('../ocr/reader.js');
  const { runOcr } = await import('../ocr/queue.js');
  const workers = o.workers ?? Math.max(1, os.availableParallelism());
  const reader = await createPlateReader({ workers });
  try {
    return await runOcr(s, reader, {
      reread: o.reread,
      batch: o.batch,
      signal: o.signal,
      concurrency: workers * 2,
      saveEvery: o.checkpointEvery,
      onProgress: o.onProgress,
    });
  } finally {
    await reader.end();
  }
}
