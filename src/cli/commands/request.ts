/** `custody request`: law-enforcement requests for data (policy §5: when requested, when and to whom provided). */
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { formatWhen } from '../../core/time.js';
import { describeScope, type RequestJson } from '../../ledger/features/requests.js';
import type { Session } from '../../ledger/session.js';
import {
  type AttentionItem,
  checkOpenRequest,
  denyRequest,
  keptDocument,
  listAttention,
  listRequests,
  type NewRequestInput,
  newRequestChoices,
  type RequestDetails,
  recordRequest,
  showRequest,
  withdrawRequest,
  writeKeptDocument,
} from '../../operations/requests.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { checkRange, flags } from '../options.js';
import { askChoice, askText, askWhen } from '../prompts.js';
import { details, printJson, table } from '../render.js';
import { withSession } from '../session.js';
import { askWrittenDocument } from '../written-document.js';

interface RequestNewOptions {
  agency?: string;
  officer?: string;
  badge?: string;
  case?: string;
  purpose?: string;
  receivedAt?: string;
  document?: string;
  documentRef?: string;
  cameras?: string;
  from?: string;
  to?: string;
  plate?: string;
  drive?: string;
}

type ScopeKind = NewRequestInput['kind'];
const nonEmpty = (x: string) => (x ? undefined : 'An answer is needed.');

/** The first clause of an agency's refusal, for the menu ("… is a federal agency"). */
function whyNot(refusal: string | null): string {
  return (refusal ?? 'may not receive data').split(/[;:]/)[0]!.trim();
}

/** Who asks, for which case and purpose, and when: the prompts up to the written request. */
async function askRequester(ctx: CliContext, s: Session, o: RequestNewOptions) {
  const { agencies, purposes } = newRequestChoices(s);
  if (!agencies.length && o.agency === undefined)
    throw new CustodyError('notFound', 'No agency is registered yet.', 'Add one with `custody agency add`.');
  const anyEligible = agencies.some((a) => a.mayReceiveData);
  // On a terminal, agencies that may receive data come first; the others are shown, disabled, with
  // why (a request of one is still recorded when named by --agency: it is refused at release).
  const agency = await askChoice(ctx, o.agency, {
    flag: '--agency',
    message: 'Requesting agency:',
    choices: agencies.map((a) => ({
      name: `${a.id}  ${a.name}`,
      value: a.id,
      disabled: o.agency === undefined && anyEligible && !a.mayReceiveData ? whyNot(a.refusal) : false,
    })),
  }).catch((e: unknown) => {
    if (o.agency !== undefined && e instanceof CustodyError && e.code === 'usage')
      throw new CustodyError('notFound', `No agency ${o.agency}.`, 'See `custody agency list`.');
    throw e;
  });
  const officer = await askText(ctx, o.officer, {
    flag: '--officer',
    message: 'Requesting officer:',
    validate: nonEmpty,
  });
  const badge = await askText(ctx, o.badge, { flag: '--badge', message: 'Badge or id number:', validate: nonEmpty });
  const caseNumber = await askText(ctx, o.case, { flag: '--case', message: 'Case number:', validate: nonEmpty });
  const purpose = await askChoice(ctx, o.purpose, {
    flag: '--purpose',
    message: 'Official purpose (policy §1):',
    choices: purposes.map((p) => ({ name: p, value: p })),
  });
  const receivedAt = await askWhen(ctx, o.receivedAt, s, {
    flag: '--received-at',
    message: 'Received (date and time):',
    default: s.clock(),
  });
  const document = await askWrittenDocument(ctx, o, 'The written request (a file to attach, or its reference):');
  return { agency, officer, badge, caseNumber, purpose, receivedAt, document };
}

/** What is asked for: cameras and a time range, a plate, or a drive. */
async function askScope(ctx: CliContext, s: Session, o: RequestNewOptions) {
  const given: ScopeKind | undefined =
    o.drive !== undefined
      ? 'drive'
      : o.plate !== undefined
        ? 'plate'
        : o.cameras !== undefined || o.from !== undefined || o.to !== undefined
          ? 'cameras'
          : undefined;
  const kind = await askChoice<ScopeKind>(ctx, given, {
    flag: '--cameras/--from/--to, --plate or --drive',
    message: 'What is asked for?',
    choices: [
      { name: 'cameras and a time range', value: 'cameras' as const },
      { name: 'a plate (needs `custody ocr` and the plate search)', value: 'plate' as const },
      { name: 'a specific drive', value: 'drive' as const },
    ],
  });
  if (kind === 'drive') return { kind, drive: await askText(ctx, o.drive, { flag: '--drive', message: 'Drive:' }) };
  const plate =
    kind === 'plate'
      ? await askText(ctx, o.plate, { flag: '--plate', message: 'Plate:', validate: nonEmpty })
      : undefined;
  const optional = kind === 'plate' ? '' : undefined;
  const cameras = await askText(ctx, o.cameras, {
    flag: '--cameras',
    message: kind === 'plate' ? 'Cameras (comma-separated; empty for all):' : 'Cameras (comma-separated):',
    default: optional,
  });
  const from = await askWhen(ctx, o.from, s, {
    flag: '--from',
    message: 'From (date or date and time):',
    optional: kind === 'plate',
  });
  const to = await askWhen(ctx, o.to, s, {
    flag: '--to',
    message: 'To (date or date and time):',
    optional: kind === 'plate',
    endOfDay: true,
    validate: (iso) =>
      from && Date.parse(iso) < Date.parse(from)
        ? `That is before the start, ${formatWhen(new Date(from), s.settings.timeZone, s.clock())}.`
        : undefined,
  });
  checkRange(from || undefined, to || undefined, ['--from', '--to'], [o.from ?? from, o.to ?? to]);
  const range = { from: from || undefined, to: to || undefined };
  const list = cameras
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  return { kind, plate, cameras: list, ...range };
}

function requestTable(list: RequestJson[]): string {
  return table(
    ['request', 'agency', 'case', 'purpose', 'received', 'asked for', 'status'],
    list.map((r) => [
      r.id,
      r.agency,
      r.caseNumber,
      r.purpose,
      r.receivedAt.slice(0, 16),
      describeScope(r.scope),
      r.status,
    ]),
  );
}

function attentionTable(a: AttentionItem[]): string {
  return table(
    ['what', 'id', 'since', 'note'],
    a.map((x) => [x.what, x.id, x.since.slice(0, 10), x.note]),
  );
}

function requestDetails(r: RequestDetails): string {
  const head = details([
    ['request', r.id],
    ['agency', r.agency],
    ['officer', `${r.officer} (badge ${r.badge})`],
    ['case', r.caseNumber],
    ['purpose', r.purpose],
    ['received', r.receivedAt],
    ['written request', r.document.sha256 ? `${r.document.name} (sha256 ${r.document.sha256})` : r.document.reference],
    ['asked for', describeScope(r.scope)],
    ['batches in scope', r.batchesInScope.join(', ') || '(none imported yet)'],
    ['status', `${r.status} since ${r.statusAt}${r.statusReason ? ` (${r.statusReason})` : ''}`],
  ]);
  const holds = table(
    ['hold', 'reason', 'review', 'standing'],
    r.holds.map((h) => [h.id, h.reason, h.reviewDate, h.standing ? 'yes' : `released ${h.releasedAt}`]),
  );
  const releases = table(
    ['receipt', 'kind', 'released', 'files', 'manifest', 'acknowledged'],
    r.releases.map((x) => [
      x.receipt,
      x.kind === 'drive' ? `drive ${x.drive}` : 'export',
      x.releasedAt,
      x.files,
      x.manifestSha256?.slice(0, 16),
      x.acknowledged?.date ?? 'no',
    ]),
  );
  return `${head}\nHolds:\n${holds}\nReleases:\n${releases}`;
}

function registerNew(request: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  request
    .command('new')
    .description('record a request: agency, officer, case, purpose, the written request, and what is asked for')
    .option('--agency <id>', 'the requesting agency (custody agency list)')
    .option('--officer <name>', 'the requesting officer')
    .option('--badge <id>', 'badge or id number')
    .addOption(flags.caseNumber('case number'))
    .addOption(flags.purpose())
    .option('--received-at <when>', 'when it was received (default now)')
    .addOption(flags.document())
    .addOption(flags.documentRef())
    .option('--cameras <list>', 'cameras, comma-separated')
    .addOption(flags.from('start of the time range (date or ISO-8601)'))
    .addOption(flags.to('end of the time range (a date means its end)'))
    .option('--plate <plate>', 'a plate (fulfilled through the plate search)')
    .addOption(flags.drive('a specific drive'))
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody request new --agency ECSO --officer "Sgt. R. Alvarez" --badge 4417 --case 26-001234 --purpose "criminal investigation" --document letter.pdf --cameras CAM-01 --from 2026-11-02 --to 2026-11-03\n  $ custody request new --agency ECSO ... --drive D001',
    )
    .action(async (o: RequestNewOptions) => {
      const g = globals();
      await withSession(ctx, g, 'request new', 'requests.manage', async (s) => {
        const who = await askRequester(ctx, s, o);
        const { request: r, refusal } = recordRequest(s, { ...who, ...(await askScope(ctx, s, o)) });
        if (g.json) return printJson(ctx, r);
        ctx.stdout.write(`Request ${r.id} recorded: ${r.agency}, case ${r.caseNumber}, ${describeScope(r.scope)}.\n`);
        if (refusal) ctx.stderr.write(`warning: it cannot be fulfilled: ${refusal}\n`);
        if (r.scope.plate)
          ctx.stderr.write(
            'note: a plate is found through `custody ocr` and `custody search` with this request as its purpose.\n',
          );
      });
    });
}

function registerClose(request: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  for (const [name, what] of [
    ['deny', 'denied'],
    ['withdraw', 'withdrawn'],
  ] as const) {
    request
      .command(`${name} <id>`)
      .description(name === 'deny' ? 'deny a request, with the reason' : 'record that the agency withdrew a request')
      .addOption(flags.reason())
      .action(async (id: string, o: { reason?: string }) => {
        const g = globals();
        await withSession(ctx, g, `request ${name}`, 'requests.manage', async (s) => {
          checkOpenRequest(s, id);
          const reason = await askText(ctx, o.reason, {
            flag: '--reason',
            message: 'Reason:',
            default: name === 'withdraw' ? '' : undefined,
            validate: name === 'deny' ? (x) => (x ? undefined : 'A denial needs its reason.') : undefined,
          });
          const r = name === 'deny' ? denyRequest(s, { id, reason }) : withdrawRequest(s, { id, reason });
          if (g.json) return printJson(ctx, r);
          ctx.stdout.write(`Request ${id} ${what}.\n`);
        });
      });
  }
}

export function registerRequest(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  const request = program
    .command('request')
    .description('law-enforcement requests for data (policy §5: when requested, when and to whom provided)');
  registerNew(request, ctx, globals);

  request
    .command('list')
    .description('list requests; --attention lists what is overdue (acknowledgements, open requests, holds to review)')
    .option('--status <status>', 'open, fulfilled, denied or withdrawn')
    .option('--attention', 'only what needs attention')
    .action(async (o: { status?: string; attention?: boolean }) => {
      const g = globals();
      await withSession(ctx, g, 'request list', 'requests.manage', (s) => {
        if (o.attention) {
          const a = listAttention(s);
          return g.json ? printJson(ctx, a) : ctx.stdout.write(attentionTable(a));
        }
        const list = listRequests(s, { status: o.status });
        if (g.json) return printJson(ctx, list);
        ctx.stdout.write(requestTable(list));
      });
    });

  request
    .command('show <id>')
    .description('show a request with its holds and releases')
    .action(async (id: string) => {
      const g = globals();
      await withSession(ctx, g, 'request show', 'requests.manage', (s) => {
        const r = showRequest(s, id);
        if (g.json) return printJson(ctx, r);
        ctx.stdout.write(requestDetails(r));
      });
    });

  request
    .command('document <id>')
    .description(
      'write out a kept document: the written request of a request (REQ-…), of a hold (HOLD-…), or the acknowledgement scan of a receipt (R-…)',
    )
    .addOption(flags.outFile('where to write it (must not exist)'))
    .action(async (id: string, o: { out?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'request document', 'log.read', async (s) => {
        keptDocument(s, id);
        const out = await askText(ctx, o.out, { flag: '--out', message: 'Write it to:' });
        const w = writeKeptDocument(s, { id, out });
        if (g.json) return printJson(ctx, w);
        ctx.stdout.write(`Wrote ${w.file} (${w.bytes} bytes, sha256 ${w.sha256}).\n`);
      });
    });

  registerClose(request, ctx, globals);
}
