/** Command: upgrade — bring a home of an earlier format to the current one (issue 14: keys by role, signed events). */
import type { Command } from 'commander';
import { upgradeHome } from '../../operations/upgrade.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { printJson } from '../render.js';
import { getCredentials, homeDir } from '../session.js';

export function registerUpgrade(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('upgrade')
    .description('bring a home of an earlier format to the current one (the custodian, once)')
    .addHelpText(
      'after',
      '\nFormat 2 keeps the evidence under a key auditors do not hold and signs every event by its author. Other operators get a new password from the custodian afterwards (`custody operator passwd USER`).\n\nExample:\n  $ custody upgrade',
    )
    .action(async () => {
      const g = globals();
      const credentials = await getCredentials(ctx, g);
      const out = await upgradeHome({
        homeDir: homeDir(ctx, g),
        credentials,
        clock: ctx.clock,
        lockWaitMs: g.lockWait * 1000,
      });
      if (g.json) return printJson(ctx, out);
      ctx.stdout.write(`Upgraded the home from format ${out.from} to ${out.to}; head #${out.head.seq}.\n`);
      if (out.needNewPassword.length)
        ctx.stdout.write(
          `Give each of these operators a new password: ${out.needNewPassword.map((u) => `custody operator passwd ${u}`).join('; ')}.\n`,
        );
    });
}
