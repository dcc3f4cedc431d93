/** `custody retention` (policy §8): what is kept, until when, and what is overdue. */
import type { Command } from 'commander';
import { type RetentionOverview, retentionOverview } from '../../operations/retention.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { printJson, table } from '../render.js';
import { withSession } from '../session.js';

export function registerRetention(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('retention')
    .description(
      'each import batch and drive: dates of recordation, destruction date, holds, and what is overdue (policy §8)',
    )
    .action(async () => {
      const g = globals();
      await withSession(ctx, g, 'retention', 'reports', (s) => {
        const out = retentionOverview(s);
        if (g.json) return printJson(ctx, out);
        renderRetention(ctx, out);
      });
    });
}

/** How a batch or drive stands, in a few words. */
function retentionStatus(x: { state: string; overdueDays: number; daysLeft: number; heldBy: string[] }) {
  return x.state === 'due'
    ? `DUE${x.overdueDays ? ` (${x.overdueDays} d overdue)` : ''}`
    : x.state === 'held'
      ? `held (${x.heldBy.join(', ')})`
      : x.state === 'retained'
        ? `kept (${x.daysLeft} d left)`
        : x.state;
}

function renderRetention(ctx: CliContext, out: RetentionOverview): void {
  ctx.stdout.write(
    `Import batches by recording day (each image kept ${out.retentionDays} days from its own date of recordation, policy §8):\n`,
  );
  ctx.stdout.write(
    table(
      ['batch', 'day', 'camera', 'drive', 'files', 'destruction date', 'status'],
      out.batches.flatMap((b) =>
        b.days.map((d) => [
          b.id,
          d.day || `${b.recordedFirst?.slice(0, 10)} – ${b.recordedLast?.slice(0, 10)}`,
          b.camera,
          b.drive,
          d.files,
          d.destructionDate?.slice(0, 10),
          d.state === 'destroyed' ? 'destroyed' : retentionStatus(d),
        ]),
      ),
    ),
  );
  ctx.stdout.write('\nDrives:\n');
  ctx.stdout.write(
    table(
      ['drive', 'state', 'where', 'recorded', 'may be recorded over', 'status'],
      out.drives.map((d) => [
        d.id,
        d.driveState,
        d.driveState === 'in_camera' ? d.camera : d.driveState === 'released' ? d.releasedTo : d.location,
        d.recordedFirst ? `${d.recordedFirst.slice(0, 10)} – ${d.recordedLast?.slice(0, 10)}` : '',
        d.destructionDate?.slice(0, 10),
        d.state === 'released' ? 'released: out of the rotation' : retentionStatus(d),
      ]),
    ),
  );
  if (out.overdue.length) ctx.stdout.write(`\nOverdue:\n${out.overdue.map((l) => `- ${l}`).join('\n')}\n`);
  else ctx.stdout.write('\nNothing is overdue.\n');
}
