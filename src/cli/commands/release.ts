/**
 * `custody release`: hand data to a requesting agency (policy §5) — an export of the request's
 * images as a BagIt bag, or a drive — with a signed receipt.
 */
import { Option, type Command } from 'commander';
import { formatBytes } from '../../core/format.js';
import { CustodyError } from '../../core/errors.js';
import { describeScope, requestScope } from '../../ledger/features/requests.js';
import type { Session } from '../../ledger/session.js';
import {
  checkBagFolder,
  checkReceiptFile,
  checkRelease,
  defaultReceiptFile,
  planDriveRelease,
  planExportRelease,
  type ReleaseInput,
  type ReleasePlan,
  type ReleaseResult,
  type ReleaseTarget,
  releaseDriveChoices,
  releaseRequest,
  releaseRequestChoices,
} from '../../operations/release.js';
import type { OutputMode } from '../../ledger/fsutil.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags } from '../options.js';
import { askChoice, askConfirm, askText } from '../prompts.js';
import { details, printJson } from '../render.js';
import { withSession } from '../session.js';

interface ReleaseOptions {
  request?: string;
  drive?: string;
  source?: string;
  to?: string;
  receipt?: string;
  allInRange?: boolean;
  ackDays?: number;
  yes?: boolean;
  mode?: OutputMode;
}

/** `--request` or the choice of a standing request; a request not among them is checked by the release. */
async function askRequest(ctx: CliContext, s: Session, o: ReleaseOptions): Promise<string> {
  return askChoice(ctx, o.request, {
    flag: '--request',
    message: 'Request to fulfil:',
    choices: releaseRequestChoices(s).map((r) => ({
      name: `${r.id}  ${r.agency_id}  case ${r.case_number}  ${describeScope(requestScope(r))}`,
      value: r.id,
    })),
  }).catch((e: unknown) => {
    if (o.request !== undefined && e instanceof CustodyError && e.code === 'usage') return o.request;
    throw e;
  });
}

async function askDrive(ctx: CliContext, s: Session, t: ReleaseTarget, o: ReleaseOptions): Promise<string> {
  return askChoice(ctx, o.drive, {
    flag: '--drive',
    message: 'Drive:',
    choices: releaseDriveChoices(s, t).map((d) => ({ name: `${d.id}  ${d.label ?? ''}  ${d.state}`, value: d.id })),
  }).catch((e: unknown) => {
    if (o.drive !== undefined && e instanceof CustodyError && e.code === 'usage') return o.drive;
    throw e;
  });
}

const to = (t: ReleaseTarget) => `${t.agency.name} (${t.request.officer}, badge ${t.request.badge})`;

/** The prompts of a drive handed over: which drive, where the receipt goes, and the confirmation. */
async function askDriveRelease(ctx: CliContext, s: Session, t: ReleaseTarget, o: ReleaseOptions) {
  const plan = await planDriveRelease(s, t, await askDrive(ctx, s, t, o));
  const source = await askText(ctx, o.source, {
    flag: '--source',
    message: `Where is drive ${plan.drive.id} mounted (it is re-read before it is handed over)?`,
  });
  const receipt = checkReceiptFile(
    s,
    await askText(ctx, o.receipt, { flag: '--receipt', message: 'Write the receipt to:' }),
  );
  const message = `Hand drive ${plan.drive.id} to ${to(t)}?`;
  if (!(await askConfirm(ctx, o.yes, { flag: '--yes', message, default: true })))
    throw new CustodyError('interrupted', 'Cancelled; nothing was recorded.');
  return { plan, input: { receipt, source } };
}

/** The prompts of an export: the folder, the confirmation (with the count), and where the receipt goes. */
async function askExport(ctx: CliContext, s: Session, t: ReleaseTarget, o: ReleaseOptions) {
  const plan = await planExportRelease(s, t, { allInRange: o.allInRange });
  const dir = checkBagFolder(
    s,
    await askText(ctx, o.to, { flag: '--to', message: 'Folder to write the bag to (new or empty):' }),
  );
  const message = `Export ${plan.items.length} files to ${to(t)} at ${dir}?`;
  if (!(await askConfirm(ctx, o.yes, { flag: '--yes', message, default: true })))
    throw new CustodyError(
      'interrupted',
      plan.plateSearchRecorded
        ? `Cancelled; nothing was written or released. The plate search that found the ${plan.items.length} file(s) is in the access record (Civ. Code 1798.90.52).`
        : 'Cancelled; nothing was written or recorded.',
    );
  const receipt = await askText(ctx, o.receipt, {
    flag: '--receipt',
    message: 'Write the receipt to:',
    default: defaultReceiptFile(plan, dir),
  });
  return { plan, input: { to: dir, receipt } };
}

async function release(ctx: CliContext, s: Session, o: ReleaseOptions): Promise<ReleaseResult> {
  const t = checkRelease(s, { request: await askRequest(ctx, s, o), ackDays: o.ackDays });
  const how = await askChoice(ctx, o.drive !== undefined ? 'drive' : o.to !== undefined ? 'export' : undefined, {
    flag: '--to DIR (an export) or --drive ID',
    message: 'Hand over:',
    choices: [
      { name: 'an export of the matching images (a BagIt bag)', value: 'export' as const },
      { name: 'a drive itself', value: 'drive' as const },
    ],
  });
  const { plan, input }: { plan: ReleasePlan; input: ReleaseInput } =
    how === 'drive' ? await askDriveRelease(ctx, s, t, o) : await askExport(ctx, s, t, o);
  const out = await releaseRequest(s, plan, { ...input, mode: o.mode });
  for (const w of out.warnings ?? []) ctx.stderr.write(`${w}\n`);
  return out;
}

function releaseDetails(r: ReleaseResult): string {
  const x = r.release;
  return `${details([
    ['receipt', x.receipt],
    ['request', x.request],
    ['to', `${x.officer} (badge ${x.badge}), ${x.agency}`],
    ['released', x.releasedAt],
    [
      'handed over',
      x.kind === 'drive'
        ? `drive ${x.drive} (${x.files} files)`
        : `bag ${r.bag} (${x.files} files, ${formatBytes(x.bytes)}, Payload-Oxum ${x.payloadOxum})`,
    ],
    ['manifest sha256', x.manifestSha256],
    ['ledger head', r.ledgerHead],
    ['receipt file', r.receiptFile],
  ])}Have the recipient sign the receipt; record it with \`custody receipt ack ${x.receipt} --scan FILE --date YYYY-MM-DD\`.\n`;
}

export function registerRelease(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('release')
    .description(
      "hand data to a requesting agency (policy §5): an export of the request's images as a BagIt bag, or a drive; writes the signed receipt",
    )
    .addOption(flags.request('the request fulfilled'))
    .addOption(new Option('--to <dir>', 'export: write the bag to this new folder'))
    .addOption(flags.drive('hand over this drive instead'))
    .addOption(
      flags.source('a drive: where it is mounted (it is re-read and compared before the receipt certifies it)'),
    )
    .option('--receipt <file>', 'where to write the receipt PDF (default: next to the bag)')
    .option('--all-in-range', 'for a plate request: release everything its cameras recorded in its time range')
    .option(
      '--ack-days <n>',
      'days within which the written acknowledgement is expected (default: the acknowledgementDays setting)',
      (v) => Number(v),
    )
    .addOption(flags.yes('do not ask for confirmation'))
    .addOption(flags.mode('permissions of the bag and receipt, in octal (default 600: only you; folders 700)'))
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody release --request REQ-2026-0001 --to /media/usb/REQ-2026-0001\n  $ custody release --request REQ-2026-0002 --drive D001 --source /media/usb --receipt ~/receipts/R-2026-0002.pdf',
    )
    .action(async (o: ReleaseOptions) => {
      const g = globals();
      await withSession(ctx, g, 'release', 'release', async (s) => {
        const r = await release(ctx, s, o);
        if (g.json) return printJson(ctx, r);
        ctx.stdout.write(releaseDetails(r));
      });
    });
}
