import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { parseIsoWithOffset } from '../../core/time.js';
import type { SqlValue } from 'sql.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { printJson, table } from '../render.js';
import { withSession } from '../session.js';

function dateBound(v: string | undefined, flag: string, end: boolean): string | undefined {
  if (v === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return end ? `${v}T23:59:59.999` : v;
  if (parseIsoWithOffset(v)) return v;
  throw new CustodyError('usage', `${flag} ${v} is not a date (YYYY-MM-DD) or ISO-8601 time with offset.`);
}

export function registerLog(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('log')
    .description('the event history of the ledger')
    .option('--camera <id>', 'events about this camera')
    .option('--drive <id>', 'events about this drive')
    .option('--operator <username>', 'events by this operator')
    .option('--type <type>', 'events of this type (prefix: "drive." matches all drive events)')
    .option('--since <date>', 'from this date or time')
    .option('--until <date>', 'up to this date or time')
    .option('--limit <n>', 'at most this many, newest last', (v) => Number(v), 200)
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody log --drive D003\n  $ custody log --type operator. --since 2026-11-01 --json',
    )
    .action(
      async (o: {
        camera?: string;
        drive?: string;
        operator?: string;
        type?: string;
        since?: string;
        until?: string;
        limit: number;
      }) => {
        const g = globals();
        if (!(Number.isInteger(o.limit) && o.limit > 0))
          throw new CustodyError('usage', '--limit must be a positive whole number.');
        const since = dateBound(o.since, '--since', false);
        const until = dateBound(o.until, '--until', true);
        await withSession(ctx, g, 'log', 'log.read', (s) => {
          const where: string[] = [];
          const params: SqlValue[] = [];
          const add = (clause: string, value: SqlValue) => {
            where.push(clause);
            params.push(value);
          };
          if (o.camera) add('camera_id = ?', o.camera);
          if (o.drive) add('drive_id = ?', o.drive);
          if (o.operator) add('actor = ?', o.operator);
          if (o.type)
            add(
              o.type.endsWith('.') ? "type LIKE ? ESCAPE '\\'" : 'type = ?',
              o.type.endsWith('.') ? `${o.type.replace(/[%_\\]/g, '\\$&')}%` : o.type,
            );
          // Times carry offsets, so compare instants in SQL via julianday on the UTC form.
          if (since) add('julianday(at) >= julianday(?)', since);
          if (until) add('julianday(at) <= julianday(?)', until);
          const sql = `SELECT seq, at, type, actor, data, hash FROM (SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?) ORDER BY seq`;
          const evs = s.ledger.rows<{
            seq: number;
            at: string;
            type: string;
            actor: string;
            data: string;
            hash: string;
          }>(sql, [...params, o.limit]);
          const out = evs.map((e) => ({
            seq: e.seq,
            at: e.at,
            type: e.type,
            actor: e.actor,
            data: JSON.parse(e.data) as Record<string, unknown>,
            hash: e.hash,
          }));
          if (g.json) return printJson(ctx, out);
          ctx.stdout.write(
            table(
              ['#', 'at', 'type', 'by', 'details'],
              out.map((e) => [e.seq, e.at, e.type, e.actor, summarize(e.data)]),
            ),
          );
        });
      },
    );
}

function summarize(d: Record<string, unknown>): string {
  const s = Object.entries(d)
    .filter(([k, v]) => v !== null && typeof v !== 'object' && k !== 'id')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
