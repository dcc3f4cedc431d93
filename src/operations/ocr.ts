/** Plate reading as a queue: every image not yet read (or one batch); the swap never waits for it. */
import os from 'node:os';
import { CustodyError } from '../core/errors.js';
import { acquireLock, type HeldLock } from '../ledger/lock.js';
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

/**
 * One plate reader at a time (two would write the same readings files), and no purge while one
 * reads (a purge re-keys the readings of what it destroys): `ocr.lock`. Other commands go on: the
 * ledger's write lock is taken only for each batch's commits.
 */
export async function claimPlateReading(s: Session, command: string): Promise<HeldLock> {
  return acquireLock(s.home.dir, command, 0, {
    name: 'ocr.lock',
    busyMessage: 'Plate reading is running:',
    timeZone: s.settings.timeZone,
    // A run that was killed resumes: what it read is saved with its batch.
    breakStale: true,
  }).catch((e: unknown) => {
    if (e instanceof CustodyError && e.code === 'locked')
      throw new CustodyError(
        'locked',
        e.message,
        command === 'ocr'
          ? 'It reads every image not yet read; run `custody ocr` again after it ends for anything imported since it began.'
          : 'Run it again once plate reading has ended.',
      );
    throw e;
  });
}

/** Read plates for every image not yet read (or one batch). Used by `ocr` and by the swap. */
export async function readPlates(s: Session, o: ReadPlatesInput = {}): Promise<OcrSummary> {
  const running = await claimPlateReading(s, 'ocr');
  const { createPlateReader } = await import('../ocr/reader.js');
  const { runOcr } = await import('../ocr/queue.js');
  const workers = o.workers ?? Math.max(1, os.availableParallelism());
  let reader: Awaited<ReturnType<typeof createPlateReader>>;
  try {
    reader = await createPlateReader({ workers });
  } catch (e) {
    running.release();
    throw e;
  }
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
    running.release();
    await reader.end();
  }
}
