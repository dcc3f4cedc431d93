import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { parseIsoWithOffset } from '../../core/time.js';
import type { Session } from '../../ledger/session.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { askText } from '../prompts.js';
import { details, printJson, table } from '../render.js';
import { withSession } from '../session.js';
import { type CameraRow, cameraJson, findCamera } from '../../ledger/cameras.js';

const CAMERA_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

export function registerCamera(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  const cam = program.command('camera').description('cameras (policy §2)');

  cam
    .command('add <id>')
    .description('add a camera')
    .option('--location <text>', 'where it is (e.g. "Main St & 3rd, northbound")')
    .option('--description <text>', 'notes')
    .option('--make <make>', 'make')
    .option('--model <model>', 'model')
    .option('--serial <serial>', 'serial number')
    .option('--since <iso>', 'in service since (ISO-8601 with offset; default now)')
    .option('--swap-days <n>', 'planned days between drive swaps', (v) => Number(v))
    .addHelpText(
      'after',
      '\nExample:\n  $ custody camera add CAM-01 --location "Main St & 3rd, northbound" --make Acme --model LPR-2 --serial SN123',
    )
    .action(
      async (
        id: string,
        o: {
          location?: string;
          description?: string;
          make?: string;
          model?: string;
          serial?: string;
          since?: string;
          swapDays?: number;
        },
      ) => {
        const g = globals();
        if (!CAMERA_ID.test(id))
          throw new CustodyError(
            'usage',
            `"${id}" is not a valid camera id.`,
            'Use letters, digits, dot, dash or underscore (up to 32).',
          );
        if (o.swapDays !== undefined && !(Number.isInteger(o.swapDays) && o.swapDays > 0))
          throw new CustodyError('usage', '--swap-days must be a whole number of days.');
        let since: string | undefined;
        if (o.since) {
          if (!parseIsoWithOffset(o.since))
            throw new CustodyError(
              'usage',
              `--since ${o.since} is not ISO-8601 with an offset.`,
              'For example 2026-01-15T09:00:00-08:00.',
            );
          since = o.since;
        }
        await withSession(ctx, g, 'camera add', 'cameras.manage', async (s) => {
          if (s.ledger.one('SELECT id FROM cameras WHERE id = ?', [id]))
            throw new CustodyError('conflict', `Camera ${id} already exists.`);
          const location = await askText(ctx, o.location, { flag: '--location', message: 'Location:' });
          s.append('camera.added', {
            camera: id,
            id,
            location,
            description: o.description ?? null,
            make: o.make ?? null,
            model: o.model ?? null,
            serial: o.serial ?? null,
            inServiceSince: since ?? s.now(),
            swapCadenceDays: o.swapDays ?? null,
          });
          s.commit();
          const c = findCamera(s, id);
          if (g.json) printJson(ctx, cameraJson(c));
          else ctx.stdout.write(`Added camera ${id} at ${location}.\n`);
        });
      },
    );

  cam
    .command('list')
    .description('list cameras')
    .option('--all', 'include retired cameras')
    .action(async (o: { all?: boolean }) => {
      const g = globals();
      await withSession(ctx, g, 'camera list', 'log.read', (s) => {
        const cams = s.ledger.rows<CameraRow>(
          `SELECT * FROM cameras ${o.all ? '' : "WHERE status = 'active'"} ORDER BY id`,
        );
        const drives = s.ledger.rows<{ id: string; camera_id: string }>(
          "SELECT id, camera_id FROM drives WHERE state = 'in_camera'",
        );
        const list = cams.map((c) => ({
          ...cameraJson(c),
          driveInCamera: drives.find((d) => d.camera_id === c.id)?.id ?? null,
        }));
        if (g.json) return printJson(ctx, list);
        ctx.stdout.write(
          table(
            ['id', 'location', 'make/model', 'serial', 'status', 'drive in camera'],
            list.map((c) => [
              c.id,
              c.location,
              [c.make, c.model].filter(Boolean).join(' '),
              c.serial,
              c.status,
              c.driveInCamera ?? '—',
            ]),
          ),
        );
      });
    });

  cam
    .command('show <id>')
    .description('show one camera and its drives')
    .action(async (id: string) => {
      const g = globals();
      await withSession(ctx, g, 'camera show', 'log.read', (s) => {
        const c = findCamera(s, id);
        const hist = s.ledger.rows<{ drive_id: string; action: string; at: string }>(
          'SELECT drive_id, action, at FROM drive_history WHERE camera_id = ? ORDER BY seq',
          [id],
        );
        const out = {
          ...cameraJson(c),
          driveHistory: hist.map((h) => ({ drive: h.drive_id, action: h.action, at: h.at })),
        };
        if (g.json) return printJson(ctx, out);
        ctx.stdout.write(
          details([
            ['camera', c.id],
            ['location', c.location],
            ['description', c.description],
            ['make/model', [c.make, c.model].filter(Boolean).join(' ') || null],
            ['serial', c.serial],
            ['status', c.status],
            ['in service since', c.in_service_since],
            ['retired', c.retired_at ?? undefined],
            ['swap every (days)', c.swap_cadence_days],
          ]),
        );
        ctx.stdout.write(
          `\nDrive history:\n${table(
            ['drive', 'action', 'at'],
            out.driveHistory.map((h) => [h.drive, h.action, h.at]),
          )}`,
        );
      });
    });

  cam
    .command('retire <id>')
    .description('take a camera out of service')
    .option('--reason <text>', 'why')
    .action(async (id: string, o: { reason?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'camera retire', 'cameras.manage', async (s) => {
        const c = findCamera(s, id);
        if (c.status === 'retired') throw new CustodyError('conflict', `Camera ${id} is already retired.`);
        const inCam = s.ledger.one<{ id: string }>(
          "SELECT id FROM drives WHERE state = 'in_camera' AND camera_id = ?",
          [id],
        );
        if (inCam)
          throw new CustodyError(
            'conflict',
            `Drive ${inCam.id} is still in camera ${id}.`,
            `Take it out first with \`custody swap\` or \`custody drive remove ${inCam.id}\`.`,
          );
        const reason = await askText(ctx, o.reason, { flag: '--reason', message: 'Reason:' });
        s.append('camera.retired', { camera: id, id, reason, retiredAt: s.now() });
        s.commit();
        if (g.json) printJson(ctx, { id, status: 'retired', reason });
        else ctx.stdout.write(`Camera ${id} retired.\n`);
      });
    });
}
