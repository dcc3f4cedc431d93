import path from 'node:path';
import type { Command } from 'commander';
import { describeDriveState, type DriveState } from '../../core/drive-state.js';
import { CustodyError } from '../../core/errors.js';
import { parseIsoWithOffset } from '../../core/time.js';
import type { VolumeInfo } from '../../media/drives.js';
import type { Session } from '../../ledger/session.js';
import { checkInstallable, driveJson, findDrive, type DriveRow } from '../../ledger/drives.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { askText } from '../prompts.js';
import { bytes, details, printJson, table } from '../render.js';
import { withSession } from '../session.js';
import { findCamera } from '../../ledger/cameras.js';

const DRIVE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function nextDriveId(s: Session): string {
  const n = Number(s.ledger.one<{ n: number }>('SELECT count(*) AS n FROM drives')?.n ?? 0) + 1;
  for (let i = n; ; i++) {
    const id = `D${String(i).padStart(3, '0')}`;
    if (!s.ledger.one('SELECT id FROM drives WHERE id = ?', [id])) return id;
  }
}

function whenOpt(v: string | undefined, flag: string, s: Session): string {
  if (v === undefined) return s.now();
  if (!parseIsoWithOffset(v))
    throw new CustodyError(
      'usage',
      `${flag} ${v} is not ISO-8601 with an offset.`,
      'For example 2026-11-26T09:30:00-08:00.',
    );
  return v;
}

/** Enrol a drive: mark it with its id file (the only write custody makes to a drive). */
export async function enrolDrive(
  s: Session,
  o: { source?: string; id?: string; label?: string; serial?: string; capacityBytes?: number; note?: string },
): Promise<DriveRow> {
  const { DRIVE_ID_FILE, readDriveIdFile, readVolumeInfo, writeDriveIdFile } = await import('../../media/drives.js');
  let vol: VolumeInfo = {};
  if (o.source) {
    const existing = await readDriveIdFile(o.source);
    if (existing.info) {
      const known = s.ledger.one<{ id: string }>('SELECT id FROM drives WHERE id = ?', [existing.info.driveId]);
      if (known && existing.info.home === s.home.json.homeId)
        throw new CustodyError(
          'conflict',
          `This drive is already enrolled as ${existing.info.driveId}.`,
          `See \`custody drive show ${existing.info.driveId}\`.`,
        );
      if (existing.info.home && existing.info.home !== s.home.json.homeId)
        throw new CustodyError(
          'conflict',
          `This drive carries the id ${existing.info.driveId} of another custody home.`,
          `Check where it came from; remove ${DRIVE_ID_FILE} from it only if it is truly free.`,
        );
    }
    // A plain folder (not a mount point) has no volume of its own: its sizes would be the host disk's.
    const { isMountPoint } = await import('../../media/mounts.js');
    if (await isMountPoint(o.source).catch(() => false)) vol = await readVolumeInfo(o.source).catch(() => ({}));
  }
  const id = o.id ?? (o.source ? nextDriveId(s) : undefined);
  if (!id)
    throw new CustodyError(
      'usage',
      'Give --source (the mounted drive) or --id.',
      'With --source the drive is marked with its id file.',
    );
  if (!DRIVE_ID.test(id)) throw new CustodyError('usage', `"${id}" is not a valid drive id.`);
  if (s.ledger.one('SELECT id FROM drives WHERE id = ?', [id]))
    throw new CustodyError('conflict', `Drive ${id} already exists.`);
  const at = s.now();
  if (o.source) await writeDriveIdFile(o.source, { driveId: id, enrolledAt: at, home: s.home.json.homeId });
  s.append('drive.enrolled', {
    drive: id,
    label: o.label ?? vol.label ?? null,
    serial: o.serial ?? vol.serial ?? null,
    capacityBytes: o.capacityBytes ?? vol.capacityBytes ?? null,
    fsType: vol.fsType ?? null,
    note: o.note ?? null,
  });
  return findDrive(s, id);
}

export function registerDrive(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  const drive = program
    .command('drive')
    .description(
      'USB drives and their life: spare → in a camera → removed → stored → back in a camera, released or retired (policy §8)',
    );

  drive
    .command('enrol')
    .description('enrol a drive; with --source, mark it with an id file')
    .option('--source <path>', 'where the drive is mounted')
    .option('--id <id>', 'the drive id (default: the next D001, D002 …)')
    .option('--label <label>', 'a label (default: the volume label)')
    .option('--serial <serial>', 'serial (default: the volume serial)')
    .option('--capacity <bytes>', 'capacity in bytes (default: read from the drive)', (v) => Number(v))
    .option('--note <text>', 'e.g. the sticker on it')
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody drive enrol --source /media/asd/CAMDRIVE\n  $ custody drive enrol --id D007 --label "blue 64GB" --serial 4C530001',
    )
    .action(
      async (o: {
        source?: string;
        id?: string;
        label?: string;
        serial?: string;
        capacity?: number;
        note?: string;
      }) => {
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
          s.commit();
          if (g.json) printJson(ctx, driveJson(d));
          else
            ctx.stdout.write(
              `Enrolled drive ${d.id}${d.label ? ` (${d.label})` : ''}${o.source ? '; marked with its id file' : ''}. It is a spare.\n`,
            );
        });
      },
    );

  drive
    .command('list')
    .description('list drives with their state and dates of recordation')
    .option('--state <state>', 'only drives in this state')
    .action(async (o: { state?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'drive list', 'log.read', (s) => {
        const list = s.ledger.rows<DriveRow>(
          `SELECT * FROM drives ${o.state ? 'WHERE state = ?' : ''} ORDER BY id`,
          o.state ? [o.state] : [],
        );
        const out = list.map((d) => ({
          ...driveJson(d),
          reinstall: d.state === 'stored' ? checkInstallable(s, d) : null,
        }));
        if (g.json) return printJson(ctx, out);
        ctx.stdout.write(
          table(
            ['drive', 'label', 'state', 'where', 'since', 'recorded', 'may be recorded over'],
            out.map((d) => [
              d.id,
              d.label,
              d.state,
              d.state === 'in_camera' ? d.camera : d.state === 'released' ? d.releasedTo : (d.location ?? ''),
              d.stateSince.slice(0, 10),
              d.recordedFirst ? `${d.recordedFirst.slice(0, 10)} – ${d.recordedLast?.slice(0, 10)}` : '',
              d.reinstall
                ? d.reinstall.eligible
                  ? 'now'
                  : (d.reinstall.eligibleFrom?.slice(0, 10) ?? 'no (held)')
                : '',
            ]),
          ),
        );
      });
    });

  drive
    .command('forecast')
    .description('how many drives each camera needs at its swap cadence, and when one would run out (policy §8)')
    .option('--horizon-days <n>', 'how far ahead to simulate', (v) => Number(v))
    .action(async (o: { horizonDays?: number }) => {
      const g = globals();
      const { driveForecast } = await import('../../core/retention.js');
      await withSession(ctx, g, 'drive forecast', 'log.read', (s) => {
        const settings = s.settings;
        const cams = s.ledger.rows<{ id: string; swap_cadence_days: number | null }>(
          "SELECT id, swap_cadence_days FROM cameras WHERE status = 'active' ORDER BY id",
        );
        const swaps = s.ledger.rows<{ camera_id: string; at: string }>(
          "SELECT camera_id, at FROM drive_history WHERE action = 'remove' AND camera_id IS NOT NULL",
        );
        const drives = s.ledger.rows<DriveRow>('SELECT * FROM drives');
        const fc = driveForecast(
          cams.map((c) => ({
            id: c.id,
            swapCadenceDays: c.swap_cadence_days ?? undefined,
            swapHistory: swaps.filter((x) => x.camera_id === c.id).map((x) => new Date(x.at)),
          })),
          drives.map((d) => {
            const v = d.state === 'stored' ? checkInstallable(s, d) : undefined;
            return {
              id: d.id,
              state: d.state,
              cameraId: d.state === 'spare' ? undefined : (d.camera_id ?? undefined),
              eligibleFrom: v?.eligibleFrom ? new Date(v.eligibleFrom) : undefined,
            };
          }),
          s.clock(),
          settings.retentionDays,
          { horizonDays: o.horizonDays, timeZone: settings.timeZone },
        );
        if (g.json) return printJson(ctx, fc);
        ctx.stdout.write(
          table(
            ['camera', 'swap every', 'drives needed', 'drives available', 'shared spares', 'next swap', 'runs out'],
            fc.map((c) => [
              c.cameraId,
              `${c.cadenceDays} d (${c.cadenceSource})`,
              c.drivesNeeded,
              c.drivesAvailable,
              c.sharedSpares,
              c.nextSwap.toISOString().slice(0, 10),
              c.runsOutOn ? c.runsOutOn.toISOString().slice(0, 10) : '—',
            ]),
          ),
        );
        for (const w of fc.flatMap((c) => c.warnings)) ctx.stdout.write(`warning: ${w}\n`);
      });
    });

  drive
    .command('show <id>')
    .description('show one drive and its history')
    .action(async (id: string) => {
      const g = globals();
      await withSession(ctx, g, 'drive show', 'log.read', (s) => {
        const d = findDrive(s, id);
        const hist = s.ledger.rows<{
          seq: number;
          action: string;
          at: string;
          camera_id: string | null;
          location: string | null;
          note: string | null;
        }>('SELECT * FROM drive_history WHERE drive_id = ? ORDER BY seq', [id]);
        const out = {
          ...driveJson(d),
          history: hist.map((h) => ({
            event: h.seq,
            action: h.action,
            at: h.at,
            camera: h.camera_id,
            location: h.location,
            note: h.note,
          })),
        };
        if (g.json) return printJson(ctx, out);
        ctx.stdout.write(
          details([
            ['drive', d.id],
            ['label', d.label],
            ['serial', d.serial],
            ['capacity', bytes(d.capacity_bytes)],
            ['state', `${describeDriveState(d.state)} since ${d.state_since}`],
            ['camera', d.camera_id ?? undefined],
            ['location', d.location ?? undefined],
            ['released to', d.released_to ?? undefined],
            ['recorded', d.recorded_first ? `${d.recorded_first} – ${d.recorded_last}` : null],
          ]),
        );
        ctx.stdout.write(
          `\nHistory:\n${table(
            ['event', 'action', 'at', 'camera', 'location', 'note'],
            out.history.map((h) => [h.event, h.action, h.at, h.camera, h.location, h.note]),
          )}`,
        );
      });
    });

  drive
    .command('install <id>')
    .description('record that a drive went into a camera (refused while its data may not be overwritten)')
    .option('--camera <id>', 'the camera')
    .option('--at <iso>', 'when (default now)')
    .action(async (id: string, o: { camera?: string; at?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'drive install', 'drives.manage', async (s) => {
        const d = findDrive(s, id);
        const camera = await askText(ctx, o.camera, { flag: '--camera', message: 'Camera:' });
        const c = findCamera(s, camera);
        if (c.status !== 'active') throw new CustodyError('conflict', `Camera ${camera} is retired.`);
        const other = s.ledger.one<{ id: string }>(
          "SELECT id FROM drives WHERE state = 'in_camera' AND camera_id = ?",
          [camera],
        );
        if (other)
          throw new CustodyError(
            'conflict',
            `Camera ${camera} already holds drive ${other.id}.`,
            `Record its removal first (\`custody drive remove ${other.id}\`).`,
          );
        const verdict = checkInstallable(s, d);
        if (!verdict.eligible)
          throw new CustodyError(
            'denied',
            verdict.reason,
            verdict.blockingHolds.length
              ? 'A hold is released with `custody hold release`.'
              : 'See `custody drive list` for the drives that may go in now.',
          );
        s.append('drive.installed', { drive: id, camera, at: whenOpt(o.at, '--at', s) });
        s.commit();
        if (g.json) printJson(ctx, driveJson(findDrive(s, id)));
        else ctx.stdout.write(`Drive ${id} is in camera ${camera}.\n`);
      });
    });

  drive
    .command('remove <id>')
    .description('record that a drive was taken out of its camera (custody swap does this for you)')
    .option('--at <iso>', 'when (default now)')
    .action(async (id: string, o: { at?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'drive remove', 'drives.manage', (s) => {
        const d = findDrive(s, id);
        s.append('drive.removed', { drive: id, camera: d.camera_id, at: whenOpt(o.at, '--at', s) });
        s.commit();
        if (g.json) printJson(ctx, driveJson(findDrive(s, id)));
        else ctx.stdout.write(`Drive ${id} was taken out of camera ${d.camera_id}.\n`);
      });
    });

  drive
    .command('store <id>')
    .description('record where a removed drive is kept')
    .option('--location <text>', 'e.g. "safe, room 102"')
    .action(async (id: string, o: { location?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'drive store', 'drives.manage', async (s) => {
        findDrive(s, id);
        const location = await askText(ctx, o.location, { flag: '--location', message: 'Where is it kept?' });
        s.append('drive.stored', { drive: id, location });
        s.commit();
        if (g.json) printJson(ctx, driveJson(findDrive(s, id)));
        else ctx.stdout.write(`Drive ${id} is stored: ${location}.\n`);
      });
    });

  drive
    .command('retire <id>')
    .description('take a drive out of use for good')
    .option('--reason <text>', 'why')
    .action(async (id: string, o: { reason?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'drive retire', 'drives.manage', async (s) => {
        findDrive(s, id);
        const reason = await askText(ctx, o.reason, { flag: '--reason', message: 'Reason:' });
        s.append('drive.retired', { drive: id, reason });
        s.commit();
        if (g.json) printJson(ctx, driveJson(findDrive(s, id)));
        else ctx.stdout.write(`Drive ${id} retired.\n`);
      });
    });
}
