/** Canonical JSON (RFC 8785, JCS) and the hash chain's step. */
import { sha256Hex } from '../core/hash.js';
import canonicalizeImport from 'canonicalize';

const canonicalizeFn = canonicalizeImport as unknown as (v: unknown) => string | undefined;

export function canonicalJson(value: unknown): string {
  const s = canonicalizeFn(value);
  if (s === undefined) throw new Error('value cannot be canonicalised');
  return s;
}

export const GENESIS_HASH = '0'.repeat(64);

/** hash = SHA-256(prev_hash ‖ canonical JSON of the event) — DESIGN.md, "The ledger is an event log". */
export function chainHash(
  prevHash: string,
  event: { seq: number; at: string; type: string; actor: string; data: unknown },
): string {
  return sha256Hex(
    prevHash + canonicalJson({ seq: event.seq, at: event.at, type: event.type, actor: event.actor, data: event.data }),
  );
}
