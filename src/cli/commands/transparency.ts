/** Command: transparency — the public summary of a period, as a signed PDF and JSON (counts only). */
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { type TransparencyData, transparencyReport } from '../../operations/transparency.js';
import type { OutputMode } from '../../ledger/fsutil.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { dateRangeFlags, flags } from '../options.js';
import { details, printJson } from '../render.js';
import { withSession } from '../session.js';

function summaryLines(d: TransparencyData): [string, string | number | null][] {
  const kinds = (c: TransparencyData['requests']['total']) =>
    `${c.received} received, ${c.fulfilled} fulfilled, ${c.denied} denied, ${c.withdrawn} withdrawn`;
  return [
    ['period', `${d.period.from} to ${d.period.to}`],
    ['cameras in service', d.cameras.inService],
    ['images imported', d.images.importedInPeriod],
    ['images held at the end', d.images.heldAtEnd],
    ['retention period', `${d.retentionDays} days`],
    ['requests', d.requests.source === 'requests' ? kinds(d.requests.total) : 'not recorded'],
    ['requests to the contractor', kinds(d.contractor.requests.total)],
    ['contractor permissions in force', d.contractor.permissionsInForce],
    ['holds', d.holds ? `${d.holds.placed} placed, ${d.holds.released} released` : 'not recorded'],
    [
      'destruction',
      d.destruction
        ? `${d.destruction.recordingDaysDestroyed} recording days (${d.destruction.imagesDestroyed} images): ${d.destruction.onTime} on time, ${d.destruction.late} late, ${d.destruction.afterHold} after a hold; ${d.destruction.overdueAtEnd} past due at the end`
        : 'not recorded',
    ],
    [
      'health checks',
      d.health
        ? `${d.health.checksRun} run, ${d.health.problemsLogged} problems logged, ${d.health.outageDays} days not working`
        : 'not recorded',
    ],
    ['searches run', `${d.searches.run} (${d.searches.notTiedToRequest} not tied to a request)`],
    ['requests with no release', d.searches.requestsWithoutRelease],
    ['breaches discovered', d.breaches.discovered],
  ];
}

export function registerTransparency(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('transparency')
    .description(
      'a public transparency report for a period: counts only, no plate, name, badge, case or place; signed PDF and JSON',
    )
    .addOption(flags.from('the first day of the period (YYYY-MM-DD)'))
    .addOption(flags.to('the last day of the period (YYYY-MM-DD)'))
    .addOption(flags.outDir('write transparency-FROM-TO.pdf (signed) and transparency-FROM-TO.json here'))
    .addOption(flags.mode('permissions of the files, in octal (default 600: only you; e.g. 644 to publish)'))
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody transparency --from 2026-01-01 --to 2026-12-31 --out reports/\n  $ custody transparency --from 2026-11-01 --to 2026-11-30 --json',
    )
    .action(async (o: { from?: string; to?: string; out?: string; mode?: OutputMode }) => {
      const g = globals();
      if (!o.from || !o.to) throw new CustodyError('usage', 'Give the period: --from YYYY-MM-DD --to YYYY-MM-DD.');
      await withSession(ctx, g, 'transparency', 'reports', async (s) => {
        const { from, to } = dateRangeFlags(o, s) as { from: string; to: string };
        const { data, files } = await transparencyReport(s, { from, to, outDir: o.out, mode: o.mode });
        if (g.json) return printJson(ctx, { ...data, files });
        ctx.stdout.write(details(summaryLines(data)));
        if (files) ctx.stdout.write(`\nWritten:\n  ${files.pdf}\n  ${files.json}\n`);
      });
    });
}
