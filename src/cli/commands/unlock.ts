/** Command: unlock — remove a stale lock left by a custody process that is no longer running. */
import type { Command } from 'commander';
import { unlock } from '../../operations/verify.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { printJson } from '../render.js';
import { homeDir } from '../session.js';

export function registerUnlock(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('unlock')
    .description('remove a stale lock left by a custody process that is no longer running')
    .option('--force', 'remove it even if the process seems alive (only when it ran on another machine)')
    .action((o: { force?: boolean }) => {
      const g = globals();
      const out = unlock(homeDir(ctx, g), o.force ?? false);
      if (g.json) printJson(ctx, out);
      else
        ctx.stdout.write(
          out.removed
            ? `Removed the lock of \`${out.removed.command}\` (process ${out.removed.pid}). Run \`custody verify\` to check the ledger.\n`
            : 'There was no lock.\n',
        );
    });
}
