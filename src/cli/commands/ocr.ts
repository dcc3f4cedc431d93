/** `custody ocr`: read the plates of every image not yet read (a queue: the swap never waits for it). */
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import type { Session } from '../../ledger/session.js';
import type { OcrSummary } from '../../ocr/queue.js';
import { type ReadPlatesInput, readPlates } from '../../operations/ocr.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { progressBar } from '../progress.js';
import { printJson, table } from '../render.js';
import { withSession } from '../session.js';

/** Plate reading with a progress bar on a terminal; Ctrl-C stops it cleanly (it resumes next time). */
export async function readPlatesWithProgress(
  ctx: CliContext,
  g: GlobalOptions,
  s: Session,
  o: Omit<ReadPlatesInput, 'onProgress' | 'signal'>,
): Promise<OcrSummary> {
  const bar = await progressBar(ctx, g, 'Reading plates', 'images');
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  try {
    return await readPlates(s, {
      ...o,
      signal: ac.signal,
      onProgress: (p) => bar.update(p.overallDone, p.overallTotal),
    });
  } finally {
    bar.stop();
    process.removeListener('SIGINT', onSig);
  }
}

interface OcrOpts {
  reread?: boolean;
  batch?: string;
  workers?: number;
  checkpointEvery: number;
}

function checkOcrOpts(o: OcrOpts): void {
  if (!(Number.isInteger(o.checkpointEvery) && o.checkpointEvery > 0))
    throw new CustodyError('usage', '--checkpoint-every must be a positive whole number.');
  if (o.workers !== undefined && !(Number.isInteger(o.workers) && o.workers > 0 && o.workers <= 64))
    throw new CustodyError('usage', '--workers must be a whole number from 1 to 64.');
}

function ocrText(sum: OcrSummary): string {
  if (sum.batches.length === 0) return `Nothing to read: every image has been read with ${sum.engine}, ${sum.model}.\n`;
  return `${table(
    ['batch', 'images', 'read now', 'with a plate'],
    sum.batches.map((b) => [b.batch, b.images, b.read, b.readable]),
  )}${sum.images} images, ${sum.readable} with a readable plate, in ${sum.seconds.toFixed(0)} s (${sum.engine}, ${sum.model}).\n`;
}

export function registerOcr(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('ocr')
    .description(
      'read the plates of every image not yet read (a queue: the swap never waits for it); resumes after an interruption',
    )
    .option('--reread', 'read again images read before (after an upgrade of the engine or model)')
    .option('--batch <id>', 'only this import batch')
    .option('--workers <n>', 'recogniser workers (default: one per core)', (v) => Number(v))
    .option('--checkpoint-every <n>', 'save progress every n images', (v) => Number(v), 100)
    .addHelpText('after', '\nExamples:\n  $ custody ocr\n  $ custody ocr --reread --json')
    .action(async (o: OcrOpts) => {
      const g = globals();
      checkOcrOpts(o);
      await withSession(ctx, g, 'ocr', 'media.import', async (s) => {
        const sum = await readPlatesWithProgress(ctx, g, s, o);
        if (g.json) printJson(ctx, sum);
        else ctx.stdout.write(ocrText(sum));
      });
    });
}
