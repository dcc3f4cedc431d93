/** `custody import`: import every file of a drive into a new batch. The steps shared with the swap live here too. */
import path from 'node:path';
import type { Command } from 'commander';
import type { DriveRow } from '../../ledger/drives.js';
import type { Session } from '../../ledger/session.js';
import type { ImportSummary } from '../../media/import.js';
import {
  checkVerify,
  enrolUnknownDrive,
  type ImportInput,
  importMedia,
  partialFailure,
  recogniseDrive,
  type SourceChoice,
  usbSources,
} from '../../operations/import.js';
import { checkNotAlreadyImported } from '../../operations/swap.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags } from '../options.js';
import { askChoice, askConfirm } from '../prompts.js';
import { progressBar } from '../progress.js';
import { bytes, paint, printJson, useColor } from '../render.js';
import { withSession } from '../session.js';

/** Find the drive to read: --source, else the USB drives drivelist sees (one, or a choice). */
export async function chooseSource(ctx: CliContext, source: string | undefined): Promise<SourceChoice> {
  if (source) return { path: path.resolve(source) };
  const usb = await usbSources();
  if (usb.length === 1) return usb[0]!;
  const chosen = await askChoice(ctx, undefined, {
    flag: '--source',
    message: 'Which drive?',
    choices: usb.map((u) => ({ name: `${u.path}${u.label ? ` (${u.label})` : ''}`, value: u.path })),
  });
  return usb.find((u) => u.path === chosen)!;
}

/** Recognise the drive: its id file, else its volume label and serial; else offer to enrol it. */
export async function recogniseOrEnrol(
  ctx: CliContext,
  s: Session,
  src: SourceChoice,
  o: { enrol?: boolean },
): Promise<{ drive: DriveRow; enrolled: boolean }> {
  const found = await recogniseDrive(s, src.path);
  if (found.drive) {
    for (const w of found.warnings) ctx.stderr.write(`${w}\n`);
    return { drive: found.drive, enrolled: false };
  }
  const yes = await askConfirm(ctx, o.enrol, {
    flag: '--enrol',
    message: `This drive${found.volumeLabel ? ` (${found.volumeLabel})` : ''} is not enrolled. Enrol it now?`,
    default: false,
  });
  return { drive: await enrolUnknownDrive(s, src.path, yes), enrolled: true };
}

/** The import with a progress bar on a terminal; Ctrl-C stops it cleanly between files. */
export async function importWithProgress(
  ctx: CliContext,
  g: GlobalOptions,
  s: Session,
  o: Omit<ImportInput, 'onProgress' | 'signal'>,
): Promise<ImportSummary> {
  const bar = await progressBar(ctx, g, 'Importing', 'files');
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  try {
    return await importMedia(s, {
      ...o,
      signal: ac.signal,
      onProgress: (p) => bar.update(p.files, p.totalFiles, { mb: (p.bytes / 1e6).toFixed(0) }),
    });
  } finally {
    bar.stop();
    process.removeListener('SIGINT', onSig);
  }
}

function quoteFew(files: string[]): string {
  return files.length === 1
    ? JSON.stringify(files[0])
    : `${files.length} files, e.g. ${files
        .slice(0, 3)
        .map((f) => JSON.stringify(f))
        .join(', ')}`;
}

export function summaryText(sum: ImportSummary, color: boolean): string {
  const lines = [
    `Batch ${sum.batch}${sum.resumed ? ' (resumed)' : ''}: drive ${sum.drive}${sum.camera ? `, camera ${sum.camera}` : ''}`,
    `Files: ${sum.files} (${sum.stored} stored, ${sum.duplicates} already in the store, ${sum.skipped} skipped, ${sum.failed} failed); ${bytes(sum.bytes)}`,
    `Dates of recordation: ${sum.recordedFirst ?? '—'} to ${sum.recordedLast ?? '—'}`,
    `Manifest SHA-256: ${sum.manifestSha256}`,
  ];
  if (sum.nothingNew)
    lines.push(paint(color, 'yellow', 'Nothing new: every file on this drive was already in the store.'));
  if (sum.attention.length) {
    lines.push(paint(color, 'yellow', `Needs attention (${sum.attention.length}):`));
    const byWhat = new Map<string, string[]>();
    for (const a of sum.attention) byWhat.set(a.what, [...(byWhat.get(a.what) ?? []), a.relPath]);
    for (const [what, files] of byWhat) lines.push(`  ${what}: ${quoteFew(files)}`);
  }
  if (sum.notImported.length) {
    lines.push(paint(color, 'yellow', `Not imported, recorded (${sum.notImported.length}):`));
    for (const n of sum.notImported) lines.push(`  ${JSON.stringify(n.relPath)}: ${n.reason}`);
  }
  if (sum.failures.length) {
    lines.push(paint(color, 'red', `FAILED (${sum.failures.length}):`));
    for (const f of sum.failures) lines.push(`  ${JSON.stringify(f.relPath)}: ${f.problem}`);
  }
  return `${lines.join('\n')}\n`;
}

interface ImportOpts {
  source?: string;
  camera?: string;
  enrol?: boolean;
  verify?: string;
}

export function registerImport(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('import')
    .description('import every image and clip of a drive (hash, encrypt, verify, date of recordation) into a new batch')
    .addOption(flags.source('where the drive is mounted (default: the one USB drive plugged in)'))
    .addOption(flags.camera('the camera it came from (default: where the ledger says it was)'))
    .addOption(flags.enrol())
    .addOption(flags.verify())
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody import --source /media/asd/CAMDRIVE\n  $ custody import --source ./drive-copy --verify source --json',
    )
    .action(async (o: ImportOpts) => {
      const g = globals();
      checkVerify(o.verify);
      await withSession(ctx, g, 'import', 'media.import', async (s) => {
        const src = await chooseSource(ctx, o.source);
        const { drive } = await recogniseOrEnrol(ctx, s, src, o);
        await checkNotAlreadyImported(s, drive, src.path);
        const sum = await importWithProgress(ctx, g, s, {
          source: src.path,
          driveId: drive.id,
          cameraId: o.camera ?? drive.camera_id ?? null,
          verifySource: o.verify === 'source',
        });
        if (g.json) printJson(ctx, sum);
        else ctx.stdout.write(summaryText(sum, useColor(ctx, g)));
        const failure = partialFailure(sum);
        if (failure) throw failure;
      });
    });
}
