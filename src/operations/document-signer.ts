/**
 * Documents are signed by the operator who issues them (issue 14, item 2): a designee's receipt
 * with the designee's own certificate, naming the custodian's office; the custodian's with theirs.
 * The private key lives in the operator's keyring slot, the certificate in the ledger
 * (src/ledger/document-signers.ts). An operator of a home made before that gets their certificate
 * at their next log-in (`ensureDocumentKey`); the custodian's retires the home's certificate
 * (signing/identity.enc, which every custodian's and designee's slot of such a home opens).
 */
import fs from 'node:fs';
import { CustodyError } from '../core/errors.js';
import { officeOf } from '../core/roles.js';
import type { SigningIdentity } from '../documents/certificate.js';
import {
  currentDocumentCertificate,
  type RecordedCertificate,
  recordedDocumentCertificates,
  roleSignsDocuments,
} from '../ledger/document-signers.js';
import { fsyncDir } from '../ledger/fsutil.js';
import type { Session } from '../ledger/session.js';
import { certificateFingerprint, type DocumentKey, normalFingerprint } from '../ledger/signing.js';

/** A new certificate for `username` (their name, the agency, the office they sign for), made now. */
export async function newDocumentKey(s: Session, o: { displayName: string; role: string }): Promise<DocumentKey> {
  const { createOperatorIdentity } = await import('../documents/certificate.js');
  const id = createOperatorIdentity({
    name: o.displayName,
    organization: s.settings.agencyName,
    office: officeOf(o.role, s.settings.custodianTitle),
    now: s.clock(),
  });
  return { privateKeyPem: id.privateKeyPem, certPem: id.certPem };
}

function homeCertPem(s: Session): string | undefined {
  try {
    return s.home.certificatePem();
  } catch {
    return undefined;
  }
}

/**
 * The identity the logged-in operator signs a document with: their own certificate, which must be
 * the one the ledger records as theirs (exit 8 if not). A home whose operators have no certificate
 * yet (a session opened outside the CLI's log-in) signs with the home's, until it is retired.
 */
export async function documentIdentity(s: Session): Promise<SigningIdentity> {
  const { identityFromPem } = await import('../documents/certificate.js');
  const who = s.operator.username;
  if (!roleSignsDocuments(s.operator.role))
    throw new CustodyError(
      'denied',
      `Operator ${who} (${s.operator.role}) signs no documents.`,
      'A custodian or a designee issues signed documents.',
    );
  const certs = recordedDocumentCertificates(s.ledger, homeCertPem(s));
  const doc = s.keys.document;
  if (doc) {
    const recorded = currentDocumentCertificate(certs, who);
    if (!recorded || recorded.fingerprint !== normalFingerprint(certificateFingerprint(doc.certPem)))
      throw new CustodyError(
        'integrity',
        `The signing certificate in ${who}'s keyring slot is not the one the ledger records for ${who}: nothing was signed.`,
        'The keyring was changed outside custody. Put back the keyring.json of the newest backup of the home and run `custody verify`.',
      );
    return identityFromPem(doc.certPem, doc.privateKeyPem);
  }
  if (certs.home?.retiredAt != null || !fs.existsSync(s.home.identityFile))
    throw new CustodyError(
      'integrity',
      `Operator ${who} has no signing certificate of their own, and the home's certificate is retired.`,
      'Log in again with `custody` (the log-in gives an operator their own certificate).',
    );
  const id = s.home.loadIdentity(s.master);
  return identityFromPem(id.certPem, id.privateKeyPem);
}

/**
 * At log-in: a custodian or designee whose slot holds no document key (a home made before) gets a
 * new certificate, put into their slot under their password and recorded by an `operator.certificate`
 * event they sign; the custodian's retires the home's certificate and removes signing/identity.enc.
 * Resumable: a key in the slot that the ledger does not record yet (a commit that failed) is recorded
 * as it is. Returns the fingerprint recorded, or undefined when nothing was to do.
 */
export async function ensureDocumentKey(s: Session, password: string): Promise<string | undefined> {
  const { username, role } = s.operator;
  if (!roleSignsDocuments(role)) return undefined;
  const matches = (doc: DocumentKey | undefined, c: RecordedCertificate | undefined) =>
    !!doc && !!c && c.fingerprint === normalFingerprint(certificateFingerprint(doc.certPem));
  const certs = recordedDocumentCertificates(s.ledger, homeCertPem(s));
  if (matches(s.keys.document, currentDocumentCertificate(certs, username))) {
    if (role === 'custodian') removeRetiredIdentity(s, certs.home?.retiredAt ?? null);
    return undefined;
  }
  // Under the write lock, on the newest ledger: two log-ins at once record one certificate.
  return s.exclusive(async () => {
    const now = recordedDocumentCertificates(s.ledger, homeCertPem(s));
    const current = currentDocumentCertificate(now, username);
    const slot = (await s.home.unlock(username, password))?.document;
    if (current && slot) {
      // Recorded meanwhile by another log-in, or a slot that does not match (signing refuses it: exit 8).
      if (matches(slot, current)) s.keys.document = slot;
      return undefined;
    }
    // No key in the slot (a home made before, or a slot that lost it): a new one, recorded by the
    // operator; it replaces any certificate recorded for them before.
    const doc = slot ?? (await newDocumentKey(s, s.operator));
    if (!slot) await s.home.setDocumentKey(username, password, doc);
    const retires = role === 'custodian' && now.home && now.home.retiredAt === null ? now.home.fingerprint : undefined;
    const fingerprint = certificateFingerprint(doc.certPem);
    try {
      s.append('operator.certificate', {
        username,
        certificate: doc.certPem,
        fingerprint256: fingerprint,
        ...(retires ? { retires: retires.match(/../g)!.join(':') } : {}),
      });
      s.commit();
    } catch (e) {
      if (!slot) await s.home.setDocumentKey(username, password, undefined);
      throw e;
    }
    s.keys.document = doc;
    if (retires) removeRetiredIdentity(s, s.ledger.head.seq);
    return fingerprint;
  });
}

/** Once the custodian has retired the home's certificate, its key (signing/identity.enc) leaves the home. */
function removeRetiredIdentity(s: Session, retiredAt: number | null): void {
  if (retiredAt === null || !fs.existsSync(s.home.identityFile)) return;
  fs.rmSync(s.home.identityFile);
  fsyncDir(s.home.file('signing'));
}
