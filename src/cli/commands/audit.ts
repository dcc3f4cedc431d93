/** `custody audit`: the access record (Civil Code 1798.90.52), for auditors too. */
import type { Command } from 'commander';
import type { AccessJson } from '../../ledger/access.js';
import { accessRecord } from '../../operations/audit.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags, rangeFlags } from '../options.js';
import { printJson, table } from '../render.js';
import { withSession } from '../session.js';

interface AuditOptions {
  operator?: string;
  since?: string;
  until?: string;
  plate?: string;
  case?: string;
  csv?: boolean;
}

export function registerAudit(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('audit')
    .description('the access record: every search, view and export, with who, when, the query and the purpose')
    .addOption(flags.operator('only this operator'))
    .addOption(flags.since('from this date'))
    .addOption(flags.until('up to this date'))
    .option('--plate <text>', 'queries that mention this plate')
    .addOption(flags.caseNumber('only this case number'))
    .option('--csv', 'comma-separated values (for a spreadsheet)')
    .addHelpText(
      'after',
      '\nAuditors may run this; they may never search or see images.\n\nExamples:\n  $ custody audit --since 2026-11-01 --csv > access-2026-11.csv\n  $ custody audit --case 2026-1234 --json',
    )
    .action(async (o: AuditOptions) => {
      const g = globals();
      await withSession(ctx, g, 'audit', 'log.read', (s) => {
        const range = rangeFlags({ from: o.since, to: o.until }, s.settings.timeZone, ['--since', '--until']);
        const list = accessRecord(s, {
          operator: o.operator,
          since: range.from,
          until: range.to,
          plate: o.plate,
          caseRef: o.case,
        });
        if (g.json) return printJson(ctx, list);
        if (o.csv) {
          ctx.stdout.write(auditCsv(list));
          return;
        }
        ctx.stdout.write(
          table(
            ['#', 'at', 'operator', 'organisation', 'action', 'query', 'purpose', 'case / request', 'results'],
            list.map((r) => [
              r.event,
              r.at,
              r.operator,
              r.organization,
              r.action,
              r.query,
              r.purpose,
              r.case ?? r.request,
              r.results,
            ]),
          ),
        );
      });
    });
}

const CSV_COLUMNS = [
  'event',
  'at',
  'operator',
  'organization',
  'action',
  'query',
  'purpose',
  'case',
  'request',
  'results',
] as const;

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v);
}

function auditCsv(list: AccessJson[]): string {
  return `${CSV_COLUMNS.join(',')}\n${list.map((r) => CSV_COLUMNS.map((c) => csvCell(r[c])).join(',')).join('\n')}${list.length ? '\n' : ''}`;
}
