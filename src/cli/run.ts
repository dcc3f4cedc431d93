/**
 * The commander program. Commands are thin: parse, call a function that returns data, render
 * it. Errors are thrown as CustodyError and turned into exit codes here; only main.ts exits.
 */
import { Command, CommanderError, Option } from 'commander';
import { CustodyError, EXIT, toError } from '../core/errors.js';
import { registerAudit } from './commands/audit.js';
import { registerCamera } from './commands/camera.js';
import { registerDrive } from './commands/drive.js';
import { registerInit } from './commands/init.js';
import { registerLog } from './commands/log.js';
import { registerOperator } from './commands/operator.js';
import { registerAgency } from './commands/agency.js';
import { registerHold } from './commands/hold.js';
import { registerReceipt } from './commands/receipt.js';
import { registerRelease } from './commands/release.js';
import { registerRequest } from './commands/request.js';
import { registerBreach } from './commands/breach.js';
import { registerContractor } from './commands/contractor.js';
import { registerHealth } from './commands/health.js';
import { registerImport } from './commands/import.js';
import { registerImage } from './commands/image.js';
import { registerOcr } from './commands/ocr.js';
import { registerProblem } from './commands/problem.js';
import { registerPurge } from './commands/purge.js';
import { registerRestore } from './commands/restore.js';
import { registerBackup } from './commands/backup.js';
import { registerRetention } from './commands/retention.js';
import { registerSearch } from './commands/search.js';
import { registerSettings } from './commands/settings.js';
import { registerSwap } from './commands/swap.js';
import { registerTransparency } from './commands/transparency.js';
import { registerUnlock } from './commands/unlock.js';
import { registerVerify } from './commands/verify.js';
import { registerWitness } from './commands/witness.js';
import { registerUpgrade } from './commands/upgrade.js';
import { registerWatch } from './commands/watch.js';
import type { CliContext, GlobalOptions } from './context.js';
import { safeOut } from './render.js';
import { checkText } from '../core/text.js';
import { resetStdinCache } from './session.js';
import { VERSION } from './version.js';

const ENV_OPTIONS: [keyof GlobalOptions, string][] = [
  ['home', 'CUSTODY_HOME'],
  ['user', 'CUSTODY_USER'],
  ['passwordFile', 'CUSTODY_PASSWORD_FILE'],
  ['lockWait', 'CUSTODY_LOCK_WAIT'],
];

/** The command groups, in the order `custody --help` lists them (the watch is added after them). */
const COMMAND_GROUPS = [
  registerInit,
  registerOperator,
  registerSettings,
  registerCamera,
  registerDrive,
  registerImport,
  registerSwap,
  registerOcr,
  registerSearch,
  registerImage,
  registerAudit,
  registerAgency,
  registerRequest,
  registerHold,
  registerRelease,
  registerReceipt,
  registerRetention,
  registerPurge,
  registerProblem,
  registerHealth,
  registerBreach,
  registerContractor,
  registerTransparency,
  registerLog,
  registerVerify,
  registerWitness,
  registerUnlock,
  registerBackup,
  registerRestore,
  registerUpgrade,
];

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('custody');
  let globals: GlobalOptions = { lockWait: 5 };
  const getGlobals = () => globals;
  program
    .description(
      'Chain of custody for license plate camera media: drive swaps, imports, plate reading, requests and signed receipts, retention, health.',
    )
    .version(VERSION, '-V, --version')
    .addOption(new Option('--home <dir>', 'the custody home (default: the platform data folder)').env('CUSTODY_HOME'))
    .addOption(new Option('--user <username>', 'operator to log in as').env('CUSTODY_USER'))
    .addOption(new Option('--password-stdin', 'read the password from the first line of standard input'))
    .addOption(
      new Option('--password-file <file>', 'read the password from the first line of a file').env(
        'CUSTODY_PASSWORD_FILE',
      ),
    )
    .addOption(new Option('--json', 'machine-readable output on standard output'))
    .addOption(new Option('--no-color', 'no colours (also NO_COLOR)'))
    .addOption(new Option('--no-progress', 'no progress bars'))
    .addOption(
      new Option('--lock-wait <seconds>', 'how long to wait for another custody process')
        .env('CUSTODY_LOCK_WAIT')
        .default(5)
        .argParser((v) => Number(v)),
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      outputError: (s, write) => write(s),
    })
    .addHelpText(
      'after',
      `
Log-in: every command that reads or writes confidential data needs a username and password:
asked on a terminal, or CUSTODY_USER with --password-stdin or CUSTODY_PASSWORD_FILE in scripts.

Exit status: ${Object.entries(EXIT)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}.`,
    );
  program.hook('preAction', (_this, action) => {
    globals = action.optsWithGlobals() as GlobalOptions;
    // commander reads process.env; the injected environment (in-process runs) is applied here.
    for (const [key, name] of ENV_OPTIONS) {
      const v = ctx.env[name];
      const source = program.getOptionValueSource(key);
      if (v !== undefined && (source === undefined || source === 'default'))
        (globals as unknown as Record<string, unknown>)[key] = key === 'lockWait' ? Number(v) : v;
    }
    if (!(Number.isFinite(globals.lockWait) && globals.lockWait >= 0))
      throw new CustodyError('usage', '--lock-wait must be a number of seconds.');
    checkTyped(action);
    for (const [k, v] of [
      ['--home', globals.home],
      ['--user', globals.user],
      ['--password-file', globals.passwordFile],
    ] as const)
      if (v !== undefined) checkText(k, v);
  });
  for (const sub of COMMAND_GROUPS) sub(program, ctx, getGlobals);
  // The watch starts each swap as its own command line, with the same global options.
  registerWatch(program, ctx, getGlobals, (args) => runCli([...args, ...globalArgs(getGlobals())], ctx));
  // Every subcommand inherits the error handling and output settings.
  const inherit = (c: Command) => {
    for (const sub of c.commands) {
      sub
        .exitOverride()
        .configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) })
        .showHelpAfterError('(run with --help for usage)');
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/**
 * Every value typed on the command line, before anything is read or written: each flag of the
 * command and of its parents (`--home`, `--user`…) and each argument, through `checkText`
 * (length and control characters; prompts check their answers the same way).
 */
function checkTyped(action: Command): void {
  const each = (name: string, v: unknown) => {
    for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'string') checkText(name, x);
  };
  for (let c: Command | null = action; c; c = c.parent)
    for (const o of c.options) if (o.long) each(o.long, c.getOptionValue(o.attributeName()));
  action.registeredArguments.forEach((a, i) => {
    each(a.name(), action.processedArgs[i]);
  });
}

function globalArgs(g: GlobalOptions): string[] {
  const a: string[] = [];
  if (g.home) a.push('--home', g.home);
  if (g.user) a.push('--user', g.user);
  if (g.passwordFile) a.push('--password-file', g.passwordFile);
  if (g.json) a.push('--json');
  if (g.progress === false) a.push('--no-progress');
  return a;
}

/** Run one command line; returns the exit status. Never calls process.exit. */
export async function runCli(argv: string[], given: CliContext): Promise<number> {
  resetStdinCache();
  // Nothing written reaches a terminal with an escape sequence or a control character in it.
  const ctx: CliContext = { ...given, stdout: safeOut(given.stdout), stderr: safeOut(given.stderr) };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    return reportError(ctx, e, argv.includes('--json'));
  }
}

export function reportError(ctx: CliContext, e: unknown, json: boolean): number {
  if (e instanceof CommanderError) {
    // Help and version are not errors; commander has already printed its message.
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
      return EXIT.ok;
    return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (e instanceof CustodyError) {
    if (json)
      ctx.stdout.write(
        `${JSON.stringify({ error: { code: e.code, exitCode: e.exitCode, message: e.message, hint: e.hint ?? null } })}\n`,
      );
    ctx.stderr.write(`custody: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
    return e.exitCode;
  }
  const err = toError(e);
  const fsCode = (err as NodeJS.ErrnoException).code;
  if (fsCode === 'ENOSPC') {
    ctx.stderr.write(
      'custody: the disk is full; nothing stored was lost.\nhint: free some space and run the command again.\n',
    );
    return EXIT.io;
  }
  ctx.stderr.write(
    `custody: internal error: ${err.message}\n${err.stack ?? ''}\nThis is a bug in custody. Please report it with the command you ran and the lines above (they hold no confidential data).\n`,
  );
  return EXIT.internal;
}
