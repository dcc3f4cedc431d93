import fs from 'node:fs';
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { isValidTimeZone } from '../../core/time.js';
import { validatePassword, validateUsername } from '../../ledger/home.js';
import { homeSettings, initHome, refuseExistingHome, refuseRetention } from '../../operations/init.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { askDate, askText } from '../prompts.js';
import { printJson } from '../render.js';
import { getPassword, homeDir, readSecretFile } from '../session.js';

interface InitOpts {
  agency?: string;
  title?: string;
  timeZone?: string;
  name?: string;
  organization?: string;
  retentionDays: number;
  healthIntervalDays: number;
  trainedOn?: string;
  course?: string;
  trainer?: string;
  p12?: string;
  p12PassphraseFile?: string;
}

export function registerInit(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('init')
    .description('create a new home: policy settings, the custodian, keys, the signing certificate and the ledger')
    .option('--agency <name>', 'the city or agency that keeps the cameras')
    .option('--title <title>', "the custodian's official title (policy §6)")
    .option(
      '--time-zone <tz>',
      'IANA time zone for dates of recordation',
      Intl.DateTimeFormat().resolvedOptions().timeZone,
    )
    .option('--name <name>', "the custodian's full name")
    .option('--organization <org>', "the custodian's organisation (default: the agency)")
    .option('--retention-days <n>', 'days to keep data from the date of recordation (policy §8)', (v) => Number(v), 60)
    .option('--health-interval-days <n>', 'days between health checks (policy §7)', (v) => Number(v), 30)
    .option('--trained-on <date>', "date of the custodian's training (policy §3)")
    .option('--course <name>', 'the training course')
    .option('--trainer <name>', 'who gave the training')
    .option('--p12 <file>', 'use the city’s own PKCS#12 signing certificate instead of a self-signed one')
    .option('--p12-passphrase-file <file>', 'file holding the passphrase of --p12')
    .addHelpText(
      'after',
      `
Examples:
  $ custody init                      # asks for everything on a terminal
  $ echo "$PASS" | custody init --home /srv/custody --user asd --password-stdin \\
      --agency "City of Example" --title "Administrative Services Director" --name "Dana Example" \\
      --time-zone America/Los_Angeles --trained-on 2026-11-01 --course "ALPR policy" --trainer "J. Trainer"`,
    )
    .action(async (o: InitOpts) => {
      const g = globals();
      const dir = homeDir(ctx, g);
      refuseExistingHome(dir);
      refuseRetention(o.retentionDays);
      const policy = await askPolicy(ctx, o);
      const custodian = await askCustodian(ctx, g, o, policy.timeZone);
      const settings = homeSettings({
        ...policy,
        retentionDays: o.retentionDays,
        healthIntervalDays: o.healthIntervalDays,
      });
      const result = await initHome({ dir, settings, custodian, p12: readP12Flags(o), clock: ctx.clock });
      if (g.json) printJson(ctx, result);
      else
        ctx.stdout.write(
          `Created a custody home at ${result.home}\nCustodian: ${custodian.username} (${policy.custodianTitle})\nLedger head: ${result.ledgerHead}\nSigning certificate: ${result.certificate}\n`,
        );
    });
}

/** The agency, the custodian's title and the home's time zone, from flags or prompts. */
async function askPolicy(ctx: CliContext, o: InitOpts) {
  const agencyName = await askText(ctx, o.agency, { flag: '--agency', message: 'City or agency name:' });
  const custodianTitle = await askText(ctx, o.title, {
    flag: '--title',
    message: "Custodian's title:",
    default: 'Administrative Services Director',
  });
  const timeZone = await askText(ctx, o.timeZone, {
    flag: '--time-zone',
    message: 'Time zone:',
    validate: (v) => (isValidTimeZone(v) ? undefined : `${v} is not a known time zone`),
  });
  if (!isValidTimeZone(timeZone))
    throw new CustodyError(
      'usage',
      `--time-zone ${timeZone} is not a known IANA time zone.`,
      'For example America/Los_Angeles.',
    );
  return { agencyName, custodianTitle, timeZone };
}

/** The custodian: username, name, training record (policy §3) and a new password. */
async function askCustodian(ctx: CliContext, g: GlobalOptions, o: InitOpts, timeZone: string) {
  const username = validateUsername(
    await askText(ctx, g.user, { flag: '--user or CUSTODY_USER', message: "Custodian's username:" }),
  );
  const displayName = await askText(ctx, o.name, { flag: '--name', message: "Custodian's full name:" });
  const home = { settings: { timeZone }, clock: ctx.clock };
  const date = await askDate(ctx, o.trainedOn, home, { flag: '--trained-on', message: 'Date of training:' });
  const course = await askText(ctx, o.course, { flag: '--course', message: 'Training course:' });
  const trainer = await askText(ctx, o.trainer, { flag: '--trainer', message: 'Trainer:' });
  const password = validatePassword(await getPassword(ctx, g, 'Choose a password:', true));
  return { username, displayName, password, organization: o.organization, training: { date, course, trainer } };
}

/** --p12 and its passphrase file, read. */
function readP12Flags(o: InitOpts): { data: Buffer; passphrase: string } | undefined {
  if (!o.p12) return undefined;
  if (!o.p12PassphraseFile) throw new CustodyError('usage', '--p12 needs --p12-passphrase-file.');
  return { data: fs.readFileSync(o.p12), passphrase: readSecretFile(o.p12PassphraseFile, 'passphrase') };
}
