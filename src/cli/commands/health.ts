/** `custody health` (policy §7: at least every 30 days, check the cameras and the storage). */
import path from 'node:path';
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { formatDaysLeft } from '../../core/format.js';
import { formatLocal } from '../../core/time.js';
import { type HealthOutcome, healthCheck } from '../../operations/health.js';
import type { OutputMode } from '../../ledger/fsutil.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags } from '../options.js';
import { bytes, paint, printJson, table, useColor } from '../render.js';
import { withSession } from '../session.js';

export function registerHealth(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('health')
    .description(
      'the health check: cameras (swaps, gaps in recording, clocks, full drives), storage (free space, fixity), the ledger, and duties; recorded in the ledger (policy §7)',
    )
    .option(
      '--full',
      "re-hash every stored file (default: this month's sample, which covers every file over successive months)",
    )
    .option('--sample <n>', 'files in the fixity sample', (v) => Number(v))
    .option('--days <n>', 'how far back the cameras are examined (default 90)', (v) => Number(v))
    .option('--pdf <file>', 'also write the signed PDF report')
    .addOption(flags.mode('permissions of the PDF, in octal (default 600: only you)'))
    .addHelpText(
      'after',
      '\nExits 11 when something is critical.\n\nExamples:\n  $ custody health\n  $ custody health --full --pdf health-2026-11.pdf',
    )
    .action(async (o: { full?: boolean; sample?: number; days?: number; pdf?: string; mode?: OutputMode }) => {
      const g = globals();
      for (const [v, f] of [
        [o.sample, '--sample'],
        [o.days, '--days'],
      ] as const) {
        if (v !== undefined && !(Number.isInteger(v) && v > 0))
          throw new CustodyError('usage', `${f} must be a whole number above 0.`);
      }
      await withSession(ctx, g, 'health', 'reports', async (s) => {
        const h = await healthCheck(s, {
          full: o.full,
          sampleSize: o.sample,
          windowDays: o.days,
          pdf: o.pdf ? path.resolve(o.pdf) : undefined,
          mode: o.mode,
        });
        const r = h.result;
        if (g.json)
          printJson(ctx, {
            healthCheck: h.seq,
            number: h.number,
            ranBy: s.operator.username,
            ...r,
            findings: r.findings.map((f, i) => ({ n: i + 1, ...f })),
            pdf: h.pdf,
          });
        else renderHealth(ctx, useColor(ctx, g), h, s.operator.username, s.settings.timeZone);
        if (r.summary.exitCritical)
          throw new CustodyError(
            'critical',
            `The health check found ${r.summary.critical} critical ${r.summary.critical === 1 ? 'problem' : 'problems'}.`,
            'See the findings above; log each in the problem log.',
          );
      });
    });
}

function renderHealth(ctx: CliContext, color: boolean, h: HealthOutcome, ranBy: string, tz: string): void {
  const r = h.result;
  ctx.stdout.write(
    `Health check ${h.number} of this home (ledger event #${h.seq}), ${formatLocal(new Date(r.at), tz)}, by ${ranBy}: ${r.summary.critical} critical, ${r.summary.warning} warnings, ${r.summary.info} notes.\n\n`,
  );
  ctx.stdout.write('Cameras:\n');
  ctx.stdout.write(
    table(
      ['camera', 'last swap', 'days since', 'examined', 'recordings', 'gaps'],
      r.cameras.map((c) => [
        c.camera,
        c.lastSwap?.slice(0, 10),
        c.daysSinceSwap,
        c.window ? `${c.window.from.slice(0, 10)} – ${c.window.to.slice(0, 10)}` : '',
        c.perDay.reduce((a, d) => a + d.count, 0),
        c.gaps.length,
      ]),
    ),
  );
  const st = r.storage;
  ctx.stdout.write(
    `\nStorage: ${st.freeBytes === null ? 'free space unknown' : `${bytes(st.freeBytes)} free`}${st.daysLeft !== null ? `, ${formatDaysLeft(st.daysLeft)} of imports left at the last 30 days' rate` : ''}; fixity ${st.filesChecked} of ${st.filesInStore} stored files re-hashed, ${st.fixityFailures} failed.\n`,
  );
  ctx.stdout.write(
    `Ledger: ${r.ledger.ok ? 'chain and signatures good' : 'PROBLEMS'} (${r.ledger.events} events, head ${r.ledger.head.hash}).\n\n`,
  );
  if (!r.findings.length) ctx.stdout.write('No findings.\n');
  r.findings.forEach((f, i) => {
    const sev =
      f.severity === 'critical'
        ? paint(color, 'red', 'CRITICAL')
        : f.severity === 'warning'
          ? paint(color, 'yellow', 'warning')
          : 'note';
    ctx.stdout.write(`${String(i + 1).padStart(3)}. ${sev} [${f.area}] ${f.message}\n`);
  });
  if (r.findings.some((f) => f.area === 'camera' && f.period && !/Logged as problem/.test(f.message)))
    ctx.stdout.write('\nLog an outage in the problem log with `custody problem add --from-finding N`.\n');
  if (h.pdf) ctx.stdout.write(`Report: ${h.pdf}\n`);
}
