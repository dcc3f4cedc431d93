/** `custody hold`: keep data past the retention period on a written request (policy §8). */
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import {
  describeScope,
  HOLD_REASONS,
  type HoldJson,
  type HoldReason,
  requestScope,
} from '../../ledger/features/requests.js';
import type { Session } from '../../ledger/session.js';
import {
  checkHoldRequest,
  checkHoldStanding,
  holdRequestChoices,
  listHolds,
  type PlaceHoldInput,
  placeHold,
  releaseHold,
} from '../../operations/holds.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags } from '../options.js';
import { askChoice, askDate, askText } from '../prompts.js';
import { printJson, table } from '../render.js';
import { withSession } from '../session.js';
import { askWrittenDocument } from '../written-document.js';

interface HoldAddOptions {
  request?: string;
  reason?: HoldReason;
  document?: string;
  documentRef?: string;
  review?: string;
}

async function askHold(ctx: CliContext, s: Session, o: HoldAddOptions): Promise<PlaceHoldInput> {
  const request = await askChoice(ctx, o.request, {
    flag: '--request',
    message: 'Request:',
    choices: holdRequestChoices(s).map((r) => ({
      name: `${r.id}  case ${r.case_number}  ${describeScope(requestScope(r))}`,
      value: r.id,
    })),
  }).catch((e: unknown) => {
    if (o.request !== undefined && e instanceof CustodyError && e.code === 'usage') return o.request;
    throw e;
  });
  checkHoldRequest(s, request);
  const reason = await askChoice(ctx, o.reason, {
    flag: '--reason',
    message: 'Reason (policy §8):',
    choices: HOLD_REASONS.map((x) => ({ name: x, value: x })),
  });
  const document = await askWrittenDocument(ctx, o, 'The written request for the hold (a file to attach):');
  const review = await askDate(ctx, o.review, s, { flag: '--review', message: 'Review date:' });
  return { request, reason, document, review };
}

/** The request, as a positional (like `receipt ack R-…`) or `--request`; both must agree. */
function holdRequestArg(positional: string | undefined, flag: string | undefined): string | undefined {
  if (positional !== undefined && flag !== undefined && positional !== flag)
    throw new CustodyError('usage', `Two requests named: ${positional} and --request ${flag}.`, 'Name one.');
  return positional ?? flag;
}

function holdTable(list: HoldJson[]): string {
  return table(
    ['hold', 'request', 'reason', 'review', 'batches', 'drives', 'standing'],
    list.map((h) => [
      h.id,
      h.request,
      h.reason,
      h.reviewDate,
      h.batches.length,
      h.drives.join(', '),
      h.standing ? 'yes' : `released ${h.releasedAt?.slice(0, 10)}`,
    ]),
  );
}

export function registerHold(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  const hold = program
    .command('hold')
    .description('holds: keep data past the retention period on a written request (policy §8)');
  hold
    .command('add [request]')
    .description(
      "place a hold on exactly a request's scope (its images by camera and time, and the drives still holding them); needs an eligible agency and the written request as a file",
    )
    .addOption(flags.request())
    .addOption(flags.reason(`${HOLD_REASONS.map((r) => `"${r}"`).join(' or ')}`))
    .addOption(flags.document('the written request for the hold, a file (required; kept under its SHA-256)'))
    .addOption(flags.documentRef('a reference kept beside the file, e.g. a records-system number'))
    .option('--review <date>', 'review date (e.g. 2027-02-01 or 2/1/2027)')
    .addHelpText(
      'after',
      '\nThe request is the argument (as `receipt ack` takes its receipt) or `--request`.\n\nExamples:\n  $ custody hold add REQ-2026-0001 --reason "ongoing criminal investigation" --document preservation.pdf --review 2027-02-01',
    )
    .action(async (positional: string | undefined, o: HoldAddOptions) => {
      const g = globals();
      const request = holdRequestArg(positional, o.request);
      await withSession(ctx, g, 'hold add', 'requests.manage', async (s) => {
        const h = await placeHold(s, await askHold(ctx, s, { ...o, request }));
        if (g.json) return printJson(ctx, h);
        ctx.stdout.write(
          `Hold ${h.id} placed for request ${h.request} (${h.reason}), review on ${h.reviewDate}: ${h.batches.length} batch(es)${h.batches.length ? ` ${h.batches.join(', ')}` : ''}, drive(s) ${h.drives.join(', ') || 'none'}. Nothing it covers may be purged or recorded over until it is released.\n`,
        );
      });
    });

  hold
    .command('list')
    .description('list holds (standing ones; --all for released too)')
    .option('--all', 'include released holds')
    .action(async (o: { all?: boolean }) => {
      const g = globals();
      await withSession(ctx, g, 'hold list', 'requests.manage', (s) => {
        const list = listHolds(s, { all: o.all });
        if (g.json) return printJson(ctx, list);
        ctx.stdout.write(holdTable(list));
      });
    });

  hold
    .command('release <id>')
    .description('release a hold: what it covered may then be purged or recorded over in the ordinary way')
    .addOption(flags.reason('why, e.g. "case closed"'))
    .action(async (id: string, o: { reason?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'hold release', 'requests.manage', async (s) => {
        checkHoldStanding(s, id);
        const reason = await askText(ctx, o.reason, {
          flag: '--reason',
          message: 'Reason for releasing the hold:',
          validate: (x) => (x ? undefined : 'A reason is needed.'),
        });
        const h = releaseHold(s, { id, reason });
        if (g.json) return printJson(ctx, h);
        ctx.stdout.write(`Hold ${id} released.\n`);
      });
    });
}
