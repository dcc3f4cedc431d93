/** Commands: ocr (issue 4). */
import os from 'node:os';
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import type { OcrSummary } from '../../ocr/queue.js';
import type { Session } from '../../ledger/session.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { progressBar } from '../progress.js';
import { printJson, table } from '../render.js';
import { withSession } from '../session.js';

/** Read plates for every image not yet read (or one batch). Used by `ocr` and by the swap. */
export async function readPlates(
  ctx: CliContext,
  g: GlobalOptions,
  s: Session,
  o: { reread?: boolean; batch?: string; workers?: number; model?: 'plate' | 'eng'; checkpointEvery?: number },
): Promise<OcrSummary> {
  const { createPlateReader } = await import('../../ocr/reader.js');
  const { runOcr } = await import('../../ocr/queue.js');
  const workers = o.workers ?? Math.max(1, os.availableParallelism());
  const reader = await createPlateReader({ workers, model: o.model });
  const bar = await progressBar(ctx, g, 'Reading plates', 'images');
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  try {
    return await runOcr(s, reader, {
      reread: o.reread,
      batch: o.batch,
      signal: ac.signal,
      concurrency: workers * 2,
      saveEvery: o.checkpointEvery,
      onProgress: (p) => bar.update(p.overallDone, p.overallTotal),
    });
  } finally {
    bar.stop();
    process.removeListener('SIGINT', onSig);
    await reader.end();
  }
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
    .option(
      '--model <name>',
      '"plate" (the model shipped for plate lettering, when present) or "eng" (the stock English model)',
    )
    .option('--checkpoint-every <n>', 'save progress every n images', (v) => Number(v), 100)
    .addHelpText('after', '\nExamples:\n  $ custody ocr\n  $ custody ocr --reread --json')
    .action(
      async (o: { reread?: boolean; batch?: string; workers?: number; model?: string; checkpointEvery: number }) => {
        const g = globals();
        if (o.model !== undefined && o.model !== 'plate' && o.model !== 'eng')
          throw new CustodyError('usage', '--model is "plate" or "eng".');
        if (!(Number.isInteger(o.checkpointEvery) && o.checkpointEvery > 0))
          throw new CustodyError('usage', '--checkpoint-every must be a positive whole number.');
        if (o.workers !== undefined && !(Number.isInteger(o.workers) && o.workers > 0 && o.workers <= 64))
          throw new CustodyError('usage', '--workers must be a whole number from 1 to 64.');
        await withSession(ctx, g, 'ocr', 'media.import', async (s) => {
          const sum = await readPlates(ctx, g, s, { ...o, model: o.model as 'plate' | 'eng' | undefined });
          if (g.json) return printJson(ctx, sum);
          if (sum.batches.length === 0)
            return void ctx.stdout.write(
              `Nothing to read: every image has been read with ${sum.engine}, ${sum.model}.\n`,
            );
          ctx.stdout.write(
            table(
              ['batch', 'images', 'read now', 'with a plate'],
              sum.batches.map((b) => [b.batch, b.images, b.read, b.readable]),
            ),
          );
          ctx.stdout.write(
            `${sum.images} images, ${sum.readable} with a readable plate, in ${sum.seconds.toFixed(0)} s (${sum.engine}, ${sum.model}).\n`,
          );
        });
      },
    );
}
