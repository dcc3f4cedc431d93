/**
 * Command: restore — put back an earlier generation of the ledger after a damaged save, or make a
 * new home from a backup (`--from DIR`, issue 20).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { restoreFromBackup } from '../../operations/backup.js';
import { checkGeneration, findGeneration, RESTORE_GENERATIONS, restoreGeneration } from '../../operations/verify.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags } from '../options.js';
import { askConfirm } from '../prompts.js';
import { printJson } from '../render.js';
import { getCredentials, homeDir } from '../session.js';

async function restoreBackup(ctx: CliContext, g: GlobalOptions, from: string): Promise<void> {
  const out = await restoreFromBackup({
    from: path.resolve(from),
    homeDir: homeDir(ctx, g),
    credentials: await getCredentials(ctx, g),
    clock: ctx.clock,
  });
  if (g.json) return printJson(ctx, out);
  ctx.stdout.write(
    `Restored backup ${out.generation} (made ${out.backupCreatedAt}) from ${out.from} into ${out.home}: ${out.files} files and ${out.keys} keys, every file re-hashed; ledger head #${out.ledgerHead.seq}. Run \`custody verify\` on it.\n`,
  );
}

export function registerRestore(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('restore')
    .description(
      'put back an earlier generation of the ledger (after a damaged save), or make a new home from a backup (--from)',
    )
    .option('--generation <n>', `which generation: 1 (newest) to ${RESTORE_GENERATIONS}`, (v) => Number(v))
    .option('--from <dir>', 'a backup folder (`custody backup --to`): restore it into --home, a new or empty folder')
    .addOption(flags.yes())
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody restore --generation 1\n  $ custody restore --from /media/backup/custody --home ~/custody-restored   # log in as the custodian or a designee, as of the backup',
    )
    .action(async (o: { generation?: number; from?: string; yes?: boolean }) => {
      const g = globals();
      if (o.from) return restoreBackup(ctx, g, o.from);
      if (o.generation === undefined)
        throw new CustodyError('usage', 'Name what to restore: --generation N, or --from DIR (a backup).');
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
