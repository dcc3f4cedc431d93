/** Command: witness — a signed chain head to keep outside the home (issue 14: rollback caught from outside). */
import type { Command } from 'commander';
import { exportWitness } from '../../operations/witness.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { printJson } from '../render.js';
import { withSession } from '../session.js';

export function registerWitness(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  const witness = program
    .command('witness')
    .description(
      'signed chain heads kept outside the home, so a rollback or a rewrite is caught by `verify --witness`',
    );
  witness
    .command('export')
    .description(
      'write the current chain head, signed, to a small file for the auditor, the city clerk or a second disk',
    )
    .option('--out <file>', 'write it to this new file (default: standard output)')
    .addHelpText(
      'after',
      '\nThe file holds the home id, the sequence number and hash of the head, the time, and the public key of the operator who signed it; no name, camera, plate or event.\nKeep it outside the home; later, `custody verify --witness FILE` proves the ledger still extends it.\n\nExample:\n  $ custody witness export --out /media/clerk/witness-2026-12-01.json',
    )
    .action(async (o: { out?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'witness export', 'log.read', async (s) => {
        const r = exportWitness(s, { out: o.out });
        if (!r.file) return void ctx.stdout.write(`${JSON.stringify(r.witness, null, 2)}\n`);
        if (g.json)
          printJson(ctx, {
            file: r.file,
            home: r.witness.home,
            seq: r.witness.seq,
            hash: r.witness.hash,
            at: r.witness.at,
          });
        else
          ctx.stdout.write(
            `Wrote ${r.file}: head #${r.witness.seq} ${r.witness.hash} (${r.witness.at}). Keep it outside the home.\n`,
          );
      });
    });
}
