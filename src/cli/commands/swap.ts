import path from 'node:path';
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { parseIsoWithOffset } from '../../core/time.js';
import { checkInstallable } from '../../ledger/drives.js';
import type { Session } from '../../ledger/session.js';
import type { ImportSummary } from '../../media/import.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { askChoice, askConfirm, askText } from '../prompts.js';
import { progressBar } from '../progress.js';
import { bytes, paint, printJson, table, useColor } from '../render.js';
import { withSession } from '../session.js';
import { findDrive, type DriveRow } from '../../ledger/drives.js';
import { enrolDrive } from './drive.js';

interface SourceChoice {
  path: string;
  label?: string;
}

/** Find the drive to read: --source, else the USB drives drivelist sees (one, or a choice). */
async function chooseSource(ctx: CliContext, source: string | undefined): Promise<SourceChoice> {
  if (source) return { path: path.resolve(source) };
  const { listUsbDrives } = await import('../../media/drives.js');
  const usb = (await listUsbDrives().catch(() => [])).flatMap((d) =>
    d.mountpoints.map((m) => ({ path: m.path, label: m.label ?? d.description })),
  );
  if (usb.length === 0)
    throw new CustodyError(
      'notFound',
      'No mounted USB drive was found.',
      'Plug the drive in (and mount it), or give its folder with --source PATH.',
    );
  if (usb.length === 1) return usb[0]!;
  const chosen = await askChoice(ctx, undefined, {
    flag: '--source',
    message: 'Which drive?',
    choices: usb.map((u) => ({ name: `${u.path}${u.label ? ` (${u.label})` : ''}`, value: u.path })),
  });
  return usb.find((u) => u.path === chosen)!;
}

/** Recognise the drive: its id file, else its volume label and serial; else offer to enrol it. */
async function recogniseDrive(
  ctx: CliContext,
  s: Session,
  src: SourceChoice,
  o: { enrol?: boolean },
): Promise<{ drive: DriveRow; enrolled: boolean }> {
  const { readDriveIdFile, readVolumeInfo } = await import('../../media/drives.js');
  const id = await readDriveIdFile(src.path);
  if (id.info) {
    if (id.info.home && id.info.home !== s.home.json.homeId)
      throw new CustodyError(
        'conflict',
        `This drive (${id.info.driveId}) was enrolled by another custody home.`,
        'Check where it came from before importing it.',
      );
    const row = s.ledger.one<DriveRow>('SELECT * FROM drives WHERE id = ?', [id.info.driveId]);
    if (row) return { drive: row, enrolled: false };
  }
  const vol = await readVolumeInfo(src.path).catch(() => ({}) as { label?: string; serial?: string });
  if (vol.serial) {
    const bySerial = s.ledger.rows<DriveRow>('SELECT * FROM drives WHERE serial = ?', [vol.serial]);
    if (bySerial.length === 1) return { drive: bySerial[0]!, enrolled: false };
  }
  const yes = await askConfirm(ctx, o.enrol, {
    flag: '--enrol',
    message: `This drive${vol.label ? ` (${vol.label})` : ''} is not enrolled. Enrol it now?`,
    default: false,
  });
  if (!yes)
    throw new CustodyError(
      'notFound',
      `The drive at ${src.path} is not enrolled.`,
      'Enrol it with --enrol (or `custody drive enrol --source PATH`).',
    );
  const drive = await enrolDrive(s, { source: src.path });
  s.commit();
  return { drive, enrolled: true };
}

function whenArg(v: string | undefined, flag: string): string | undefined {
  if (v === undefined) return undefined;
  if (!parseIsoWithOffset(v))
    throw new CustodyError(
      'usage',
      `${flag} ${v} is not ISO-8601 with an offset.`,
      'For example 2026-11-26T09:30:00-08:00.',
    );
  return v;
}

async function runImport(
  ctx: CliContext,
  g: GlobalOptions,
  s: Session,
  src: string,
  drive: DriveRow,
  camera: string | null,
  o: { verify?: string; removedAt?: string },
): Promise<ImportSummary> {
  const { importDrive } = await import('../../media/import.js');
  const { endExiftool } = await import('../../media/exif.js');
  const bar = await progressBar(ctx, g, 'Importing', 'files');
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  try {
    return await importDrive(s, {
      source: src,
      driveId: drive.id,
      cameraId: camera,
      removedAt: o.removedAt,
      verifySource: o.verify === 'source',
      signal: ac.signal,
      onProgress: (p) => bar.update(p.files, p.totalFiles, { mb: (p.bytes / 1e6).toFixed(0) }),
    });
  } finally {
    bar.stop();
    process.removeListener('SIGINT', onSig);
    await endExiftool();
  }
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
    for (const [what, files] of byWhat) {
      lines.push(
        `  ${what}: ${
          files.length === 1
            ? JSON.stringify(files[0])
            : `${files.length} files, e.g. ${files
                .slice(0, 3)
                .map((f) => JSON.stringify(f))
                .join(', ')}`
        }`,
      );
    }
  }
  if (sum.failures.length) {
    lines.push(paint(color, 'red', `FAILED (${sum.failures.length}):`));
    for (const f of sum.failures) lines.push(`  ${JSON.stringify(f.relPath)}: ${f.problem}`);
  }
  return `${lines.join('\n')}\n`;
}

function partialFailure(sum: ImportSummary): CustodyError {
  return new CustodyError(
    'partial',
    `${sum.failed} file(s) failed to import or verify; the other ${sum.files - sum.failed} are stored and recorded.`,
    'Fix the cause (see the list) and run the import again: it imports only what is missing.',
  );
}

export function registerSwapAndImport(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('import')
    .description('import every image and clip of a drive (hash, encrypt, verify, date of recordation) into a new batch')
    .option('--source <path>', 'where the drive is mounted (default: the one USB drive plugged in)')
    .option('--camera <id>', 'the camera it came from (default: where the ledger says it was)')
    .option('--enrol', 'enrol the drive if it is unknown')
    .option('--verify <what>', '"source": also re-read each file from the drive and compare')
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody import --source /media/asd/CAMDRIVE\n  $ custody import --source ./drive-copy --verify source --json',
    )
    .action(async (o: { source?: string; camera?: string; enrol?: boolean; verify?: string }) => {
      const g = globals();
      if (o.verify !== undefined && o.verify !== 'source') throw new CustodyError('usage', '--verify takes "source".');
      await withSession(ctx, g, 'import', 'media.import', async (s) => {
        const src = await chooseSource(ctx, o.source);
        const { drive } = await recogniseDrive(ctx, s, src, o);
        const camera = o.camera ?? drive.camera_id;
        const sum = await runImport(ctx, g, s, src.path, drive, camera ?? null, o);
        if (g.json) printJson(ctx, sum);
        else ctx.stdout.write(summaryText(sum, useColor(ctx, g)));
        if (sum.failed > 0) throw partialFailure(sum);
      });
    });

  program
    .command('swap')
    .description(
      'the drive swap: recognise the drive taken out of a camera, import it, record where it is kept and which drive went in',
    )
    .option('--source <path>', 'where the drive is mounted (default: the one USB drive plugged in)')
    .option('--camera <id>', 'the camera it came out of (default: where the ledger says it was)')
    .option('--removed-at <iso>', 'when it was taken out (default: now)')
    .option('--enrol', 'enrol the drive if it is unknown')
    .option('--store-location <text>', 'where the drive is kept now, e.g. "safe, room 102"')
    .option('--replacement <id>', 'the drive that went into the camera in its place')
    .option('--no-replacement', 'no drive went into the camera')
    .option('--installed-at <iso>', 'when the replacement went in (default: now)')
    .option('--verify <what>', '"source": also re-read each file from the drive and compare')
    .option('--ocr', 'read the plates right after the swap (on a terminal it is offered)')
    .option('--no-ocr', 'do not read the plates now (custody ocr does it later)')
    .addHelpText(
      'after',
      `
On a terminal every missing answer is asked; in a script every answer is a flag.

Example:
  $ custody swap --source /media/asd/CAMDRIVE --camera CAM-01 --store-location "safe, room 102" --replacement D004`,
    )
    .action(
      async (o: {
        source?: string;
        camera?: string;
        removedAt?: string;
        enrol?: boolean;
        storeLocation?: string;
        replacement?: string | boolean;
        installedAt?: string;
        verify?: string;
        ocr?: boolean;
      }) => {
        const g = globals();
        const removedAtArg = whenArg(o.removedAt, '--removed-at');
        const installedAtArg = whenArg(o.installedAt, '--installed-at');
        if (o.verify !== undefined && o.verify !== 'source')
          throw new CustodyError('usage', '--verify takes "source".');
        await withSession(ctx, g, 'swap', 'media.import', async (s) => {
          const color = useColor(ctx, g);
          const src = await chooseSource(ctx, o.source);
          let { drive } = await recogniseDrive(ctx, s, src, o);
          const cameras = s.ledger.rows<{ id: string; location: string }>(
            "SELECT id, location FROM cameras WHERE status = 'active' ORDER BY id",
          );
          if (cameras.length === 0)
            throw new CustodyError('notFound', 'There is no camera yet.', 'Add one with `custody camera add`.');
          const camera = await askChoice(
            ctx,
            o.camera ?? (ctx.isTTY || ctx.promptOverride ? undefined : (drive.camera_id ?? undefined)),
            {
              flag: '--camera',
              message: 'Which camera did this drive come out of?',
              choices: cameras.map((c) => ({ name: `${c.id} — ${c.location}`, value: c.id })),
              default: drive.camera_id ?? undefined,
            },
          );
          if (drive.state === 'in_camera' && drive.camera_id !== camera)
            throw new CustodyError(
              'conflict',
              `The ledger says drive ${drive.id} is in camera ${drive.camera_id}, not ${camera}.`,
              `Check the camera; if the ledger is wrong, record the move with \`custody drive remove ${drive.id}\` first.`,
            );
          const removedAt =
            removedAtArg ??
            (await askText(ctx, undefined, {
              flag: '--removed-at',
              message: 'When was it taken out?',
              default: s.now(),
              validate: (v) =>
                parseIsoWithOffset(v) ? undefined : 'use ISO-8601 with offset, e.g. 2026-11-26T09:30:00-08:00',
            }));
          if (!parseIsoWithOffset(removedAt))
            throw new CustodyError('usage', `${removedAt} is not ISO-8601 with an offset.`);

          // 1. The removal is on the record before anything is read.
          if (drive.state === 'spare' || drive.state === 'stored') {
            const other = s.ledger.one<{ id: string }>(
              "SELECT id FROM drives WHERE state = 'in_camera' AND camera_id = ? AND id != ?",
              [camera, drive.id],
            );
            if (other)
              throw new CustodyError(
                'conflict',
                `The ledger says drive ${other.id} is in camera ${camera}, not drive ${drive.id}.`,
                `Check the camera. If ${other.id} is not in it, record that with \`custody drive remove ${other.id}\` and run the swap again.`,
              );
            // The ledger did not know it was in this camera: record the placement as found.
            s.append('drive.installed', {
              drive: drive.id,
              camera,
              at: removedAt,
              note: 'placement not recorded before; found in the camera at the swap',
            });
          }
          if (drive.state !== 'removed') s.append('drive.removed', { drive: drive.id, camera, at: removedAt });
          s.commit();
          drive = findDrive(s, drive.id);

          // 2. The import (it commits its own batch).
          const sum = await runImport(ctx, g, s, src.path, drive, camera, { verify: o.verify, removedAt });

          // 3. Where the drive is kept now.
          const location = await askText(ctx, o.storeLocation, {
            flag: '--store-location',
            message: 'Where is this drive kept now?',
            default: 'safe',
          });
          s.append('drive.stored', { drive: drive.id, location });
          s.commit();

          // 4. Which drive went into the camera in its place (policy §8: never one that may not be recorded over).
          const candidates = s.ledger
            .rows<DriveRow>("SELECT * FROM drives WHERE state IN ('spare', 'stored') AND id != ? ORDER BY id", [
              drive.id,
            ])
            .map((d) => ({ d, v: checkInstallable(s, d) }));
          let replacement: string | undefined;
          if (typeof o.replacement === 'string') replacement = o.replacement;
          else if (o.replacement === undefined && (ctx.isTTY || ctx.promptOverride)) {
            const pick = await askChoice(ctx, undefined, {
              flag: '--replacement',
              message: 'Which drive went into the camera?',
              choices: [
                ...candidates.map(({ d, v }) => ({
                  name: `${d.id}${d.label ? ` (${d.label})` : ''}`,
                  value: d.id,
                  disabled: v.eligible
                    ? false
                    : v.eligibleFrom
                      ? `eligible from ${v.eligibleFrom.slice(0, 10)}`
                      : 'held',
                })),
                { name: 'none', value: '' },
              ],
            });
            replacement = pick || undefined;
          } else if (o.replacement === undefined) {
            throw new CustodyError(
              'usage',
              'Missing the replacement drive: pass --replacement ID or --no-replacement.',
              `Eligible now: ${
                candidates
                  .filter((c) => c.v.eligible)
                  .map((c) => c.d.id)
                  .join(', ') || 'none'
              }.`,
            );
          }
          if (replacement) {
            const r = findDrive(s, replacement);
            const v = checkInstallable(s, r);
            if (!v.eligible)
              throw new CustodyError(
                'denied',
                v.reason,
                `Eligible now: ${
                  candidates
                    .filter((c) => c.v.eligible)
                    .map((c) => c.d.id)
                    .join(', ') || 'none'
                }. The swap so far (removal, import, storage) is recorded.`,
              );
            s.append('drive.installed', { drive: replacement, camera, at: installedAtArg ?? s.now() });
            s.commit();
          }

          const waiting = candidates
            .filter((c) => !c.v.eligible)
            .map((c) => ({ drive: c.d.id, eligibleFrom: c.v.eligibleFrom ?? null, reason: c.v.reason }));
          const out = {
            ...sum,
            removedAt,
            storedAt: location,
            replacement: replacement ?? null,
            drivesNotYetEligible: waiting,
          };
          if (g.json) printJson(ctx, out);
          else {
            ctx.stdout.write(summaryText(sum, color));
            ctx.stdout.write(`Drive ${drive.id} is stored: ${location}.\n`);
            ctx.stdout.write(
              replacement
                ? `Drive ${replacement} went into camera ${camera}.\n`
                : paint(color, 'yellow', `No drive went into camera ${camera}: it is not recording.\n`),
            );
            if (waiting.length)
              ctx.stdout.write(
                `Not yet eligible to go back into a camera:\n${table(
                  ['drive', 'eligible from', 'why'],
                  waiting.map((w) => [w.drive, w.eligibleFrom?.slice(0, 10) ?? '—', w.reason]),
                )}`,
              );
          }
          // Plate reading is a queue: offered now, never required for the swap to be done.
          const readNow =
            sum.stored > 0 &&
            (await askConfirm(ctx, o.ocr, {
              flag: '--ocr',
              message: 'The swap is recorded. Read the plates of this batch now?',
              default: false,
            }));
          if (readNow) {
            const { readPlates } = await import('./ocr.js');
            const r = await readPlates(ctx, g, s, { batch: sum.batch });
            if (!g.json) ctx.stdout.write(`Plates read: ${r.readable} of ${r.images} images have a readable plate.\n`);
          } else if (!g.json && sum.stored > 0)
            ctx.stdout.write(
              'Plate reading has not run yet: start it with `custody ocr` (it does not hold up the swap).\n',
            );
          if (sum.failed > 0) throw partialFailure(sum);
        });
      },
    );
}
