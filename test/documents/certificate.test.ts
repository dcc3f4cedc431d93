import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { createSelfSignedIdentity, readP12 } from '../../src/documents/certificate.js';
import { isCustodyError } from '../../src/core/errors.js';

const now = new Date('2026-11-26T12:00:00Z');

describe('createSelfSignedIdentity', () => {
  const id = createSelfSignedIdentity({
    commonName: 'Pat Example',
    organization: 'City of Exampleton',
    title: 'Administrative Services Director',
    passphrase: 'correct horse',
    now,
  });

  it('makes a self-signed RSA-2048 certificate for signing, valid 5 years from now', () => {
    const x = new X509Certificate(id.certPem);
    expect(x.subject).toContain('CN=Pat Example');
    expect(x.subject).toContain('O=City of Exampleton');
    expect(x.issuer).toBe(x.subject); // checkIssued would demand keyCertSign, which a signer must not have
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(new Date(x.validFrom).getTime()).toBeLessThanOrEqual(now.getTime());
    expect(id.notAfter.getUTCFullYear()).toBe(2031);
    expect(x.fingerprint256.toLowerCase()).toBe(id.fingerprint256);
    expect(id.subject).toBe('CN=Pat Example, O=City of Exampleton, title=Administrative Services Director');
    const cert = forge.pki.certificateFromPem(id.certPem);
    const ku = cert.getExtension('keyUsage') as {
      digitalSignature: boolean;
      nonRepudiation: boolean;
      keyCertSign?: boolean;
    };
    expect(ku.digitalSignature).toBe(true);
    expect(ku.nonRepudiation).toBe(true);
    expect(ku.keyCertSign).toBeFalsy();
  });

  it('round-trips through readP12 with the passphrase', () => {
    const back = readP12(id.p12, 'correct horse');
    expect(back.certPem).toBe(id.certPem);
    expect(back.fingerprint256).toBe(id.fingerprint256);
    expect(back.subject).toBe(id.subject);
    expect(back.notAfter.getTime()).toBe(id.notAfter.getTime());
  });

  it('is readable by openssl', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-'));
    const f = path.join(dir, 'id.p12');
    fs.writeFileSync(f, id.p12);
    let out: string;
    try {
      out = execFileSync('openssl', ['pkcs12', '-in', f, '-nokeys', '-passin', 'pass:correct horse'], {
        encoding: 'utf8',
      });
    } catch {
      out = execFileSync('openssl', ['pkcs12', '-legacy', '-in', f, '-nokeys', '-passin', 'pass:correct horse'], {
        encoding: 'utf8',
      });
    }
    expect(out).toContain('BEGIN CERTIFICATE');
  });

  it('refuses a wrong passphrase with an auth error', () => {
    let err: unknown;
    try {
      readP12(id.p12, 'wrong');
    } catch (e) {
      err = e;
    }
    expect(isCustodyError(err, 'auth')).toBe(true);
  });

  it('refuses garbage and a PKCS#12 without a key as usage errors', () => {
    expect(() => readP12(Buffer.from('not a p12'), 'x')).toThrow(/PKCS#12/);
    try {
      readP12(Buffer.from('not a p12'), 'x');
    } catch (e) {
      expect(isCustodyError(e, 'usage')).toBe(true);
    }
    const cert = forge.pki.certificateFromPem(id.certPem);
    const certOnly = forge.pkcs12.toPkcs12Asn1(null, [cert], 'pw', { algorithm: '3des' });
    const buf = Buffer.from(forge.asn1.toDer(certOnly).getBytes(), 'binary');
    let err: unknown;
    try {
      readP12(buf, 'pw');
    } catch (e) {
      err = e;
    }
    expect(isCustodyError(err, 'usage')).toBe(true);
  });

  it('opens a PKCS#12 made by OpenSSL 3 with its defaults (AES-256, PBKDF2-SHA256) and signs with it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-'));
    const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    run([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'k.pem',
      '-out',
      'c.pem',
      '-subj',
      '/CN=City Clerk/O=City of Exampleton',
      '-days',
      '30',
    ]);
    run(['pkcs12', '-export', '-inkey', 'k.pem', '-in', 'c.pem', '-out', 'city.p12', '-passout', 'pass:city pass']);
    const id = readP12(fs.readFileSync(path.join(dir, 'city.p12')), 'city pass');
    expect(id.subject).toBe('CN=City Clerk, O=City of Exampleton');
    expect(id.fingerprint256).toBe(
      new X509Certificate(fs.readFileSync(path.join(dir, 'c.pem'))).fingerprint256.toLowerCase(),
    );
    const { createSignedPdf, verifyPdfSignature } = await import('../../src/documents/sign.js');
    const pdf = await createSignedPdf({ signer: id, signedAt: now, reason: 'city key' }, (d) => void d.text('x'));
    expect(verifyPdfSignature(pdf).valid).toBe(true);
    expect(() => readP12(fs.readFileSync(path.join(dir, 'city.p12')), 'wrong')).toThrow(/Wrong passphrase/);
  });

  it('says plainly that an EC key cannot be used', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-'));
    const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    run([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'k.pem',
      '-out',
      'c.pem',
      '-subj',
      '/CN=EC',
      '-days',
      '30',
    ]);
    run(['pkcs12', '-export', '-inkey', 'k.pem', '-in', 'c.pem', '-out', 'ec.p12', '-passout', 'pass:x']);
    let err: unknown;
    try {
      readP12(fs.readFileSync(path.join(dir, 'ec.p12')), 'x');
    } catch (e) {
      err = e;
    }
    expect(isCustodyError(err, 'usage')).toBe(true);
    expect(String(err)).toContain('only RSA keys');
  });
});
