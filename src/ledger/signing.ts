/**
 * Operators' own signing keys (issue 14): Ed25519 from node:crypto. The private key lives only in
 * the operator's keyring slot; the public key (SPKI, DER, base64) is recorded in the ledger by the
 * event that adds the operator, so every event, checkpoint and witness can be checked against its
 * author's key. A key is named by its id: the first 32 hex digits of SHA-256 of the public key.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
  X509Certificate,
} from 'node:crypto';
import { sha256Hex } from '../core/hash.js';

export interface SigningKey {
  privateKeyPem: string;
  /** SPKI DER, base64. */
  publicKey: string;
  keyId: string;
}

export function keyIdOf(publicKey: string): string {
  return sha256Hex(Buffer.from(publicKey, 'base64')).slice(0, 32);
}

export function newSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
}

export function signingKeyFromPem(privateKeyPem: string): SigningKey {
  const publicKey = createPublicKey(createPrivateKey(privateKeyPem))
    .export({ type: 'spki', format: 'der' })
    .toString('base64');
  return { privateKeyPem, publicKey, keyId: keyIdOf(publicKey) };
}

export function signWithKey(key: SigningKey, message: string): string {
  return sign(null, Buffer.from(message), key.privateKeyPem).toString('base64');
}

/** Public keys parsed once: a home records a handful, and verify checks every event against one. */
const parsedKeys = new Map<string, KeyObject>();

function publicKeyObject(publicKey: string): KeyObject {
  let k = parsedKeys.get(publicKey);
  if (!k) {
    k = createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
    if (parsedKeys.size >= 256) parsedKeys.clear();
    parsedKeys.set(publicKey, k);
  }
  return k;
}

export function verifyWithKey(publicKey: string, message: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(message), publicKeyObject(publicKey), Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/**
 * An operator's own PDF signing key (issue 14): an RSA key and its X.509 certificate, which names
 * the operator and their office. The private key lives only in the operator's keyring slot; the
 * certificate is recorded in the ledger by a signed event (`documentCertificate` of
 * `operator.added` or `operator.password_changed`, signed by a custodian, or `operator.certificate`,
 * signed by the operator's own recorded key), never in a plain file of the home.
 */
export interface DocumentKey {
  /** PKCS#1 or PKCS#8 PEM. */
  privateKeyPem: string;
  certPem: string;
}

/** SHA-256 of a certificate's DER, lower-case hex with colons (as `openssl x509 -fingerprint -sha256`). */
export function certificateFingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256.toLowerCase();
}

/** A certificate fingerprint without colons, lower case (for comparing). */
export function normalFingerprint(fp: string): string {
  return fp.replace(/:/g, '').toLowerCase();
}
