/** `custody receipt`: verify a release receipt, record its written acknowledgement (policy §5). */
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import {
  acknowledgeReceipt,
  checkUnacknowledged,
  type ReceiptCheck,
  verifyReceipt,
} from '../../operations/receipts.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags } from '../options.js';
import { askDate, askText } from '../prompts.js';
import { paint, printJson, table, useColor } from '../render.js';
import { withSession } from '../session.js';

function checkTable(r: ReceiptCheck, color: boolean): string {
  return table(
    ['check', 'result', 'detail'],
    r.checks.map((x) => [x.check, x.ok ? paint(color, 'green', 'ok') : paint(color, 'red', 'FAILED'), x.detail]),
  );
}

export function registerReceipt(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  const receipt = program
    .command('receipt')
    .description('release receipts: verify one, record its written acknowledgement (policy §5)');
  receipt
    .command('verify <file>')
    .description("check a receipt's signature and that what it lists matches the ledger (exit 8 if not)")
    .option('--bag <dir>', 'also validate the bag it lists (RFC 8493) against the receipt')
    .addHelpText(
      'after',
      "\nChecks: the PDF signature covers the whole file and is by the certificate the ledger records for the operator who issued the release, active then (or the home's, before it was retired); the receipt number, request, case, agency, officer, badge, purpose, release time, file count, manifest digest and ledger head are those recorded; the file is the one issued. With --bag: the bag validates and its manifest digest is the receipt's.\nExit status 0 when everything matches, 8 when anything does not.\n\nExample:\n  $ custody receipt verify R-2026-0001.pdf --bag /media/usb/REQ-2026-0001",
    )
    .action(async (file: string, o: { bag?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'receipt verify', 'release', async (s) => {
        const r = await verifyReceipt(s, { file, bag: o.bag });
        if (g.json) printJson(ctx, r);
        else {
          ctx.stdout.write(checkTable(r, useColor(ctx, g)));
          ctx.stdout.write(r.valid ? `Receipt ${r.receipt} is valid and matches the ledger.\n` : '');
        }
        if (!r.valid)
          throw new CustodyError(
            'integrity',
            `Receipt ${file} fails verification: ${r.checks
              .filter((x) => !x.ok)
              .map((x) => `${x.check} — ${(x.detail ?? 'does not match').replace(/\.$/, '')}`)
              .join('; ')}.`,
            'It was altered or not issued by this home.',
          );
      });
    });

  receipt
    .command('ack <receipt>')
    .description("record the agency's written acknowledgement of a receipt (the signed copy, scanned)")
    .option('--scan <file>', 'the scanned signed receipt (recorded by its SHA-256)')
    .addOption(flags.date('date of the acknowledgement (default: today)'))
    .action(async (id: string, o: { scan?: string; date?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'receipt ack', 'release', async (s) => {
        checkUnacknowledged(s, id);
        const scan = await askText(ctx, o.scan, { flag: '--scan', message: 'Scan of the signed receipt:' });
        const date = await askDate(ctx, o.date, s, { flag: '--date', message: 'Date acknowledged:', default: 'today' });
        const a = acknowledgeReceipt(s, { receipt: id, scan, date });
        if (g.json) return printJson(ctx, a.release);
        ctx.stdout.write(`Receipt ${id} acknowledged on ${date} (scan sha256 ${a.scanSha256}).\n`);
      });
    });
}
