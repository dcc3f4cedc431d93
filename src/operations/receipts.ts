/**
 * Release receipts (policy §5: receipt acknowledged in writing): check a receipt against the
 * ledger, and record the agency's written acknowledgement.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CustodyError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import type { ReceiptData } from '../documents/receipt.js';
import {
  findAgency,
  findRelease,
  findRequest,
  keepDocument,
  type ReleaseJson,
  type ReleaseRow,
  releaseEventHash,
  releaseIfAny,
  releaseJson,
} from '../ledger/features/requests.js';
import { documentSignerCheck, eventOfHead } from '../ledger/document-signers.js';
import { sha256OfFile } from '../ledger/fsutil.js';
import type { Session } from '../ledger/session.js';

export interface ReceiptCheck {
  file: string;
  receipt: string | null;
  valid: boolean;
  checks: { check: string; ok: boolean; detail?: string }[];
}

/** Check a receipt: its signature, the signer (this home's certificate), and that what it lists is what the ledger recorded. */
export async function verifyReceipt(s: Session, o: { file: string; bag?: string }): Promise<ReceiptCheck> {
  const { extractReceiptFields, verifyPdfSignature } = await import('../documents/index.js');
  let pdf: Buffer;
  try {
    pdf = fs.readFileSync(o.file);
  } catch (e) {
    throw new CustodyError(
      'notFound',
      `Cannot read ${o.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
    );
  }
  const checks: ReceiptCheck['checks'] = [];
  const add = (check: string, ok: boolean, detail?: string) =>
    checks.push({ check, ok, ...(detail ? { detail } : {}) });
  const sig = verifyPdfSignature(pdf);
  // Each check is named by what it looks at; a failed one's detail says what is wrong.
  add('signature', sig.valid, sig.valid ? `valid (${sig.signer})` : sig.problems.join(' '));
  if (!sig.valid) {
    add('signer', false, 'not established: the signature is not valid');
    return { file: path.resolve(o.file), receipt: null, valid: false, checks };
  }
  let d: ReceiptData;
  try {
    d = extractReceiptFields(pdf);
  } catch (e) {
    add('receipt data readable', false, e instanceof Error ? e.message : String(e));
    return { file: path.resolve(o.file), receipt: null, valid: false, checks };
  }
  const rel = releaseIfAny(s, d.receiptNumber);
  add('signer', ...receiptSigner(s, sig.signerFingerprint256 ?? '', d, rel));
  add('receipt number in the ledger', !!rel, d.receiptNumber);
  if (rel) await compareWithLedger(s, rel, d, pdf, add, o.bag);
  const receipt = d.receiptNumber;
  return { file: path.resolve(o.file), receipt, valid: checks.every((c) => c.ok), checks };
}

/**
 * Who signed the receipt, judged by the signed events up to the release it records (or the head it
 * prints): an operator's own certificate, theirs then, of an active custodian or designee, who
 * issued that release; or the home's certificate, before it was retired.
 */
function receiptSigner(
  s: Session,
  fingerprint: string,
  d: ReceiptData,
  rel: ReleaseRow | undefined,
): [boolean, string] {
  const issued = rel ? s.ledger.eventAt(rel.event_seq) : eventOfHead(s.ledger, d.ledgerHead);
  if (!issued) return [false, `not established: the receipt's ledger head is not in this ledger (${fingerprint})`];
  const c = documentSignerCheck(s.ledger, {
    fingerprint,
    seq: issued.seq,
    kind: 'receipt',
    issuedBy: rel ? issued.actor : undefined,
    homeCertPem: homeCertificate(s),
  });
  return c.problem ? [false, `${c.problem} (${fingerprint})`] : [true, `${c.signer}, ${fingerprint}`];
}

/** signing/cert.pem, if the home has one (the home's certificate, for documents signed before operators had their own). */
export function homeCertificate(s: Session): string | undefined {
  try {
    return s.home.certificatePem();
  } catch {
    return undefined;
  }
}

async function compareWithLedger(
  s: Session,
  rel: ReleaseRow,
  d: ReceiptData,
  pdf: Buffer,
  add: (check: string, ok: boolean, detail?: string) => void,
  bagDir: string | undefined,
): Promise<void> {
  const req = findRequest(s, rel.request_id);
  const agency = findAgency(s, rel.agency_id);
  const same = (what: string, a: unknown, b: unknown) =>
    add(what, a === b, a === b ? String(a) : `receipt ${String(a)}, ledger ${String(b)}`);
  same('request', d.requestId, rel.request_id);
  same('case', d.caseNumber, req.case_number);
  same('agency', d.agency.name, agency.name);
  same('officer', d.officer, rel.officer);
  same('badge', d.badge, rel.badge);
  same('purpose', d.purpose, req.purpose);
  same('released at', d.releasedAt, rel.released_at);
  same('what was handed over', d.handedOver.kind, rel.kind);
  same('file count', d.handedOver.fileCount, rel.files);
  same('manifest digest', d.handedOver.manifestSha256 ?? null, rel.manifest_sha256);
  same('ledger head at the release', d.ledgerHead, releaseEventHash(s, rel));
  if (rel.receipt_sha256) same('the PDF issued (SHA-256)', sha256Hex(pdf), rel.receipt_sha256);
  if (bagDir) {
    const { validateBag } = await import('../media/bagit.js');
    const v = await validateBag(bagDir);
    add('bag valid (RFC 8493)', v.valid, v.problems.join('; ') || `${v.files} files`);
    const mf = path.join(bagDir, 'manifest-sha256.txt');
    same('bag manifest digest', fs.existsSync(mf) ? await sha256OfFile(mf) : null, d.handedOver.manifestSha256 ?? null);
  }
}

/** A receipt whose acknowledgement may be recorded: not acknowledged yet. */
export function checkUnacknowledged(s: Session, id: string): void {
  const rel = findRelease(s, id);
  if (rel.ack_date) throw new CustodyError('conflict', `Receipt ${id} was acknowledged on ${rel.ack_date}.`);
}

export interface AcknowledgeInput {
  receipt: string;
  /** The scanned signed receipt (kept in the home, recorded by its SHA-256). */
  scan: string;
  /** YYYY-MM-DD (checked: a real date), not before the release. */
  date: string;
}

/** Record the agency's written acknowledgement of a receipt (the signed copy, scanned). */
export function acknowledgeReceipt(s: Session, o: AcknowledgeInput): { release: ReleaseJson; scanSha256: string } {
  checkUnacknowledged(s, o.receipt);
  const rel = findRelease(s, o.receipt);
  const scanSha256 = keepDocument(s, o.scan).sha256;
  const date = o.date;
  if (date < rel.released_at.slice(0, 10))
    throw new CustodyError('usage', `--date ${date} is before the release (${rel.released_at.slice(0, 10)}).`);
  s.append('receipt.acknowledged', {
    receipt: o.receipt,
    request: rel.request_id,
    date,
    scanSha256,
    ...(rel.drive_id ? { drive: rel.drive_id } : {}),
  });
  s.commit();
  return { release: releaseJson(findRelease(s, o.receipt)), scanSha256 };
}
