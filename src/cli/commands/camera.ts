/** `custody camera …` (policy §2); the use cases are src/operations/cameras.ts. */
import type { Command } from 'commander';
import {
  addCamera,
  type CameraListEntry,
  checkCameraInput,
  checkCameraRetirable,
  checkNewCamera,
  listCameraStates,
  retireCamera,
  showCamera,
} from '../../operations/cameras.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags, whenFlag } from '../options.js';
import { askText } from '../prompts.js';
import { details, printJson, table } from '../render.js';
import { withSession } from '../session.js';

type Globals = () => GlobalOptions;

interface AddOpts {
  location?: string;
  description?: string;
  make?: string;
  model?: string;
  serial?: string;
  since?: string;
  swapDays?: number;
}

function registerAdd(cam: Command, ctx: CliContext, globals: Globals): void {
  cam
    .command('add <id>')
    .description('add a camera')
    .addOption(flags.location('where it is (e.g. "Main St & 3rd, northbound")'))
    .option('--description <text>', 'notes')
    .option('--make <make>', 'make')
    .option('--model <model>', 'model')
    .option('--serial <serial>', 'serial number')
    .option('--since <when>', 'in service since (a date, a date and time, or ISO-8601; default now)')
    .option('--swap-days <n>', 'planned days between drive swaps', (v) => Number(v))
    .addHelpText(
      'after',
      '\nExample:\n  $ custody camera add CAM-01 --location "Main St & 3rd, northbound" --make Acme --model LPR-2 --serial SN123',
    )
    .action(async (id: string, o: AddOpts) => {
      const g = globals();
      checkCameraInput({ id, swapDays: o.swapDays });
      await withSession(ctx, g, 'camera add', 'cameras.manage', async (s) => {
        const since = whenFlag(o.since, '--since', s);
        checkNewCamera(s, id);
        const location = await askText(ctx, o.location, { flag: '--location', message: 'Location:' });
        const c = addCamera(s, { ...o, id, location, since });
        if (g.json) printJson(ctx, c);
        else ctx.stdout.write(`Added camera ${id} at ${location}.\n`);
      });
    });
}

function listText(list: CameraListEntry[]): string {
  return table(
    ['id', 'location', 'make/model', 'serial', 'status', 'drive in camera'],
    list.map((c) => [
      c.id,
      c.location,
      [c.make, c.model].filter(Boolean).join(' '),
      c.serial,
      c.status,
      c.driveInCamera ?? '—',
    ]),
  );
}

function showText(c: ReturnType<typeof showCamera>): string {
  return `${details([
    ['camera', c.id],
    ['location', c.location],
    ['description', c.description],
    ['make/model', [c.make, c.model].filter(Boolean).join(' ') || null],
    ['serial', c.serial],
    ['status', c.status],
    ['in service since', c.inServiceSince],
    ['retired', c.retiredAt ?? undefined],
    ['swap every (days)', c.swapCadenceDays],
  ])}\nDrive history (when each happened; when it was recorded, if later):\n${table(
    ['drive', 'action', 'at', 'recorded'],
    c.driveHistory.map((h) => [
      h.drive,
      h.action,
      h.at,
      Date.parse(h.at) === Date.parse(h.recordedAt) ? '' : h.recordedAt,
    ]),
  )}`;
}

function registerQueries(cam: Command, ctx: CliContext, globals: Globals): void {
  cam
    .command('list')
    .description('list cameras')
    .option('--all', 'include retired cameras')
    .action(async (o: { all?: boolean }) => {
      const g = globals();
      await withSession(ctx, g, 'camera list', 'log.read', (s) => {
        const list = listCameraStates(s, o);
        if (g.json) printJson(ctx, list);
        else ctx.stdout.write(listText(list));
      });
    });

  cam
    .command('show <id>')
    .description('show one camera and its drives')
    .action(async (id: string) => {
      const g = globals();
      await withSession(ctx, g, 'camera show', 'log.read', (s) => {
        const out = showCamera(s, id);
        if (g.json) printJson(ctx, out);
        else ctx.stdout.write(showText(out));
      });
    });
}

export function registerCamera(program: Command, ctx: CliContext, globals: Globals): void {
  const cam = program.command('camera').description('cameras (policy §2)');
  registerAdd(cam, ctx, globals);
  registerQueries(cam, ctx, globals);
  cam
    .command('retire <id>')
    .description('take a camera out of service')
    .addOption(flags.reason())
    .addOption(flags.at('when it was taken out of service (default: now)'))
    .action(async (id: string, o: { reason?: string; at?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'camera retire', 'cameras.manage', async (s) => {
        const at = whenFlag(o.at, '--at', s);
        checkCameraRetirable(s, id);
        const reason = await askText(ctx, o.reason, { flag: '--reason', message: 'Reason:' });
        const out = retireCamera(s, { id, reason, at });
        if (g.json) printJson(ctx, out);
        else ctx.stdout.write(`Camera ${id} retired.\n`);
      });
    });
}
