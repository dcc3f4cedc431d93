/** Command: verify — check the ledger: the hash chain, the derived tables and the signed checkpoints (policy §9). */
import type { Command } from 'commander';
import { type FullVerifyReport, verify, verifyFailure } from '../../operations/verify.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { paint, printJson, useColor } from '../render.js';
import { withSession } from '../session.js';

function printReport(ctx: CliContext, g: GlobalOptions, r: FullVerifyReport): void {
  const c = useColor(ctx, g);
  ctx.stdout.write(
    `Events: ${r.events}; head #${r.head.seq} ${r.head.hash}\nCheckpoints: ${r.checkpoints.valid} of ${r.checkpoints.total} signatures valid\n`,
  );
  if (r.heads.length)
    ctx.stdout.write(
      `Heads from outside the home: ${r.heads.filter((h) => h.ok && !h.warning).length} of ${r.heads.length} extended by this ledger\n`,
    );
  if (r.anchor.status === 'ok')
    ctx.stdout.write(`Genesis anchor: event #${r.anchor.seq} (${r.anchor.type}) matches anchor.enc\n`);
  else if (r.anchor.status === 'unchecked') ctx.stdout.write(`Genesis anchor: not checked. ${r.anchor.note}\n`);
  for (const w of r.warnings) ctx.stdout.write(`${paint(c, 'yellow', 'warning:')} ${w}\n`);
  for (const p of r.problems) ctx.stdout.write(`${paint(c, 'red', 'PROBLEM:')} ${p}\n`);
  ctx.stdout.write(r.ok ? `${paint(c, 'green', 'OK')}: the ledger is intact.\n` : '');
}

export function registerVerify(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('verify')
    .description('check the ledger: the hash chain, the derived tables, the signed checkpoints, and heads kept outside')
    .addHelpText(
      'after',
      '\nWith --witness and --receipts, the ledger must extend every head kept outside the home (a rollback or a rewritten history fails).\nExit status 0 when everything matches, 8 when anything was tampered with.\n\nExamples:\n  $ custody verify --json\n  $ custody verify --witness /media/clerk/witness-2026-11.json --receipts ~/receipts',
    )
    .option('--witness <file...>', 'witness files (`custody witness export`) the ledger must extend')
    .option(
      '--receipts <dir>',
      'a folder of signed receipts, certificates and reports whose printed heads must be in the ledger',
    )
    .action(async (o: { witness?: string[]; receipts?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'verify', 'log.read', async (s) => {
        const r = await verify(s, { witnesses: o.witness, documents: o.receipts });
        if (g.json) printJson(ctx, r);
        else printReport(ctx, g, r);
        if (!r.ok) throw verifyFailure(r);
      });
    });
}
