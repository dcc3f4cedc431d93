import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCustodyError } from '../../src/core/errors.js';
import { defaultTemplatesDir } from '../../src/documents/layout.js';
import { extractReceiptFields, readReceipt, receiptQrPayload, renderReceipt } from '../../src/documents/receipt.js';
import { fontSizesUsed, pdfPageCount, pdfsig, pdftotext, testIdentity, tmpDir } from './helpers.js';
import { sampleBagReceipt, sampleDriveReceipt } from './sample-data.js';

describe('renderReceipt (bag)', async () => {
  const data = sampleBagReceipt(45);
  const pdf = await renderReceipt(data, testIdentity());

  it('is signed, and pdfsig says the signature is valid', () => {
    const out = pdfsig(pdf);
    expect(out).toContain('Signature Validation: Signature is Valid');
    expect(out).toContain('Signature Type: ETSI.CAdES.detached');
    expect(out).toContain('Total document signed');
    expect(readReceipt(pdf).signature.signedAt?.toISOString()).toBe(new Date(data.releasedAt).toISOString());
  });

  it('prints the particulars, the statement, signature lines and the ledger head on page 1', () => {
    const page1 = pdftotext(pdf, ['-f', '1', '-l', '1']).replace(/\s+/g, ' ');
    for (const s of [
      'City of Exampleton',
      'RECEIPT',
      'R-2026-0042',
      'Receipt for Released ALPR Records',
      'Exampleton Police Department',
      'CA0199900',
      'Det. Jordan Sample',
      '4471',
      'EPD-26-011873',
      'REQ-2026-0117',
      'November 26, 2026, 14:05:31 (UTC-08:00)',
      'November 20, 2026, 14:00:05 to 14:59:05 (UTC-08:00)',
      'Signature of recipient',
      'Signature of custodian',
      'Administrative Services Director',
      data.ledgerHead,
      data.handedOver.manifestSha256!,
      'Page 1 of',
    ]) {
      expect(page1, s).toContain(s);
    }
    expect(page1).toContain('I, Pat Example, Administrative Services Director of City of Exampleton, certify');
  });

  it('lists every file and its SHA-256 in the appendix, escaping what the font cannot show', () => {
    const all = pdftotext(pdf, ['-layout']);
    const h = data.handedOver;
    if (h.kind !== 'bag') throw new Error('bag expected');
    for (const f of h.files) expect(all).toContain(f.sha256);
    expect(all).toContain('café naïve.jpg');
    expect(all).toContain('line\\nbreak \\u{8ECA}.jpg');
    expect(pdfPageCount(pdf)).toBeGreaterThanOrEqual(3);
  });

  it('uses no type smaller than 9 pt', () => {
    const sizes = fontSizesUsed(pdf);
    expect(sizes.length).toBeGreaterThan(3);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(9);
  });

  it('carries its data, which a verifier recovers exactly', () => {
    expect(extractReceiptFields(pdf)).toEqual(data);
    const r = readReceipt(pdf);
    expect(r.signature.valid).toBe(true);
    expect(r.data).toEqual(data);
  });

  it('carries the data as an ordinary attachment that poppler pdfdetach extracts', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'r.pdf');
    fs.writeFileSync(f, pdf);
    expect(execFileSync('pdfdetach', ['-list', f], { encoding: 'utf8' })).toContain('custody-receipt.json');
    execFileSync('pdfdetach', ['-save', '1', '-o', path.join(dir, 'r.json'), f]);
    const { schema, ...rest } = JSON.parse(fs.readFileSync(path.join(dir, 'r.json'), 'utf8'));
    expect(schema).toBe('custody.receipt/1');
    expect(rest).toEqual(data);
  });

  it('gives no data when the file was altered', () => {
    const bad = Buffer.from(pdf);
    const i = bad.indexOf('R-2026-0042');
    bad[i + 10] = '3'.charCodeAt(0);
    const r = readReceipt(bad);
    expect(r.signature.valid).toBe(false);
    expect(r.data).toBeUndefined();
  });

  it('is reproducible: the same data and key give the same bytes', async () => {
    expect((await renderReceipt(data, testIdentity())).equals(pdf)).toBe(true);
  });

  it('encodes receipt, manifest and ledger head in the QR payload', () => {
    expect(JSON.parse(receiptQrPayload(data))).toEqual({
      receipt: 'R-2026-0042',
      manifest: data.handedOver.manifestSha256,
      ledgerHead: data.ledgerHead,
    });
  });
});

describe('renderReceipt (drive)', () => {
  it('describes the drive and has no appendix', async () => {
    const data = sampleDriveReceipt();
    const pdf = await renderReceipt(data, testIdentity());
    expect(pdfsig(pdf)).toContain('Signature is Valid');
    expect(pdfPageCount(pdf)).toBe(1);
    const text = pdftotext(pdf, []).replace(/\s+/g, ' ');
    expect(text).toContain('4C530001230816112193');
    expect(text).toContain('32,015,679,488 bytes (32.0 GB)');
    expect(text).toContain('18,204');
    expect(extractReceiptFields(pdf)).toEqual(data);
  });
});

describe('templates and input checks', () => {
  it('takes its words from a city-edited template folder', async () => {
    const dir = tmpDir();
    const t = JSON.parse(fs.readFileSync(path.join(defaultTemplatesDir(), 'receipt.json'), 'utf8'));
    t.title = 'Acuse de recibo — Registros ALPR';
    fs.writeFileSync(path.join(dir, 'receipt.json'), JSON.stringify(t));
    const pdf = await renderReceipt(sampleDriveReceipt(), testIdentity(), { templatesDir: dir });
    expect(pdftotext(pdf)).toContain('Acuse de recibo — Registros ALPR');
  });

  it('names the missing key of a broken template', async () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'receipt.json'), JSON.stringify({ title: 'x' }));
    await expect(renderReceipt(sampleDriveReceipt(), testIdentity(), { templatesDir: dir })).rejects.toThrow(
      /"office"/,
    );
  });

  it('refuses bad data with a usage error naming the field', async () => {
    const data = { ...sampleDriveReceipt(), releasedAt: '2026-11-26 14:05' };
    const err = await renderReceipt(data, testIdentity()).catch((e: unknown) => e);
    expect(isCustodyError(err, 'usage')).toBe(true);
    expect(String(err)).toContain('releasedAt');
  });

  it('says plainly when a PDF is not a receipt', async () => {
    expect(() => extractReceiptFields(Buffer.from('%PDF-1.7\n%%EOF\n'))).toThrow(/not a custody receipt/);
  });
});
