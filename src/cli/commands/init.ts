import fs from 'node:fs';
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { timeZoneOf } from '../../core/settings.js';
import { machineTimeZone } from '../../core/time.js';
import { validatePassword, validateUsername } from '../../ledger/home.js';
import { homeSettings, initHome, refuseExistingHome, refuseInterval, refuseRetention } from '../../operations/init.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { dateFlag } from '../options.js';
import { askDate, askText, problemOf } from '../prompts.js';
import { printJson } from '../render.js';
import { getPassword, homeDir, readSecretFile } from '../session.js';

const required = (what: string) => (v: string) => (v.trim() ? undefined : `${what} is needed.`);

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
      `IANA time zone for dates of recordation (default: this machine's, ${machineTimeZone()})`,
    )
    .option('--name <name>', "the custodian's full name")
    .option('--organization <org>', "the custodian's organization (default: the agency)")
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
      // Every flag is checked before the first question, and every answer as it is given.
      refuseRetention(o.retentionDays);
      refuseInterval(o.healthIntervalDays);
      const p12 = readP12Flags(o);
      const password = g.passwordStdin || g.passwordFile ? validatePassword(await getPassword(ctx, g)) : undefined;
      if (g.user !== undefined) validateUsername(g.user);
      checkWhenFlags(ctx, o);
      const policy = await askPolicy(ctx, o);
      const custodian = await askCustodian(ctx, g, o, policy.timeZone, password);
      const settings = homeSettings({
        ...policy,
        retentionDays: o.retentionDays,
        healthIntervalDays: o.healthIntervalDays,
      });
      const result = await initHome({ dir, settings, custodian, p12, clock: ctx.clock });
      if (g.json) printJson(ctx, result);
      else
        ctx.stdout.write(
          `Created a custody home at ${result.home}\nCustodian: ${custodian.username} (${policy.custodianTitle})\nLedger head: ${result.ledgerHead}\nSigning certificate: ${result.certificate}\n`,
        );
    });
}

/** --time-zone and --trained-on, checked before anything is asked. */
function checkWhenFlags(ctx: CliContext, o: InitOpts): void {
  const timeZone = o.timeZone === undefined ? machineTimeZone() : timeZoneOf(o.timeZone, '--time-zone');
  if (o.trainedOn !== undefined) dateFlag(o.trainedOn, '--trained-on', { settings: { timeZone }, clock: ctx.clock });
}

/** The agency, the custodian's title and the home's time zone, from flags or prompts. */
async function askPolicy(ctx: CliContext, o: InitOpts) {
  const agencyName = await askText(ctx, o.agency, {
    flag: '--agency',
    message: 'City or agency name:',
    validate: required('The city or agency name'),
  });
  const custodianTitle = await askText(ctx, o.title, {
    flag: '--title',
    message: "Custodian's title:",
    default: 'Administrative Services Director',
    validate: required("The custodian's title"),
  });
  // Offered: the machine's zone (a server's is often UTC, so it is asked, not assumed).
  const typed = await askText(ctx, o.timeZone, {
    flag: '--time-zone',
    message: 'Time zone (IANA, e.g. America/Los_Angeles):',
    default: machineTimeZone(),
    validate: (v) => problemOf(() => timeZoneOf(v, 'Time zone')),
  });
  return { agencyName, custodianTitle, timeZone: timeZoneOf(typed, '--time-zone') };
}

/** The custodian: username, name, training record (policy §3) and a new password. */
async function askCustodian(
  ctx: CliContext,
  g: GlobalOptions,
  o: InitOpts,
  timeZone: string,
  scriptedPassword: string | undefined,
) {
  const home = { settings: { timeZone }, clock: ctx.clock };
  const username = validateUsername(
    await askText(ctx, g.user, {
      flag: '--user or CUSTODY_USER',
      message: "Custodian's username:",
      validate: (v) => problemOf(() => validateUsername(v)),
    }),
  );
  const displayName = await askText(ctx, o.name, {
    flag: '--name',
    message: "Custodian's full name:",
    validate: required("The custodian's name"),
  });
  const date = await askDate(ctx, o.trainedOn, home, { flag: '--trained-on', message: 'Date of training:' });
  const course = await askText(ctx, o.course, {
    flag: '--course',
    message: 'Training course:',
    validate: required('The course'),
  });
  const trainer = await askText(ctx, o.trainer, {
    flag: '--trainer',
    message: 'Trainer:',
    validate: required('The trainer'),
  });
  const password =
    scriptedPassword ??
    (await getPassword(ctx, g, 'Choose a password:', true, (v) => problemOf(() => validatePassword(v))));
  return { username, displayName, password, organization: o.organization, training: { date, course, trainer } };
}

/** --p12 and its passphrase file, read. */
function readP12Flags(o: InitOpts): { data: Buffer; passphrase: string } | undefined {
  if (!o.p12) return undefined;
  if (!o.p12PassphraseFile) throw new CustodyError('usage', '--p12 needs --p12-passphrase-file.');
  return { data: fs.readFileSync(o.p12), passphrase: readSecretFile(o.p12PassphraseFile, 'passphrase') };
}
