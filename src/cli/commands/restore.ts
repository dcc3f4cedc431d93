/** Command: restore — put back an earlier generation of the ledger after a damaged save. */
import type { Command } from 'commander';
import { checkGeneration, findGeneration, RESTORE_GENERATIONS, restoreGeneration } from '../../operations/verify.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags } from '../options.js';
import { askConfirm } from '../prompts.js';
import { printJson } from '../render.js';
import { getCredentials, homeDir } from '../session.js';

export function registerRestore(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('restore')
    .description(
      'put back an earlier generation of the ledger (after a damaged save); the current file is kept as a generation',
    )
    .requiredOption('--generation <n>', `which generation: 1 (newest) to ${RESTORE_GENERATIONS}`, (v) => Number(v))
    .addOption(flags.yes())
    .action(async (o: { generation: number; yes?: boolean }) => {
      const g = globals();
      const generation = findGeneration(homeDir(ctx, g), o.generation);
      const credentials = await getCredentials(ctx, g);
      const checked = await checkGeneration(generation, credentials);
      const ok = await askConfirm(ctx, o.yes, {
        flag: '--yes',
        message: `Restore generation ${o.generation} (head #${checked.head.seq})? Later events in the current file are set aside as a generation.`,
        default: false,
      });
      if (!ok) return void ctx.stdout.write('Nothing was changed.\n');
      const out = await restoreGeneration(checked, {
        credentials,
        clock: ctx.clock,
        lockWaitMs: g.lockWait * 1000,
      });
      if (g.json) printJson(ctx, out);
      else
        ctx.stdout.write(
          `Restored generation ${o.generation}. ${out.lostEvents} later event(s) and ${out.lostCheckpoints} checkpoint(s) are recorded as lost in the ledger.restored event.\n`,
        );
    });
}
