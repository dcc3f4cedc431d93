/**
 * Kept documents (written requests, hold letters, acknowledgement scans): part of the record, so
 * every role reads them (issue 14): sealed with a subkey of the record key, never the evidence key,
 * under their SHA-256 (documents/<sha256>.enc). Homes made before this kept them under the evidence
 * key; the first log-in of an operator holding it moves them (`moveDocumentsToRecord`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { CustodyError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { openBlob, sealBlob, subkey } from './crypto.js';
import { writeFileAtomic } from './fsutil.js';
import type { Home, OperatorKeys } from './home.js';

const documentContext = (sha256: string) => `custody-document:${sha256}`;
const SHA = /^[0-9a-f]{64}$/;

export function documentFile(home: Home, sha256: string): string {
  return home.file('documents', `${sha256}.enc`);
}

/** The record keys to try, newest first (the current one, then those it replaced). */
function recordKeys(keys: OperatorKeys): Buffer[] {
  return [keys.record, ...(keys.recordHistory ?? [])];
}

/** A document sealed with the current record key, and its SHA-256 (its name: one file per content). */
export function sealDocument(
  home: Home,
  keys: OperatorKeys,
  data: Buffer,
): { sha256: string; file: string; sealed: Buffer } {
  const sha256 = sha256Hex(data);
  return {
    sha256,
    file: documentFile(home, sha256),
    sealed: sealBlob(subkey(keys.record, 'documents'), data, documentContext(sha256)),
  };
}

/** Open a sealed document with a record key (current or earlier), or undefined. */
function openWithRecord(keys: OperatorKeys, blob: Buffer, sha256: string): Buffer | undefined {
  for (const k of recordKeys(keys)) {
    const data = openBlob(subkey(k, 'documents'), blob, documentContext(sha256));
    if (data) return data;
  }
  return undefined;
}

/** A document still sealed with the evidence key (a home from before documents joined the record). */
function openWithEvidence(keys: OperatorKeys, blob: Buffer, sha256: string): Buffer | undefined {
  for (const k of keys.evidence ? [keys.evidence, ...(keys.evidenceHistory ?? [])] : []) {
    const data = openBlob(subkey(k, 'documents'), blob, documentContext(sha256));
    if (data) return data;
  }
  return undefined;
}

/** A kept document's bytes, checked against its SHA-256. */
export function loadDocument(home: Home, keys: OperatorKeys, sha256: string): Buffer {
  let blob: Buffer;
  try {
    blob = fs.readFileSync(documentFile(home, sha256));
  } catch {
    throw new CustodyError('notFound', `The document ${sha256} is not kept in this home.`);
  }
  const data = openWithRecord(keys, blob, sha256) ?? openWithEvidence(keys, blob, sha256);
  if (!data && !keys.evidence && !home.readKeyring().documentsKey)
    throw new CustodyError(
      'denied',
      `The document ${sha256} is still sealed with the evidence key (a home from before documents joined the record).`,
      'It becomes readable to every role once the custodian or a designee logs in.',
    );
  if (!data || sha256Hex(data) !== sha256)
    throw new CustodyError('integrity', `The kept document ${sha256} does not authenticate (edited or damaged).`);
  return data;
}

/**
 * Move every document still sealed with the evidence key to the record key (each file re-sealed
 * atomically, so an interrupted move resumes at the next log-in), then mark the keyring so the
 * next log-in does not look again. Returns how many were moved. Needs the evidence key.
 */
export function moveDocumentsToRecord(home: Home, keys: OperatorKeys): number {
  if (!keys.evidence || home.readKeyring().documentsKey === 'record') return 0;
  const dir = home.file('documents');
  let moved = 0;
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const sha256 = f.replace(/\.enc$/, '');
    if (!f.endsWith('.enc') || !SHA.test(sha256)) continue;
    const blob = fs.readFileSync(path.join(dir, f));
    if (openWithRecord(keys, blob, sha256)) continue;
    const data = openWithEvidence(keys, blob, sha256);
    if (!data) continue; // damaged: left as it is, for `request document` to report
    writeFileAtomic(path.join(dir, f), sealBlob(subkey(keys.record, 'documents'), data, documentContext(sha256)));
    moved++;
  }
  home.updateKeyring((k) => ({ ...k, documentsKey: 'record' }));
  return moved;
}
