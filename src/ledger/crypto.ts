/**
 * Encryption at rest (policy §9): AES-256-GCM from node:crypto, keys wrapped with scrypt.
 *
 * Small blobs (the ledger, segments, wrapped keys) use one GCM envelope:
 *   "CSE1" | iv (12) | ciphertext | tag (16), with a context string as associated data so a
 *   blob cannot be moved into another role (a segment passed off as the ledger fails).
 * Stored evidence files use a chunked construction (STREAM-like) so a 4 GB clip is never held
 * in memory and truncation is detected: see `encryptStream`.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  scrypt as scryptCb,
  timingSafeEqual,
} from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CustodyError } from '../core/errors.js';

export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BLOB_MAGIC = Buffer.from('CSE1');

export function randomKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** Derive a purpose-bound subkey from the master key (HKDF-SHA256). */
export function subkey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `custody/${purpose}/v1`, KEY_BYTES));
}

export function sealBlob(key: Buffer, plaintext: Uint8Array, context: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(context));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([BLOB_MAGIC, iv, body, c.getAuthTag()]);
}

/** Returns undefined when the blob is not authentic (wrong key, edited, truncated). */
export function openBlob(key: Buffer, blob: Buffer, context: string): Buffer | undefined {
  if (blob.length < BLOB_MAGIC.length + IV_BYTES + TAG_BYTES || !blob.subarray(0, 4).equals(BLOB_MAGIC))
    return undefined;
  const iv = blob.subarray(4, 4 + IV_BYTES);
  const tag = blob.subarray(blob.length - TAG_BYTES);
  const body = blob.subarray(4 + IV_BYTES, blob.length - TAG_BYTES);
  try {
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(Buffer.from(context));
    d.setAuthTag(tag);
    return Buffer.concat([d.update(body), d.final()]);
  } catch {
    return undefined;
  }
}

export interface KdfParams {
  algorithm: 'scrypt';
  /** CPU/memory cost. @default 32768 (2^15: about 0.1 s and 32 MB per log-in) */
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_KDF: KdfParams = { algorithm: 'scrypt', N: 32768, r: 8, p: 1 };

export function deriveKek(password: string, salt: Buffer, kdf: KdfParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(
      password.normalize('NFC'),
      salt,
      KEY_BYTES,
      { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

export interface WrappedKey {
  salt: string;
  wrapped: string;
}

export async function wrapWithPassword(
  master: Buffer,
  password: string,
  kdf: KdfParams,
  context: string,
): Promise<WrappedKey> {
  const salt = randomBytes(16);
  const kek = await deriveKek(password, salt, kdf);
  return { salt: salt.toString('base64'), wrapped: sealBlob(kek, master, context).toString('base64') };
}

export async function unwrapWithPassword(
  w: WrappedKey,
  password: string,
  kdf: KdfParams,
  context: string,
): Promise<Buffer | undefined> {
  const kek = await deriveKek(password, Buffer.from(w.salt, 'base64'), kdf);
  return openBlob(kek, Buffer.from(w.wrapped, 'base64'), context);
}

export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

// ---------------------------------------------------------------------------------------------
// Chunked file encryption. Layout:
//   "CSF1" | nonce prefix (7) | chunk size (u32 BE)
//   then for each chunk: ciphertext (≤ chunk size) | tag (16)
// The IV of chunk i is prefix (7) | i (u32 BE) | last-flag (1), so chunks cannot be reordered,
// dropped or the file cut at a chunk boundary without failing authentication.

const FILE_MAGIC = Buffer.from('CSF1');
export const FILE_HEADER_BYTES = 4 + 7 + 4;
export const DEFAULT_CHUNK = 1024 * 1024;

function chunkIv(prefix: Buffer, index: number, last: boolean): Buffer {
  const iv = Buffer.alloc(IV_BYTES);
  prefix.copy(iv, 0);
  iv.writeUInt32BE(index, 7);
  iv[11] = last ? 1 : 0;
  return iv;
}

/** Seals one file's chunks in order (the same bytes whether streamed or written whole). */
export interface FileSealer {
  /** The file's header, written first. */
  header: Buffer;
  /** The next chunk's ciphertext and tag; `last` for the final chunk (which may be empty). */
  seal(chunk: Uint8Array, last: boolean): Buffer;
  /** The same as `seal`, as the ciphertext and the tag (written with one writev, no copy). */
  sealParts(chunk: Uint8Array, last: boolean): [Buffer, Buffer];
}

export function fileSealer(key: Buffer, context: string, chunkSize = DEFAULT_CHUNK): FileSealer {
  const prefix = randomBytes(7);
  const header = Buffer.alloc(FILE_HEADER_BYTES);
  FILE_MAGIC.copy(header, 0);
  prefix.copy(header, 4);
  header.writeUInt32BE(chunkSize, 11);
  const aad = Buffer.concat([header, Buffer.from(context)]);
  let index = 0;
  const sealParts = (chunk: Uint8Array, last: boolean): [Buffer, Buffer] => {
    const c = createCipheriv('aes-256-gcm', key, chunkIv(prefix, index++, last));
    c.setAAD(aad);
    const body = c.update(chunk);
    const fin = c.final(); // empty for GCM
    return [fin.length ? Buffer.concat([body, fin]) : body, c.getAuthTag()];
  };
  return { header, sealParts, seal: (chunk, last) => Buffer.concat(sealParts(chunk, last)) };
}

/** Opens one file's chunks in order; `open` returns undefined for a chunk that does not authenticate. */
export interface FileOpener {
  chunkSize: number;
  /** Bytes of one full frame (chunk + tag). */
  frameBytes: number;
  open(frame: Uint8Array, last: boolean): Buffer | undefined;
  /** The same as `open`, for a frame held as its ciphertext and its tag (as `sealParts` made them). */
  openParts(body: Uint8Array, tag: Uint8Array, last: boolean): Buffer | undefined;
}

/** undefined when `header` is not a custody store file's header. */
export function fileOpener(key: Buffer, context: string, header: Buffer): FileOpener | undefined {
  if (header.length < FILE_HEADER_BYTES || !header.subarray(0, 4).equals(FILE_MAGIC)) return undefined;
  const prefix = Buffer.from(header.subarray(4, 11));
  const chunkSize = header.readUInt32BE(11);
  const aad = Buffer.concat([header.subarray(0, FILE_HEADER_BYTES), Buffer.from(context)]);
  let index = 0;
  const openParts = (body: Uint8Array, tag: Uint8Array, last: boolean): Buffer | undefined => {
    if (tag.length !== TAG_BYTES) return undefined;
    try {
      const d = createDecipheriv('aes-256-gcm', key, chunkIv(prefix, index, last));
      d.setAAD(aad);
      d.setAuthTag(tag);
      const out = d.update(body);
      const fin = d.final(); // empty for GCM; throws when the tag does not match
      index++;
      return fin.length ? Buffer.concat([out, fin]) : out;
    } catch {
      return undefined;
    }
  };
  return {
    chunkSize,
    frameBytes: chunkSize + TAG_BYTES,
    open: (frame, last) =>
      frame.length < TAG_BYTES
        ? undefined
        : openParts(frame.subarray(0, frame.length - TAG_BYTES), frame.subarray(frame.length - TAG_BYTES), last),
    openParts,
  };
}

/** Encrypts a plaintext stream into the chunked format. `context` is bound into every chunk. */
export function encryptStream(key: Buffer, context: string, chunkSize = DEFAULT_CHUNK): Transform {
  const sealer = fileSealer(key, context, chunkSize);
  let pending: Buffer = Buffer.alloc(0);
  let headerSent = false;
  return new Transform({
    transform(data: Buffer, _enc, cb: TransformCallback) {
      if (!headerSent) {
        this.push(sealer.header);
        headerSent = true;
      }
      pending = pending.length ? Buffer.concat([pending, data]) : data;
      // Keep at least one byte back so the final chunk is always sealed with the last flag.
      while (pending.length > chunkSize) {
        this.push(sealer.seal(pending.subarray(0, chunkSize), false));
        pending = pending.subarray(chunkSize);
      }
      cb();
    },
    flush(cb: TransformCallback) {
      if (!headerSent) this.push(sealer.header);
      this.push(sealer.seal(pending, true));
      cb();
    },
  });
}

/** Decrypts the chunked format; emits an 'error' (CustodyError integrity) on any tampering or truncation. */
export function decryptStream(key: Buffer, context: string): Transform {
  let buf: Buffer = Buffer.alloc(0);
  let opener: FileOpener | undefined;
  let sawLast = false;
  let index = 0;
  const fail = (why: string) =>
    new CustodyError(
      'integrity',
      `Stored file failed authentication: ${why}`,
      'Run `custody verify` to check the evidence store.',
    );
  return new Transform({
    transform(data: Buffer, _enc, cb: TransformCallback) {
      buf = buf.length ? Buffer.concat([buf, data]) : data;
      if (!opener) {
        if (buf.length < FILE_HEADER_BYTES) return cb();
        opener = fileOpener(key, context, buf.subarray(0, FILE_HEADER_BYTES));
        if (!opener) return cb(fail('not a custody store file'));
        buf = buf.subarray(FILE_HEADER_BYTES);
      }
      const frame = opener.frameBytes;
      // A full frame followed by more bytes is a non-final chunk.
      while (buf.length > frame) {
        if (sawLast) return cb(fail('data after the final chunk'));
        const out = opener.open(buf.subarray(0, frame), false);
        if (!out) return cb(fail(`chunk ${index} does not authenticate`));
        index++;
        this.push(out);
        buf = buf.subarray(frame);
      }
      cb();
    },
    flush(cb: TransformCallback) {
      if (!opener) return cb(fail('truncated header'));
      if (buf.length < TAG_BYTES) return cb(fail('truncated'));
      const out = opener.open(buf, true);
      if (!out) return cb(fail(`final chunk ${index} does not authenticate (truncated or edited)`));
      sawLast = true;
      this.push(out);
      cb();
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Key rotation (issue 14). A rotated key remembers the keys it replaced, newest first, so data
// sealed before a rotation still opens for whoever holds the new key (and only for them: the old
// keys exist on disk only sealed under the new one). `openBlobAny` tries a key, then those.

const predecessors = new WeakMap<Buffer, readonly Buffer[]>();

/** Record that `key` replaced `older` (newest first). */
export function rememberPredecessors(key: Buffer, older: readonly Buffer[]): Buffer {
  if (older.length) predecessors.set(key, older);
  return key;
}

/** The key and every key it replaced, newest first. */
export function withPredecessors(key: Buffer): Buffer[] {
  return [key, ...(predecessors.get(key) ?? [])];
}

/** `openBlob` with the purpose subkey of `key`, then of each key it replaced. */
export function openBlobAny(key: Buffer, purpose: string, blob: Buffer, context: string): Buffer | undefined {
  for (const k of withPredecessors(key)) {
    const out = openBlob(subkey(k, purpose), blob, context);
    if (out) return out;
  }
  return undefined;
}

/**
 * Sealed to a public key (X25519 + HKDF-SHA256 + AES-256-GCM, an ephemeral key per envelope): how
 * a rotation hands new keys to operators whose passwords it does not know. Each operator's X25519
 * private key lives in their password-sealed slot; the public half beside it in the keyring.
 */
export interface BoxKey {
  privateKeyPem: string;
  /** SPKI DER, base64. */
  publicKey: string;
}

export interface Envelope {
  /** The ephemeral public key (SPKI DER, base64). */
  eph: string;
  sealed: string;
}

export function newBoxKey(): BoxKey {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  };
}

function boxKek(shared: Buffer, eph: string, recipient: string): Buffer {
  const salt = Buffer.concat([Buffer.from(eph, 'base64'), Buffer.from(recipient, 'base64')]);
  return Buffer.from(hkdfSync('sha256', shared, salt, 'custody/box/v1', KEY_BYTES));
}

export function sealTo(recipient: string, plaintext: Uint8Array, context: string): Envelope {
  const e = generateKeyPairSync('x25519');
  const eph = e.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const pub = createPublicKey({ key: Buffer.from(recipient, 'base64'), format: 'der', type: 'spki' });
  const shared = diffieHellman({ privateKey: e.privateKey, publicKey: pub });
  return { eph, sealed: sealBlob(boxKek(shared, eph, recipient), plaintext, context).toString('base64') };
}

/** Undefined when the envelope is not for this key or was changed. */
export function openFrom(privateKeyPem: string, env: Envelope, context: string): Buffer | undefined {
  try {
    const priv = createPrivateKey(privateKeyPem);
    const recipient = createPublicKey(priv).export({ type: 'spki', format: 'der' }).toString('base64');
    const eph = createPublicKey({ key: Buffer.from(env.eph, 'base64'), format: 'der', type: 'spki' });
    const shared = diffieHellman({ privateKey: priv, publicKey: eph });
    return openBlob(boxKek(shared, env.eph, recipient), Buffer.from(env.sealed, 'base64'), context);
  } catch {
    return undefined;
  }
}
