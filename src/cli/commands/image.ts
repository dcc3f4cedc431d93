/** `custody image show/export`: look at images (every look is recorded, Civil Code 1798.90.52). */
import type { Command } from 'commander';
import { exportImages, exportTarget, type ImageDetails, parseImageId, showImage } from '../../operations/images.js';
import type { OutputMode } from '../../ledger/fsutil.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { askAccessReason } from '../access-reason.js';
import { type AccessReasonOptions, accessReason, accessReasonFlags, flags } from '../options.js';
import { details, printJson } from '../render.js';
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
        const out = await showImage(s, { id, reason: await askAccessReason(ctx, s, o) });
        if (g.json) return printJson(ctx, out);
        renderImage(ctx, out);
      });
    },
  );

  accessReasonFlags(
    image
      .command('export <ids...>')
      .description(
        'hand decrypted copies of images to a requesting agency: a release on --request (policy §5), written as a BagIt bag with a signed receipt',
      )
      .option('--to <dir>', 'the folder to write the bag to (must be empty or new)')
      .option('--receipt <file>', 'where to write the receipt PDF (default: next to the bag)')
      .addOption(flags.mode('permissions of the bag and receipt, in octal (default 600: only you; folders 700)')),
  )
    .addHelpText(
      'after',
      '\nImages leave the home only as a release: on an open request from an eligible agency, each image within its scope.\n\nExample:\n  $ custody image export B20261103-1a2b3c:17 --request REQ-2026-0001 --to /media/usb/REQ-2026-0001',
    )
    .action(async (ids: string[], o: AccessReasonOptions & { to?: string; receipt?: string; mode?: OutputMode }) => {
      const g = globals();
      const dir = exportTarget(ids, o.to);
      await withSession(ctx, g, 'image export', 'release', async (s) => {
        const r = await exportImages(s, { ids, dir, reason: accessReason(o), receipt: o.receipt, mode: o.mode });
        if (g.json) return printJson(ctx, r);
        ctx.stdout.write(
          details([
            ['receipt', r.release.receipt],
            ['request', r.release.request],
            ['to', `${r.release.officer} (badge ${r.release.badge}), ${r.release.agency}`],
            ['bag', `${r.bag} (${r.release.files} files, Payload-Oxum ${r.release.payloadOxum})`],
            ['manifest sha256', r.release.manifestSha256],
            ['receipt file', r.receiptFile],
          ]),
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
