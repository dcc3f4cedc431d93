/** `custody problem …`: the problem log (policy §7: each problem, when found, and how long the system was not working). */
import type { Command } from 'commander';
import type { ProblemJson } from '../../ledger/problems.js';
import {
  checkProblemCamera,
  logProblem,
  problem,
  problemDefaults,
  problems,
  problemToResolve,
  resolveProblem,
} from '../../operations/problems.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags, rangeFlags, whenFlag } from '../options.js';
import { askConfirm, askText } from '../prompts.js';
import { details, printJson, table } from '../render.js';
import { withSession } from '../session.js';

interface AddOptions {
  camera?: string;
  part?: string;
  description?: string;
  discoveredAt?: string;
  from?: string;
  to?: string;
  fromFinding?: number;
}

export function registerProblem(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  const cmd = program
    .command('problem')
    .description('the problem log (policy §7): each problem, when found, and how long the system was not working');
  registerAdd(cmd, ctx, globals);
  registerReadCommands(cmd, ctx, globals);
  registerResolve(cmd, ctx, globals);
}

function registerAdd(cmd: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  cmd
    .command('add')
    .description('log a problem with a camera or part')
    .addOption(flags.camera('the camera'))
    .option('--part <text>', 'the part, if not a whole camera (e.g. "drive D003", "home disk")')
    .option('--description <text>', 'what was wrong')
    .option('--discovered-at <when>', 'when it was discovered (default now)')
    .addOption(flags.from('not working from'))
    .addOption(flags.to('not working until (leave out while it still is not)'))
    .option('--from-finding <n>', 'take camera, period and description from finding N of the last health check', (v) =>
      Number(v),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody problem add --from-finding 2\n  $ custody problem add --camera CAM-02 --description "lens cover cracked" --from 2026-11-02T08:00:00-08:00',
    )
    .action(async (o: AddOptions) => {
      const g = globals();
      await withSession(ctx, g, 'problem add', 'cameras.manage', async (s) => {
        const range = rangeFlags(o, s);
        const discoveredAt = whenFlag(o.discoveredAt, '--discovered-at', s);
        const d = problemDefaults(s, { fromFinding: o.fromFinding, part: o.part });
        const camera =
          o.camera ??
          d.camera ??
          (d.part ? undefined : await askText(ctx, undefined, { flag: '--camera or --part', message: 'Camera:' }));
        checkProblemCamera(s, camera);
        const description =
          o.description ??
          d.description ??
          (await askText(ctx, undefined, { flag: '--description', message: 'What was wrong?' }));
        const p = logProblem(s, { ...o, ...range, camera, description, discoveredAt });
        if (g.json) return printJson(ctx, p);
        ctx.stdout.write(
          `Logged problem ${p.id}${p.camera ? ` (camera ${p.camera})` : ''}${p.notWorkingFrom ? `: not working from ${p.notWorkingFrom}${p.notWorkingTo ? ` to ${p.notWorkingTo}` : ''}` : ''}.\n`,
        );
      });
    });
}

function registerReadCommands(cmd: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  cmd
    .command('list')
    .description('the problem log')
    .option('--open', 'only problems not yet resolved')
    .addOption(flags.camera('only this camera'))
    .action(async (o: { open?: boolean; camera?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'problem list', 'reports', (s) => {
        const list = problems(s, o);
        if (g.json) return printJson(ctx, list);
        renderList(ctx, list);
      });
    });

  cmd
    .command('show <id>')
    .description('one problem')
    .action(async (id: string) => {
      const g = globals();
      await withSession(ctx, g, 'problem show', 'reports', (s) => {
        const j = problem(s, id);
        if (g.json) return printJson(ctx, j);
        renderProblem(ctx, j);
      });
    });
}

function registerResolve(cmd: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  cmd
    .command('resolve <id>')
    .description('record the corrective action and when it was fixed')
    .option('--action <text>', 'the corrective action')
    .option('--fixed-at <when>', 'when it was fixed (default now)')
    .addOption(flags.to('not working until (default: unchanged, or when fixed if unknown)'))
    .action(async (id: string, o: { action?: string; fixedAt?: string; to?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'problem resolve', 'cameras.manage', async (s) => {
        problemToResolve(s, id);
        const action = await askText(ctx, o.action, { flag: '--action', message: 'Corrective action:' });
        const fixedAt = whenFlag(o.fixedAt, '--fixed-at', s);
        const to = whenFlag(o.to, '--to', s, true);
        if (!(await askConfirm(ctx, true, { flag: '--yes', message: 'Record it?' }))) return;
        const p = resolveProblem(s, { id, action, fixedAt, to });
        if (g.json) return printJson(ctx, p);
        ctx.stdout.write(`Problem ${id} resolved on ${p.fixedAt?.slice(0, 10)}: ${action}\n`);
      });
    });
}

function notWorking(p: ProblemJson): string {
  const at = (v: string) => v.slice(0, 16).replace('T', ' ');
  return p.notWorkingFrom ? `${at(p.notWorkingFrom)} – ${p.notWorkingTo ? at(p.notWorkingTo) : '(still)'}` : '';
}

function renderList(ctx: CliContext, list: ProblemJson[]): void {
  ctx.stdout.write(
    table(
      ['problem', 'camera/part', 'discovered', 'not working', 'corrective action', 'fixed', 'status'],
      list.map((p) => [
        p.id,
        p.camera ?? p.part,
        p.discoveredAt.slice(0, 16).replace('T', ' '),
        notWorking(p),
        p.correctiveAction,
        p.fixedAt?.slice(0, 10),
        p.status,
      ]),
    ),
  );
}

function renderProblem(ctx: CliContext, j: ProblemJson): void {
  ctx.stdout.write(
    details([
      ['problem', j.id],
      ['camera', j.camera ?? undefined],
      ['part', j.part ?? undefined],
      ['description', j.description],
      ['discovered', j.discoveredAt],
      ['not working from', j.notWorkingFrom],
      ['not working to', j.notWorkingTo],
      ['corrective action', j.correctiveAction],
      ['fixed', j.fixedAt],
      ['status', j.status],
      ['logged by', `${j.loggedBy} at ${j.loggedAt}`],
    ]),
  );
}
