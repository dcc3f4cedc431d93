/** Command: verify — check the ledger: the hash chain, the derived tables and the signed checkpoints (policy §9). */
import type { Command } from 'commander';
import { type VerifyReport, verify, verifyFailure } from '../../operations/verify.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { paint, printJson, useColor } from '../render.js';
import { withSession } from '../session.js';

function printReport(ctx: CliContext, g: GlobalOptions, r: VerifyReport): void {
  const c = useColor(ctx, g);
  ctx.stdout.write(
    `Events: ${r.events}; head #${r.head.seq} ${r.head.hash}\nCheckpoints: ${r.checkpoints.valid} of ${r.checkpoints.total} signatures valid\n`,
  );
  for (const w of r.warnings) ctx.stdout.write(`${paint(c, 'yellow', 'warning:')} ${w}\n`);
  for (const p of r.problems) ctx.stdout.write(`${paint(c, 'red', 'PROBLEM:')} ${p}\n`);
  ctx.stdout.write(r.ok ? `${paint(c, 'green', 'OK')}: the ledger is intact.\n` : '');
}

export function registerVerify(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('verify')
    .description('check the ledger: the hash chain, the derived tables and the signed checkpoints')
    .addHelpText(
      'after',
      '\nExit status 0 when everything matches, 8 when anything was tampered with.\n\nExample:\n  $ custody verify --json',
    )
    .action(async () => {
      const g = globals();
      await withSession(ctx, g, 'verify', 'log.read', async (s) => {
        const r = await verify(s);
        if (g.json) printJson(ctx, r);
        else printReport(ctx, g, r);
        if (!r.ok) throw verifyFailure(r);
      });
    });
}
