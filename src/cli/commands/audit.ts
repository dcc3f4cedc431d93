/** `custody audit`: the access record (Civil Code 1798.90.52), for auditors too. */
import type { Command } from 'commander';
import type { AccessJson } from '../../ledger/access.js';
import { CustodyError } from '../../core/errors.js';
import { accessRecord, type SearchReview, searchReview, writeAccessCsv } from '../../operations/audit.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags, rangeFlags } from '../options.js';
import { type Cell, csv, printJson, table } from '../render.js';
import { withSession } from '../session.js';

interface AuditOptions {
  operator?: string;
  since?: string;
  until?: string;
  plate?: string;
  case?: string;
  /** `--csv` alone: to standard output; `--csv FILE`: to a new file. */
  csv?: boolean | string;
  review?: boolean;
  from?: string;
  to?: string;
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
    .option(
      '--csv [file]',
      'comma-separated values (for a spreadsheet): to FILE (a new file outside the home), or to standard output',
    )
    .option(
      '--review',
      'the search audit: searches not tied to a request, by operator and purpose, requests with no release',
    )
    .addOption(flags.from('with --review: from this date (default: all)'))
    .addOption(flags.to('with --review: up to this date (default: now)'))
    .addHelpText(
      'after',
      '\nAuditors may run this; they may never search or see images.\n\nExamples:\n  $ custody audit --since 2026-11-01 --csv access-2026-11.csv\n  $ custody audit --case 2026-1234 --json\n  $ custody audit --review --from 2026-11-01 --to 2026-11-30',
    )
    .action(async (o: AuditOptions) => {
      const g = globals();
      await withSession(ctx, g, 'audit', 'log.read', (s) => {
        if (o.review) {
          const review = searchReview(s, rangeFlags({ from: o.from ?? o.since, to: o.to ?? o.until }, s));
          if (g.json) return printJson(ctx, review);
          ctx.stdout.write(reviewText(review));
          return;
        }
        if (o.from || o.to)
          throw new CustodyError(
            'usage',
            '--from and --to go with --review.',
            'The access record takes --since and --until.',
          );
        const range = rangeFlags({ from: o.since, to: o.until }, s, ['--since', '--until']);
        const list = accessRecord(s, {
          operator: o.operator,
          since: range.from,
          until: range.to,
          plate: o.plate,
          caseRef: o.case,
        });
        if (typeof o.csv === 'string') {
          const file = writeAccessCsv(s, o.csv, auditCsv(list));
          if (g.json) return printJson(ctx, { file, records: list.length });
          ctx.stdout.write(`Wrote ${list.length} access record(s) to ${file}.\n`);
          return;
        }
        if (g.json) return printJson(ctx, list);
        if (o.csv) {
          ctx.stdout.write(auditCsv(list));
          return;
        }
        ctx.stdout.write(
          table(
            ['#', 'at', 'operator', 'organization', 'action', 'query', 'purpose', 'case / request', 'results'],
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

function auditCsv(list: AccessJson[]): string {
  return csv(
    CSV_COLUMNS,
    list.map((r) => CSV_COLUMNS.map((c) => r[c] as Cell)),
  );
}

function reviewText(r: SearchReview): string {
  const period = `${r.period.from ? r.period.from.slice(0, 10) : 'the start'} to ${r.period.to.slice(0, 10)}`;
  const out = [`Search audit, ${period}: ${r.searches} ${r.searches === 1 ? 'search' : 'searches'}.`, ''];
  out.push(
    r.untied.length
      ? `Searches not tied to a request (policy §1): ${r.untied.length}`
      : 'Searches not tied to a request (policy §1): none',
  );
  if (r.untied.length)
    out.push(
      table(
        ['event', 'at', 'operator', 'purpose'],
        r.untied.map((x) => [x.event, x.at, x.operator, x.purpose]),
      ),
    );
  out.push('', 'Searches by operator and purpose (Civ. Code 1798.90.52):');
  out.push(
    r.byOperatorPurpose.length
      ? table(
          ['operator', 'purpose', 'searches', 'not tied to a request'],
          r.byOperatorPurpose.map((g) => [g.operator, g.purpose, g.searches, g.untied]),
        )
      : '  none',
  );
  out.push('', `Requests with no release: ${r.requestsWithoutRelease.length || 'none'}`);
  if (r.requestsWithoutRelease.length)
    out.push(
      table(
        ['request', 'agency', 'received', 'status'],
        r.requestsWithoutRelease.map((q) => [q.id, q.agency, q.receivedAt.slice(0, 10), q.status]),
      ),
    );
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}
