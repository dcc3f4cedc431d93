import { inflateSync } from 'node:zlib';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSelfSignedIdentity, type SigningIdentity } from '../../src/documents/certificate.js';

let cached: SigningIdentity | undefined;
/** One identity for the whole test file: RSA key generation takes a moment. */
export function testIdentity(): SigningIdentity {
  cached ??= createSelfSignedIdentity({
    commonName: 'Pat Example',
    organization: 'City of Exampleton',
    title: 'Administrative Services Director',
    passphrase: 'test passphrase',
    now: new Date('2026-11-26T12:00:00Z'),
  });
  return cached;
}

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'custody-'));
}

export function writeTmp(name: string, data: Buffer | string): string {
  const f = path.join(tmpDir(), name);
  fs.writeFileSync(f, data);
  return f;
}

/** `pdfsig` output for a PDF (poppler-utils); exit status is ignored, the text is what we check. */
export function pdfsig(pdf: Buffer): string {
  const r = spawnSync('pdfsig', [writeTmp('doc.pdf', pdf)], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`;
}

export function pdftotext(pdf: Buffer, opts: string[] = ['-layout']): string {
  return execFileSync('pdftotext', [...opts, writeTmp('doc.pdf', pdf), '-'], { encoding: 'utf8' });
}

export function pdfPageCount(pdf: Buffer): number {
  const info = execFileSync('pdfinfo', [writeTmp('doc.pdf', pdf)], { encoding: 'utf8' });
  return Number(/Pages:\s+(\d+)/.exec(info)?.[1]);
}

/** Font sizes used in the PDF's text, from `pdftotext -bbox` (word box heights ≈ font size). */
export function minWordHeight(pdf: Buffer): number {
  const html = execFileSync('pdftotext', ['-bbox', writeTmp('doc.pdf', pdf), '-'], { encoding: 'utf8' });
  let min = Infinity;
  for (const m of html.matchAll(/yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"/g)) {
    min = Math.min(min, Number(m[2]) - Number(m[1]));
  }
  return min;
}

/** Every font size set with `Tf` in the PDF's content streams (inflated). */
export function fontSizesUsed(pdf: Buffer): number[] {
  const sizes = new Set<number>();
  const text = pdf.toString('latin1');
  for (const m of text.matchAll(/stream\r?\n/g)) {
    const start = m.index + m[0].length;
    const end = text.indexOf('endstream', start);
    if (end < 0) continue;
    let body: string;
    try {
      body = inflateSync(pdf.subarray(start, end)).toString('latin1');
    } catch {
      try {
        body = inflateSync(pdf.subarray(start, end - 1)).toString('latin1');
      } catch {
        body = pdf.subarray(start, end).toString('latin1');
      }
    }
    for (const t of body.matchAll(/\/F\d+\s+([\d.]+)\s+Tf/g)) sizes.add(Number(t[1]));
  }
  return [...sizes].sort((a, b) => a - b);
}
