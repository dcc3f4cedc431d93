/** `custody drive …`: USB drives and their life (policy §8); the use cases are src/operations/drives.ts. */
import path from 'node:path';
import type { Command } from 'commander';
import { describeDriveState } from '../../core/drive-state.js';
import type { CameraForecast } from '../../core/retention.js';
import { driveJson } from '../../ledger/drives.js';
import {
  type DriveListEntry,
  destroyDriveData,
  enrolDrive,
  forecastDrives,
  installDrive,
  listDriveStates,
  removeDrive,
  requireDrive,
  retireDrive,
  showDrive,
  storeDrive,
} from '../../operations/drives.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags, whenFlag } from '../options.js';
import { askText } from '../prompts.js';
import { bytes, details, printJson, table } from '../render.js';
import { withSession } from '../session.js';

type Globals = () => GlobalOptions;

interface EnrolOpts {
  source?: string;
  id?: string;
  label?: string;
  serial?: string;
  capacity?: number;
  note?: string;
}

function registerEnrol(drive: Command, ctx: CliContext, globals: Globals): void {
  drive
    .command('enrol')
    .description('enrol a drive; with --source, mark it with an id file')
    .addOption(flags.source())
    .option('--id <id>', 'the drive id (default: the next D001, D002 …)')
    .option('--label <label>', 'a label (default: the volume label)')
    .option('--serial <serial>', 'serial (default: the volume serial)')
    .option('--capacity <bytes>', 'capacity in bytes (default: read from the drive)', (v) => Number(v))
    .addOption(flags.note('e.g. the sticker on it'))
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody drive enrol --source /media/asd/CAMDRIVE\n  $ custody drive enrol --id D007 --label "blue 64GB" --serial 4C530001',
    )
    .action(async (o: EnrolOpts) => {
      const g = globals();
      await withSession(ctx, g, 'drive enrol', 'drives.manage', async (s) => {
        const d = await enrolDrive(s, {
          source: o.source ? path.resolve(o.source) : undefined,
          id: o.id,
          label: o.label,
          serial: o.serial,
          capacityBytes: o.capacity,
          note: o.note,
        });
        if (g.json) printJson(ctx, driveJson(d));
        else ctx.stdout.write(enrolText(d, o.source !== undefined));
      });
    });
}

/** "Enrolled drive D001 (CAMDRIVE); marked with its id file. It is a spare." and what it is known by. */
function enrolText(d: Awaited<ReturnType<typeof enrolDrive>>, fromSource: boolean): string {
  const marked =
    d.marked === 'written'
      ? '; marked with its id file'
      : d.marked === 'read-only'
        ? `; it is read-only, so it carries no id file and is known by its volume serial ${d.serial}`
        : '';
  const usb = d.usb_serial
    ? `It is on the USB device ${[d.usb_vendor, d.usb_model].filter(Boolean).join(' ')} with serial ${d.usb_serial}.\n`
    : fromSource && d.serial
      ? 'The serial of the USB device it is on could not be read: it is known by its volume only.\n'
      : '';
  return `Enrolled drive ${d.id}${d.label ? ` (${d.label})` : ''}${marked}. It is a spare.\n${usb}`;
}

function listText(out: DriveListEntry[]): string {
  return table(
    ['drive', 'label', 'state', 'where', 'since', 'recorded', 'may be recorded over'],
    out.map((d) => [
      d.id,
      d.label,
      d.state,
      d.state === 'in_camera' ? d.camera : d.state === 'released' ? d.releasedTo : (d.location ?? ''),
      d.stateSince.slice(0, 10),
      d.recordedFirst ? `${d.recordedFirst.slice(0, 10)} – ${d.recordedLast?.slice(0, 10)}` : '',
      d.reinstall ? (d.reinstall.eligible ? 'now' : (d.reinstall.eligibleFrom?.slice(0, 10) ?? 'no (held)')) : '',
    ]),
  );
}

function forecastText(fc: CameraForecast[]): string {
  return `${table(
    ['camera', 'swap every', 'drives needed', 'drives available', 'shared spares', 'next swap', 'runs out'],
    fc.map((c) => [
      c.cameraId,
      `${c.cadenceDays} d (${c.cadenceSource})`,
      c.drivesNeeded,
      c.drivesAvailable,
      c.sharedSpares,
      c.nextSwapDate,
      c.runsOutOnDate ?? '—',
    ]),
  )}${fc
    .flatMap((c) => c.warnings)
    .map((w) => `warning: ${w}\n`)
    .join('')}`;
}

function showText(d: ReturnType<typeof showDrive>): string {
  return `${details([
    ['drive', d.id],
    ['label', d.label],
    ['serial', d.serial],
    ['USB device', d.usbSerial ? `${[d.usbVendor, d.usbModel].filter(Boolean).join(' ')} serial ${d.usbSerial}` : null],
    ['capacity', bytes(d.capacityBytes)],
    ['state', `${describeDriveState(d.state)} since ${d.stateSince}`],
    ['camera', d.camera ?? undefined],
    ['location', d.location ?? undefined],
    ['released to', d.releasedTo ?? undefined],
    ['recorded', d.recordedFirst ? `${d.recordedFirst} – ${d.recordedLast}` : null],
    ['wiped', d.wipedAt ? `${d.wipedAt} (${d.wipeMethod})` : undefined],
    ['never imported', d.filesUnimported ? `${d.filesUnimported} images or clips` : undefined],
  ])}\nHistory (when each happened; when it was recorded, if later):\n${table(
    ['event', 'action', 'at', 'recorded', 'by', 'camera', 'location', 'note'],
    d.history.map((h) => [
      h.event,
      h.action,
      h.at,
      sameInstant(h.at, h.recordedAt) ? '' : h.recordedAt,
      h.by,
      h.camera,
      h.location,
      h.note,
    ]),
  )}`;
}

function sameInstant(a: string, b: string): boolean {
  return Date.parse(a) === Date.parse(b);
}

function registerQueries(drive: Command, ctx: CliContext, globals: Globals): void {
  drive
    .command('list')
    .description('list drives with their state and dates of recordation')
    .option('--state <state>', 'only drives in this state')
    .action(async (o: { state?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'drive list', 'log.read', (s) => {
        const out = listDriveStates(s, o);
        if (g.json) printJson(ctx, out);
        else ctx.stdout.write(listText(out));
      });
    });

  drive
    .command('forecast')
    .description('how many drives each camera needs at its swap cadence, and when one would run out (policy §8)')
    .option('--horizon-days <n>', 'how far ahead to simulate', (v) => Number(v))
    .action(async (o: { horizonDays?: number }) => {
      const g = globals();
      await withSession(ctx, g, 'drive forecast', 'log.read', (s) => {
        const fc = forecastDrives(s, o);
        if (g.json) printJson(ctx, fc);
        else ctx.stdout.write(forecastText(fc));
      });
    });

  drive
    .command('show <id>')
    .description('show one drive and its history')
    .action(async (id: string) => {
      const g = globals();
      await withSession(ctx, g, 'drive show', 'log.read', (s) => {
        const out = showDrive(s, id);
        if (g.json) printJson(ctx, out);
        else ctx.stdout.write(showText(out));
      });
    });
}

function registerInstallRemove(drive: Command, ctx: CliContext, globals: Globals): void {
  drive
    .command('install <id>')
    .description('record that a drive went into a camera (refused while its data may not be overwritten)')
    .addOption(flags.camera())
    .addOption(flags.at('when (default now)'))
    .action(async (id: string, o: { camera?: string; at?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'drive install', 'drives.manage', async (s) => {
        const at = whenFlag(o.at, '--at', s);
        requireDrive(s, id);
        const camera = await askText(ctx, o.camera, { flag: '--camera', message: 'Camera:' });
        const d = await installDrive(s, { id, camera, at });
        if (g.json) printJson(ctx, d);
        else ctx.stdout.write(`Drive ${id} is in camera ${camera}.\n`);
      });
    });

  drive
    .command('remove <id>')
    .description('record that a drive was taken out of its camera (custody swap does this for you)')
    .addOption(flags.at('when (default now)'))
    .action(async (id: string, o: { at?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'drive remove', 'drives.manage', (s) => {
        const r = removeDrive(s, { id, at: whenFlag(o.at, '--at', s) });
        if (g.json) printJson(ctx, r.drive);
        else ctx.stdout.write(`Drive ${id} was taken out of camera ${r.camera}.\n`);
      });
    });
}

function registerStoreRetire(drive: Command, ctx: CliContext, globals: Globals): void {
  drive
    .command('store <id>')
    .description('record where a removed drive is kept')
    .addOption(flags.location('e.g. "safe, room 102"'))
    .addOption(flags.at('since when (default: now)'))
    .action(async (id: string, o: { location?: string; at?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'drive store', 'drives.manage', async (s) => {
        const at = whenFlag(o.at, '--at', s);
        requireDrive(s, id);
        const location = await askText(ctx, o.location, { flag: '--location', message: 'Where is it kept?' });
        const d = storeDrive(s, { id, location, at });
        if (g.json) printJson(ctx, d);
        else ctx.stdout.write(`Drive ${id} is stored: ${location}.\n`);
      });
    });

  drive
    .command('retire <id>')
    .description('take a drive out of use for good')
    .addOption(flags.reason())
    .addOption(flags.at('when (default: now)'))
    .action(async (id: string, o: { reason?: string; at?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'drive retire', 'drives.manage', async (s) => {
        const at = whenFlag(o.at, '--at', s);
        requireDrive(s, id);
        const reason = await askText(ctx, o.reason, { flag: '--reason', message: 'Reason:' });
        const d = await retireDrive(s, { id, reason, at });
        if (g.json) printJson(ctx, d);
        else ctx.stdout.write(`Drive ${id} retired.\n`);
      });
    });
}

function registerDestruction(drive: Command, ctx: CliContext, globals: Globals): void {
  const words = {
    wipe: {
      what: "record that a drive's data was wiped (who, when, how); refused while it may not yet be (policy §8)",
      done: 'wiped',
    },
    destroy: {
      what: 'record that a drive was physically destroyed (who, when, how); refused while its data may not yet be',
      done: 'destroyed',
    },
  } as const;
  for (const how of ['wipe', 'destroy'] as const)
    drive
      .command(`${how} <id>`)
      .description(words[how].what)
      .option('--method <how>', 'how it was done, e.g. "overwritten with zeros (dd)" or "shredded, certificate 1234"')
      .addOption(flags.at('when it was done (default: now)'))
      .addHelpText(
        'after',
        `\nExample:\n  $ custody drive ${how} D003 --method "overwritten with zeros (dd)" --at 2026-12-01T10:00`,
      )
      .action(async (id: string, o: { method?: string; at?: string }) => {
        const g = globals();
        await withSession(ctx, g, `drive ${how}`, 'drives.manage', async (s) => {
          const at = whenFlag(o.at, '--at', s);
          requireDrive(s, id);
          const method = await askText(ctx, o.method, { flag: '--method', message: 'How was it done?' });
          const d = await destroyDriveData(s, { id, method, at, how });
          if (g.json) printJson(ctx, d);
          else ctx.stdout.write(`Drive ${id} recorded as ${words[how].done} at ${d.wipedAt} (${d.wipeMethod}).\n`);
        });
      });
}

export function registerDrive(program: Command, ctx: CliContext, globals: Globals): void {
  const drive = program
    .command('drive')
    .description(
      'USB drives and their life: spare → in a camera → removed → stored → back in a camera, released, retired, wiped or destroyed (policy §8)',
    );
  registerEnrol(drive, ctx, globals);
  registerQueries(drive, ctx, globals);
  registerInstallRemove(drive, ctx, globals);
  registerStoreRetire(drive, ctx, globals);
  registerDestruction(drive, ctx, globals);
}
