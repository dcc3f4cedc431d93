/**
 * Re-draw the pictures of the documents in docs/ from real renders of the test sample data:
 * each document is rendered, then its page drawn with `pdftoppm -png -r 60` (poppler-utils).
 *   npx tsx scripts/docs-pictures.ts [out-dir]   (default: docs/)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderBreachNotice } from '../src/documents/breach.js';
import { renderDestructionCertificate } from '../src/documents/destruction.js';
import { renderHealthReport } from '../src/documents/health-report.js';
import { renderReceipt } from '../src/documents/receipt.js';
import { renderTransparencyReport } from '../src/documents/transparency.js';
import { testIdentity } from '../test/documents/helpers.js';
import {
  sampleBagReceipt,
  sampleBreach,
  sampleDestruction,
  sampleDriveReceipt,
  sampleHealth,
  sampleTransparency,
} from '../test/documents/sample-data.js';

const out = path.resolve(process.argv[2] ?? 'docs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-pictures-'));
const id = testIdentity();

function picture(pdf: Buffer, page: number, name: string): void {
  const file = path.join(tmp, `${name}.pdf`);
  fs.writeFileSync(file, pdf);
  execFileSync('pdftoppm', [
    '-png',
    '-r',
    '60',
    '-f',
    String(page),
    '-l',
    String(page),
    '-singlefile',
    file,
    path.join(out, name),
  ]);
  console.log(`${path.join(out, name)}.png`);
}

const receipt = await renderReceipt(sampleBagReceipt(45), id);
picture(receipt, 1, 'receipt-page1');
picture(receipt, 2, 'receipt-appendix');
picture(await renderReceipt(sampleDriveReceipt(), id), 1, 'receipt-drive-page1');
picture(await renderDestructionCertificate(sampleDestruction(), id), 1, 'destruction-page1');
picture((await renderBreachNotice(sampleBreach())).pdf, 1, 'breach-notice');
const health = sampleHealth();
picture(await renderHealthReport(health, id, new Date(health.result.at)), 1, 'health-report');
picture(await renderHealthReport(health, id, new Date(health.result.at)), 2, 'health-report-cameras');
const t = sampleTransparency();
picture(await renderTransparencyReport(t, id, new Date(t.generatedAt)), 1, 'transparency');
fs.rmSync(tmp, { recursive: true, force: true });
