/** `custody purge` (policy §8): destroy what is past its destruction date and not held, with a certificate. */
import path from 'node:path';
import type { Command } from 'commander';
import type { Session } from '../../ledger/session.js';
import { CustodyError } from '../../core/errors.js';
import { claimPlateReading } from '../../operations/ocr.js';
import {
  dueDays,
  type HeldBatch,
  nothingToPurge,
  purge,
  type PurgeOutcome,
  checkedPurgePlan,
  type PurgePlanView,
} from '../../operations/purge.js';
import type { OutputMode } from '../../ledger/fsutil.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags } from '../options.js';
import { bytes, printJson, table } from '../render.js';
import { askConfirm } from '../prompts.js';
import { withSession } from '../session.js';

/**
 * Policy §8: data past its destruction date must not wait for someone to remember `custody purge`.
 * At log-in on a terminal, an operator who may purge is asked once whether to destroy it now
 * (the same as `custody purge --yes`; the certificate goes to the home's certificates/ folder, and its
 * path is printed); no means nothing changes.
 */
export async function offerPurge(ctx: CliContext, g: GlobalOptions, s: Session, command: string): Promise<void> {
  if (!ctx.isTTY || g.json || command === 'purge' || !mayPurge(s)) return;
  const due = dueDays(s);
  if (!due) return;
  const yes = await askConfirm(ctx, undefined, {
    flag: '(custody purge --yes)',
    message: `${due} ${due === 1 ? 'recording day is' : 'recording days are'} past the destruction date (policy §8). Destroy ${due === 1 ? 'it' : 'them'} now (custody purge)?`,
    default: false,
  });
  if (!yes) return;
  const out = await purgeNow(s, { certificate: true }).catch((e: unknown) => {
    if (!(e instanceof CustodyError && e.code === 'locked')) throw e;
    ctx.stderr.write(`Not destroyed now: ${e.message} Run \`custody purge --yes\` later.\n`);
    return undefined;
  });
  if (out) renderPurge(ctx, out);
}

/**
 * Destruction decides on the newest ledger and holds the write lock until it is recorded; no
 * plate reading runs meanwhile (a purge re-keys the readings of what it destroys).
 */
async function purgeNow(s: Session, o: Parameters<typeof purge>[1]): Promise<Awaited<ReturnType<typeof purge>>> {
  const reading = await claimPlateReading(s, 'purge');
  // Ctrl-C stops the purge between recording days and says what it destroyed (a second one ends at once).
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  try {
    return await s.exclusive(() => purge(s, { ...o, signal: ac.signal }));
  } finally {
    process.removeListener('SIGINT', onSig);
    reading.release();
  }
}

function mayPurge(s: Session): boolean {
  try {
    s.require('purge');
    return true;
  } catch {
    return false;
  }
}

export function registerPurge(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('purge')
    .description(
      'destroy what is past its destruction date and not held (policy §8): the key first, then the files; with a certificate of destruction',
    )
    .addOption(flags.yes('do it (without it, only show what would be destroyed)'))
    .option('--certificate <file>', 'where to write the certificate of destruction (PDF)')
    .addOption(flags.outDir('folder for the certificate (default: the current folder)'))
    .option('--no-certificate', 'write no certificate')
    .addOption(flags.mode('permissions of the certificate, in octal (default 600: only you)'))
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody purge                 # what would be destroyed\n  $ custody purge --yes --out ~/certificates',
    )
    .action(async (o: { yes?: boolean; certificate?: string | boolean; out?: string; mode?: OutputMode }) => {
      const g = globals();
      await withSession(ctx, g, 'purge', 'purge', async (s) => {
        if (!o.yes) {
          const plan = await checkedPurgePlan(s);
          if (g.json) return printJson(ctx, { done: false, ...plan });
          return renderPlan(ctx, plan);
        }
        const out = await purgeNow(s, {
          certificate: o.certificate !== false,
          certificateFile: typeof o.certificate === 'string' ? path.resolve(o.certificate) : undefined,
          certificateDir: path.resolve(o.out ?? '.'),
          mode: o.mode,
        });
        if (g.json) return printJson(ctx, out);
        renderPurge(ctx, out);
      });
    });
}

function renderHeld(ctx: CliContext, held: HeldBatch[]): void {
  for (const h of held)
    ctx.stdout.write(`Kept under hold: ${h.batch}${h.day ? ` recorded ${h.day}` : ''} (${h.heldBy.join(', ')}).\n`);
}

function renderPlan(ctx: CliContext, plan: PurgePlanView): void {
  const nothing = nothingToPurge(plan);
  if (nothing) ctx.stdout.write('Nothing is due for destruction.\n');
  else {
    ctx.stdout.write(
      `Would destroy ${plan.due.length} ${plan.due.length === 1 ? 'recording day' : 'recording days'} of import batches (key first, then files):\n`,
    );
    ctx.stdout.write(
      table(
        ['batch', 'day', 'camera', 'drive', 'files', 'recorded', 'destruction date'],
        plan.due.map((b) => [
          b.batch,
          b.day || 'whole batch',
          b.camera,
          b.drive,
          b.files,
          `${b.recordedFirst?.slice(0, 10)} – ${b.recordedLast?.slice(0, 10)}`,
          b.destructionDate?.slice(0, 10),
        ]),
      ),
    );
    if (plan.unfinished.length)
      ctx.stdout.write(
        `Would finish ${plan.unfinished.length} destruction(s) an earlier purge left half-done: ${plan.unfinished.map((u) => (u.day ? `${u.batch} ${u.day}` : u.batch)).join(', ')}.\n`,
      );
  }
  renderHeld(ctx, plan.held);
  if (!nothing) ctx.stdout.write('Run `custody purge --yes` to destroy it.\n');
  if (plan.uncertified.length)
    ctx.stdout.write(
      `Destroyed with no certificate of destruction: purge ${plan.uncertified.join(', ')}; \`custody purge --yes\` writes it from the recorded facts.\n`,
    );
}

function renderCertified(ctx: CliContext, out: PurgeOutcome): void {
  for (const c of out.certified ?? [])
    ctx.stdout.write(`Certificate of destruction of the earlier purge ${c.purge}: ${c.certificate}\n`);
}

function renderPurge(ctx: CliContext, out: PurgeOutcome): void {
  renderCertified(ctx, out);
  if (out.purge === null) {
    ctx.stdout.write('Nothing is due for destruction.\n');
    renderHeld(ctx, out.held);
    return;
  }
  const files = out.destroyed.reduce((a, d) => a + d.stored, 0);
  ctx.stdout.write(
    `Destroyed ${out.destroyed.length} ${out.destroyed.length === 1 ? 'recording day' : 'recording days'} (${files} stored files, ${bytes(out.destroyed.reduce((a, d) => a + d.bytes, 0))}): ${out.destroyed.map((d) => (d.day ? `${d.batch} ${d.day}` : d.batch)).join(', ')}.\n`,
  );
  renderHeld(ctx, out.held);
  if (out.certificate) ctx.stdout.write(`Certificate of destruction: ${out.certificate}\n`);
}
