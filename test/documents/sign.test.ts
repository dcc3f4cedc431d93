import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pdfkitAddPlaceholder } from '@signpdf/placeholder-pdfkit';
import { P12Signer } from '@signpdf/signer-p12';
import { SignPdf } from '@signpdf/signpdf';
import { describe, expect, it } from 'vitest';
import {
  createSignedPdf,
  parsePdfDate,
  signPdf,
  signPdfDocument,
  verifyPdfSignature,
} from '../../src/documents/sign.js';
import { readNode } from '../../src/documents/der.js';
import { pdfsig, pdftotext, testIdentity, tmpDir } from './helpers.js';

const signedAt = new Date('2026-11-26T20:30:00Z');

async function sample(): Promise<Buffer> {
  return createSignedPdf(
    { signer: testIdentity(), signedAt, reason: 'Receipt for released records', location: 'Exampleton, CA' },
    (doc) => {
      doc.fontSize(14).text('Custody test document');
      doc.addPage().fontSize(11).text('Second page: naïve café ✓');
    },
  );
}

describe('createSignedPdf / signPdf', () => {
  it('produces a PAdES signature that pdfsig reports valid', async () => {
    const pdf = await sample();
    const out = pdfsig(pdf);
    expect(out).toContain('Signature Validation: Signature is Valid');
    expect(out).toContain('Signature Type: ETSI.CAdES.detached');
    expect(out).toContain('Signer Certificate Common Name: Pat Example');
    expect(out).toContain('Total document signed');
    expect(out).toContain('Signing Hash Algorithm: SHA-256');
    expect(pdftotext(pdf)).toContain('Custody test document');
  });

  it('signs with a PKCS#12 and its passphrase as well', async () => {
    const id = testIdentity();
    const pdf = await createSignedPdf(
      { signer: { p12: id.p12, passphrase: 'test passphrase' }, signedAt, reason: 'r' },
      (doc) => void doc.text('x'),
    );
    expect(verifyPdfSignature(pdf).valid).toBe(true);
  });

  it('refuses a PDF without a placeholder', async () => {
    await expect(signPdf(Buffer.from('%PDF-1.7\n%%EOF\n'), testIdentity())).rejects.toThrow(/ByteRange/);
  });
});

describe('verifyPdfSignature', () => {
  it('reports signer, time, reason and full coverage for a good file', async () => {
    const pdf = await sample();
    const v = verifyPdfSignature(pdf);
    expect(v.problems).toEqual([]);
    expect(v.valid).toBe(true);
    expect(v.byteRangeCoversWholeFile).toBe(true);
    expect(v.signer).toBe('CN=Pat Example, O=City of Exampleton, title=Administrative Services Director');
    expect(v.signerFingerprint256).toBe(testIdentity().fingerprint256);
    expect(v.signedAt?.toISOString()).toBe(signedAt.toISOString());
    expect(v.reason).toBe('Receipt for released records');
    expect(v.subFilter).toBe('ETSI.CAdES.detached');
    expect(v.signatureCount).toBe(1);
    expect(v.trusted).toBeUndefined();
    expect(
      verifyPdfSignature(pdf, { trustedFingerprints: [testIdentity().fingerprint256.toUpperCase()] }).trusted,
    ).toBe(true);
    const other = verifyPdfSignature(pdf, { trustedFingerprints: ['00'.repeat(32)] });
    expect(other).toMatchObject({ valid: true, trusted: false });
  });

  it('fails when any single byte is edited (sampled across the file, the signature, and its padding)', async () => {
    const pdf = await sample();
    const text = pdf.toString('latin1');
    const br = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(text)!;
    const [b, c] = [Number(br[2]), Number(br[3])];
    const positions = new Set<number>([
      0,
      1,
      pdf.length - 1,
      pdf.length - 2,
      b,
      b + 1,
      b + 2,
      c - 1,
      c - 2,
      c,
      br.index + 12,
    ]);
    for (let p = 0; p < pdf.length; p += 97) positions.add(p); // every 97th byte
    for (let p = b; p < c; p += 13) positions.add(p); // dense inside /Contents (signature and zero padding)
    for (const p of positions) {
      const bad = Buffer.from(pdf);
      // Change the byte to another plausible one: a hex digit stays a hex digit, so the
      // corruption is not merely "unparsable".
      const ch = String.fromCharCode(bad[p]!);
      bad[p] = /[0-9a-f]/.test(ch) ? (ch === '0' ? 0x31 : 0x30) : bad[p]! ^ 0x01;
      const v = verifyPdfSignature(bad);
      expect(v.valid, `edited byte ${p} (${JSON.stringify(ch)}) passed`).toBe(false);
    }
    // A case change in one hex digit decodes to the same bytes; it must still fail.
    const hexPos = text.slice(b, c).search(/[a-f]/) + b;
    const cased = Buffer.from(pdf);
    cased[hexPos] = cased[hexPos]! - 32;
    expect(verifyPdfSignature(cased).valid).toBe(false);
    // And poppler agrees on an edit in the signed bytes.
    const tampered = Buffer.from(pdf);
    const at = text.indexOf('Custody test document') >= 0 ? text.indexOf('/Producer') + 3 : 50;
    tampered[at] = tampered[at]! ^ 0x01;
    expect(pdfsig(tampered)).not.toContain('Signature is Valid');
  });

  it('fails when bytes are appended after signing', async () => {
    const pdf = await sample();
    const v = verifyPdfSignature(Buffer.concat([pdf, Buffer.from('\n% appended\n')]));
    expect(v.byteRangeCoversWholeFile).toBe(false);
    expect(v.valid).toBe(false);
  });

  it('reports, without throwing, a PDF that has no signature or is garbage', () => {
    expect(verifyPdfSignature(Buffer.from('%PDF-1.4\n%%EOF\n'))).toMatchObject({ valid: false, signatureCount: 0 });
    expect(verifyPdfSignature(Buffer.alloc(0)).valid).toBe(false);
    const fake = Buffer.from('%PDF-1.7\n1 0 obj << /ByteRange [0 10 20 5] /Contents <3082ffff> >> endobj\n%%EOF');
    expect(verifyPdfSignature(fake).valid).toBe(false);
  });

  it('parses PDF dates with offsets', () => {
    expect(parsePdfDate("D:20261126123000-08'00'")?.toISOString()).toBe('2026-11-26T20:30:00.000Z');
    expect(parsePdfDate('D:20261126203000Z')?.toISOString()).toBe('2026-11-26T20:30:00.000Z');
  });
});

describe('signPdfDocument', () => {
  it('signs a pdfkit document the caller made and drew, without buffered pages too', async () => {
    const PDFDocument = (await import('pdfkit')).default;
    const doc = new PDFDocument({ info: { CreationDate: signedAt } });
    doc.fontSize(12).text('Made by the caller');
    doc.addPage().text('second page, never read before signing');
    const pdf = await signPdfDocument(doc, { signer: testIdentity(), signedAt, reason: 'caller document' });
    expect(pdfsig(pdf)).toContain('Signature is Valid');
    expect(verifyPdfSignature(pdf).reason).toBe('caller document');
    expect(pdftotext(pdf)).toContain('second page, never read before signing');
  });
});

describe('interoperability', () => {
  it('our CMS verifies with openssl cms over the signed byte ranges', async () => {
    const pdf = await sample();
    const text = pdf.toString('latin1');
    const [, a, b, c, d] = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(text)!.map(Number) as number[];
    const dir = tmpDir();
    fs.writeFileSync(
      path.join(dir, 'content.bin'),
      Buffer.concat([pdf.subarray(a!, a! + b!), pdf.subarray(c!, c! + d!)]),
    );
    const contents = Buffer.from(text.slice(b! + 1, c! - 1), 'hex'); // DER, then zero padding
    fs.writeFileSync(path.join(dir, 'sig.der'), contents.subarray(0, readNode(contents).end));
    const r = spawnSync(
      'openssl',
      [
        'cms',
        '-verify',
        '-inform',
        'DER',
        '-in',
        'sig.der',
        '-content',
        'content.bin',
        '-binary',
        '-noverify',
        '-out',
        '/dev/null',
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(`${r.stdout}${r.stderr}`).toContain('Verification successful');
    const printed = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'sig.der'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(printed).toContain('id-smime-aa-signingCertificateV2');
  });

  it('verifies a signature made by @signpdf/signer-p12 (adbe.pkcs7.detached, CMS signing-time)', async () => {
    const id = testIdentity();
    const PDFDocument = (await import('pdfkit')).default;
    const doc = new PDFDocument({ info: { CreationDate: signedAt } });
    const chunks: Buffer[] = [];
    const done = new Promise<Buffer>((resolve) => {
      doc.on('data', (ch: Buffer) => chunks.push(ch));
      doc.on('end', () => resolve(Buffer.concat(chunks)));
    });
    doc.text('signed by the stock P12 signer');
    pdfkitAddPlaceholder({
      pdf: doc,
      pdfBuffer: Buffer.alloc(0),
      reason: 'stock',
      contactInfo: '',
      name: 'x',
      location: '',
      signingTime: signedAt,
    });
    doc.end();
    const signed = await new SignPdf().sign(
      await done,
      new P12Signer(id.p12, { passphrase: 'test passphrase' }),
      signedAt,
    );
    const v = verifyPdfSignature(signed);
    expect(v.problems).toEqual([]);
    expect(v.valid).toBe(true);
    expect(v.subFilter).toBe('adbe.pkcs7.detached');
    expect(v.signedAt?.toISOString()).toBe(signedAt.toISOString());
    const bad = Buffer.from(signed);
    bad[100] ^= 1;
    expect(verifyPdfSignature(bad).valid).toBe(false);
  });
});
