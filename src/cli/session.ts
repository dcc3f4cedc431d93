/** Log-in for commands: who (CUSTODY_USER / --user or a prompt) and the password. */
import fs from 'node:fs';
import { CustodyError } from '../core/errors.js';
import type { Permission } from '../core/roles.js';
import { wholeCheckNoticeEvents } from '../core/slow-check.js';
import { resolveHomeDir } from '../ledger/home.js';
import { openSession, type Session } from '../ledger/session.js';
import { ensureDocumentKey } from '../operations/document-signer.js';
import { loginNotices } from '../operations/notices.js';
import { settleStagedBackup } from '../operations/backup.js';
import { settlePendingReleases } from '../operations/release.js';
import { offerPurge } from './commands/purge.js';
import type { CliContext, GlobalOptions } from './context.js';
import { askSecret, askText } from './prompts.js';

let stdinCache: Promise<string> | undefined;

export function readStdin(ctx: CliContext): Promise<string> {
  if (!stdinCache) {
    stdinCache = (async () => {
      const chunks: Buffer[] = [];
      for await (const c of ctx.stdin) chunks.push(Buffer.from(c as Buffer));
      return Buffer.concat(chunks).toString('utf8');
    })();
  }
  return stdinCache;
}

/** Tests run many commands in one process, each with its own stdin. */
export function resetStdinCache(): void {
  stdinCache = undefined;
}

function firstLine(s: string): string {
  return s.replace(/\r?\n[\s\S]*$/, '');
}

export function readSecretFile(file: string, what: string): string {
  try {
    return firstLine(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CustodyError(
      'usage',
      `Cannot read the ${what} file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
    );
  }
}

export async function getPassword(
  ctx: CliContext,
  g: GlobalOptions,
  message = 'Password:',
  confirm = false,
  validate?: (s: string) => string | undefined,
): Promise<string> {
  if (g.passwordStdin) return firstLine(await readStdin(ctx));
  if (g.passwordFile) return readSecretFile(g.passwordFile, 'password');
  return askSecret(ctx, { flag: '--password-stdin or CUSTODY_PASSWORD_FILE', message, confirm, validate });
}

export async function getCredentials(
  ctx: CliContext,
  g: GlobalOptions,
): Promise<{ username: string; password: string }> {
  const username = await askText(ctx, g.user, { flag: '--user or CUSTODY_USER', message: 'Username:' });
  const password = await getPassword(ctx, g);
  return { username, password };
}

export function homeDir(ctx: CliContext, g: GlobalOptions): string {
  return resolveHomeDir(g.home, ctx.env);
}

/** The contexts (one per command run) that have printed their reminders already. */
const noticed = new WeakSet<CliContext>();

/** The log-in reminders, once per command however many times it logs in. */
function printNotices(ctx: CliContext, s: Session): void {
  if (noticed.has(ctx)) return;
  noticed.add(ctx);
  for (const line of loginNotices(s)) ctx.stderr.write(`${line}\n`);
}

/**
 * Log in, check the permission, run `fn`, and always release the lock. `fn` commits what it
 * wants kept; anything not committed is dropped.
 */
export async function withSession<T>(
  ctx: CliContext,
  g: GlobalOptions,
  command: string,
  permission: Permission | null,
  fn: (s: Session) => Promise<T> | T,
  opts: { allowUntrained?: boolean } = {},
): Promise<T> {
  const credentials = await getCredentials(ctx, g);
  const s = await openSession({
    homeDir: homeDir(ctx, g),
    credentials,
    clock: ctx.clock,
    command,
    lockWaitMs: g.lockWait * 1000,
    sleep: ctx.sleep,
    allowUntrained: opts.allowUntrained,
    // A whole check of the signed events over many events is said before it starts (core/slow-check.ts).
    notify: (line) => ctx.stderr.write(`custody: ${line}\n`),
    wholeCheckNoticeEvents: wholeCheckNoticeEvents(ctx.env),
  });
  try {
    // An operator of a home made before operators signed documents with their own certificate gets one.
    await ensureDocumentKey(s, credentials.password);
    // A release a killed process left in flight is finished or undone first, and said so.
    const settled = await settlePendingReleases(s).catch((e: unknown) => [
      `Due: a release left in flight could not be settled now (${e instanceof Error ? e.message : String(e)}); the next log-in tries again.`,
    ]);
    for (const line of settled) ctx.stderr.write(`custody: ${line}\n`);
    // A backup whose run stopped between its manifest and its record.
    const backups = await settleStagedBackup(s).catch((e: unknown) => [
      `Due: a backup left unrecorded could not be settled now (${e instanceof Error ? e.message : String(e)}); the next log-in tries again.`,
    ]);
    for (const line of backups) ctx.stderr.write(`custody: ${line}\n`);
    if (permission) s.require(permission);
    printNotices(ctx, s);
    await offerPurge(ctx, g, s, command);
    return await fn(s);
  } finally {
    for (const w of s.takeWarnings()) ctx.stderr.write(`custody: warning: ${w}\n`);
    s.close();
  }
}
