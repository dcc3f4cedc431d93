import path from 'node:path';
import { CustodyError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { localDate } from '../core/time.js';
import { type TransparencyData, transparencyData } from '../ledger/breach.js';
import type { OutputMode } from '../ledger/fsutil.js';
import { checkOutput, makeOutputFolder, writeOutput } from '../ledger/outputs.js';
import type { Session } from '../ledger/session.js';
import { requireSignedState } from '../ledger/verify.js';
import { documentIdentity } from './document-signer.js';

export type { TransparencyData };

export interface TransparencyInput {
  /** The first and last calendar days of the period (YYYY-MM-DD, the home's calendar). */
  from: string;
  to: string;
  /** Write transparency-FROM-TO.pdf (signed) and .json into this folder, and record it. */
  outDir?: string;
  /** Their permissions (default: 0600; the folder 0700). */
  mode?: OutputMode;
}

export interface TransparencyResult {
  data: TransparencyData;
  files: { pdf: string; json: string } | null;
}

export async function transparencyReport(s: Session, o: TransparencyInput): Promise<TransparencyResult> {
  const { from, to } = o;
  if (to < from) throw new CustodyError('usage', `--to ${to} is before --from ${from}.`);
  // Every count is a recorded fact: a period that has not ended has no end to count at (what is
  // "past due at the end" of a period months ahead is data not yet due).
  const today = localDate(s.clock(), s.settings.timeZone);
  if (to > today)
    throw new CustodyError(
      'usage',
      `--to ${to} is after today (${today}): a transparency report counts what the ledger records, and a period that has not ended cannot be counted to its end.`,
      'Use --to today for a report to date (counted as of now), or run it once the period has ended.',
    );
  // A public report signed by the custodian: it counts only tables that are what the signed events
  // give (an operator holding the record key can rewrite them; exit 8 otherwise, nothing written).
  await requireSignedState(s, 'requests, releases and other records the report counts');
  const data = transparencyData(s, from, to);
  if (!o.outDir) return { data, files: null };
  const out = { what: 'the transparency report', flag: '--out', replace: true };
  checkOutput(s.home.dir, o.outDir, { ...out, kind: 'dir' });
  const { renderTransparencyReport } = await import('../documents/transparency.js');
  const pdf = await renderTransparencyReport(data, await documentIdentity(s), s.clock());
  const json = `${JSON.stringify(data, null, 2)}\n`;
  const dir = makeOutputFolder(s.home.dir, o.outDir, out, o.mode);
  const files = {
    pdf: path.join(dir, `transparency-${from}-${to}.pdf`),
    json: path.join(dir, `transparency-${from}-${to}.json`),
  };
  // The report of a period replaces its own earlier files of the same names (README).
  writeOutput(s.home.dir, files.pdf, pdf, out, o.mode);
  writeOutput(s.home.dir, files.json, json, out, o.mode);
  s.append('transparency.reported', { from, to, pdfSha256: sha256Hex(pdf), jsonSha256: sha256Hex(json) });
  s.commit();
  return { data, files };
}
