import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/hash.js';
import { chainHash, canonicalJson, GENESIS_HASH } from '../../src/ledger/canonical.js';
import {
  decryptStream,
  encryptStream,
  openBlob,
  randomKey,
  sealBlob,
  unwrapWithPassword,
  wrapWithPassword,
} from '../../src/ledger/crypto.js';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

async function roundTrip(key: Buffer, data: Buffer, chunk: number, mangle?: (b: Buffer) => Buffer): Promise<Buffer> {
  let sealed = await collect(Readable.from([data]).pipe(encryptStream(key, 'ctx', chunk)));
  if (mangle) sealed = mangle(sealed);
  const out: Buffer[] = [];
  // biome-ignore lint/correctness/useYield: the last stage of a pipeline is a sink and yields nothing
  await pipeline(Readable.from([sealed]), decryptStream(key, 'ctx'), async function* (src) {
    for await (const c of src) out.push(c as Buffer);
  });
  return Buffer.concat(out);
}

describe('hashing (known answers)', () => {
  it('SHA-256 of "abc" is the FIPS 180-2 test vector', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('canonical JSON sorts keys and has no spaces (RFC 8785)', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'é'], c: { z: 1.5, y: 'x' } })).toBe(
      '{"a":[true,null,"é"],"b":1,"c":{"y":"x","z":1.5}}',
    );
  });
  it('chain hash is SHA-256 of prev hash followed by the canonical event', () => {
    const e = { seq: 1, at: '2026-11-26T09:00:00.000-08:00', type: 't', actor: 'asd', data: { x: 1 } };
    const expected = createHash('sha256')
      .update(`${GENESIS_HASH}{"actor":"asd","at":"2026-11-26T09:00:00.000-08:00","data":{"x":1},"seq":1,"type":"t"}`)
      .digest('hex');
    expect(chainHash(GENESIS_HASH, e)).toBe(expected);
  });
});

describe('blob envelope', () => {
  it('opens with the right key and context only', () => {
    const k = randomKey();
    const b = sealBlob(k, Buffer.from('secret camera CAM-01'), 'ledger');
    expect(openBlob(k, b, 'ledger')?.toString()).toBe('secret camera CAM-01');
    expect(openBlob(k, b, 'segment')).toBeUndefined();
    expect(openBlob(randomKey(), b, 'ledger')).toBeUndefined();
    const edited = Buffer.from(b);
    edited[20] ^= 1;
    expect(openBlob(k, edited, 'ledger')).toBeUndefined();
    expect(openBlob(k, b.subarray(0, b.length - 1), 'ledger')).toBeUndefined();
    expect(b.includes(Buffer.from('CAM-01'))).toBe(false);
  });
  it('wraps a key with a password (scrypt)', async () => {
    const master = randomKey();
    const kdf = { algorithm: 'scrypt' as const, N: 1024, r: 8, p: 1 };
    const w = await wrapWithPassword(master, 'pass phrase', kdf, 'kr');
    expect((await unwrapWithPassword(w, 'pass phrase', kdf, 'kr'))?.equals(master)).toBe(true);
    expect(await unwrapWithPassword(w, 'wrong', kdf, 'kr')).toBeUndefined();
  });
});

describe('chunked file encryption', () => {
  const key = randomKey();
  it.each([0, 1, 15, 16, 17, 64, 1000])('round-trips %i bytes across chunk boundaries', async (n) => {
    const data = Buffer.from(Array.from({ length: n }, (_, i) => i % 251));
    expect((await roundTrip(key, data, 16)).equals(data)).toBe(true);
  });
  it('detects truncation at a chunk boundary', async () => {
    const data = Buffer.alloc(64, 7);
    // header 15 bytes, frames of 16+16: drop the last frame.
    await expect(roundTrip(key, data, 16, (b) => b.subarray(0, b.length - 32))).rejects.toThrow(/authenticat/);
  });
  it('detects an edited byte', async () => {
    const data = Buffer.alloc(100, 3);
    await expect(
      roundTrip(key, data, 16, (b) => {
        b[30]! ^= 0xff;
        return b;
      }),
    ).rejects.toThrow(/authenticat/);
  });
  it('detects a wrong key', async () => {
    const sealed = await collect(Readable.from([Buffer.from('hello')]).pipe(encryptStream(key, 'ctx')));
    await expect(
      pipeline(Readable.from([sealed]), decryptStream(randomKey(), 'ctx'), async function* (s) {
        for await (const _ of s) yield _;
      }),
    ).rejects.toThrow();
  });
});
