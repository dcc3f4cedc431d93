/** The written request behind a request or a hold (policy §5, §8): a file to keep, or a reference. */
import fs from 'node:fs';
import type { WrittenDocument } from '../operations/requests.js';
import type { CliContext } from './context.js';
import { askText } from './prompts.js';

/**
 * `--document FILE` (with an optional `--document-ref`), `--document-ref TEXT`, or a prompt whose
 * answer is a file when such a file exists and a reference otherwise.
 */
export async function askWrittenDocument(
  ctx: CliContext,
  o: { document?: string; documentRef?: string },
  message: string,
): Promise<WrittenDocument> {
  if (o.document !== undefined) return { file: o.document, reference: o.documentRef };
  const v = await askText(ctx, o.documentRef, {
    flag: '--document FILE or --document-ref TEXT',
    message,
    validate: (x) => (x ? undefined : 'Give a file or a reference.'),
  });
  if (o.documentRef === undefined && fs.existsSync(v) && fs.statSync(v).isFile()) return { file: v };
  return { reference: v };
}
