/** `custody swap`: the drive swap's steps (src/operations/swap.ts) with the questions asked between them. */
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import type { DriveRow } from '../../ledger/drives.js';
import type { HeldLock } from '../../ledger/lock.js';
import type { Session } from '../../ledger/session.js';
import type { ImportSummary } from '../../media/import.js';
import { checkVerify, partialFailure } from '../../operations/import.js';
import { findDrive } from '../../ledger/drives.js';
import type { SwapRow } from '../../ledger/swaps.js';
import {
  checkNotAlreadyImported,
  checkSwapCamera,
  claimDrive,
  eligibleNow,
  finishSwap,
  nextStep,
  type ReplacementCandidate,
  recordedImport,
  recordedSteps,
  recordStorage,
  replacementCandidates,
  type SwapProgress,
  type SwapSummary,
  startSwap,
  swapCameras,
  swapInProgress,
  swapProgress,
  swapSummary,
} from '../../operations/swap.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags, whenFlag } from '../options.js';
import { askChoice, askConfirm, askText, askWhen } from '../prompts.js';
import { paint, printJson, table, useColor } from '../render.js';
import { withSession } from '../session.js';
import { chooseSource, importWithProgress, recogniseOrEnrol, summaryText } from './import.js';
import { readPlatesWithProgress } from './ocr.js';

interface SwapOpts {
  source?: string;
  camera?: string;
  removedAt?: string;
  enrol?: boolean;
  storeLocation?: string;
  replacement?: string | boolean;
  installedAt?: string;
  verify?: string;
  ocr?: boolean;
}

function canAsk(ctx: CliContext): boolean {
  return ctx.isTTY || ctx.promptOverride !== undefined;
}

/** Which camera the drive came out of: --camera, a choice on a terminal, else where the ledger says. */
async function askCamera(ctx: CliContext, s: Session, drive: DriveRow, o: SwapOpts): Promise<string> {
  const cameras = swapCameras(s);
  return askChoice(ctx, o.camera ?? (canAsk(ctx) ? undefined : (drive.camera_id ?? undefined)), {
    flag: '--camera',
    message: 'Which camera did this drive come out of?',
    choices: cameras.map((c) => ({ name: `${c.id} — ${c.location}`, value: c.id })),
    default: drive.camera_id ?? undefined,
  });
}

/** When the drive was taken out: --removed-at (already read), else asked (default: now), in the home's zone. */
async function askRemovedAt(ctx: CliContext, s: Session, given: string | undefined): Promise<string> {
  if (given) return given;
  return askWhen(ctx, undefined, s, { flag: '--removed-at', message: 'When was it taken out?', default: s.clock() });
}

/** Which drive went into the camera: --replacement / --no-replacement, else a choice on a terminal. */
async function askReplacement(
  ctx: CliContext,
  o: SwapOpts,
  candidates: ReplacementCandidate[],
): Promise<string | undefined> {
  if (typeof o.replacement === 'string') return o.replacement;
  if (o.replacement === false) return undefined;
  if (!canAsk(ctx))
    throw new CustodyError(
      'usage',
      'Missing the replacement drive: pass --replacement ID or --no-replacement.',
      `Eligible now: ${eligibleNow(candidates)}.`,
    );
  const pick = await askChoice(ctx, undefined, {
    flag: '--replacement',
    message: 'Which drive went into the camera?',
    choices: replacementChoices(candidates),
  });
  return pick || undefined;
}

/**
 * The replacement menu: the drives that may go in first (the cursor starts on the first of them),
 * then the others, disabled, each saying why not; last "none".
 */
export function replacementChoices(
  candidates: ReplacementCandidate[],
): { name: string; value: string; disabled: string | false }[] {
  const ordered = [...candidates.filter((c) => c.verdict.eligible), ...candidates.filter((c) => !c.verdict.eligible)];
  return [
    ...ordered.map(({ drive: d, verdict: v }) => ({
      name: `${d.id}${d.label ? ` (${d.label})` : ''}`,
      value: d.id,
      disabled: v.eligible ? (false as const) : notYet(v),
    })),
    { name: 'none (the camera is not recording)', value: '', disabled: false as const },
  ];
}

/** Why a drive may not go into a camera yet, in a few words for the menu. */
function notYet(v: ReplacementCandidate['verdict']): string {
  if (v.blockingHolds.length) return `held (${v.blockingHolds.join(', ')})`;
  if (v.eligibleFrom) return `eligible from ${v.eligibleFrom.slice(0, 10)}`;
  return v.reason || 'not eligible';
}

function swapText(out: SwapSummary, driveId: string, camera: string, color: boolean): string {
  const waiting = out.drivesNotYetEligible;
  return [
    summaryText(out, color),
    `Drive ${driveId} is stored: ${out.storedAt}.\n`,
    out.replacement
      ? `Drive ${out.replacement} went into camera ${camera}.\n`
      : paint(color, 'yellow', `No drive went into camera ${camera}: it is not recording.\n`),
    waiting.length
      ? `Not yet eligible to go back into a camera:\n${table(
          ['drive', 'eligible from', 'why'],
          waiting.map((w) => [w.drive, w.eligibleFrom?.slice(0, 10) ?? '—', w.reason]),
        )}`
      : '',
  ].join('');
}

/** Plate reading is a queue: offered now, never required for the swap to be done. */
async function offerOcr(ctx: CliContext, g: GlobalOptions, s: Session, sum: ImportSummary, o: SwapOpts) {
  const readNow =
    sum.stored > 0 &&
    (await askConfirm(ctx, o.ocr, {
      flag: '--ocr',
      message: 'The swap is recorded. Read the plates of this batch now?',
      default: false,
    }));
  if (readNow) {
    // The swap is recorded: plate reading that cannot run now (another `custody ocr` is reading) waits for later.
    const r = await readPlatesWithProgress(ctx, g, s, { batch: sum.batch }).catch((e: unknown) => {
      if (!(e instanceof CustodyError && e.code === 'locked')) throw e;
      ctx.stderr.write(`${e.message} Batch ${sum.batch} is read by \`custody ocr\` later.\n`);
      return undefined;
    });
    if (r && !g.json) ctx.stdout.write(`Plates read: ${r.readable} of ${r.images} images have a readable plate.\n`);
  } else if (!g.json && sum.stored > 0)
    ctx.stdout.write('Plate reading has not run yet: start it with `custody ocr` (it does not hold up the swap).\n');
}

/** What a run of the swap has done, for the words of an interruption. */
interface SwapRun {
  enrolled?: string;
  swap?: SwapRow;
  /** An earlier run began this swap. */
  resumed?: boolean;
  /** The drive, held while this swap runs. */
  held?: HeldLock;
}

/** Ctrl-C (at a prompt or during the import) says exactly what is on the record and how to go on. */
function explainStop(s: Session, e: unknown, run: SwapRun): unknown {
  if (!(e instanceof CustodyError) || e.code !== 'interrupted') return e;
  if (!run.swap && !run.enrolled) return e;
  const stopped = e.message.startsWith('Cancelled') ? 'Cancelled.' : e.message;
  const facts = run.enrolled ? [`the enrolment of drive ${run.enrolled} (its id file written)`] : [];
  if (!run.swap)
    return new CustodyError(
      'interrupted',
      `${stopped} Recorded so far: ${facts.join('; ')}; nothing else.`,
      'Run `custody swap` again to swap this drive.',
    );
  const p = swapProgress(s, run.swap);
  facts.push(...recordedSteps(p));
  if (p.swap.status === 'finished')
    return new CustodyError(
      'interrupted',
      `${stopped} Swap ${p.swap.id} is recorded in full: ${facts.join('; ')}.`,
      'Plate reading has not run: start it with `custody ocr`.',
    );
  return new CustodyError(
    'interrupted',
    `${stopped} Recorded so far (swap ${p.swap.id}): ${facts.join('; ')}.`,
    `Run \`custody swap\`${p.imported ? '' : ' with the drive plugged in'} to continue from ${nextStep(p)}; the times already given are kept.`,
  );
}

/** "Recognised drive D003 (CAMDRIVE, serial 1A2B-3C4D) from CAM-01.": said before anything is asked. */
export function recognisedLine(d: DriveRow): string {
  const what = [d.label, d.serial ? `serial ${d.serial}` : undefined].filter(Boolean).join(', ');
  const where =
    d.state === 'in_camera' && d.camera_id
      ? `from ${d.camera_id}`
      : d.camera_id
        ? `(recorded as ${d.state.replace('_', ' ')}, last in ${d.camera_id})`
        : `(recorded as ${d.state.replace('_', ' ')})`;
  return `Recognised drive ${d.id}${what ? ` (${what})` : ''} ${where}.`;
}

/** The swap to continue, or a new one: the drive, the camera and the removal on the record. */
async function beginOrResume(
  ctx: CliContext,
  g: GlobalOptions,
  s: Session,
  o: SwapOpts,
  run: SwapRun,
): Promise<{ progress: SwapProgress; drive: DriveRow; source?: string }> {
  const removedAtFlag = whenFlag(o.removedAt, '--removed-at', s);
  const src = await chooseSource(ctx, o.source).catch((e: unknown) => {
    // With no drive plugged in, a swap whose import is done can still be finished.
    if (!o.source && e instanceof CustodyError && e.code === 'notFound' && swapInProgress(s)) return undefined;
    throw e;
  });
  const found = src ? await recogniseOrEnrol(ctx, s, src, o) : undefined;
  if (found?.enrolled) run.enrolled = found.drive.id;
  if (found && !found.enrolled && !g.json) ctx.stdout.write(`${recognisedLine(found.drive)}\n`);
  if (found) run.held = await claimDrive(s, found.drive.id);
  const resumed = swapInProgress(s, found?.drive.id);
  if (resumed && !found) run.held = await claimDrive(s, resumed.swap.drive_id);
  if (resumed) {
    run.swap = resumed.swap;
    run.resumed = true;
    if (o.camera && o.camera !== resumed.swap.camera_id)
      throw new CustodyError(
        'conflict',
        `Swap ${resumed.swap.id} of drive ${resumed.swap.drive_id} is unfinished and is recorded as from camera ${resumed.swap.camera_id}, not ${o.camera}.`,
        'Run `custody swap` without --camera to finish it.',
      );
    if (!g.json)
      ctx.stdout.write(
        `Resuming swap ${resumed.swap.id}: recorded ${recordedSteps(resumed).join('; ')}. Continuing from ${nextStep(resumed)}.\n`,
      );
    return { progress: resumed, drive: findDrive(s, resumed.swap.drive_id), source: src?.path };
  }
  const drive = found!.drive;
  await checkNotAlreadyImported(s, drive, src!.path);
  const camera = await askCamera(ctx, s, drive, o);
  checkSwapCamera(drive, camera);
  // A removal already on the record keeps its time: it is not asked again.
  const removedAt =
    drive.state === 'removed' && drive.removed_at ? drive.removed_at : await askRemovedAt(ctx, s, removedAtFlag);
  const started = startSwap(s, { drive, camera, removedAt });
  run.swap = started.swap;
  return { progress: swapProgress(s, started.swap), drive: started.drive, source: src!.path };
}

async function swapSteps(ctx: CliContext, g: GlobalOptions, s: Session, o: SwapOpts, run: SwapRun): Promise<void> {
  const installedAt = whenFlag(o.installedAt, '--installed-at', s);
  // 1. The removal is on the record before anything is read (or was, by the run that began this swap).
  let { progress, drive, source } = await beginOrResume(ctx, g, s, o, run);
  const swap = progress.swap;
  // 2. The import: its batch is the swap's; an interrupted one resumes in the same batch.
  let sum: ImportSummary;
  if (progress.imported && progress.batch) sum = recordedImport(s, progress.batch, drive.id);
  else {
    if (!source)
      throw new CustodyError(
        'notFound',
        `Swap ${swap.id} needs drive ${drive.id} to finish its import.`,
        'Plug it in.',
      );
    sum = await importWithProgress(ctx, g, s, {
      source,
      driveId: drive.id,
      cameraId: swap.camera_id,
      removedAt: swap.removed_at,
      verifySource: o.verify === 'source',
    });
  }
  // 3. Where the drive is kept now.
  progress = swapProgress(s, swap);
  let location = progress.swap.location;
  if (!location) {
    location = await askText(ctx, o.storeLocation, {
      flag: '--store-location',
      message: 'Where is this drive kept now?',
      default: 'safe',
    });
    recordStorage(s, { drive: drive.id, location, swap: swap.id });
  }
  // 4. Which drive went into the camera in its place (policy §8: never one that may not be recorded over).
  const candidates = replacementCandidates(s, drive.id);
  progress = swapProgress(s, swap);
  const replacement = progress.swap.replacement ?? (await askReplacement(ctx, o, candidates));
  await finishSwap(s, { swap: progress.swap, replacement, installedAt, candidates });
  const out = swapSummary(sum, {
    swap: swap.id,
    swapResumed: run.resumed === true,
    removedAt: swap.removed_at,
    location,
    replacement,
    candidates,
  });
  if (g.json) printJson(ctx, out);
  else ctx.stdout.write(swapText(out, drive.id, swap.camera_id, useColor(ctx, g)));
  await offerOcr(ctx, g, s, sum, o);
  const failure = partialFailure(sum);
  if (failure) throw failure;
}

async function swap(ctx: CliContext, g: GlobalOptions, s: Session, o: SwapOpts): Promise<void> {
  const run: SwapRun = {};
  try {
    await swapSteps(ctx, g, s, o, run);
  } catch (e) {
    throw explainStop(s, e, run);
  } finally {
    run.held?.release();
  }
}

export function registerSwap(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('swap')
    .description(
      'the drive swap: recognise the drive taken out of a camera, import it, record where it is kept and which drive went in',
    )
    .addOption(flags.source('where the drive is mounted (default: the one USB drive plugged in)'))
    .addOption(flags.camera('the camera it came out of (default: where the ledger says it was)'))
    .option('--removed-at <when>', 'when it was taken out (default: now)')
    .addOption(flags.enrol())
    .addOption(flags.storeLocation())
    .addOption(flags.replacement())
    .addOption(flags.noReplacement())
    .option('--installed-at <when>', 'when the replacement went in (default: now)')
    .addOption(flags.verify())
    .option('--ocr', 'read the plates right after the swap (on a terminal it is offered)')
    .option('--no-ocr', 'do not read the plates now (custody ocr does it later)')
    .addHelpText(
      'after',
      `
On a terminal every missing answer is asked; in a script every answer is a flag.

Example:
  $ custody swap --source /media/asd/CAMDRIVE --camera CAM-01 --store-location "safe, room 102" --replacement D004`,
    )
    .action(async (o: SwapOpts) => {
      const g = globals();
      checkVerify(o.verify);
      await withSession(ctx, g, 'swap', 'media.import', (s) => swap(ctx, g, s, o));
    });
}
