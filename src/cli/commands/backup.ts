/** `custody backup --to DIR` and `custody backup verify DIR` (issue 20): backups that honour destruction. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import {
  backup,
  type BackupCheck,
  type BackupOutcome,
  verifyBackup,
  verifyBackupAlone,
} from '../../operations/backup.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { progressBar } from '../progress.js';
import { bytes, details, printJson } from '../render.js';
import { getCredentials, homeDir, withSession } from '../session.js';

export function registerBackup(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  const cmd = program
    .command('backup')
    .description(
      'copy the home to a backup folder (a second disk, a NAS share): only new files, verified after writing; destroyed keys leave the backup',
    )
    .option(
      '--to <dir>',
      'the backup folder (its parent must exist; an empty folder, or one this home backed up to before)',
    )
    .addHelpText(
      'after',
      [
        '',
        'The stored images are copied once (they never change); the ledger, checkpoints, documents and',
        'keyring each time they change. The keys are not copied as they are: one key file per backup,',
        'sealed with the evidence key, replaces the older ones, so a recording day destroyed by `custody purge`',
        'cannot be read from this backup once the next backup to it completes (a purge does that itself for',
        'every backup folder it can reach). A backup interrupted at any point leaves the previous one usable.',
        '',
        'Examples:',
        '  $ custody backup --to /media/backup/custody',
        '  $ custody backup verify /media/backup/custody',
        '  $ custody restore --from /media/backup/custody --home ~/custody-restored',
      ].join('\n'),
    )
    .action(async (o: { to?: string }) => {
      const g = globals();
      if (!o.to)
        throw new CustodyError(
          'usage',
          'Name the backup folder with --to DIR.',
          'For example `custody backup --to /media/backup/custody`; `custody backup verify DIR` checks one.',
        );
      const to = path.resolve(o.to);
      await withSession(ctx, g, 'backup', null, async (s) => {
        const bar = await progressBar(ctx, g, 'Backup', 'files');
        let out: BackupOutcome;
        try {
          out = await backup(s, { to, onFile: (d, t) => bar.update(d, t) });
        } finally {
          bar.stop();
        }
        if (g.json) return printJson(ctx, out);
        ctx.stdout.write(
          `Backup ${out.generation} written to ${out.location} and verified: ${out.files} files (${bytes(out.bytes)}), ${out.copied} copied (${bytes(out.bytesCopied)}), ${out.keys} keys in its key file; ${out.removedObjects} old file(s) and ${out.removedKeyFiles} old key file(s) removed.\n`,
        );
      });
    });

  cmd
    .command('verify <dir>')
    .description(
      'check a backup on its own: signed by an operator of this home, every file re-hashed, the key file opens',
    )
    .addHelpText(
      'after',
      '\nWith the home present it is checked against the home (a backup of another home is refused) and the\ncheck is recorded; with no home at --home, against the ledger inside the backup (log in as you did then).\n\nExample:\n  $ custody backup verify /media/backup/custody',
    )
    .action(async (dir: string) => {
      const g = globals();
      const home = homeDir(ctx, g);
      let r: BackupCheck;
      if (fs.existsSync(path.join(home, 'home.json')))
        r = await withSession(ctx, g, 'backup verify', 'log.read', (s) => verifyBackup(s, dir));
      else r = await verifyBackupAlone(dir, await getCredentials(ctx, g));
      if (g.json) return printJson(ctx, { ok: true, ...r });
      ctx.stdout.write(
        `${details([
          ['Backup', r.location],
          ['Generation', `${r.generation}, made ${r.createdAt} by ${r.by}`],
          ['Home', r.home],
          ['Ledger head', `#${r.ledgerHead.seq} ${r.ledgerHead.hash}`],
          ['Files', `${r.files} (${bytes(r.bytes)}), every one re-hashed`],
          ['Key file', r.keys === null ? 'not opened (no evidence key)' : `opens; ${r.keys} keys`],
          ['Checked against', r.against === 'home' ? 'this home' : 'the ledger in the backup (no home here)'],
        ])}OK: the backup is whole.\n`,
      );
    });
}
