/**
 * Operators' own signing keys (issue 14): Ed25519 from node:crypto. The private key lives only in
 * the operator's keyring slot; the public key (SPKI, DER, base64) is recorded in the ledger by the
 * event that adds the operator, so every event, checkpoint and witness can be checked against its
 * author's key. A key is named by its id: the first 32 hex digits of SHA-256 of the public key.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
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

export function verifyWithKey(publicKey: string, message: string, signature: string): boolean {
  try {
    const pub = createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
    return verify(null, Buffer.from(message), pub, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
