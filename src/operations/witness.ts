/**
 * Witnesses outside the home (issue 14, item 3): the chain head, signed, leaves the home and is
 * kept by someone else (the auditor, the city clerk, a second disk). `verify` then proves that
 * the ledger extends every head it is shown — a prefix check by sequence number and hash — so a
 * rollback to an older generation, or a rewritten history, fails against any later witness, and
 * against the head printed on any later receipt, certificate or report.
 *
 * A witness file is small public JSON: { format, version, home, seq, hash, at, publicKey,
 * signature }, signed (Ed25519 over its canonical JSON without the signature) by the exporting
 * operator's own key, which the ledger must record (at or before the witnessed event).
 */
import fs from 'node:fs';
import path from 'node:path';
import { CustodyError } from '../core/errors.js';
import { canonicalJson } from '../ledger/canonical.js';
import { outputModeOf } from '../ledger/fsutil.js';
import { writeOutput } from '../ledger/outputs.js';
import type { Session } from '../ledger/session.js';
import { keyIdOf, signWithKey, verifyWithKey } from '../ledger/signing.js';
import { type DocumentKind, type DocumentSignerCheck, documentSignerCheck } from '../ledger/document-signers.js';
import { recordedKeys } from '../ledger/verify.js';

export const WITNESS_FORMAT = 'custody-witness';
export const WITNESS_VERSION = 1;

export interface Witness {
  format: typeof WITNESS_FORMAT;
  version: number;
  /** The home's id (home.json): a witness of another home is refused. */
  home: string;
  seq: number;
  hash: string;
  at: string;
  /** The signer's public key (Ed25519, SPKI DER base64), as the ledger records it. */
  publicKey: string;
  signature: string;
}

/**
 * The home's certificate (signing/cert.pem): documents signed before each operator had their own
 * certificate; operators' certificates are in the ledger (src/ledger/document-signers.ts).
 */
export function trustedCertificates(s: Session): string[] {
  return [s.home.certificatePem()];
}

/** Sign the current (committed) head as a witness. */
export function makeWitness(s: Session): Witness {
  if (s.ledger.hasUnsavedChanges) throw new Error('a witness is made of a committed head only');
  const body: Omit<Witness, 'signature'> = {
    format: WITNESS_FORMAT,
    version: WITNESS_VERSION,
    home: s.home.json.homeId,
    seq: s.ledger.head.seq,
    hash: s.ledger.head.hash,
    at: s.now(),
    publicKey: s.keys.signing.publicKey,
  };
  return { ...body, signature: signWithKey(s.keys.signing, canonicalJson(body)) };
}

/** `custody witness export`: the witness, written to `out` if given (public: 0644). */
export function exportWitness(s: Session, o: { out?: string }): { file: string | null; witness: Witness } {
  const witness = makeWitness(s);
  if (!o.out) return { file: null, witness };
  const file = writeOutput(
    s.home.dir,
    o.out,
    `${JSON.stringify(witness, null, 2)}\n`,
    { what: 'a witness', flag: '--out' },
    outputModeOf(0o644),
  );
  return { file, witness };
}

function signatureValid(w: Witness): boolean {
  const { signature, ...body } = w;
  return verifyWithKey(w.publicKey, canonicalJson(body), signature);
}

/** Read a witness file; a file that is not one is a usage error naming it. */
export function readWitness(file: string): Witness {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CustodyError(
      'notFound',
      `Cannot read the witness ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
    );
  }
  let w: Witness;
  try {
    w = JSON.parse(raw) as Witness;
  } catch {
    throw new CustodyError(
      'usage',
      `${file} is not a custody witness (not JSON).`,
      'Give a file made by `custody witness export`.',
    );
  }
  if (
    w?.format !== WITNESS_FORMAT ||
    typeof w.seq !== 'number' ||
    typeof w.hash !== 'string' ||
    typeof w.home !== 'string' ||
    typeof w.signature !== 'string' ||
    typeof w.publicKey !== 'string'
  )
    throw new CustodyError(
      'usage',
      `${file} is not a custody witness.`,
      'Give a file made by `custody witness export`.',
    );
  return w;
}

/** One head shown to `verify`: a witness file, or the head printed on a signed PDF. */
export interface HeadCheck {
  source: string;
  kind: 'witness' | 'document';
  seq: number | null;
  hash: string;
  at: string | null;
  ok: boolean;
  problem?: string;
  warning?: string;
}

/** Heads the ledger records as set aside by a `custody restore` (a witness of one is explained, not hidden). */
function restoredAway(s: Session): Set<string> {
  const out = new Set<string>();
  for (const r of s.ledger.rows<{ data: string }>("SELECT data FROM events WHERE type = 'ledger.restored'")) {
    const d = JSON.parse(r.data) as {
      lostCheckpoints?: { seq: number; hash: string }[];
      currentHead?: { seq: number; hash: string } | null;
    };
    for (const c of d.lostCheckpoints ?? []) out.add(c.hash);
    if (d.currentHead) out.add(d.currentHead.hash);
  }
  return out;
}

/** The prefix check: the event at the witnessed sequence number has the witnessed hash. */
function checkHead(s: Session, c: HeadCheck, lost: Set<string>): HeadCheck {
  const name = path.basename(c.source);
  // The live file, else the archive segment holding it (a head without its number: every segment).
  const seq =
    c.seq !== null ? (s.ledger.eventAt(c.seq)?.hash === c.hash ? c.seq : undefined) : s.ledger.seqOfHash(c.hash);
  const byHash = seq === undefined ? undefined : { seq };
  if (byHash && (c.seq === null || byHash.seq === c.seq)) return { ...c, seq: byHash.seq, ok: true };
  if (lost.has(c.hash))
    return {
      ...c,
      ok: true,
      warning: `${name} saw a head that a recorded \`custody restore\` set aside (see the ledger.restored event).`,
    };
  const head = s.ledger.head;
  if (c.seq !== null && c.seq > head.seq)
    return {
      ...c,
      ok: false,
      problem: `The ledger ends at #${head.seq}, but ${c.kind === 'witness' ? 'the witness ' : ''}${name}${c.at ? ` (${c.at})` : ''} saw #${c.seq}: the ledger was rolled back or events were removed.`,
    };
  return {
    ...c,
    ok: false,
    problem:
      c.seq !== null
        ? `Event #${c.seq} differs from the witness ${name}${c.at ? ` (${c.at})` : ''}: the history up to it was rewritten.`
        : `The ledger head ${c.hash.slice(0, 16)}… printed on ${name} is not in this ledger: the ledger was rolled back or its history rewritten.`,
  };
}

/** Check witness files against the ledger; each is named, the earliest first. */
export function checkWitnesses(s: Session, files: string[]): HeadCheck[] {
  const keys = recordedKeys(s.ledger);
  const lost = restoredAway(s);
  const out = files.map((file): HeadCheck => {
    const w = readWitness(file);
    const base: HeadCheck = {
      source: path.resolve(file),
      kind: 'witness',
      seq: w.seq,
      hash: w.hash,
      at: w.at,
      ok: false,
    };
    const name = path.basename(file);
    if (w.home !== s.home.json.homeId)
      return {
        ...base,
        problem: `The witness ${name} is from another home (${w.home}), not this one (${s.home.json.homeId}).`,
      };
    if (!signatureValid(w))
      return { ...base, problem: `The witness ${name} has an invalid signature (it was edited).` };
    const checked = checkHead(s, base, lost);
    const signer = keys.byId.get(keyIdOf(w.publicKey));
    if (checked.ok && !checked.warning && !(signer && signer.seq <= w.seq))
      return { ...base, problem: `The witness ${name} is not signed by a key this ledger records.` };
    return checked;
  });
  return out.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
}

/**
 * The signer check of a kept PDF: by its kind (what its Keywords say), and for a receipt or a
 * health report, whose head is the event that records it, by that event's author as the issuer.
 */
function documentSigner(
  s: Session,
  word: string | undefined,
  seq: number,
  sig: { signerFingerprint256?: string },
  homeCertPem: string | undefined,
): DocumentSignerCheck {
  const kind: DocumentKind =
    word === 'receipt' || word === 'destruction' || word === 'health' || word === 'transparency' ? word : 'document';
  const issuedBy = kind === 'receipt' || kind === 'health' ? s.ledger.eventAt(seq)?.actor : undefined;
  return documentSignerCheck(s.ledger, {
    fingerprint: sig.signerFingerprint256 ?? '',
    seq,
    kind,
    ...(issuedBy ? { issuedBy } : {}),
    homeCertPem,
  });
}

function pdfsUnder(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch (e) {
    throw new CustodyError('notFound', `Cannot read the folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? ''}.`);
  }
  return entries
    .filter((d) => d.isFile() && d.name.toLowerCase().endsWith('.pdf'))
    .map((d) => path.join(d.parentPath, d.name))
    .sort();
}

/**
 * The heads printed on the signed PDFs in `dir` (receipts, certificates of destruction, health and
 * transparency reports): each PDF must be signed by this home, and its head must be in the ledger.
 * PDFs that carry no custody head are listed as skipped.
 */
export async function checkDocumentHeads(s: Session, dir: string): Promise<HeadCheck[]> {
  const { pdfDocumentKind, pdfLedgerHead, verifyPdfSignature } = await import('../documents/sign.js');
  const homeCertPem = trustedCertificates(s)[0];
  const lost = restoredAway(s);
  const out: HeadCheck[] = [];
  for (const file of pdfsUnder(dir)) {
    const pdf = fs.readFileSync(file);
    const name = path.basename(file);
    const hash = pdfLedgerHead(pdf);
    const base: HeadCheck = { source: file, kind: 'document', seq: null, hash: hash ?? '', at: null, ok: false };
    if (!hash) {
      out.push({ ...base, ok: true, warning: `${name} carries no custody ledger head; skipped.` });
      continue;
    }
    const sig = verifyPdfSignature(pdf);
    if (!sig.valid) {
      out.push({ ...base, problem: `${name}: its signature does not hold (${sig.problems[0]}).` });
      continue;
    }
    const head = checkHead(s, base, lost);
    // The signer, by the signed events up to the head the document prints (issue 14: each operator
    // signs with their own certificate; the home's only before it was retired).
    const signer =
      head.ok && head.seq !== null ? documentSigner(s, pdfDocumentKind(pdf), head.seq, sig, homeCertPem) : undefined;
    if (signer?.problem === 'not signed by a certificate this ledger records')
      out.push({ ...base, problem: `${name} is not signed by a certificate of this home.` });
    else if (signer?.problem) out.push({ ...base, problem: `${name}: ${signer.problem}.` });
    else out.push(head);
  }
  return out;
}
