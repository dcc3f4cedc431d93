import { describe, expect, it } from 'vitest';
import { isCustodyError } from '../../src/core/errors.js';
import {
  destructionQrPayload,
  extractDestructionFields,
  renderDestructionCertificate,
} from '../../src/documents/destruction.js';
import { verifyPdfSignature } from '../../src/documents/sign.js';
import { fontSizesUsed, pdfsig, pdftotext, testIdentity } from './helpers.js';
import { sampleDestruction } from './sample-data.js';

describe('renderDestructionCertificate', async () => {
  const data = sampleDestruction(14);
  const pdf = await renderDestructionCertificate(data, testIdentity());

  it('is signed and pdfsig says the signature is valid', () => {
    const out = pdfsig(pdf);
    expect(out).toContain('Signature Validation: Signature is Valid');
    expect(out).toContain('Signature Type: ETSI.CAdES.detached');
    const v = verifyPdfSignature(pdf);
    expect(v.valid).toBe(true);
    expect(v.signedAt?.toISOString()).toBe(new Date(data.destroyedAt).toISOString());
  });

  it('lists what was destroyed, when, by whom, and the ledger head', () => {
    const text = pdftotext(pdf, []).replace(/\s+/g, ' ');
    const files = data.batches.reduce((a, b) => a + b.files, 0);
    for (const s of [
      'Certificate of Destruction of ALPR Records',
      'D-2026-0007',
      'November 26, 2026, 16:40:12 (UTC-08:00)',
      'Pat Example (pexample)',
      files.toLocaleString('en-US'),
      'Cryptographic erasure',
      '60 days from the date of recordation',
      'Signature of custodian',
      'Signature of witness',
      data.ledgerHead,
      'HOLD-2026-003',
    ]) {
      expect(text, s).toContain(s);
    }
    for (const b of data.batches) {
      expect(text).toContain(b.id);
      expect(text).toContain(b.manifestSha256);
    }
    // The ledger head is on page 1 even though the batch table runs on.
    expect(pdftotext(pdf, ['-f', '1', '-l', '1'])).toContain(data.ledgerHead);
  });

  it('uses no type smaller than 9 pt and carries its data', () => {
    expect(Math.min(...fontSizesUsed(pdf))).toBeGreaterThanOrEqual(9);
    expect(extractDestructionFields(pdf)).toEqual(data);
    expect(JSON.parse(destructionQrPayload(data))).toEqual({
      destruction: 'D-2026-0007',
      batches: 14,
      ledgerHead: data.ledgerHead,
    });
  });

  it('fails verification after one edited byte', () => {
    const bad = Buffer.from(pdf);
    bad[Math.floor(bad.length / 3)] ^= 0x04;
    expect(verifyPdfSignature(bad).valid).toBe(false);
  });

  it('refuses a certificate with no batches', async () => {
    const err = await renderDestructionCertificate({ ...data, batches: [] }, testIdentity()).catch((e: unknown) => e);
    expect(isCustodyError(err, 'usage')).toBe(true);
  });
});
