/** Command: transparency — the public summary of a period, as a signed PDF and JSON (issue 8). */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { checkDate, transparencyData, type TransparencyData } from '../../ledger/breach.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { details, printJson } from '../render.js';
import { withSession } from '../session.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

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
        ? `${d.destruction.batchesDestroyed} batches: ${d.destruction.onTime} on time, ${d.destruction.late} late, ${d.destruction.afterHold} after a hold; ${d.destruction.overdueAtEnd} past due at the end`
        : 'not recorded',
    ],
    [
      'health checks',
      d.health
        ? `${d.health.checksRun} run, ${d.health.problemsLogged} problems logged, ${d.health.outageDays} days not working`
        : 'not recorded',
    ],
    ['searches run', d.searches.run],
    ['breaches discovered', d.breaches.discovered],
  ];
}

export function registerTransparency(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('transparency')
    .description(
      'a public transparency report for a period: counts only, no plate, name, badge, case or place; signed PDF and JSON',
    )
    .option('--from <date>', 'the first day of the period (YYYY-MM-DD)')
    .option('--to <date>', 'the last day of the period (YYYY-MM-DD)')
    .option('--out <dir>', 'write transparency-FROM-TO.pdf (signed) and transparency-FROM-TO.json here')
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody transparency --from 2026-01-01 --to 2026-12-31 --out reports/\n  $ custody transparency --from 2026-11-01 --to 2026-11-30 --json',
    )
    .action(async (o: { from?: string; to?: string; out?: string }) => {
      const g = globals();
      if (!o.from || !o.to) throw new CustodyError('usage', 'Give the period: --from YYYY-MM-DD --to YYYY-MM-DD.');
      const from = checkDate(o.from, '--from');
      const to = checkDate(o.to, '--to');
      if (to < from) throw new CustodyError('usage', `--to ${to} is before --from ${from}.`);
      await withSession(ctx, g, 'transparency', 'reports', async (s) => {
        const data = transparencyData(s, from, to);
        let files: { pdf: string; json: string } | null = null;
        if (o.out) {
          const { renderTransparencyReport } = await import('../../documents/transparency.js');
          const pdf = await renderTransparencyReport(data, s.home.loadIdentity(s.master), s.clock());
          const json = `${JSON.stringify(data, null, 2)}\n`;
          const dir = path.resolve(o.out);
          fs.mkdirSync(dir, { recursive: true });
          files = {
            pdf: path.join(dir, `transparency-${from}-${to}.pdf`),
            json: path.join(dir, `transparency-${from}-${to}.json`),
          };
          fs.writeFileSync(files.pdf, pdf);
          fs.writeFileSync(files.json, json);
          s.append('transparency.reported', { from, to, pdfSha256: sha256(pdf), jsonSha256: sha256(json) });
          s.commit();
        }
        if (g.json) return printJson(ctx, { ...data, files });
        ctx.stdout.write(details(summaryLines(data)));
        if (files) ctx.stdout.write(`\nWritten:\n  ${files.pdf}\n  ${files.json}\n`);
      });
    });
}
