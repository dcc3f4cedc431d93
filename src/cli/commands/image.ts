/** `custody image show/export`: look at images (every look is recorded, Civil Code 1798.90.52). */
import type { Command } from 'commander';
import { exportImages, exportTarget, type ImageDetails, parseImageId, showImage } from '../../operations/images.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { type AccessReasonOptions, accessReason, accessReasonFlags } from '../options.js';
import { details, printJson, table } from '../render.js';
import { withSession } from '../session.js';

export function registerImage(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  const image = program
    .command('image')
    .description('look at images (every look is recorded with its purpose and case)');

  accessReasonFlags(image.command('show <id>').description('an image’s metadata and plate readings')).action(
    async (id: string, o: AccessReasonOptions) => {
      const g = globals();
      parseImageId(id);
      await withSession(ctx, g, 'image show', 'media.read', async (s) => {
        const out = await showImage(s, { id, reason: accessReason(o) });
        if (g.json) return printJson(ctx, out);
        renderImage(ctx, out);
      });
    },
  );

  accessReasonFlags(
    image
      .command('export <ids...>')
      .description('decrypted copies of images, each hash checked on the way out')
      .option('--to <dir>', 'the folder to write them to (must be empty or new)'),
  ).action(async (ids: string[], o: AccessReasonOptions & { to?: string }) => {
    const g = globals();
    const dir = exportTarget(ids, o.to);
    await withSession(ctx, g, 'image export', 'media.read', async (s) => {
      const written = await exportImages(s, { ids, dir, reason: accessReason(o) });
      if (g.json) return printJson(ctx, written);
      ctx.stdout.write(
        table(
          ['image', 'file', 'SHA-256 (checked)'],
          written.map((w) => [w.image, w.file, w.sha256]),
        ),
      );
    });
  });
}

function renderImage(ctx: CliContext, x: ImageDetails): void {
  const rd = x.readings;
  ctx.stdout.write(
    details([
      ['image', x.image],
      ['camera', x.camera],
      ['drive', x.drive],
      ['file on the drive', x.file],
      ['captured', `${x.capturedAt} (${x.captureSource})`],
      ['flags', x.flags.join(', ') || 'none'],
      ['SHA-256', x.sha256],
      ['size', x.size],
      ['camera make/model/serial', [x.make, x.model, x.serial].filter(Boolean).join(' / ') || null],
      ['plate (best)', rd?.best ? `${rd.best.text} (${rd.best.confidence.toFixed(2)})` : 'none read'],
    ]),
  );
  if (rd?.alternatives.length)
    ctx.stdout.write(
      `alternatives: ${rd.alternatives.map((a) => `${a.text} (${a.confidence.toFixed(2)})`).join(', ')}\n`,
    );
}
