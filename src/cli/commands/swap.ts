/** `custody swap`: the drive swap's steps (src/operations/swap.ts) with the questions asked between them. */
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { parseWhen } from '../../core/time.js';
import type { DriveRow } from '../../ledger/drives.js';
import type { Session } from '../../ledger/session.js';
import type { ImportSummary } from '../../media/import.js';
import { checkVerify, partialFailure } from '../../operations/import.js';
import {
  checkSwapCamera,
  eligibleNow,
  installReplacement,
  type ReplacementCandidate,
  recordRemoval,
  recordStorage,
  replacementCandidates,
  type SwapSummary,
  swapCameras,
  swapSummary,
} from '../../operations/swap.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags, whenFlag } from '../options.js';
import { askChoice, askConfirm, askText } from '../prompts.js';
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
  const timeZone = s.settings.timeZone;
  if (given) return given;
  const answer = await askText(ctx, undefined, {
    flag: '--removed-at',
    message: 'When was it taken out?',
    default: s.now(),
    validate: (v) => {
      try {
        parseWhen(v, { flag: '--removed-at', timeZone });
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
  return parseWhen(answer, { flag: '--removed-at', timeZone });
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
    choices: [
      ...candidates.map(({ drive: d, verdict: v }) => ({
        name: `${d.id}${d.label ? ` (${d.label})` : ''}`,
        value: d.id,
        disabled: v.eligible ? false : v.eligibleFrom ? `eligible from ${v.eligibleFrom.slice(0, 10)}` : 'held',
      })),
      { name: 'none', value: '' },
    ],
  });
  return pick || undefined;
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
    const r = await readPlatesWithProgress(ctx, g, s, { batch: sum.batch });
    if (!g.json) ctx.stdout.write(`Plates read: ${r.readable} of ${r.images} images have a readable plate.\n`);
  } else if (!g.json && sum.stored > 0)
    ctx.stdout.write('Plate reading has not run yet: start it with `custody ocr` (it does not hold up the swap).\n');
}

async function swap(ctx: CliContext, g: GlobalOptions, s: Session, o: SwapOpts): Promise<void> {
  const removedAtFlag = whenFlag(o.removedAt, '--removed-at', s.settings.timeZone);
  const installedAt = whenFlag(o.installedAt, '--installed-at', s.settings.timeZone);
  const src = await chooseSource(ctx, o.source);
  const found = await recogniseOrEnrol(ctx, s, src, o);
  const camera = await askCamera(ctx, s, found, o);
  checkSwapCamera(found, camera);
  const removedAt = await askRemovedAt(ctx, s, removedAtFlag);
  // 1. The removal is on the record before anything is read.
  const drive = recordRemoval(s, { drive: found, camera, removedAt });
  // 2. The import (it commits its own batch).
  const sum = await importWithProgress(ctx, g, s, {
    source: src.path,
    driveId: drive.id,
    cameraId: camera,
    removedAt,
    verifySource: o.verify === 'source',
  });
  // 3. Where the drive is kept now.
  const location = await askText(ctx, o.storeLocation, {
    flag: '--store-location',
    message: 'Where is this drive kept now?',
    default: 'safe',
  });
  recordStorage(s, { drive: drive.id, location });
  // 4. Which drive went into the camera in its place (policy §8: never one that may not be recorded over).
  const candidates = replacementCandidates(s, drive.id);
  const replacement = await askReplacement(ctx, o, candidates);
  if (replacement) installReplacement(s, { replacement, camera, installedAt, candidates });
  const out = swapSummary(sum, { removedAt, location, replacement, candidates });
  if (g.json) printJson(ctx, out);
  else ctx.stdout.write(swapText(out, drive.id, camera, useColor(ctx, g)));
  await offerOcr(ctx, g, s, sum, o);
  const failure = partialFailure(sum);
  if (failure) throw failure;
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
