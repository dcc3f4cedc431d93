/** `custody search`: find images by plate (every search is recorded, Civil Code 1798.90.52). */
import type { Command } from 'commander';
import { search, type SearchOutcome } from '../../operations/search.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { askAccessReason } from '../access-reason.js';
import { type AccessReasonOptions, accessReasonFlags, flags, rangeFlags } from '../options.js';
import { printJson, table } from '../render.js';
import { withSession } from '../session.js';

interface SearchOptions extends AccessReasonOptions {
  fuzzy?: boolean;
  camera?: string;
  from?: string;
  to?: string;
  limit: number;
}

export function registerSearch(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  accessReasonFlags(
    program
      .command('search <plate>')
      .description(
        'find images by plate: exact, wildcards (7AB?12*), or --fuzzy (OCR confusions, one character missing or extra), over every reading',
      )
      .option(
        '--fuzzy',
        'allow the confusions OCR makes (O/0/D/Q, I/1/L/T, B/8, S/5, Z/2, G/6) and one character missing or extra',
      )
      .addOption(flags.camera('only this camera'))
      .addOption(flags.from('captured on or after (a date, a date and time, or ISO-8601)'))
      .addOption(flags.to('captured on or before (a date means the whole day)'))
      .addOption(flags.limit('at most this many results', 50)),
  )
    .addHelpText(
      'after',
      '\nEvery search is recorded (Civil Code 1798.90.52) with its purpose and case.\n\nExamples:\n  $ custody search 7ABC123 --purpose "criminal investigation" --case 2026-1234\n  $ custody search "7AB?12*" --camera CAM-01 --from 2026-11-01 --request R0001 --purpose "locating a stolen vehicle" --json',
    )
    .action(async (plate: string, o: SearchOptions) => {
      const g = globals();
      await withSession(ctx, g, 'search', 'media.read', async (s) => {
        const range = rangeFlags(o, s);
        const r = await search(s, {
          plate,
          fuzzy: Boolean(o.fuzzy),
          camera: o.camera,
          ...range,
          typed: { from: o.from, to: o.to },
          limit: o.limit,
          reason: await askAccessReason(ctx, s, o),
        });
        if (g.json) return printJson(ctx, r);
        renderSearch(ctx, r);
      });
    });
}

function renderSearch(ctx: CliContext, r: SearchOutcome): void {
  ctx.stdout.write(
    table(
      ['image', 'captured', 'camera', 'reading', 'which', 'confidence', 'match'],
      r.results.map((x) => [
        x.image,
        x.capturedAt,
        x.camera,
        x.reading,
        x.rank === 0 ? 'best' : `alt ${x.rank}`,
        x.confidence.toFixed(2),
        x.match,
      ]),
    ),
  );
  if (r.withheld.message) ctx.stdout.write(`Note: ${r.withheld.message}\n`);
  if (r.batchesUnread)
    ctx.stdout.write(`Note: ${r.batchesUnread} batch(es) have no plate readings yet; run \`custody ocr\`.\n`);
}
