/** Command: log — the event history of the ledger. */
import { type Command, Option } from 'commander';
import { eventLog } from '../../operations/log.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags, rangeFlags } from '../options.js';
import { printJson, table } from '../render.js';
import { withSession } from '../session.js';

interface LogOpts {
  camera?: string;
  drive?: string;
  operator?: string;
  type?: string;
  since?: string;
  until?: string;
  limit: number;
}

export function registerLog(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('log')
    .description('the event history of the ledger')
    .addOption(flags.camera('events about this camera'))
    .addOption(flags.drive('events about this drive'))
    .option('--operator <username>', 'events by this operator')
    .option('--type <type>', 'events of this type (prefix: "drive." matches all drive events)')
    .addOption(new Option('--since <when>', 'from this date or time'))
    .addOption(new Option('--until <when>', 'up to this date or time (a date means the whole day)'))
    .addOption(flags.limit('at most this many, newest last', 200))
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody log --drive D003\n  $ custody log --type operator. --since 2026-11-01 --json',
    )
    .action(async (o: LogOpts) => {
      const g = globals();
      await withSession(ctx, g, 'log', 'log.read', (s) => {
        const { from: since, to: until } = rangeFlags({ from: o.since, to: o.until }, s, ['--since', '--until']);
        const out = eventLog(s, {
          camera: o.camera,
          drive: o.drive,
          actor: o.operator,
          type: o.type,
          since,
          until,
          limit: o.limit,
        });
        if (g.json) return printJson(ctx, out);
        ctx.stdout.write(
          table(
            ['#', 'recorded', 'happened', 'type', 'by', 'details'],
            out.map((e) => [
              e.seq,
              e.at,
              e.happenedAt && Date.parse(e.happenedAt) !== Date.parse(e.at) ? e.happenedAt : '',
              e.type,
              e.actor,
              summarize(e.data),
            ]),
          ),
        );
      });
    });
}

function summarize(d: Record<string, unknown>): string {
  const s = Object.entries(d)
    .filter(([k, v]) => v !== null && typeof v !== 'object' && k !== 'id')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
